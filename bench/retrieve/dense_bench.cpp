// Dense-search benchmark (run by hand, not in CI):
//   build/<dir>/bench/retrieve/lore_bench_dense [N=100000]
//   build/<dir>/bench/retrieve/lore_bench_hnswlib [N=100000]     (hnswlib alone, after it)
//   bench/retrieve/compare_hnsw.sh build/<dir>   (both, alternating, on the saved graph)
// On N structured 384-d vectors (tests/retrieve/structured_vectors.h: 32-d Gaussian latent,
// fixed random map, a little noise, normalised) and 1,000 queries: HNSW build rate (1 thread
// on 20k, all threads on N), recall@10 and queries/s per ef for lore's HnswIndex (1 thread),
// 2-thread QPS, and flat (exact) vs HNSW queries/s by KB size, to place flat_threshold.
// It saves the graph and the exact top-10 to /tmp/lore_bench_dense.{hnsw,truth}, which
// lore_bench_hnswlib searches with hnswlib alone. (hnswlib 0.6's header defines non-inline
// functions, so one program can include it in one translation unit only: hence two programs.)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <string_view>
#include <thread>
#include <vector>

#include "../../tests/retrieve/structured_vectors.h"
#include "retrieve/vector_index.h"

namespace {

using Clock = std::chrono::steady_clock;
using lore::retrieve::ScoredChunk;

double since_s(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

constexpr int kDim = 384;
constexpr int kTopK = 10;

std::vector<std::int64_t> iota_ids(std::size_t n) {
    std::vector<std::int64_t> ids(n);
    std::iota(ids.begin(), ids.end(), 0);
    return ids;
}

double recall(const std::vector<std::vector<ScoredChunk>>& truth,
              const std::vector<std::vector<std::int64_t>>& got) {
    std::size_t n_found = 0, n_total = 0;
    for (std::size_t q = 0; q < truth.size(); ++q) {
        for (const ScoredChunk& t : truth[q]) {
            n_found += std::count(got[q].begin(), got[q].end(), t.chunk_id) > 0 ? 1u : 0u;
            ++n_total;
        }
    }
    return static_cast<double>(n_found) / static_cast<double>(n_total);
}

}  // namespace

// `--sweep-only`: loads the graph and the exact answers a full run saved and only times the ef
// sweep, so bench/retrieve/compare_hnsw.sh can alternate it with lore_bench_hnswlib.
int sweep_saved() {
    constexpr std::size_t kQueries = 1000;
    const lore::testing::StructuredVectors gen;
    const std::vector<float> queries = gen.make(kQueries, 22);
    std::vector<std::int64_t> truth(kQueries * kTopK);
    std::FILE* truth_file = std::fopen("/tmp/lore_bench_dense.truth", "rb");
    if (truth_file == nullptr ||
        std::fread(truth.data(), sizeof(std::int64_t), truth.size(), truth_file) != truth.size()) {
        std::fprintf(stderr, "bench: run lore_bench_dense without --sweep-only first\n");
        return 1;
    }
    std::fclose(truth_file);
    auto index = lore::retrieve::HnswIndex::load("/tmp/lore_bench_dense.hnsw", kDim,
                                                 lore::retrieve::HnswOptions{})
                     .value();
    std::printf("\n| ef | recall@10 | lore HnswIndex q/s |\n|---:|---:|---:|\n");
    for (int ef : {16, 32, 48, 64, 96, 128, 200}) {
        index->set_ef(ef);
        std::size_t n_found = 0;
        double seconds = 0;
        for (int rep = 0; rep < 2; ++rep) {
            n_found = 0;
            const Clock::time_point start = Clock::now();
            for (std::size_t q = 0; q < kQueries; ++q) {
                const auto row = truth.begin() + static_cast<long>(q * kTopK);
                for (const ScoredChunk& hit : index->search(
                         std::span<const float>(queries.data() + q * kDim, kDim), kTopK)) {
                    n_found += std::count(row, row + kTopK, hit.chunk_id) > 0 ? 1u : 0u;
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

int main(int argc, char** argv) {
    if (argc > 1 && std::string_view(argv[1]) == "--sweep-only") {
        return sweep_saved();
    }
    const std::size_t n = argc > 1 ? std::stoul(argv[1]) : 100000;
    constexpr std::size_t kQueries = 1000;
    const lore::testing::StructuredVectors gen;
    const std::vector<float> corpus = gen.make(n, 21);
    const std::vector<float> queries = gen.make(kQueries, 22);
    const std::vector<std::int64_t> ids = iota_ids(n);
    auto query = [&](std::size_t q) {
        return std::span<const float>(queries.data() + q * kDim, kDim);
    };

    // Exact answers, and the flat scan's speed at full size.
    const lore::retrieve::FlatIndex flat(ids, corpus, kDim);
    std::vector<std::vector<ScoredChunk>> truth(kQueries);
    Clock::time_point start = Clock::now();
    for (std::size_t q = 0; q < kQueries; ++q) {
        truth[q] = flat.search(query(q), kTopK);
    }
    std::printf("flat exact on %zu: %.0f queries/s (1 thread)\n", n,
                static_cast<double>(kQueries) / since_s(start));

    // Build rates on 20k.
    const std::size_t n_small = std::min<std::size_t>(20000, n);
    const std::span<const float> small(corpus.data(), n_small * kDim);
    const std::span<const std::int64_t> small_ids(ids.data(), n_small);
    lore::retrieve::HnswOptions options;
    {
        start = Clock::now();
        auto built = lore::retrieve::HnswIndex::build(small_ids, small, kDim, options);
        std::printf("build 20k, lore 1 thread: %.0f vectors/s\n",
                    static_cast<double>(n_small) / since_s(start));
        (void)built;
    }
    start = Clock::now();
    auto index = lore::retrieve::HnswIndex::build(ids, corpus, kDim, options).value();
    std::printf("build %zu, lore 1 thread: %.0f vectors/s\n", n,
                static_cast<double>(n) / since_s(start));
    (void)index->save("/tmp/lore_bench_dense.hnsw");
    {
        std::FILE* truth_file = std::fopen("/tmp/lore_bench_dense.truth", "wb");
        for (const auto& row : truth) {
            for (const ScoredChunk& hit : row) {
                std::fwrite(&hit.chunk_id, sizeof(hit.chunk_id), 1, truth_file);
            }
        }
        std::fclose(truth_file);
    }

    std::printf("\n| ef | recall@10 | lore HnswIndex q/s |\n|---:|---:|---:|\n");
    for (int ef : {16, 32, 48, 64, 96, 128, 200}) {
        index->set_ef(ef);
        std::vector<std::vector<std::int64_t>> got(kQueries);
        double lore_s = 0;
        for (int rep = 0; rep < 2; ++rep) {
            start = Clock::now();
            for (std::size_t q = 0; q < kQueries; ++q) {
                got[q].clear();
                for (const ScoredChunk& hit : index->search(query(q), kTopK)) {
                    got[q].push_back(hit.chunk_id);
                }
            }
            lore_s += since_s(start);
        }
        std::printf("| %d | %.4f | %.0f |\n", ef, recall(truth, got), 2.0 * kQueries / lore_s);
    }

    // Two threads at the smallest ef with recall >= 0.95 in the table above (48 on this data).
    for (int ef : {48, 128}) {
        index->set_ef(ef);
        start = Clock::now();
        std::vector<std::thread> threads;
        for (int t = 0; t < 2; ++t) {
            threads.emplace_back([&, t] {
                for (std::size_t q = static_cast<std::size_t>(t); q < kQueries; q += 2) {
                    (void)index->search(query(q), kTopK);
                }
            });
        }
        for (std::thread& thread : threads) {
            thread.join();
        }
        std::printf("lore HnswIndex ef=%d, 2 threads: %.0f queries/s\n", ef,
                    static_cast<double>(kQueries) / since_s(start));
    }

    // Flat vs HNSW by size (HNSW at the default ef=128).
    std::printf("\n| vectors | flat q/s | hnsw(ef=128) q/s |\n|---:|---:|---:|\n");
    for (std::size_t size : {1000u, 2000u, 5000u, 10000u, 20000u, 50000u}) {
        if (size > n) {
            break;
        }
        const std::vector<std::int64_t> part_ids(ids.begin(),
                                                 ids.begin() + static_cast<long>(size));
        const std::vector<float> part(corpus.begin(),
                                      corpus.begin() + static_cast<long>(size * kDim));
        const lore::retrieve::FlatIndex part_flat(part_ids, part, kDim);
        auto part_hnsw = lore::retrieve::HnswIndex::build(part_ids, part, kDim, options).value();
        start = Clock::now();
        for (std::size_t q = 0; q < kQueries; ++q) {
            (void)part_flat.search(query(q), kTopK);
        }
        const double flat_qps = static_cast<double>(kQueries) / since_s(start);
        start = Clock::now();
        for (std::size_t q = 0; q < kQueries; ++q) {
            (void)part_hnsw->search(query(q), kTopK);
        }
        std::printf("| %zu | %.0f | %.0f |\n", size, flat_qps,
                    static_cast<double>(kQueries) / since_s(start));
    }
    return 0;
}
