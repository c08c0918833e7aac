// The accuracy-vs-retrieval-rate plot as hand-written SVG 1.1 (no plotting dependency), and
// write_report(), which writes report.md, report.json, the SVG, outcomes.jsonl when there are
// outcomes and, when a converter is on the PATH (rsvg-convert from librsvg2-bin, else
// ImageMagick's convert), a PNG.
//
// Plot layout, in SVG user units: a 760 x 480 canvas; the plot area spans x 70..560 and
// y 50..410 with both axes fixed to 0..1 so plots of different runs compare by eye; the
// legend sits right of the plot. Curves are <polyline class="curve">, single-point gates
// <circle class="point"> with a text label, calibrated operating points
// <circle class="operating-point">.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lore/eval.h"

#include "eval/report_internal.h"

extern char** environ;  // NOLINT(readability-redundant-declaration): for posix_spawnp

namespace lore::eval {
namespace {

constexpr double kWidth = 760.0;
constexpr double kHeight = 480.0;
constexpr double kPlotLeft = 70.0;
constexpr double kPlotRight = 560.0;
constexpr double kPlotTop = 50.0;
constexpr double kPlotBottom = 410.0;
constexpr double kLegendLeft = 580.0;
constexpr int kTickCount = 5;  // ticks at 0, 0.2, ..., 1.0

constexpr const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

std::string num(double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%.1f", value);
    return buffer;
}

std::string xml_escape(std::string_view text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default: out += c;
        }
    }
    return out;
}

double clamp01(double value) {
    return std::clamp(value, 0.0, 1.0);
}

double x_of(double retrieval_rate) {
    return kPlotLeft + clamp01(retrieval_rate) * (kPlotRight - kPlotLeft);
}

double y_of(double accuracy) {
    return kPlotBottom - clamp01(accuracy) * (kPlotBottom - kPlotTop);
}

struct PlotPoint {
    double retrieval_rate = 0.0;
    double accuracy = 0.0;
};

struct GateSeries {
    std::string gate;
    std::string color;
    std::vector<PlotPoint> points;            // sorted by retrieval rate
    std::vector<PlotPoint> operating_points;  // overall rows, marked on curves
};

// Sweep points per gate; a gate without any falls back to its overall rows.
std::vector<GateSeries> collect_series(const Report& report) {
    std::vector<GateSeries> series;
    std::size_t color_idx = 0;
    for (const std::string& gate : gates_in_order(report)) {
        GateSeries one;
        one.gate = gate;
        one.color = kPalette[color_idx++ % std::size(kPalette)];
        for (const SweepPoint& point : report.sweep) {
            if (point.gate == gate && std::isfinite(point.accuracy) &&
                std::isfinite(point.retrieval_rate)) {
                one.points.push_back({point.retrieval_rate, point.accuracy});
            }
        }
        for (const MetricsRow& row : report.rows) {
            if (row.gate == gate && row.split == kOverallSplit) {
                one.operating_points.push_back(
                    {row.retrieval_rate, accuracy_of(row, report.accuracy_metric)});
            }
        }
        if (one.points.empty()) {
            one.points = one.operating_points;
        }
        if (one.points.empty()) {
            continue;
        }
        std::stable_sort(one.points.begin(), one.points.end(),
                         [](const PlotPoint& a, const PlotPoint& b) {
                             return a.retrieval_rate < b.retrieval_rate;
                         });
        series.push_back(std::move(one));
    }
    return series;
}

void append_axes(std::string& svg, std::string_view metric) {
    for (int tick_idx = 0; tick_idx <= kTickCount; ++tick_idx) {
        const double value = static_cast<double>(tick_idx) / kTickCount;
        char label[16];
        std::snprintf(label, sizeof(label), "%.1f", value);
        const std::string x = num(x_of(value));
        const std::string y = num(y_of(value));
        svg += "<line class=\"grid\" x1=\"" + x + "\" y1=\"" + num(kPlotTop) + "\" x2=\"" + x +
               "\" y2=\"" + num(kPlotBottom) + "\" stroke=\"#e0e0e0\"/>\n";
        svg += "<line class=\"grid\" x1=\"" + num(kPlotLeft) + "\" y1=\"" + y + "\" x2=\"" +
               num(kPlotRight) + "\" y2=\"" + y + "\" stroke=\"#e0e0e0\"/>\n";
        svg += "<line class=\"tick\" x1=\"" + x + "\" y1=\"" + num(kPlotBottom) + "\" x2=\"" + x +
               "\" y2=\"" + num(kPlotBottom + 5) + "\" stroke=\"#000\"/>\n";
        svg += "<text class=\"tick-label\" x=\"" + x + "\" y=\"" + num(kPlotBottom + 18) +
               "\" text-anchor=\"middle\">" + label + "</text>\n";
        svg += "<line class=\"tick\" x1=\"" + num(kPlotLeft - 5) + "\" y1=\"" + y + "\" x2=\"" +
               num(kPlotLeft) + "\" y2=\"" + y + "\" stroke=\"#000\"/>\n";
        svg += "<text class=\"tick-label\" x=\"" + num(kPlotLeft - 8) + "\" y=\"" +
               num(y_of(value) + 4) + "\" text-anchor=\"end\">" + label + "</text>\n";
    }
    svg += "<line class=\"axis\" x1=\"" + num(kPlotLeft) + "\" y1=\"" + num(kPlotBottom) +
           "\" x2=\"" + num(kPlotRight) + "\" y2=\"" + num(kPlotBottom) + "\" stroke=\"#000\"/>\n";
    svg += "<line class=\"axis\" x1=\"" + num(kPlotLeft) + "\" y1=\"" + num(kPlotTop) + "\" x2=\"" +
           num(kPlotLeft) + "\" y2=\"" + num(kPlotBottom) + "\" stroke=\"#000\"/>\n";
    svg += "<text class=\"axis-label\" x=\"" + num((kPlotLeft + kPlotRight) / 2) + "\" y=\"" +
           num(kPlotBottom + 42) +
           "\" text-anchor=\"middle\">retrieval rate (share of questions with evidence in the "
           "prompt)</text>\n";
    const std::string mid_y = num((kPlotTop + kPlotBottom) / 2);
    svg += "<text class=\"axis-label\" x=\"20\" y=\"" + mid_y +
           "\" text-anchor=\"middle\" transform=\"rotate(-90 20 " + mid_y + ")\">accuracy (" +
           xml_escape(metric) + ")</text>\n";
}

void append_series(std::string& svg, const GateSeries& one) {
    const std::string gate = xml_escape(one.gate);
    if (one.points.size() >= 2) {
        svg += "<polyline class=\"curve\" data-gate=\"" + gate + "\" fill=\"none\" stroke=\"" +
               one.color + "\" stroke-width=\"2\" points=\"";
        for (std::size_t point_idx = 0; point_idx < one.points.size(); ++point_idx) {
            if (point_idx > 0) {
                svg += ' ';
            }
            svg += num(x_of(one.points[point_idx].retrieval_rate)) + "," +
                   num(y_of(one.points[point_idx].accuracy));
        }
        svg += "\"/>\n";
        for (const PlotPoint& point : one.operating_points) {
            svg += "<circle class=\"operating-point\" data-gate=\"" + gate + "\" cx=\"" +
                   num(x_of(point.retrieval_rate)) + "\" cy=\"" + num(y_of(point.accuracy)) +
                   "\" r=\"5\" fill=\"none\" stroke=\"" + one.color + "\" stroke-width=\"2\"/>\n";
        }
        return;
    }
    const PlotPoint& point = one.points.front();
    const double cx = x_of(point.retrieval_rate);
    const double cy = y_of(point.accuracy);
    svg += "<circle class=\"point\" data-gate=\"" + gate + "\" cx=\"" + num(cx) + "\" cy=\"" +
           num(cy) + "\" r=\"6\" fill=\"" + one.color + "\" stroke=\"#000\"/>\n";
    // Labels go inside the plot: left of points near the right edge, right of the others.
    const bool label_left = cx > (kPlotLeft + kPlotRight) / 2;
    svg += "<text class=\"point-label\" x=\"" + num(label_left ? cx - 10 : cx + 10) + "\" y=\"" +
           num(cy - 8) + "\" text-anchor=\"" + (label_left ? "end" : "start") + "\">" + gate +
           "</text>\n";
}

void append_legend(std::string& svg, const std::vector<GateSeries>& series) {
    double y = kPlotTop + 10;
    for (const GateSeries& one : series) {
        const std::string gate = xml_escape(one.gate);
        if (one.points.size() >= 2) {
            svg += "<line class=\"legend-swatch\" x1=\"" + num(kLegendLeft) + "\" y1=\"" + num(y) +
                   "\" x2=\"" + num(kLegendLeft + 24) + "\" y2=\"" + num(y) + "\" stroke=\"" +
                   one.color + "\" stroke-width=\"2\"/>\n";
        } else {
            svg += "<circle class=\"legend-swatch\" cx=\"" + num(kLegendLeft + 12) + "\" cy=\"" +
                   num(y) + "\" r=\"6\" fill=\"" + one.color + "\" stroke=\"#000\"/>\n";
        }
        svg += "<text class=\"legend-label\" x=\"" + num(kLegendLeft + 32) + "\" y=\"" +
               num(y + 4) + "\">" + gate + (one.points.size() >= 2 ? "" : " (point)") + "</text>\n";
        y += 22;
    }
}

// Runs `argv` without a shell; its output goes to /dev/null. Returns the exit status, or
// nullopt (with errno-style `spawn_error`) when it could not be started.
std::optional<int> run_quietly(const std::vector<std::string>& args, int& spawn_error) {
    std::vector<char*> argv;
    for (const std::string& arg : args) {
        argv.push_back(const_cast<char*>(arg.c_str()));  // posix_spawn's signature predates const
    }
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    spawn_error = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawn_error != 0) {
        return std::nullopt;
    }
    int wait_status = 0;
    while (waitpid(pid, &wait_status, 0) < 0) {
        if (errno != EINTR) {
            spawn_error = errno;
            return std::nullopt;
        }
    }
    if (WIFEXITED(wait_status)) {
        return WEXITSTATUS(wait_status);
    }
    return 128 + (WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0);
}

// Tries each converter in turn; sets files.png on the first success, else files.png_note.
void convert_to_png(ReportFiles& files) {
    const std::filesystem::path png = files.svg.parent_path() / "accuracy_vs_retrieval.png";
    const std::vector<std::vector<std::string>> converters = {
        {"rsvg-convert", "-o", png.string(), files.svg.string()},
        {"convert", files.svg.string(), png.string()},
    };
    std::string failures;
    for (const std::vector<std::string>& converter : converters) {
        int spawn_error = 0;
        const std::optional<int> exit_status = run_quietly(converter, spawn_error);
        std::error_code ignored;
        if (exit_status.has_value() && *exit_status == 0 &&
            std::filesystem::file_size(png, ignored) > 0) {
            files.png = png;
            files.png_note = "png written by " + converter.front();
            return;
        }
        std::filesystem::remove(png, ignored);
        if (!failures.empty()) {
            failures += "; ";
        }
        if (exit_status.has_value()) {
            failures += converter.front() + " failed (exit " + std::to_string(*exit_status) + ")";
        } else if (spawn_error == ENOENT) {
            failures += converter.front() + " not found";
        } else {
            failures += converter.front() + " could not start: " +
                        std::error_code(spawn_error, std::generic_category()).message();
        }
    }
    files.png_note = "no png: " + failures + " (install librsvg2-bin for rsvg-convert)";
}

Status write_text(const std::filesystem::path& path, std::string_view text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out.is_open()) {
        return Status::io_error("eval: cannot create " + path.string());
    }
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (out.fail()) {
        return Status::io_error("eval: cannot write " + path.string());
    }
    return Status::ok();
}

}  // namespace

std::string render_svg(const Report& report) {
    const std::vector<GateSeries> series = collect_series(report);
    std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" +
                      num(kWidth) + "\" height=\"" + num(kHeight) + "\" viewBox=\"0 0 " +
                      num(kWidth) + " " + num(kHeight) +
                      "\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">\n";
    svg += "<rect class=\"background\" x=\"0\" y=\"0\" width=\"" + num(kWidth) + "\" height=\"" +
           num(kHeight) + "\" fill=\"#ffffff\"/>\n";
    svg += "<text class=\"title\" x=\"" + num((kPlotLeft + kPlotRight) / 2) +
           "\" y=\"28\" text-anchor=\"middle\" font-size=\"15\">" + xml_escape(report.title) +
           ": accuracy against retrieval rate</text>\n";
    append_axes(svg, accuracy_metric_name(report.accuracy_metric));
    for (const GateSeries& one : series) {
        append_series(svg, one);
    }
    append_legend(svg, series);
    svg += "</svg>\n";
    return svg;
}

Result<ReportFiles> write_report(const Report& report,
                                 const std::filesystem::path& dir,
                                 const ReportOptions& options) {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) {
        return Status::io_error("eval: cannot create report directory " + dir.string() + ": " +
                                error.message());
    }
    ReportFiles files;
    files.markdown = dir / "report.md";
    files.json = dir / "report.json";
    files.svg = dir / "accuracy_vs_retrieval.svg";
    LORE_RETURN_IF_ERROR(write_text(files.markdown, render_markdown(report)));
    // Replace, not throw, on invalid UTF-8 (titles and notes may carry model output).
    const std::string json_text =
        report_to_json(report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    LORE_RETURN_IF_ERROR(write_text(files.json, json_text));
    LORE_RETURN_IF_ERROR(write_text(files.svg, render_svg(report)));
    if (!report.outcomes.empty()) {
        std::string lines;
        for (const QuestionOutcome& outcome : report.outcomes) {
            lines += outcome_to_json(outcome).dump(-1, ' ', false,
                                                   nlohmann::json::error_handler_t::replace);
            lines += '\n';
        }
        files.outcomes = dir / "outcomes.jsonl";
        LORE_RETURN_IF_ERROR(write_text(*files.outcomes, lines));
    }
    if (options.write_png) {
        convert_to_png(files);
    } else {
        files.png_note = "png not requested";
    }
    return files;
}

}  // namespace lore::eval
