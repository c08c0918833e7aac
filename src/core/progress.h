// A one-line progress bar for long runs (eval, ingest, calibrate) on stderr:
//
//   eval confidence [##########----------] 120/240  50%  31.2/s  eta 4s
//
// It draws only when its output is a terminal, so logs and pipes stay clean, and redraws at
// most every kRedrawInterval (plus once at the end) so a tight loop is not slowed by output.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace lore {

// The bar's text for `done` of `total` items after `elapsed_s` seconds, without a line
// ending: label, a `bar_width`-cell bar, done/total, percent, items per second and the
// estimated time left ("eta 1m05s"; "eta ?" before anything is done). `done` is clamped to
// [0, total]; total <= 0 shows no bar, only the count and rate.
std::string format_progress(std::string_view label,
                            std::int64_t done,
                            std::int64_t total,
                            double elapsed_s,
                            int bar_width = 20);

// Not thread-safe; one owner updates it.
class ProgressBar {
public:
    static constexpr std::chrono::milliseconds kRedrawInterval{100};

    // Draws on stderr when stderr is a terminal, else stays silent.
    ProgressBar(std::int64_t total, std::string label);

    // Draws on `out` when `is_enabled`; for tests and callers with their own stream.
    ProgressBar(std::int64_t total, std::string label, std::FILE* out, bool is_enabled);

    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;

    // finish()es the line if it is still open.
    ~ProgressBar();

    // Sets the number of items done so far and redraws if due (always when done == total).
    void update(std::int64_t done);

    // update(done + 1).
    void tick() { update(done_ + 1); }

    // Draws the final state and ends the line; later updates are ignored.
    void finish();

    bool is_enabled() const { return is_enabled_; }

private:
    void draw();

    std::int64_t total_;
    std::string label_;
    std::FILE* out_;
    bool is_enabled_;
    bool is_finished_ = false;
    std::int64_t done_ = 0;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_draw_;
    bool has_drawn_ = false;
};

}  // namespace lore
