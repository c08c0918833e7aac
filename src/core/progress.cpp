// ProgressBar: "\r" + the line + "erase to end of line" on each redraw; the final draw ends
// with a newline so later output starts on a fresh line.
#include "core/progress.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>

#include <unistd.h>

namespace lore {
namespace {

std::string format_duration(double seconds) {
    const auto total_s = static_cast<long long>(std::llround(seconds));
    char buffer[48];
    if (total_s >= 3600) {
        std::snprintf(buffer, sizeof(buffer), "%lldh%02lldm", total_s / 3600,
                      (total_s % 3600) / 60);
    } else if (total_s >= 60) {
        std::snprintf(buffer, sizeof(buffer), "%lldm%02llds", total_s / 60, total_s % 60);
    } else {
        std::snprintf(buffer, sizeof(buffer), "%llds", total_s);
    }
    return buffer;
}

}  // namespace

std::string format_progress(std::string_view label,
                            std::int64_t done,
                            std::int64_t total,
                            double elapsed_s,
                            int bar_width) {
    std::string line(label);
    if (!line.empty()) {
        line += ' ';
    }
    done = std::max<std::int64_t>(done, 0);
    if (total > 0) {
        done = std::min(done, total);
        const double fraction = static_cast<double>(done) / static_cast<double>(total);
        const int width = std::max(bar_width, 1);
        const int filled =
            std::clamp(static_cast<int>(fraction * static_cast<double>(width)), 0, width);
        line += '[';
        line.append(static_cast<std::size_t>(filled), '#');
        line.append(static_cast<std::size_t>(width - filled), '-');
        line += "] ";
    }
    line += std::to_string(done);
    char buffer[64];
    if (total > 0) {
        std::snprintf(buffer, sizeof(buffer), "/%lld %3.0f%%", static_cast<long long>(total),
                      100.0 * static_cast<double>(done) / static_cast<double>(total));
        line += buffer;
    }
    const double rate = elapsed_s > 0.0 ? static_cast<double>(done) / elapsed_s : 0.0;
    std::snprintf(buffer, sizeof(buffer), "  %.1f/s", rate);
    line += buffer;
    if (total > 0) {
        if (done >= total) {
            line += "  done in " + format_duration(elapsed_s);
        } else if (done == 0 || rate <= 0.0) {
            line += "  eta ?";
        } else {
            line += "  eta " + format_duration(static_cast<double>(total - done) / rate);
        }
    }
    return line;
}

ProgressBar::ProgressBar(std::int64_t total, std::string label)
    : ProgressBar(total, std::move(label), stderr, isatty(STDERR_FILENO) == 1) {}

ProgressBar::ProgressBar(std::int64_t total, std::string label, std::FILE* out, bool is_enabled)
    : total_(total),
      label_(std::move(label)),
      out_(out),
      is_enabled_(is_enabled && out != nullptr),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() {
    if (has_drawn_) {
        finish();
    }
}

void ProgressBar::update(std::int64_t done) {
    if (is_finished_) {
        return;
    }
    done_ = done;
    if (!is_enabled_) {
        return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (!has_drawn_ || now - last_draw_ >= kRedrawInterval || (total_ > 0 && done_ >= total_)) {
        last_draw_ = now;
        draw();
    }
}

void ProgressBar::finish() {
    if (is_finished_) {
        return;
    }
    is_finished_ = true;
    if (!is_enabled_) {
        return;
    }
    draw();
    std::fputc('\n', out_);
    std::fflush(out_);
}

void ProgressBar::draw() {
    has_drawn_ = true;
    const double elapsed_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const std::string line = format_progress(label_, done_, total_, elapsed_s);
    std::fprintf(out_, "\r%s\x1b[K", line.c_str());
    std::fflush(out_);
}

}  // namespace lore
