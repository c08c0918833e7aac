// Dataset loading: a valid file keeps ids, answers, splits and free metadata; each way a
// record can be malformed is one table row that must yield kInvalidArgument with a message
// naming the line and the field.
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lore/eval.h"

namespace lore::eval {
namespace {

Result<std::vector<Example>> parse_text(const std::string& text) {
    std::istringstream in(text);
    return parse_dataset(in, "mem.jsonl");
}

TEST(DatasetTest, LoadsRecordsSplitsAndMetadataSkippingBlankLines) {
    const auto examples = load_dataset("tests/testdata/eval/tiny.jsonl");

    ASSERT_TRUE(examples.is_ok()) << examples.status().to_string();
    ASSERT_EQ(examples->size(), 3u);
    EXPECT_EQ((*examples)[0].id, "k1");
    EXPECT_EQ((*examples)[0].question, "Where does Ada Vell live?");
    EXPECT_EQ((*examples)[0].split, "known");
    EXPECT_EQ((*examples)[0].metadata, nlohmann::json({{"entity", "Ada Vell"}}));
    EXPECT_EQ((*examples)[1].answers, (std::vector<std::string>{"Tam Oduya", "Oduya"}));
    EXPECT_EQ((*examples)[2].split, "");
    EXPECT_TRUE((*examples)[2].metadata.empty());
}

TEST(DatasetTest, MissingFileIsNotFound) {
    const auto examples = load_dataset("tests/testdata/eval/no_such_file.jsonl");

    ASSERT_FALSE(examples.is_ok());
    EXPECT_EQ(examples.status().code(), StatusCode::kNotFound);
    EXPECT_NE(examples.status().message().find("no_such_file.jsonl"), std::string::npos);
}

TEST(DatasetTest, AcceptsCrLfByteOrderMarkAndMissingFinalNewline) {
    const auto examples = parse_text(
        "\xEF\xBB\xBF{\"id\":\"a\",\"question\":\"q?\",\"answers\":[\"x\"]}\r\n"
        "   \r\n"
        "{\"id\":\"b\",\"question\":\"q?\",\"answers\":[\"y\"]}");

    ASSERT_TRUE(examples.is_ok()) << examples.status().to_string();
    ASSERT_EQ(examples->size(), 2u);
    EXPECT_EQ((*examples)[1].answers.front(), "y");
}

struct BadCase {
    const char* name;
    std::string text;
    const char* expected_in_message;  // the line and field the message must name
};

TEST(DatasetTest, MalformedRecordsNameLineAndField) {
    const std::string good = R"({"id":"a","question":"q?","answers":["x"]})";
    const std::vector<BadCase> cases = {
        {"malformed json", good + "\n{\"id\": \"b\", \"question\": \n",
         "mem.jsonl:2: malformed json"},
        {"not an object", "[1, 2]\n", "mem.jsonl:1: a record must be a json object, got array"},
        // Found by the dataset fuzzer: nlohmann throws out_of_range, not parse_error.
        {"number overflow", "3333333333e0000000000002958300000000000000000000000295830198\n",
         "mem.jsonl:1: malformed json"},
        {"missing id", R"({"question":"q?","answers":["x"]})", "mem.jsonl:1: missing field 'id'"},
        {"id is a number", R"({"id":7,"question":"q?","answers":["x"]})",
         "mem.jsonl:1: field 'id' must be a string, got number"},
        {"empty id", R"({"id":"","question":"q?","answers":["x"]})",
         "mem.jsonl:1: field 'id' is empty"},
        {"missing question", R"({"id":"a","answers":["x"]})",
         "mem.jsonl:1: missing field 'question'"},
        {"question is null", R"({"id":"a","question":null,"answers":["x"]})",
         "mem.jsonl:1: field 'question' must be a string, got null"},
        {"missing answers", R"({"id":"a","question":"q?"})",
         "mem.jsonl:1: missing field 'answers'"},
        {"answers is a string", R"({"id":"a","question":"q?","answers":"x"})",
         "mem.jsonl:1: field 'answers' must be an array of strings, got string"},
        {"empty answers", R"({"id":"a","question":"q?","answers":[]})",
         "mem.jsonl:1: field 'answers' is empty"},
        {"answer is a number", R"({"id":"a","question":"q?","answers":["x", 3]})",
         "mem.jsonl:1: field 'answers[1]' must be a string, got number"},
        {"answer is empty", R"({"id":"a","question":"q?","answers":[""]})",
         "mem.jsonl:1: field 'answers[0]' is empty"},
        {"split is a number", R"({"id":"a","question":"q?","answers":["x"],"split":1})",
         "mem.jsonl:1: field 'split' must be a string, got number"},
        {"reserved split", R"({"id":"a","question":"q?","answers":["x"],"split":"overall"})",
         "mem.jsonl:1: field 'split' is 'overall'"},
        {"duplicate id", good + "\n\n" + good + "\n", "mem.jsonl:3: field 'id' repeats 'a'"},
        {"line too long", good + "\n" + std::string(kMaxLineBytes + 1, ' ') + "\n",
         "mem.jsonl:2: line is longer than the limit of 1048576 bytes"},
        {"no records", "\n  \n", "mem.jsonl: no records"},
        {"invalid utf-8", "{\"id\":\"a\xff\",\"question\":\"q?\",\"answers\":[\"x\"]}",
         "mem.jsonl:1: malformed json"},
    };
    for (const BadCase& bad : cases) {
        const auto examples = parse_text(bad.text);

        ASSERT_FALSE(examples.is_ok()) << bad.name;
        EXPECT_EQ(examples.status().code(), StatusCode::kInvalidArgument) << bad.name;
        EXPECT_NE(examples.status().message().find(bad.expected_in_message), std::string::npos)
            << bad.name << ": " << examples.status().message();
        EXPECT_EQ(examples.status().message().rfind("dataset: ", 0), 0u) << bad.name;
    }
}

TEST(DatasetTest, LineExactlyAtTheLimitIsAccepted) {
    std::string line = R"({"id":"a","question":"q?","answers":["x"]})";
    line.append(kMaxLineBytes - line.size(), ' ');

    const auto examples = parse_text(line + "\n");

    ASSERT_TRUE(examples.is_ok()) << examples.status().to_string();
    EXPECT_EQ(examples->size(), 1u);
}

}  // namespace
}  // namespace lore::eval
