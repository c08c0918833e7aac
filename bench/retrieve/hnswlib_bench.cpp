// hnswlib alone, the baseline for lore_bench_dense (run by hand, after it):
//   build/<dir>/bench/retrieve/lore_bench_hnswlib [N=100000]
// Regenerates the same N structured vectors and queries, builds 20k with hnswlib at 1 thread
// (M=16, efConstruction=200) for the build rate, then loads the graph lore_bench_dense saved
// (/tmp/lore_bench_dense.hnsw) and reports recall@10 (against /tmp/lore_bench_dense.truth)
// and queries/s per ef with searchKnn, 1 thread: the same graph, so the ratio to lore's
// numbers is the wrapper's overhead.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string_view>
#include <vector>

#include <hnswlib/hnswlib.h>

#include "../../tests/retrieve/structured_vectors.h"

namespace {

using Clock = std::chrono::steady_clock;

double since_s(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
    // --sweep-only: skip the 20k build-rate measurement.
    const bool sweep_only = argc > 1 && std::string_view(argv[1]) == "--sweep-only";
    const std::size_t n = argc > 1 && !sweep_only ? std::stoul(argv[1]) : 100000;
    constexpr std::size_t kQueries = 1000;
    constexpr std::size_t kTopK = 10;
    constexpr std::size_t kDim = 384;
    const lore::testing::StructuredVectors gen;
    const std::vector<float> corpus = gen.make(std::min<std::size_t>(n, 20000), 21);
    const std::vector<float> queries = gen.make(kQueries, 22);
    std::vector<std::int64_t> truth(kQueries * kTopK);
    std::FILE* truth_file = std::fopen("/tmp/lore_bench_dense.truth", "rb");
    if (truth_file == nullptr ||
        std::fread(truth.data(), sizeof(std::int64_t), truth.size(), truth_file) != truth.size()) {
        std::fprintf(stderr, "bench: run lore_bench_dense first\n");
        return 1;
    }
    std::fclose(truth_file);

    hnswlib::InnerProductSpace space(kDim);
    if (!sweep_only) {
        const std::size_t n_small = corpus.size() / kDim;
        hnswlib::HierarchicalNSW<float> small(&space, n_small, 16, 200, 100);
        const Clock::time_point start = Clock::now();
        for (std::size_t i = 0; i < n_small; ++i) {
            small.addPoint(corpus.data() + i * kDim, i);
        }
        std::printf("build 20k, hnswlib alone 1 thread: %.0f vectors/s\n",
                    static_cast<double>(n_small) / since_s(start));
    }
    hnswlib::HierarchicalNSW<float> index(&space, "/tmp/lore_bench_dense.hnsw");
    std::printf("\n| ef | recall@10 | hnswlib alone q/s |\n|---:|---:|---:|\n");
    for (int ef : {16, 32, 48, 64, 96, 128, 200}) {
        index.setEf(static_cast<std::size_t>(ef));
        std::size_t n_found = 0;
        double seconds = 0;
        for (int rep = 0; rep < 2; ++rep) {
            n_found = 0;
            const Clock::time_point start = Clock::now();
            for (std::size_t q = 0; q < kQueries; ++q) {
                auto result = index.searchKnn(queries.data() + q * kDim, kTopK);
                while (!result.empty()) {
                    const auto label = static_cast<std::int64_t>(result.top().second);
                    n_found +=
                        std::count(truth.begin() + static_cast<long>(q * kTopK),
                                   truth.begin() + static_cast<long>((q + 1) * kTopK), label) > 0
                            ? 1u
                            : 0u;
                    result.pop();
                }
            }
            seconds += since_s(start);
        }
        std::printf("| %d | %.4f | %.0f |\n", ef,
                    static_cast<double>(n_found) / static_cast<double>(kQueries * kTopK),
                    2.0 * kQueries / seconds);
    }
    return 0;
}
