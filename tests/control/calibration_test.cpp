#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lore/ask.h"

namespace lore {
namespace {

std::string temp_path(const std::string& name) {
    return (std::filesystem::temp_directory_path() / name).string();
}

TEST(CalibrationFileTest, RoundTripsEveryField) {
    Calibration cal;
    cal.confidence_threshold = -0.75;
    cal.confidence_measure = ConfidenceMeasure::kMin;
    cal.reflect_threshold = 0.5;
    cal.thrust_threshold = 0.01;
    cal.thrust_layer = 2;
    cal.thrust_last_token = true;
    cal.thrust_centroids = {{1.0f, 2.0f}, {3.0f, 4.0f}};
    cal.thrust_cluster_sizes = {3, 7};
    cal.confidence_scores = {-2.0, -1.0};
    const std::string path = temp_path("lore_cal_roundtrip.json");

    ASSERT_TRUE(write_calibration(cal, path).is_ok());
    Result<Calibration> back = read_calibration(path);

    ASSERT_TRUE(back.has_value()) << back.status().to_string();
    EXPECT_EQ(back->confidence_threshold, -0.75);
    EXPECT_EQ(back->confidence_measure, ConfidenceMeasure::kMin);
    EXPECT_EQ(back->reflect_threshold, 0.5);
    EXPECT_EQ(back->thrust_layer, 2);
    EXPECT_TRUE(back->thrust_last_token);
    EXPECT_EQ(back->thrust_centroids, cal.thrust_centroids);
    EXPECT_EQ(back->thrust_cluster_sizes, cal.thrust_cluster_sizes);
    EXPECT_EQ(back->confidence_scores, cal.confidence_scores);
}

struct BadFile {
    const char* name;
    const char* text;
    StatusCode code;
    const char* message_part;
};

class CalibrationErrorTest : public testing::TestWithParam<BadFile> {};

TEST_P(CalibrationErrorTest, BadFileIsAClearError) {
    const std::string path = temp_path(std::string("lore_cal_") + GetParam().name + ".json");
    std::ofstream(path) << GetParam().text;

    Result<Calibration> cal = read_calibration(path);

    ASSERT_FALSE(cal.has_value());
    EXPECT_EQ(cal.status().code(), GetParam().code);
    EXPECT_NE(cal.status().message().find(GetParam().message_part), std::string::npos)
        << cal.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Files,
    CalibrationErrorTest,
    testing::Values(
        BadFile{"malformed", "{not json", StatusCode::kInvalidArgument, "not a JSON object"},
        BadFile{"newer", R"({"version": 2})", StatusCode::kUnsupported, "version 2"},
        BadFile{"unknown_field", R"({"version": 1, "colour": 3})", StatusCode::kInvalidArgument,
                "unknown field 'colour'"},
        BadFile{"wrong_type", R"({"version": 1, "reflect": {"threshold": "high"}})",
                StatusCode::kInvalidArgument, "calibration"},
        BadFile{"bad_measure",
                R"({"version": 1, "confidence": {"threshold": 0, "measure": "median"}})",
                StatusCode::kInvalidArgument, "median"},
        BadFile{"sizes_mismatch",
                R"({"version": 1, "thrust": {"threshold": 0, "centroids": [[1]], "sizes": []}})",
                StatusCode::kInvalidArgument, "differ in length"}),
    [](const testing::TestParamInfo<BadFile>& param_info) {
        return std::string(param_info.param.name);
    });

TEST(CalibrationFileTest, MissingFileIsNotFound) {
    Result<Calibration> cal = read_calibration("/nonexistent/cal.json");

    EXPECT_EQ(cal.status().code(), StatusCode::kNotFound);
}

TEST(AskJsonTest, TraceHasEveryDocumentedField) {
    AskResult result;
    result.answer = "Draikirn Motors";
    result.trace.gate = "confidence";
    result.trace.score = -0.3;
    result.trace.threshold = -0.5;
    SearchHit hit;
    hit.chunk_id = 7;
    hit.source = "corpus/p.md";
    result.citations.push_back({1, hit});
    result.trace.hits.push_back(hit);

    nlohmann::json j = nlohmann::json::parse(ask_result_to_json(result, "Where?"));

    EXPECT_EQ(j["answer"], "Draikirn Motors");
    EXPECT_EQ(j["citations"][0]["chunk_id"], 7);
    EXPECT_EQ(j["citations"][0]["index"], 1);
    for (const char* field :
         {"gate", "score", "threshold", "retrieved", "verified", "verify_conflict", "verify_reason",
          "kb_lookups", "retrieved_chunks", "closed_book_answer", "closed_book_confidence",
          "open_book_answer", "open_book_confidence", "prompt_tokens", "generated_tokens",
          "timings_ms"}) {
        EXPECT_TRUE(j["trace"].contains(field)) << field;
    }
    for (const char* timing : {"decide", "retrieve", "generate", "total"}) {
        EXPECT_TRUE(j["trace"]["timings_ms"].contains(timing)) << timing;
    }
}

TEST(AskJsonTest, InvalidUtf8InAnAnswerIsReplacedNotFatal) {
    AskResult result;
    result.answer = "bad \xff byte";

    nlohmann::json j = nlohmann::json::parse(ask_result_to_json(result, "q"));

    EXPECT_TRUE(j["answer"].is_string());
}

}  // namespace
}  // namespace lore
