// Reports: report.json carries every documented field and reads back to the same report;
// report.md has a row per gate and split and a sweep table per gate; the SVG is well-formed
// with one curve per swept gate and a labelled point for never and always.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "lore/eval.h"

namespace lore::eval {
namespace {

MetricsRow row(std::string gate, std::optional<double> threshold, std::string split, double em) {
    MetricsRow r;
    r.gate = std::move(gate);
    r.threshold = threshold;
    r.split = std::move(split);
    r.n = 4;
    r.em = em;
    r.f1 = em + 0.05;
    r.contains = em + 0.1;
    r.retrieval_rate = 0.25;
    r.kb_lookups_per_question = 1.5;
    r.latency_mean_ms = 12.5;
    r.latency_p95_ms = 30.0;
    r.decision_mean_ms = 0.75;
    r.n_prompt_tokens = 400;
    r.n_generated_tokens = 20;
    r.n_tokens = 420;
    r.n_abstained = 1;
    return r;
}

Report sample_report() {
    Report report;
    report.title = "tiny <world> & co";
    report.accuracy_metric = AccuracyMetric::kContains;
    report.rows = {row("never", std::nullopt, "known", 0.75),
                   row("never", std::nullopt, "overall", 0.5),
                   row("always", std::nullopt, "overall", 0.85),
                   row("confidence", -0.5, "overall", 0.8), row("thrust", 0.125, "overall", 0.7)};
    report.sweep = {{"confidence", -1.0, 0.5, 0.0}, {"confidence", -0.5, 0.8, 0.4},
                    {"confidence", 0.0, 0.9, 1.0},  {"thrust", 0.0, 0.5, 0.1},
                    {"thrust", 0.25, 0.85, 0.9},    {"always", std::nullopt, 0.95, 1.0}};
    report.notes = {"thrust did poorly on `updated`: the model is confidently wrong there."};
    report.info = {{"model", "tiny.gguf"}, {"n_questions", 4}};
    return report;
}

std::size_t count(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t pos = text.find(needle); pos != std::string::npos;
         pos = text.find(needle, pos + needle.size())) {
        ++n;
    }
    return n;
}

// Checks that tags nest: every <x ...> is closed by </x> or is self-closing, one root.
bool tags_balance(const std::string& xml) {
    std::vector<std::string> open;
    int n_roots = 0;
    for (std::size_t pos = xml.find('<'); pos != std::string::npos; pos = xml.find('<', pos + 1)) {
        const std::size_t end = xml.find('>', pos);
        if (end == std::string::npos) {
            return false;
        }
        const std::string tag = xml.substr(pos + 1, end - pos - 1);
        if (tag.empty()) {
            return false;
        }
        if (tag[0] == '/') {
            if (open.empty() || open.back() != tag.substr(1)) {
                return false;
            }
            open.pop_back();
        } else if (tag.back() != '/') {
            if (open.empty()) {
                ++n_roots;
            }
            open.push_back(tag.substr(0, tag.find(' ')));
        }
    }
    return open.empty() && n_roots == 1;
}

std::filesystem::path fresh_dir(const std::string& name) {
    const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                      ("lore_eval_test_" + std::to_string(getpid()) + "_" + name);
    std::filesystem::remove_all(dir);
    return dir;
}

std::string read_all(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

TEST(ReportJsonTest, HasEveryDocumentedField) {
    const nlohmann::json doc = report_to_json(sample_report());

    for (const char* field :
         {"format", "version", "title", "accuracy_metric", "info", "rows", "sweep", "notes"}) {
        EXPECT_TRUE(doc.contains(field)) << field;
    }
    EXPECT_EQ(doc["format"], "lore-eval-report");
    EXPECT_EQ(doc["version"], 1);
    ASSERT_EQ(doc["rows"].size(), 5u);
    for (const char* field :
         {"gate", "threshold", "split", "n", "exact_match", "f1", "contains", "accuracy",
          "retrieval_rate", "kb_lookups_per_question", "latency_mean_ms", "latency_p95_ms",
          "decision_mean_ms", "n_prompt_tokens", "n_generated_tokens", "n_tokens", "n_abstained"}) {
        EXPECT_TRUE(doc["rows"][0].contains(field)) << field;
    }
    EXPECT_TRUE(doc["rows"][0]["threshold"].is_null());
    EXPECT_EQ(doc["rows"][3]["threshold"], -0.5);
    EXPECT_DOUBLE_EQ(doc["rows"][0]["accuracy"].get<double>(), 0.85);  // contains
    ASSERT_EQ(doc["sweep"].size(), 6u);
    for (const char* field : {"gate", "threshold", "accuracy", "retrieval_rate"}) {
        EXPECT_TRUE(doc["sweep"][0].contains(field)) << field;
    }
}

TEST(ReportJsonTest, RoundTripsThroughTheFile) {
    const Report report = sample_report();
    const std::filesystem::path dir = fresh_dir("roundtrip");
    const auto files = write_report(report, dir, ReportOptions{.write_png = false});
    ASSERT_TRUE(files.is_ok()) << files.status().to_string();

    const auto doc = nlohmann::json::parse(read_all(files->json), nullptr, false);
    ASSERT_FALSE(doc.is_discarded());
    const auto back = report_from_json(doc);

    ASSERT_TRUE(back.is_ok()) << back.status().to_string();
    EXPECT_EQ(back->title, report.title);
    EXPECT_EQ(back->accuracy_metric, report.accuracy_metric);
    EXPECT_EQ(back->info, report.info);
    EXPECT_EQ(back->notes, report.notes);
    ASSERT_EQ(back->rows.size(), report.rows.size());
    for (std::size_t row_idx = 0; row_idx < report.rows.size(); ++row_idx) {
        const MetricsRow& a = report.rows[row_idx];
        const MetricsRow& b = back->rows[row_idx];
        EXPECT_EQ(a.gate, b.gate);
        EXPECT_EQ(a.threshold, b.threshold);
        EXPECT_EQ(a.split, b.split);
        EXPECT_EQ(a.n, b.n);
        EXPECT_EQ(a.em, b.em);
        EXPECT_EQ(a.f1, b.f1);
        EXPECT_EQ(a.contains, b.contains);
        EXPECT_EQ(a.retrieval_rate, b.retrieval_rate);
        EXPECT_EQ(a.kb_lookups_per_question, b.kb_lookups_per_question);
        EXPECT_EQ(a.latency_mean_ms, b.latency_mean_ms);
        EXPECT_EQ(a.latency_p95_ms, b.latency_p95_ms);
        EXPECT_EQ(a.decision_mean_ms, b.decision_mean_ms);
        EXPECT_EQ(a.n_prompt_tokens, b.n_prompt_tokens);
        EXPECT_EQ(a.n_generated_tokens, b.n_generated_tokens);
        EXPECT_EQ(a.n_tokens, b.n_tokens);
        EXPECT_EQ(a.n_abstained, b.n_abstained);
    }
    ASSERT_EQ(back->sweep.size(), report.sweep.size());
    for (std::size_t point_idx = 0; point_idx < report.sweep.size(); ++point_idx) {
        EXPECT_EQ(back->sweep[point_idx].gate, report.sweep[point_idx].gate);
        EXPECT_EQ(back->sweep[point_idx].threshold, report.sweep[point_idx].threshold);
        EXPECT_EQ(back->sweep[point_idx].accuracy, report.sweep[point_idx].accuracy);
        EXPECT_EQ(back->sweep[point_idx].retrieval_rate, report.sweep[point_idx].retrieval_rate);
    }
    std::filesystem::remove_all(dir);
}

TEST(ReportJsonTest, ReadingNamesTheBadField) {
    nlohmann::json doc = report_to_json(sample_report());
    doc["rows"][1].erase("latency_p95_ms");

    const auto missing = report_from_json(doc);

    ASSERT_FALSE(missing.is_ok());
    EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(missing.status().message().find("rows[1]: field 'latency_p95_ms'"), std::string::npos)
        << missing.status().message();

    doc = report_to_json(sample_report());
    doc["sweep"][2]["accuracy"] = "high";
    const auto ill_typed = report_from_json(doc);
    ASSERT_FALSE(ill_typed.is_ok());
    EXPECT_NE(ill_typed.status().message().find("sweep[2]: field 'accuracy'"), std::string::npos);

    doc = report_to_json(sample_report());
    doc["version"] = 2;
    EXPECT_EQ(report_from_json(doc).status().code(), StatusCode::kUnsupported);
}

TEST(ReportMarkdownTest, RowPerGateAndSplitAndSweepTablePerGate) {
    const std::string markdown = render_markdown(sample_report());

    EXPECT_EQ(markdown.rfind("# tiny <world> & co\n", 0), 0u);
    EXPECT_NE(markdown.find("| never | - | known | 4 | 75.0 | 80.0 | 85.0 | 25.0 | 1.50 | 12.5 | "
                            "30.0 | 0.75 | 420 | 1 |"),
              std::string::npos)
        << markdown;
    EXPECT_NE(markdown.find("| confidence | -0.5 | overall |"), std::string::npos);
    EXPECT_EQ(count(markdown, "\n| never |"), 2u);
    EXPECT_NE(markdown.find("### confidence\n"), std::string::npos);
    EXPECT_NE(markdown.find("### thrust\n"), std::string::npos);
    EXPECT_NE(markdown.find("### always\n"), std::string::npos);
    EXPECT_EQ(markdown.find("### never\n"), std::string::npos);  // no sweep points
    EXPECT_NE(markdown.find("| -0.5 | 80.0 | 40.0 |"), std::string::npos);
    EXPECT_NE(markdown.find("confidently wrong"), std::string::npos);
}

TEST(ReportMarkdownTest, MetricsTableAloneHasHeaderRuleAndOneLinePerRow) {
    const Report report = sample_report();

    const std::string table = render_metrics_table(report.rows);

    EXPECT_EQ(table.rfind("| gate | threshold | split | n |", 0), 0u);
    EXPECT_EQ(count(table, "\n"), 2u + report.rows.size());
    EXPECT_NE(render_markdown(report).find(table), std::string::npos);
}

TEST(ReportSvgTest, WellFormedWithCurvesPointsAxesAndLegend) {
    const std::string svg = render_svg(sample_report());

    EXPECT_EQ(svg.rfind("<svg ", 0), 0u);
    EXPECT_TRUE(tags_balance(svg));
    EXPECT_EQ(count(svg, "<polyline"), 2u);  // confidence and thrust
    EXPECT_EQ(count(svg, "<polyline class=\"curve\" data-gate=\"confidence\""), 1u);
    EXPECT_EQ(count(svg, "<polyline class=\"curve\" data-gate=\"thrust\""), 1u);
    // never has no sweep points: drawn from its overall row; always from its one point.
    EXPECT_EQ(count(svg, "<circle class=\"point\" data-gate=\"never\""), 1u);
    EXPECT_EQ(count(svg, "<circle class=\"point\" data-gate=\"always\""), 1u);
    EXPECT_NE(svg.find(">never</text>"), std::string::npos);
    EXPECT_NE(svg.find(">always</text>"), std::string::npos);
    EXPECT_EQ(count(svg, "class=\"tick-label\""), 12u);  // 0.0 .. 1.0 on both axes
    EXPECT_NE(svg.find(">retrieval rate"), std::string::npos);
    EXPECT_NE(svg.find(">accuracy (contains)</text>"), std::string::npos);
    EXPECT_EQ(count(svg, "class=\"legend-label\""), 4u);
    EXPECT_NE(svg.find("tiny &lt;world&gt; &amp; co"), std::string::npos);
}

TEST(ReportSvgTest, PointsMapIntoThePlotArea) {
    Report report;
    report.sweep = {{"never", std::nullopt, 0.0, 0.0}, {"always", std::nullopt, 1.0, 1.0}};

    const std::string svg = render_svg(report);

    // (0, 0) is the bottom-left corner of the plot area, (1, 1) the top-right.
    EXPECT_NE(svg.find("data-gate=\"never\" cx=\"70.0\" cy=\"410.0\""), std::string::npos);
    EXPECT_NE(svg.find("data-gate=\"always\" cx=\"560.0\" cy=\"50.0\""), std::string::npos);
}

TEST(WriteReportTest, WritesAllFilesAndReportsThePng) {
    const std::filesystem::path dir = fresh_dir("files") / "nested";

    const auto files = write_report(sample_report(), dir);

    ASSERT_TRUE(files.is_ok()) << files.status().to_string();
    EXPECT_EQ(files->markdown, dir / "report.md");
    EXPECT_GT(std::filesystem::file_size(files->markdown), 0u);
    EXPECT_GT(std::filesystem::file_size(files->json), 0u);
    EXPECT_EQ(read_all(files->svg), render_svg(sample_report()));
    EXPECT_FALSE(files->png_note.empty());
    if (files->png.has_value()) {  // a converter is on this machine
        EXPECT_EQ(read_all(*files->png).substr(0, 8), "\x89PNG\r\n\x1a\n");
    } else {
        EXPECT_EQ(files->png_note.rfind("no png: ", 0), 0u) << files->png_note;
    }
    std::filesystem::remove_all(dir.parent_path());
}

TEST(WriteReportTest, WritesOneOutcomeLinePerQuestion) {
    Report report = sample_report();
    QuestionOutcome first;
    first.id = "k1";
    first.gate = "never";
    first.score = std::numeric_limits<double>::quiet_NaN();
    first.prediction = "Port Imber\xff";  // a model may stop mid-character
    first.answers = {"Port Imber"};
    QuestionOutcome second = first;
    second.id = "k2";
    second.threshold = 0.25;
    second.score = 0.5;
    report.outcomes = {first, second};
    const std::filesystem::path dir = fresh_dir("outcomes");

    const auto files = write_report(report, dir, ReportOptions{.write_png = false});

    ASSERT_TRUE(files.is_ok()) << files.status().to_string();
    ASSERT_TRUE(files->outcomes.has_value());
    std::istringstream lines(read_all(*files->outcomes));
    std::vector<nlohmann::json> docs;
    for (std::string line; std::getline(lines, line);) {
        docs.push_back(nlohmann::json::parse(line, nullptr, false));
    }
    ASSERT_EQ(docs.size(), 2u);
    EXPECT_EQ(docs[0]["id"], "k1");
    EXPECT_TRUE(docs[0]["score"].is_null());
    EXPECT_TRUE(docs[0]["threshold"].is_null());
    EXPECT_EQ(docs[1]["threshold"], 0.25);
    EXPECT_EQ(docs[1]["score"], 0.5);
    for (const char* field :
         {"id", "split", "gate", "threshold", "score", "prediction", "answers", "exact_match", "f1",
          "contains", "retrieved", "n_kb_lookups", "latency_ms", "decision_ms", "n_prompt_tokens",
          "n_generated_tokens", "abstained"}) {
        EXPECT_TRUE(docs[1].contains(field)) << field;
    }
    std::filesystem::remove_all(dir);
}

TEST(WriteReportTest, UnwritableDirectoryIsIoError) {
    const std::filesystem::path dir = fresh_dir("blocked");
    std::ofstream(dir.string()) << "a file where the directory should be";

    const auto files =
        write_report(sample_report(), dir / "sub", ReportOptions{.write_png = false});

    ASSERT_FALSE(files.is_ok());
    EXPECT_EQ(files.status().code(), StatusCode::kIoError);
    EXPECT_NE(files.status().message().find("lore_eval_test_"), std::string::npos);
    std::filesystem::remove(dir);
}

}  // namespace
}  // namespace lore::eval
