// Attention helpers per kernel set: attention_head for one query over n_keys cached
// positions (SmolLM2 shape: head_dim 64, 3 KV heads interleaved so kv_stride 192), and
// dot_f32 / axpy_f32 at head and model widths. Run:
//   lore_bench_attention --benchmark_filter=attention_head
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "kernels/kernels.h"

namespace lore::kernels {
namespace {

std::vector<float> random_values(std::int64_t n, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> values(static_cast<std::size_t>(n));
    for (float& v : values) {
        v = normal(rng);
    }
    return values;
}

constexpr std::int64_t kHeadDim = 64;
constexpr std::int64_t kKvStride = 192;

void attention_head_bench(benchmark::State& state, const KernelSet* set) {
    const std::int64_t n_keys = state.range(0);
    const std::vector<float> q = random_values(kHeadDim, 1);
    const std::vector<float> k = random_values(n_keys * kKvStride, 2);
    const std::vector<float> v = random_values(n_keys * kKvStride, 3);
    std::vector<float> scores(static_cast<std::size_t>(n_keys));
    std::vector<float> out(kHeadDim);
    for (auto _ : state) {
        set->attention_head(q.data(), k.data(), v.data(), n_keys, kHeadDim, kKvStride, 0.125f,
                            scores.data(), out.data());
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["keys_per_s"] = benchmark::Counter(
        static_cast<double>(state.iterations() * n_keys), benchmark::Counter::kIsRate);
}

// The per-head loop model/session.cpp ran before attention_head (f32 scalar dot, std::exp,
// V accumulated row by row), as the baseline the fused kernel replaces.
void session_loop_bench(benchmark::State& state) {
    const std::int64_t n_keys = state.range(0);
    const std::vector<float> q = random_values(kHeadDim, 1);
    const std::vector<float> k = random_values(n_keys * kKvStride, 2);
    const std::vector<float> v = random_values(n_keys * kKvStride, 3);
    std::vector<float> scores(static_cast<std::size_t>(n_keys));
    std::vector<float> out(kHeadDim);
    for (auto _ : state) {
        float max_score = -INFINITY;
        for (std::int64_t j = 0; j < n_keys; ++j) {
            const float* kr = k.data() + j * kKvStride;
            float dot = 0.0f;
            for (std::int64_t d = 0; d < kHeadDim; ++d) {
                dot += q[static_cast<std::size_t>(d)] * kr[d];
            }
            scores[static_cast<std::size_t>(j)] = dot * 0.125f;
            max_score = std::max(max_score, scores[static_cast<std::size_t>(j)]);
        }
        double sum = 0.0;
        for (float& s : scores) {
            s = std::exp(s - max_score);
            sum += s;
        }
        const auto inv_sum = static_cast<float>(1.0 / sum);
        std::fill(out.begin(), out.end(), 0.0f);
        for (std::int64_t j = 0; j < n_keys; ++j) {
            const float p = scores[static_cast<std::size_t>(j)] * inv_sum;
            const float* vr = v.data() + j * kKvStride;
            for (std::int64_t d = 0; d < kHeadDim; ++d) {
                out[static_cast<std::size_t>(d)] += p * vr[d];
            }
        }
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["keys_per_s"] = benchmark::Counter(
        static_cast<double>(state.iterations() * n_keys), benchmark::Counter::kIsRate);
}

void dot_bench(benchmark::State& state, const KernelSet* set) {
    const std::int64_t n = state.range(0);
    const std::vector<float> a = random_values(n, 4);
    const std::vector<float> b = random_values(n, 5);
    for (auto _ : state) {
        benchmark::DoNotOptimize(set->dot_f32(a.data(), b.data(), n));
    }
    state.SetItemsProcessed(state.iterations() * n);
}

void axpy_bench(benchmark::State& state, const KernelSet* set) {
    const std::int64_t n = state.range(0);
    const std::vector<float> x = random_values(n, 6);
    std::vector<float> y = random_values(n, 7);
    for (auto _ : state) {
        set->axpy_f32(1e-3f, x.data(), y.data(), n);
        benchmark::DoNotOptimize(y.data());
    }
    state.SetItemsProcessed(state.iterations() * n);
}

// The V side of one token's attention for a group of 3 query heads (SmolLM2), f16 cache:
// weighted_rows over V rows ([n_keys][64]) against the tile kernels over a transposed V
// ([64][n_keys], one row per value dimension), the layout the cache had before.
constexpr std::int64_t kGroup = 3;

std::vector<std::uint16_t> f16_values(std::int64_t n, std::uint32_t seed) {
    const std::vector<float> values = random_values(n, seed);
    std::vector<std::uint16_t> h(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        h[i] = f32_to_fp16(values[i]);
    }
    return h;
}

void weighted_rows_bench(benchmark::State& state, const KernelSet* set) {
    const std::int64_t n_keys = state.range(0);
    const std::vector<std::uint16_t> v = f16_values(n_keys * kHeadDim, 8);
    const std::vector<float> p = random_values(kGroup * n_keys, 9);
    std::vector<float> out(kGroup * kHeadDim);
    const WeightedRowsFn fn = (*set)[TensorType::kF16].weighted_rows;
    for (auto _ : state) {
        fn(v.data(), kHeadDim * 2, n_keys, p.data(), n_keys, kGroup, out.data(), kHeadDim,
           kHeadDim);
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["keys_per_s"] = benchmark::Counter(
        static_cast<double>(state.iterations() * n_keys), benchmark::Counter::kIsRate);
}

void transposed_tile_bench(benchmark::State& state, const KernelSet* set) {
    const std::int64_t n_keys = state.range(0);
    const std::vector<std::uint16_t> vt = f16_values(kHeadDim * n_keys, 8);
    const std::vector<float> p = random_values(kGroup * n_keys, 9);
    std::vector<float> out(kGroup * kHeadDim);
    const VecDotTileFn tile = (*set)[TensorType::kF16].vec_dot_tile;
    for (auto _ : state) {
        tile(vt.data(), static_cast<std::size_t>(n_keys) * 2, kHeadDim, p.data(),
             static_cast<std::size_t>(n_keys) * sizeof(float), kGroup, out.data(), kHeadDim,
             n_keys);
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["keys_per_s"] = benchmark::Counter(
        static_cast<double>(state.iterations() * n_keys), benchmark::Counter::kIsRate);
}

// The K side: scores of a group of 3 query heads against n_keys cached keys (f16 rows of
// 64), through the tile kernels, as the session computes them.
void k_tile_bench(benchmark::State& state, const KernelSet* set) {
    const std::int64_t n_keys = state.range(0);
    const std::vector<std::uint16_t> k = f16_values(n_keys * kHeadDim, 10);
    const std::vector<float> q = random_values(kGroup * kHeadDim, 11);
    std::vector<float> scores(static_cast<std::size_t>(kGroup * n_keys));
    const VecDotTileFn tile = (*set)[TensorType::kF16].vec_dot_tile;
    for (auto _ : state) {
        tile(k.data(), kHeadDim * 2, n_keys, q.data(), kHeadDim * sizeof(float), kGroup,
             scores.data(), n_keys, kHeadDim);
        benchmark::DoNotOptimize(scores.data());
    }
    state.counters["keys_per_s"] = benchmark::Counter(
        static_cast<double>(state.iterations() * n_keys), benchmark::Counter::kIsRate);
}

void register_all() {
    benchmark::RegisterBenchmark("attention_head/session_loop", session_loop_bench)
        ->Arg(64)
        ->Arg(512)
        ->Unit(benchmark::kMicrosecond);
    for (Isa isa : kAllIsas) {
        const KernelSet* set = kernels_for(isa);
        if (set == nullptr) {
            continue;
        }
        // Appended piece by piece: GCC 12's -Wrestrict misfires on operator+ chains.
        std::string suffix = "/";
        suffix.append(isa_name(isa));
        benchmark::RegisterBenchmark(("attention_head" + suffix).c_str(), attention_head_bench, set)
            ->Arg(64)
            ->Arg(512)
            ->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark(("weighted_rows_f16" + suffix).c_str(), weighted_rows_bench,
                                     set)
            ->Arg(64)
            ->Arg(1024);
        if ((*set)[TensorType::kF16].vec_dot_tile != nullptr) {
            benchmark::RegisterBenchmark(("k_tile_f16" + suffix).c_str(), k_tile_bench, set)
                ->Arg(64)
                ->Arg(1024);
            benchmark::RegisterBenchmark(("transposed_v_tile_f16" + suffix).c_str(),
                                         transposed_tile_bench, set)
                ->Arg(64)
                ->Arg(1024);
        }
        benchmark::RegisterBenchmark(("dot_f32" + suffix).c_str(), dot_bench, set)
            ->Arg(64)
            ->Arg(576);
        benchmark::RegisterBenchmark(("axpy_f32" + suffix).c_str(), axpy_bench, set)
            ->Arg(64)
            ->Arg(576);
    }
}

}  // namespace
}  // namespace lore::kernels

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    lore::kernels::register_all();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
