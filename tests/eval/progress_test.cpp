// The progress line's text, and that the bar is silent when disabled (not a terminal).
#include "core/progress.h"

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

namespace lore {
namespace {

std::string contents(std::FILE* file) {
    std::rewind(file);
    std::string text;
    for (int c = std::fgetc(file); c != EOF; c = std::fgetc(file)) {
        text.push_back(static_cast<char>(c));
    }
    return text;
}

TEST(FormatProgressTest, ShowsBarCountPercentRateAndEta) {
    // 5 of 20 in 2 s: 2.5/s, 15 left -> 6 s.
    EXPECT_EQ(format_progress("eval", 5, 20, 2.0, 10),
              "eval [##--------] 5/20  25%  2.5/s  eta 6s");
}

TEST(FormatProgressTest, StartAndEnd) {
    EXPECT_EQ(format_progress("eval", 0, 20, 0.0, 10), "eval [----------] 0/20   0%  0.0/s  eta ?");
    EXPECT_EQ(format_progress("eval", 25, 20, 5.0, 10),
              "eval [##########] 20/20 100%  4.0/s  done in 5s");
}

TEST(FormatProgressTest, LongEtaInMinutesAndUnknownTotal) {
    EXPECT_EQ(format_progress("", 1, 100, 1.0, 4), "[----] 1/100   1%  1.0/s  eta 1m39s");
    EXPECT_EQ(format_progress("load", 7, 0, 2.0), "load 7  3.5/s");
}

TEST(ProgressBarTest, DisabledBarWritesNothing) {
    std::FILE* out = std::tmpfile();
    ASSERT_NE(out, nullptr);
    {
        ProgressBar bar(3, "eval", out, false);
        bar.tick();
        bar.update(3);
        bar.finish();
    }

    EXPECT_EQ(contents(out), "");
    std::fclose(out);
}

TEST(ProgressBarTest, EnabledBarRedrawsInPlaceAndEndsTheLine) {
    std::FILE* out = std::tmpfile();
    ASSERT_NE(out, nullptr);
    {
        ProgressBar bar(3, "eval", out, true);
        bar.tick();
        bar.update(3);  // completion always draws
    }                   // the destructor ends the line

    const std::string text = contents(out);
    EXPECT_EQ(text.rfind("\reval [", 0), 0u) << text;
    EXPECT_NE(text.find("1/3"), std::string::npos);
    EXPECT_NE(text.find("3/3 100%"), std::string::npos);
    EXPECT_EQ(text.back(), '\n');
    std::fclose(out);
}

}  // namespace
}  // namespace lore
