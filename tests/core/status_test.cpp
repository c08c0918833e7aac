#include "lore/status.h"

#include <string>

#include <gtest/gtest.h>

#include "lore/result.h"

namespace lore {
namespace {

Result<int> parse_positive(int v) {
    if (v <= 0) {
        return Status::invalid_argument("test: value " + std::to_string(v) + " is not positive");
    }
    return v;
}

Result<int> doubled(int v) {
    LORE_ASSIGN_OR_RETURN(int x, parse_positive(v));
    return 2 * x;
}

Status check_all(int a, int b) {
    LORE_RETURN_IF_ERROR(parse_positive(a).status());
    LORE_RETURN_IF_ERROR(parse_positive(b).status());
    return Status::ok();
}

TEST(StatusTest, OkHasNoMessageAndExitCodeZero) {
    Status status = Status::ok();

    EXPECT_TRUE(status.is_ok());
    EXPECT_EQ(status.to_string(), "ok");
    EXPECT_EQ(status.to_exit_code(), 0);
}

TEST(StatusTest, ErrorStringNamesTheCode) {
    Status status = Status::corruption("gguf: bad magic at byte 0");

    EXPECT_EQ(status.code(), StatusCode::kCorruption);
    EXPECT_EQ(status.to_string(), "corruption: gguf: bad magic at byte 0");
    EXPECT_EQ(status.to_exit_code(), 1);
    EXPECT_EQ(Status::invalid_argument("x").to_exit_code(), 2);
}

TEST(ResultTest, AssignOrReturnPropagatesTheError) {
    Result<int> good = doubled(4);
    Result<int> bad = doubled(-1);

    ASSERT_TRUE(good.has_value());
    EXPECT_EQ(*good, 8);
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST(ResultTest, ReturnIfErrorStopsAtTheFirstFailure) {
    Status status = check_all(1, -7);

    EXPECT_EQ(status.message(), "test: value -7 is not positive");
}

TEST(ResultTest, OkStatusWithoutValueBecomesInternalError) {
    Result<int> result{Status::ok()};

    EXPECT_FALSE(result.has_value());
    EXPECT_EQ(result.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace lore
