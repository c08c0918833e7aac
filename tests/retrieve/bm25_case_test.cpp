// Data-driven BM25 ranking: each tests/testdata/retrieve/*.case file holds documents, queries
// and the expected ranked document ids. A new case needs no C++. Format:
//   # comment
//   doc <id>: <text>
//   query: <text>
//   expect: <id> <id> ...        (empty: no hits)
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lore/kb.h"

#include "../store/temp_dir.h"

namespace lore {
namespace {

struct QueryCase {
    std::string query;
    std::vector<std::string> expected;
};

struct CaseFile {
    std::string jsonl;
    std::vector<QueryCase> queries;
};

std::string trim(std::string text) {
    const std::size_t begin = text.find_first_not_of(" \t");
    const std::size_t end = text.find_last_not_of(" \t\r");
    return begin == std::string::npos ? "" : text.substr(begin, end - begin + 1);
}

CaseFile parse_case(const std::filesystem::path& path) {
    CaseFile out;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') {
            continue;
        }
        const std::size_t colon = line.find(':');
        const std::string head = line.substr(0, colon);
        const std::string rest = colon == std::string::npos ? "" : trim(line.substr(colon + 1));
        if (head.rfind("doc ", 0) == 0) {
            out.jsonl += nlohmann::json{{"id", trim(head.substr(4))}, {"text", rest}}.dump();
            out.jsonl += "\n";
        } else if (head == "query") {
            out.queries.push_back({rest, {}});
        } else if (head == "expect" && !out.queries.empty()) {
            std::istringstream ids(rest);
            std::string id;
            while (ids >> id) {
                out.queries.back().expected.push_back(id);
            }
        } else {
            ADD_FAILURE() << path << ": cannot parse line '" << line << "'";
        }
    }
    return out;
}

TEST(Bm25CaseTest, EveryCaseFileRanksAsExpected) {
    int n_cases = 0;
    for (const auto& entry : std::filesystem::directory_iterator("tests/testdata/retrieve")) {
        if (entry.path().extension() != ".case") {
            continue;
        }
        const CaseFile file = parse_case(entry.path());
        lore::testing::TempDir dir;
        auto kb = KnowledgeBase::open(dir.path());
        ASSERT_TRUE(kb.has_value());
        ASSERT_TRUE((*kb)->ingest_jsonl_stream(file.jsonl, "case", IngestOptions{}).has_value());
        for (const QueryCase& query : file.queries) {
            auto hits = (*kb)->search(query.query, SearchOptions{});

            ASSERT_TRUE(hits.has_value()) << hits.status().to_string();
            std::vector<std::string> ids;
            for (const SearchHit& hit : *hits) {
                ids.push_back(hit.document_key);
            }
            EXPECT_EQ(ids, query.expected) << entry.path() << " query '" << query.query << "'";
            ++n_cases;
        }
    }
    EXPECT_GE(n_cases, 8);
}

}  // namespace
}  // namespace lore
