// Helpers shared by the benchmarks (run by hand, never in CI): the corpus benchmarks' command
// line and corpus copy, CPU and wall clocks, the size of a KB directory, latency percentiles,
// and exit-on-error checks.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <sqlite3.h>
#include <sys/resource.h>

#include "lore/status.h"

namespace lore::bench {

using Clock = std::chrono::steady_clock;

// The corpus benchmarks' command line: CORPUS.jsonl [N_PASSAGES] [WORK_DIR] [N_QUERIES].
struct CorpusArgs {
    std::filesystem::path source;
    std::size_t limit = SIZE_MAX;
    std::filesystem::path work;
    int n_queries = 1000;
};

// Parses the command line; prints the usage and returns nullopt when CORPUS is missing.
// WORK_DIR (default `default_work`) is emptied, with an empty WORK_DIR/bare in it.
inline std::optional<CorpusArgs> parse_corpus_args(int argc,
                                                   char** argv,
                                                   const char* default_work) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s CORPUS.jsonl [N_PASSAGES] [WORK_DIR] [N_QUERIES]\n",
                     argv[0]);
        return std::nullopt;
    }
    CorpusArgs args;
    args.source = argv[1];
    args.limit = argc > 2 ? std::stoul(argv[2]) : SIZE_MAX;
    args.work = argc > 3 ? argv[3] : default_work;
    args.n_queries = argc > 4 ? std::stoi(argv[4]) : 1000;
    std::filesystem::remove_all(args.work);
    std::filesystem::create_directories(args.work / "bare");
    return args;
}

// The first `limit` lines of `source` that are JSON objects with a string "text", copied to
// `dest` (the file lore ingests) and returned.
inline std::vector<std::string> copy_corpus(const std::filesystem::path& source,
                                            std::size_t limit,
                                            const std::filesystem::path& dest) {
    std::vector<std::string> lines;
    std::ifstream in(source);
    std::ofstream out(dest);
    std::string line;
    while (lines.size() < limit && std::getline(in, line)) {
        const nlohmann::json record = nlohmann::json::parse(line, nullptr, false);
        if (!record.is_object() || !record.contains("text") || !record["text"].is_string()) {
            continue;
        }
        out << line << '\n';
        lines.push_back(std::move(line));
    }
    return lines;
}

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
