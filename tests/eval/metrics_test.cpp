// Answer metrics against values worked out by hand from the SQuAD definitions.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lore/eval.h"

namespace lore::eval {
namespace {

using Answers = std::vector<std::string>;

TEST(NormalizeAnswerTest, FollowsSquadRules) {
    struct Case {
        const char* input;
        const char* expected;
    };

    const std::vector<Case> cases = {
        {"The U.S.  Army!", "us army"},                 // case, punctuation, article, spaces
        {"  A  cat\tand\nan apple ", "cat and apple"},  // every article, any whitespace
        {"Theatre", "theatre"},                         // articles only as whole words
        {"don't", "dont"},                              // punctuation is deleted, not spaced
        {"rock & roll", "rock roll"},
        {"a-b", "ab"},
        {"the", ""},
        {"", ""},
        {"\xC3\x89"
         "COLE",
         "\xC3\x89"
         "cole"},  // ASCII-only lower-casing: É is kept
    };
    for (const Case& c : cases) {
        EXPECT_EQ(normalize_answer(c.input), c.expected) << "input: " << c.input;
    }
}

TEST(NormalizeAnswerTest, TokensSplitOnSpaces) {
    EXPECT_EQ(answer_tokens("The Port, of Imber"), (Answers{"port", "of", "imber"}));
    EXPECT_TRUE(answer_tokens(" the ").empty());
}

TEST(ExactMatchTest, MatchesAnyGoldAfterNormalisation) {
    EXPECT_EQ(exact_match("the Port Imber.", Answers{"Port Imber"}), 1.0);
    EXPECT_EQ(exact_match("Port Imber, Brisa", Answers{"Port Imber"}), 0.0);
    EXPECT_EQ(exact_match("Oduya", Answers{"Tam Oduya", "Oduya"}), 1.0);
    EXPECT_EQ(exact_match("Oduya", Answers{}), 0.0);
}

TEST(TokenF1Test, ExtraWordsLowerPrecision) {
    // pred {port, imber, in, brisa}, gold {port, imber}: P = 2/4, R = 2/2, F1 = 2/3.
    EXPECT_DOUBLE_EQ(token_f1("Port Imber in Brisa", Answers{"Port Imber"}), 2.0 / 3.0);
}

TEST(TokenF1Test, TakesTheBestGoldAnswer) {
    // Against "Tam Oduya": P = 1, R = 1/2, F1 = 2/3; against "Oduya": 1.
    EXPECT_DOUBLE_EQ(token_f1("Oduya", Answers{"Tam Oduya", "Oduya"}), 1.0);
    EXPECT_DOUBLE_EQ(token_f1("Tam", Answers{"Tam Oduya", "Sel"}), 2.0 / 3.0);
}

TEST(TokenF1Test, CountsSharedTokensAsAMultiset) {
    // pred {paris, paris}, gold {paris}: one shared token, P = 1/2, R = 1, F1 = 2/3.
    EXPECT_DOUBLE_EQ(token_f1("Paris paris", Answers{"Paris"}), 2.0 / 3.0);
    EXPECT_DOUBLE_EQ(token_f1("blue green", Answers{"red"}), 0.0);
}

TEST(TokenF1Test, EmptyOnlyMatchesEmpty) {
    EXPECT_DOUBLE_EQ(token_f1("the", Answers{"a"}), 1.0);
    EXPECT_DOUBLE_EQ(token_f1("", Answers{"x"}), 0.0);
    EXPECT_DOUBLE_EQ(token_f1("x", Answers{"the"}), 0.0);
}

TEST(ContainsAnswerTest, FindsGoldTokenSequenceInsidePrediction) {
    EXPECT_TRUE(contains_answer("I think it is Port Imber, in Brisa", Answers{"Port Imber"}));
    EXPECT_TRUE(contains_answer("Sel", Answers{"Vorn", "The Sel"}));
    EXPECT_FALSE(contains_answer("Imber Port", Answers{"Port Imber"}));  // order matters
    EXPECT_FALSE(contains_answer("Portland", Answers{"Port"}));          // whole tokens
    EXPECT_FALSE(contains_answer("Port", Answers{"Port Imber"}));        // all of the gold
    EXPECT_FALSE(contains_answer("anything", Answers{"the"}));           // empty gold
    EXPECT_TRUE(contains_answer("a", Answers{"the"}));
}

TEST(ScorePredictionTest, ReturnsAllThreeMetrics) {
    const PredictionScores scores = score_prediction("It is Port Imber", Answers{"Port Imber"});

    EXPECT_EQ(scores.em, 0.0);
    EXPECT_DOUBLE_EQ(scores.f1, 2.0 * (2.0 / 4.0) * 1.0 / (2.0 / 4.0 + 1.0));
    EXPECT_TRUE(scores.contains);
}

}  // namespace
}  // namespace lore::eval
