#include "control/evidence.h"

#include <gtest/gtest.h>

namespace lore::control {
namespace {

TEST(EvidenceTest, SupportNeedsWholeWordsIgnoringCaseAndPunctuation) {
    const std::string text = "Kroutro Negemo has worked at Draikirn Motors since 2024.";

    EXPECT_TRUE(text_supports(text, "draikirn motors"));
    EXPECT_TRUE(text_supports(text, "Draikirn Motors."));
    EXPECT_FALSE(text_supports(text, "Motor"));
    EXPECT_FALSE(text_supports(text, "Kapox Foods"));
    EXPECT_FALSE(text_supports(text, ""));
}

TEST(EvidenceTest, LatestDateReadsEnglishAndIsoDates) {
    EXPECT_EQ(latest_date("born on 26 April 1997; worked there since 26 October 2024."),
              "2024-10-26");
    EXPECT_EQ(latest_date("Released October 3, 2021 and updated 2022-01-15."), "2022-01-15");
    EXPECT_EQ(latest_date("joined in November 2010"), "2010-11-01");
    EXPECT_EQ(latest_date("has lived in Taro since 2004"), "2004-01-01");
}

TEST(EvidenceTest, LatestDateIgnoresNumbersThatAreNotDates) {
    EXPECT_EQ(latest_date("It employs 2025 people and has 3000 customers."), "");
    EXPECT_EQ(latest_date(""), "");
}

}  // namespace
}  // namespace lore::control
