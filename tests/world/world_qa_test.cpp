// The world's files: split sizes and record formats as docs/formats/world.md documents them,
// every answer following from triples.tsv, and train.txt holding the known people (and only
// them) as of the cut-off.
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "lore/world.h"

#include "world_test_util.h"

namespace lore::world {
namespace {

using testing::file_of;
using testing::parse_jsonl;
using testing::Record;
using testing::split;

constexpr const char* kSplits[] = {"known",   "known-paraphrase", "unknown",
                                   "updated", "multihop",         "calibration"};

// The default world, generated once for all tests in this file.
const std::vector<WorldFile>& default_world() {
    static const std::vector<WorldFile> kFiles = [] {
        Result<std::vector<WorldFile>> files = generate_world_files(WorldOptions{});
        return files.has_value() ? *files : std::vector<WorldFile>{};
    }();
    return kFiles;
}

struct Triple {
    std::string subject, relation, object, valid_from, valid_to;
};

std::vector<Triple> read_triples(const std::string& tsv) {
    std::vector<Triple> rows;
    std::vector<std::string> lines = split(tsv, '\n');
    EXPECT_EQ(lines.front(), "subject\trelation\tobject\tvalid_from\tvalid_to");
    for (std::size_t i = 1; i < lines.size(); ++i) {
        if (lines[i].empty()) {
            continue;
        }
        std::vector<std::string> cols = split(lines[i], '\t');
        EXPECT_EQ(cols.size(), 5U) << lines[i];
        if (cols.size() == 5) {
            rows.push_back({cols[0], cols[1], cols[2], cols[3], cols[4]});
        }
    }
    return rows;
}

TEST(WorldQaTest, SplitSizesAreTheDocumentedOnes) {
    const std::vector<WorldFile>& files = default_world();
    const std::map<std::string, std::size_t> expected = {
        {"known", 350},  {"known-paraphrase", 350}, {"unknown", 350},
        {"updated", 60}, {"multihop", 100},         {"calibration", 92}};

    for (const auto& [name, size] : expected) {
        EXPECT_EQ(parse_jsonl(file_of(files, "qa/" + name + ".jsonl")).size(), size) << name;
    }
}

TEST(WorldQaTest, RecordsHaveEveryDocumentedField) {
    const std::vector<WorldFile>& files = default_world();

    std::set<std::string> ids;
    for (const char* name : kSplits) {
        for (const Record& r : parse_jsonl(file_of(files, std::string("qa/") + name + ".jsonl"))) {
            EXPECT_EQ(r.text.at("split"), name);
            EXPECT_EQ(r.text.at("id").rfind(std::string(name) + "-", 0), 0U) << r.text.at("id");
            EXPECT_TRUE(ids.insert(r.text.at("id")).second) << r.text.at("id");
            EXPECT_FALSE(r.text.at("question").empty());
            EXPECT_EQ(r.text.at("question").back(), '?');
            EXPECT_FALSE(r.lists.at("answers").empty());
            EXPECT_FALSE(r.tables.at("facts").empty());
            EXPECT_TRUE(r.text.count("subject") && r.text.count("relation") &&
                        r.text.count("population") && r.flags.count("updated") &&
                        r.lists.count("stale_answers"));
        }
    }
}

TEST(WorldQaTest, EveryAnswerFollowsFromTheTriples) {
    const std::vector<WorldFile>& files = default_world();
    std::map<std::string, std::vector<Triple>> current;  // "subject|relation" -> rows
    std::map<std::string, std::vector<Triple>> any;
    for (const Triple& t : read_triples(file_of(files, "triples.tsv"))) {
        any[t.subject + "|" + t.relation].push_back(t);
        if (t.valid_to.empty()) {
            current[t.subject + "|" + t.relation].push_back(t);
        }
    }

    for (const char* name : kSplits) {
        for (const Record& r : parse_jsonl(file_of(files, std::string("qa/") + name + ".jsonl"))) {
            const auto& facts = r.tables.at("facts");
            for (const auto& fact : facts) {
                ASSERT_EQ(fact.size(), 3U);
                const auto rows = current.find(fact[0] + "|" + fact[1]);
                ASSERT_NE(rows, current.end()) << r.text.at("id");
                ASSERT_EQ(rows->second.size(), 1U) << r.text.at("id");
                EXPECT_EQ(rows->second[0].object, fact[2]) << r.text.at("id");
            }
            // Multi-hop chains: the second fact starts where the first ends.
            if (facts.size() == 2) {
                EXPECT_EQ(facts[1][0], facts[0][2]) << r.text.at("id");
            }
            const std::string& object = facts.back()[2];
            const std::string expected =
                facts.back()[1] == "born_on" ? object.substr(0, 4) : object;
            EXPECT_EQ(r.lists.at("answers"), std::vector<std::string>{expected}) << r.text.at("id");
            // A stale answer is the value that held before the change.
            for (const std::string& stale : r.lists.at("stale_answers")) {
                bool found = false;
                for (const Triple& t : any[facts[0][0] + "|" + facts[0][1]]) {
                    found = found || (t.object == stale && !t.valid_to.empty());
                }
                EXPECT_TRUE(found) << r.text.at("id");
            }
        }
    }
}

TEST(WorldQaTest, KnownQuestionsAreTrainedAndParaphrasesAreNot) {
    const std::vector<WorldFile>& files = default_world();
    const std::string& train = file_of(files, "train.txt");
    std::vector<Record> known = parse_jsonl(file_of(files, "qa/known.jsonl"));
    std::vector<Record> para = parse_jsonl(file_of(files, "qa/known-paraphrase.jsonl"));
    ASSERT_EQ(known.size(), para.size());

    for (std::size_t i = 0; i < known.size(); ++i) {
        const std::string line = closed_book_prompt(known[i].text.at("question")) + " " +
                                 known[i].lists.at("answers")[0] + "\n";
        EXPECT_NE(train.find(line), std::string::npos) << line;
        EXPECT_EQ(train.find(para[i].text.at("question")), std::string::npos)
            << para[i].text.at("question");
        EXPECT_EQ(known[i].tables.at("facts"), para[i].tables.at("facts"));
    }
}

TEST(WorldQaTest, TrainingTextHoldsKnownPeopleOnly) {
    const std::vector<WorldFile>& files = default_world();
    const std::string& train = file_of(files, "train.txt");

    for (const Record& r : parse_jsonl(file_of(files, "qa/unknown.jsonl"))) {
        EXPECT_EQ(train.find(r.text.at("subject")), std::string::npos) << r.text.at("subject");
        EXPECT_EQ(r.text.at("population"), "unknown");
    }
    for (const Record& r : parse_jsonl(file_of(files, "qa/known.jsonl"))) {
        EXPECT_NE(train.find(r.text.at("subject") + " was born"), std::string::npos)
            << r.text.at("subject");
    }
}

TEST(WorldQaTest, UpdatedFactsAreStaleInTheTrainingText) {
    const std::vector<WorldFile>& files = default_world();
    const std::string& train = file_of(files, "train.txt");

    for (const Record& r : parse_jsonl(file_of(files, "qa/updated.jsonl"))) {
        ASSERT_EQ(r.lists.at("stale_answers").size(), 1U);
        const std::string trained =
            closed_book_prompt(r.text.at("question")) + " " + r.lists.at("stale_answers")[0] + "\n";
        const std::string current =
            closed_book_prompt(r.text.at("question")) + " " + r.lists.at("answers")[0] + "\n";
        EXPECT_NE(train.find(trained), std::string::npos) << trained;
        EXPECT_EQ(train.find(current), std::string::npos) << current;
        EXPECT_TRUE(r.flags.at("updated"));
    }
}

TEST(WorldQaTest, CalibrationIsDisjointFromTheEvaluatedQuestions) {
    const std::vector<WorldFile>& files = default_world();
    std::set<std::vector<std::string>> evaluated;
    for (const char* name : {"known", "unknown", "updated", "multihop"}) {
        for (const Record& r : parse_jsonl(file_of(files, std::string("qa/") + name + ".jsonl"))) {
            evaluated.insert({r.text.at("subject"), r.text.at("relation")});
        }
    }

    std::map<std::string, int> populations;
    for (const Record& r : parse_jsonl(file_of(files, "qa/calibration.jsonl"))) {
        EXPECT_EQ(evaluated.count({r.text.at("subject"), r.text.at("relation")}), 0U)
            << r.text.at("id");
        ++populations[r.text.at("population") + (r.flags.at("updated") ? "+updated" : "")];
    }
    EXPECT_EQ(populations["known"], 40);
    EXPECT_EQ(populations["unknown"], 40);
    EXPECT_EQ(populations["known+updated"], 12);
}

TEST(WorldQaTest, CorpusDocumentsAreMarkdownWithATitle) {
    const std::vector<WorldFile>& files = default_world();

    int n_people = 0;
    for (const WorldFile& f : files) {
        if (f.path.rfind("corpus/", 0) != 0) {
            continue;
        }
        EXPECT_EQ(f.path.substr(f.path.size() - 3), ".md");
        EXPECT_EQ(f.content.rfind("# ", 0), 0U) << f.path;
        EXPECT_NE(f.content.find("\n\n"), std::string::npos) << f.path;
        EXPECT_EQ(f.content.back(), '\n');
        n_people += f.path.rfind("corpus/persons/", 0) == 0 ? 1 : 0;
    }
    EXPECT_EQ(n_people, 700);
}

}  // namespace
}  // namespace lore::world
