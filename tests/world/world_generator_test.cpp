// The world generator: determinism (a golden hash of a small world's bytes), option
// validation, calendar arithmetic, unique names and the prompt formats.
#include <cstdint>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "lore/world.h"

#include "world/date.h"
#include "world/world_model.h"
#include "world_test_util.h"

namespace lore::world {
namespace {

using testing::small_options;

// FNV-1a over every file's path and bytes, in path order.
std::uint64_t hash_files(const std::vector<WorldFile>& files) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    auto mix = [&h](std::string_view bytes) {
        for (char c : bytes) {
            h ^= static_cast<unsigned char>(c);
            h *= 0x100000001b3ULL;
        }
        h ^= 0xff;
        h *= 0x100000001b3ULL;
    };
    for (const WorldFile& f : files) {
        mix(f.path);
        mix(f.content);
    }
    return h;
}

TEST(WorldGeneratorTest, SmallWorldMatchesGoldenHash) {
    Result<std::vector<WorldFile>> files = generate_world_files(small_options());
    ASSERT_TRUE(files.has_value()) << files.status().to_string();

    // Changing this value means every world changes: regenerate the bundled model
    // (models/world-tiny.md) and its test data when you do.
    EXPECT_EQ(hash_files(*files), 0xbfd585c4d609a929ULL);
}

TEST(WorldGeneratorTest, SameOptionsGiveSameBytes) {
    Result<std::vector<WorldFile>> a = generate_world_files(small_options());
    Result<std::vector<WorldFile>> b = generate_world_files(small_options());
    ASSERT_TRUE(a.has_value() && b.has_value());

    ASSERT_EQ(a->size(), b->size());
    for (std::size_t i = 0; i < a->size(); ++i) {
        EXPECT_EQ((*a)[i].path, (*b)[i].path);
        EXPECT_EQ((*a)[i].content, (*b)[i].content);
    }
}

TEST(WorldGeneratorTest, AnotherSeedGivesOtherPeople) {
    WorldOptions other = small_options();
    other.seed = 43;
    Result<World> a = build_world(small_options());
    Result<World> b = build_world(other);
    ASSERT_TRUE(a.has_value() && b.has_value());

    std::set<std::string> names_a;
    for (const Person& p : a->persons) {
        names_a.insert(p.name);
    }
    int shared = 0;
    for (const Person& p : b->persons) {
        shared += names_a.count(p.name) > 0 ? 1 : 0;
    }
    EXPECT_EQ(shared, 0);
}

TEST(WorldGeneratorTest, FilesAreSortedAndComplete) {
    Result<std::vector<WorldFile>> files = generate_world_files(small_options());
    ASSERT_TRUE(files.has_value());

    std::set<std::string> paths;
    for (std::size_t i = 0; i < files->size(); ++i) {
        paths.insert((*files)[i].path);
        if (i > 0) {
            EXPECT_LT((*files)[i - 1].path, (*files)[i].path);
        }
    }
    for (const char* path :
         {"triples.tsv", "train.txt", "world.json", "qa/known.jsonl", "qa/known-paraphrase.jsonl",
          "qa/unknown.jsonl", "qa/updated.jsonl", "qa/multihop.jsonl", "qa/calibration.jsonl"}) {
        EXPECT_EQ(paths.count(path), 1U) << path;
    }
    // 24 people in the knowledge base, 6 companies, 3 universities, 8 cities.
    int n_corpus = 0;
    for (const std::string& p : paths) {
        n_corpus += p.rfind("corpus/", 0) == 0 ? 1 : 0;
    }
    EXPECT_EQ(n_corpus, 24 + 6 + 3 + 8);
}

TEST(WorldGeneratorTest, BadOptionsAreInvalidArguments) {
    struct Case {
        const char* what;
        WorldOptions options;
    };

    std::vector<Case> cases;
    WorldOptions o = small_options();
    o.cutoff = "2024-02-30";
    cases.push_back({"impossible cut-off date", o});
    o = small_options();
    o.cutoff = "yesterday";
    cases.push_back({"cut-off not a date", o});
    o = small_options();
    o.n_updated = o.n_known;
    cases.push_back({"more updated than half the known", o});
    o = small_options();
    o.n_known = 0;
    cases.push_back({"no known people", o});
    o = small_options();
    o.n_companies = 1;
    cases.push_back({"one company (no one can change employer)", o});

    for (const Case& c : cases) {
        Result<std::vector<WorldFile>> files = generate_world_files(c.options);
        ASSERT_FALSE(files.has_value()) << c.what;
        EXPECT_EQ(files.status().code(), StatusCode::kInvalidArgument) << c.what;
        EXPECT_EQ(files.status().message().rfind("world: option ", 0), 0U)
            << files.status().message();
    }
}

TEST(WorldGeneratorTest, NamesAreUniqueAndApartFromPlaces) {
    Result<World> world = build_world(WorldOptions{});
    ASSERT_TRUE(world.has_value());

    std::set<std::string> places;
    for (const City& c : world->cities) {
        EXPECT_TRUE(places.insert(c.name).second) << c.name;
    }
    for (const Country& c : world->countries) {
        EXPECT_TRUE(places.insert(c.name).second) << c.name;
    }
    for (const Company& c : world->companies) {
        EXPECT_TRUE(places.insert(c.name).second) << c.name;
    }
    std::set<std::string> people;
    for (const Person& p : world->persons) {
        EXPECT_TRUE(people.insert(p.name).second) << p.name;
        const std::string first = p.name.substr(0, p.name.find(' '));
        const std::string last = p.name.substr(p.name.find(' ') + 1);
        EXPECT_EQ(places.count(first), 0U) << p.name;
        EXPECT_EQ(places.count(last), 0U) << p.name;
    }
    EXPECT_EQ(people.size(), 350U + 350U + 300U);
}

TEST(WorldGeneratorTest, UpdatesBeginAfterTheCutoffAndByTheKnowledgeBaseDate) {
    Result<World> world = build_world(WorldOptions{});
    ASSERT_TRUE(world.has_value());

    int n_updated = 0;
    for (const Person& p : world->persons) {
        const Date& last_job = p.employers.back().since;
        const Date& last_home = p.residences.back().since;
        if (p.is_updated) {
            ++n_updated;
            EXPECT_EQ(p.population, Population::kKnown);
            const Date& changed = p.employers.size() > 1 ? last_job : last_home;
            EXPECT_GT(changed, world->cutoff) << p.name;
            EXPECT_LE(changed, world->as_of) << p.name;
        } else if (p.population != Population::kReader) {
            EXPECT_LE(last_job, world->cutoff) << p.name;
            EXPECT_LE(last_home, world->cutoff) << p.name;
        }
        EXPECT_LE(last_job, world->as_of) << p.name;
        EXPECT_LE(last_home, world->as_of) << p.name;
    }
    EXPECT_EQ(n_updated, 72);
}

TEST(DateTest, DayCountsRoundTripAcrossLeapYears) {
    for (std::int64_t days = -800000; days <= 800000; days += 37) {
        EXPECT_EQ(Date::from_days(days).to_days(), days);
    }
    EXPECT_EQ((Date{1970, 1, 1}.to_days()), 0);
    EXPECT_EQ((Date{2024, 2, 28}.plus_days(1)), (Date{2024, 2, 29}));
    EXPECT_EQ((Date{2023, 2, 28}.plus_days(1)), (Date{2023, 3, 1}));
    EXPECT_EQ((Date{2000, 1, 1}.plus_days(-1)), (Date{1999, 12, 31}));
}

TEST(DateTest, RendersIsoAndEnglish) {
    const Date d{1984, 3, 5};

    EXPECT_EQ(d.iso(), "1984-03-05");
    EXPECT_EQ(d.text(), "5 March 1984");
    EXPECT_EQ(d.month_year(), "March 1984");
}

TEST(DateTest, ParsesOnlyValidIsoDates) {
    EXPECT_EQ(Date::parse_iso("2024-02-29"), (Date{2024, 2, 29}));
    EXPECT_FALSE(Date::parse_iso("2023-02-29").has_value());
    EXPECT_FALSE(Date::parse_iso("2024-13-01").has_value());
    EXPECT_FALSE(Date::parse_iso("2024-1-01").has_value());
    EXPECT_FALSE(Date::parse_iso("2024-01-0x").has_value());
}

TEST(WorldPromptTest, ClosedBookPromptIsTheTrainedFormat) {
    EXPECT_EQ(closed_book_prompt("Where was Ana Bel born?"), "Q: Where was Ana Bel born?\nA:");
}

TEST(WorldPromptTest, OpenBookPromptNumbersPassagesOnOneLineEach) {
    const std::vector<std::string> passages = {"First one.\nStill first.", "Second."};

    EXPECT_EQ(open_book_prompt(passages, "Why?"),
              "[1] First one. Still first.\n[2] Second.\nQ: Why?\nA:");
}

}  // namespace
}  // namespace lore::world
