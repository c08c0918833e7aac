// Memory read-bandwidth probe: the bound for generation speed (issue 3: weights read per
// token / this figure). A single sequential stream per core (STREAM-like) underestimates
// what a matmul reaches, because the kernels read several weight rows at once; so each
// thread reads its share of a large buffer as `streams` interleaved sequential streams
// (16 bytes from each stream in turn), and we report GB/s for 1..n threads x 1..16 streams.
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

using Vec = std::uint64_t __attribute__((vector_size(16)));

// Sums `n_bytes` starting at `base` read as `streams` interleaved sequential streams.
// Eight independent accumulators keep enough loads in flight.
std::uint64_t read_streams(const std::uint8_t* base, std::size_t n_bytes, int streams) {
    const std::size_t per_stream = n_bytes / static_cast<std::size_t>(streams) / 128 * 128;
    Vec acc[8] = {};
    for (std::size_t offset = 0; offset < per_stream; offset += 128) {
        for (int s = 0; s < streams; ++s) {
            const std::uint8_t* p = base + static_cast<std::size_t>(s) * per_stream + offset;
            for (int k = 0; k < 8; ++k) {
                Vec v;
                std::memcpy(&v, p + 16 * k, sizeof(v));
                acc[k] += v;
            }
        }
    }
    Vec total = acc[0];
    for (int k = 1; k < 8; ++k) {
        total += acc[k];
    }
    return total[0] + total[1];
}

double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// GB/s of `n_threads` threads, each reading its slice of `buffer` with `streams` streams.
double measure(const std::vector<std::uint8_t>& buffer, int n_threads, int streams, int reps) {
    const std::size_t slice = buffer.size() / static_cast<std::size_t>(n_threads);
    double best = 0.0;
    for (int rep = 0; rep < reps; ++rep) {
        std::barrier start(n_threads + 1);
        std::barrier done(n_threads + 1);
        std::vector<std::uint64_t> sinks(static_cast<std::size_t>(n_threads));
        std::vector<std::thread> threads;
        for (int t = 0; t < n_threads; ++t) {
            threads.emplace_back([&, t] {
                start.arrive_and_wait();
                sinks[static_cast<std::size_t>(t)] = read_streams(
                    buffer.data() + slice * static_cast<std::size_t>(t), slice, streams);
                done.arrive_and_wait();
            });
        }
        start.arrive_and_wait();
        const double t0 = now_s();
        done.arrive_and_wait();
        const double seconds = now_s() - t0;
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
        best = std::max(best, static_cast<double>(buffer.size()) / seconds / 1e9);
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
    std::vector<std::uint8_t> buffer(static_cast<std::size_t>(mib) << 20);
    for (std::size_t i = 0; i < buffer.size(); i += 64) {
        buffer[i] = static_cast<std::uint8_t>(i >> 6);
    }
    std::printf("read bandwidth, GB/s (best of %d), buffer %d MiB\n", reps, mib);
    std::printf("%-8s", "threads");
    const int stream_counts[] = {1, 2, 4, 8, 16};
    for (int streams : stream_counts) {
        std::printf(" %9s", (std::to_string(streams) + " str").c_str());
    }
    std::printf("\n");
    for (int n_threads = 1; n_threads <= max_threads; ++n_threads) {
        std::printf("%-8d", n_threads);
        for (int streams : stream_counts) {
            std::printf(" %9.1f", measure(buffer, n_threads, streams, reps));
            std::fflush(stdout);
        }
        std::printf("\n");
    }
    return 0;
}
