// Helpers shared by the benchmarks (run by hand, never in CI): CPU and wall clocks, the size
// of a KB directory, latency percentiles, and exit-on-error checks.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include <sqlite3.h>
#include <sys/resource.h>

#include "lore/status.h"

namespace lore::bench {

using Clock = std::chrono::steady_clock;

// CPU seconds (user + system) of this process so far: on a loaded machine wall time mostly
// measures the other processes.
inline double cpu_s() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

inline double since_ms(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Bytes of every regular file under `dir`.
inline std::uint64_t dir_size(const std::filesystem::path& dir) {
    std::uint64_t total = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
        if (entry.is_regular_file()) {
            total += entry.file_size();
        }
    }
    return total;
}

// Exits with SQLite's message unless `rc` is a success code.
inline void check(int rc, sqlite3* db, const char* what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        std::fprintf(stderr, "bench: %s: %s\n", what, sqlite3_errmsg(db));
        std::exit(1);
    }
}

// Exits with the status's message unless it is ok.
inline void check(const lore::Status& status, const char* what) {
    if (!status.is_ok()) {
        std::fprintf(stderr, "bench: %s: %s\n", what, status.to_string().c_str());
        std::exit(1);
    }
}

struct Latency {
    std::vector<double> ms;

    double percentile(double p) {
        std::sort(ms.begin(), ms.end());
        return ms.empty() ? 0.0
                          : ms[static_cast<std::size_t>(p * static_cast<double>(ms.size() - 1))];
    }
};

}  // namespace lore::bench
