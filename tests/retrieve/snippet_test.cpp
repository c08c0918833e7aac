// Snippets mark stemmed query terms, skip stop words and pick the densest window.
#include "retrieve/snippet.h"

#include <gtest/gtest.h>

#include "../store/temp_dir.h"
#include "store/store.h"

namespace lore::retrieve {
namespace {

class SnippetTest : public ::testing::Test {
protected:
    void SetUp() override { store_ = std::move(store::Store::open(dir_.path())).value(); }

    std::string snippet(std::string_view text, std::unordered_set<std::string> terms, int n) {
        SnippetOptions options;
        options.mark_begin = "[";
        options.mark_end = "]";
        options.n_terms = n;
        return make_snippet(store_->db().handle(), text, terms, options).value();
    }

    lore::testing::TempDir dir_;
    std::unique_ptr<store::Store> store_;
};

TEST_F(SnippetTest, MarksStemmedMatchesAndKeepsStopWords) {
    EXPECT_EQ(snippet("The runners were  running\nfast.", {"run"}, 10),
              "The runners were [running] fast.");
}

TEST_F(SnippetTest, PicksTheWindowWithMostMatches) {
    EXPECT_EQ(snippet("alpha beta gamma delta owl epsilon owl zeta eta", {"owl"}, 3),
              "…[owl] epsilon [owl]…");
}

TEST_F(SnippetTest, NoMatchGivesEmptySnippet) {
    EXPECT_EQ(snippet("nothing relevant here", {"owl"}, 5), "");
}

}  // namespace
}  // namespace lore::retrieve
