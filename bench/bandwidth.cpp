// Memory read-bandwidth probe: the bound for generation speed (issue 3: weights read per
// token / this figure). A single sequential stream per core (STREAM-like) underestimates
// what a matmul reaches, because the kernels read several weight rows at once; so each
// thread reads its share of a large buffer as `streams` interleaved sequential streams
// (128 bytes from each stream in turn). Which way of reading is fastest differs between
// CPUs and stream counts (on Zen 4, 32-byte loads in two streams beat 16- and 64-byte
// ones), so every load width the CPU has is measured, each with and without software
// prefetches (non-temporal, as the kernels use them): one table per way, GB/s for 1..n
// threads x 1..16 streams. The bound is the best cell of any table.
//
// Each thread times its own read after a common start barrier, and a pass lasts from the
// first thread's start to the last thread's end. (Timing from the main thread instead,
// between two barriers, overstated the figure by 5-25 % on a 2-core Zen 4: the main thread
// takes its start time only once the scheduler wakes it, while the readers already run.)
// The buffer (default 1 GiB, far beyond any L3) is touched once before timing; each figure
// is the best of --reps passes (the machine is shared; best is the least disturbed).
//
//   lore_bench_bandwidth [--mib 1024] [--reps 5] [--threads 2]
#include <algorithm>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t kStepBytes = 128;       // read from one stream before moving to the next
constexpr int kAccumulators = 8;              // independent sums keep enough loads in flight
constexpr std::size_t kPrefetchAhead = 4096;  // the prefetching variant's distance

using Vec16 = std::uint64_t __attribute__((vector_size(16)));
using Vec32 = std::uint64_t __attribute__((vector_size(32)));
using Vec64 = std::uint64_t __attribute__((vector_size(64)));

// Sums `n_bytes` starting at `base`, read as `streams` interleaved sequential streams with
// loads of sizeof(Vec) bytes. Inlined into a function compiled for the width's ISA.
template <typename Vec, bool kPrefetch>
[[gnu::always_inline]] inline std::uint64_t read_streams(const std::uint8_t* base,
                                                         std::size_t n_bytes,
                                                         int streams) {
    constexpr int kLoadsPerStep = static_cast<int>(kStepBytes / sizeof(Vec));
    const std::size_t per_stream =
        n_bytes / static_cast<std::size_t>(streams) / kStepBytes * kStepBytes;
    Vec acc[kAccumulators] = {};
    for (std::size_t offset = 0; offset < per_stream; offset += kStepBytes) {
        for (int s = 0; s < streams; ++s) {
            const std::uint8_t* p = base + static_cast<std::size_t>(s) * per_stream + offset;
            if constexpr (kPrefetch) {
                for (std::size_t line = 0; line < kStepBytes; line += 64) {
                    __builtin_prefetch(p + kPrefetchAhead + line, 0, 0);
                }
            }
            for (int k = 0; k < kLoadsPerStep; ++k) {
                Vec v;
                std::memcpy(&v, p + sizeof(Vec) * static_cast<std::size_t>(k), sizeof(v));
                acc[k % kAccumulators] += v;  // a constant index keeps acc in registers
            }
        }
    }
    Vec total = acc[0];
    for (int k = 1; k < kAccumulators; ++k) {
        total += acc[k];
    }
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < sizeof(Vec) / sizeof(std::uint64_t); ++i) {
        sum += total[i];
    }
    return sum;
}

template <bool kPrefetch>
std::uint64_t read_16(const std::uint8_t* base, std::size_t n_bytes, int streams) {
    return read_streams<Vec16, kPrefetch>(base, n_bytes, streams);
}

template <bool kPrefetch>
__attribute__((target("avx2"))) std::uint64_t read_32(const std::uint8_t* base,
                                                      std::size_t n_bytes,
                                                      int streams) {
    return read_streams<Vec32, kPrefetch>(base, n_bytes, streams);
}

template <bool kPrefetch>
__attribute__((target("avx512f"))) std::uint64_t read_64(const std::uint8_t* base,
                                                         std::size_t n_bytes,
                                                         int streams) {
    return read_streams<Vec64, kPrefetch>(base, n_bytes, streams);
}

using ReadFn = std::uint64_t (*)(const std::uint8_t*, std::size_t, int);

// One way of reading: a load width, with or without software prefetches.
struct Reader {
    int load_bytes;
    bool prefetch;
    ReadFn read;
    bool available;
};

double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// GB/s of `n_threads` threads, each reading its slice of `buffer` with `streams` streams.
double measure(
    const std::vector<std::uint8_t>& buffer, ReadFn read, int n_threads, int streams, int reps) {
    const std::size_t slice = buffer.size() / static_cast<std::size_t>(n_threads);
    const auto n = static_cast<std::size_t>(n_threads);
    double best = 0.0;
    for (int rep = 0; rep < reps; ++rep) {
        std::barrier start(n_threads);
        std::vector<double> starts(n);
        std::vector<double> ends(n);
        std::vector<std::uint64_t> sinks(n);
        std::vector<std::thread> threads;
        for (std::size_t t = 0; t < n; ++t) {
            threads.emplace_back([&, t] {
                start.arrive_and_wait();
                starts[t] = now_s();
                sinks[t] = read(buffer.data() + slice * t, slice, streams);
                ends[t] = now_s();
            });
        }
        for (std::thread& thread : threads) {
            thread.join();
        }
        std::uint64_t sink = 0;
        for (std::uint64_t s : sinks) {
            sink ^= s;
        }
        if (sink == 42) {
            std::printf(" ");  // keeps the sums observable
        }
        const double seconds = *std::max_element(ends.begin(), ends.end()) -
                               *std::min_element(starts.begin(), starts.end());
        best = std::max(best, static_cast<double>(slice * n) / seconds / 1e9);
    }
    return best;
}

int int_flag(int argc, char** argv, const char* name, int fallback) {
    for (int i = 1; i + 1 < argc; ++i) {
        if (std::string(argv[i]) == name) {
            return std::atoi(argv[i + 1]);
        }
    }
    return fallback;
}

}  // namespace

int main(int argc, char** argv) {
    const int mib = int_flag(argc, argv, "--mib", 1024);
    const int reps = int_flag(argc, argv, "--reps", 5);
    const int max_threads = int_flag(argc, argv, "--threads", 2);
    if (mib < 1 || reps < 1 || max_threads < 1) {
        std::fprintf(stderr, "--mib, --reps and --threads must be at least 1\n");
        return 2;
    }
    std::vector<std::uint8_t> buffer(static_cast<std::size_t>(mib) << 20);
    for (std::size_t i = 0; i < buffer.size(); i += 64) {
        buffer[i] = static_cast<std::uint8_t>(i >> 6);
    }
    __builtin_cpu_init();
    const bool avx2 = __builtin_cpu_supports("avx2") != 0;
    const bool avx512 = __builtin_cpu_supports("avx512f") != 0;
    const Reader readers[] = {
        {16, false, read_16<false>, true},   {16, true, read_16<true>, true},
        {32, false, read_32<false>, avx2},   {32, true, read_32<true>, avx2},
        {64, false, read_64<false>, avx512}, {64, true, read_64<true>, avx512},
    };
    const int stream_counts[] = {1, 2, 4, 8, 16};
    std::printf("read bandwidth, GB/s (best of %d), buffer %d MiB\n", reps, mib);
    for (const Reader& reader : readers) {
        if (!reader.available) {
            continue;
        }
        std::printf("\n%d-byte loads%s\n%-8s", reader.load_bytes,
                    reader.prefetch ? ", prefetching 4 KiB ahead" : "", "threads");
        for (int streams : stream_counts) {
            std::printf(" %9s", (std::to_string(streams) + " str").c_str());
        }
        std::printf("\n");
        for (int n_threads = 1; n_threads <= max_threads; ++n_threads) {
            std::printf("%-8d", n_threads);
            for (int streams : stream_counts) {
                const double gbps = measure(buffer, reader.read, n_threads, streams, reps);
                std::printf(" %9.1f", gbps);
                std::fflush(stdout);
            }
            std::printf("\n");
        }
    }
    return 0;
}
