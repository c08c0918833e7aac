// Kernel throughput per tensor type and instruction set, in GB/s of weights read:
//   matvec_f32/<isa>/<type>   one token, f32 activations (matmul_rows_with)
//   matvec_q8/<isa>/<type>    one token, activations quantized once (matmul_rows_q8)
//   matmul_q8/<isa>/<type>    a batch of kBatchTokens tokens (prompt processing, through
//                             the set's vec_dot_panel where it has one); the isa
//                             "<isa>-tiles" is the same set without vec_dot_panel (4 x 4
//                             micro-tiles), "<isa>-pairs" also without vec_dot_tile (one
//                             vec_dot per (row, token) pair), to measure what each gains
//   dequantize/<isa>/<type>   a whole matrix to f32
// The matrix is kRows x kCols (a few MB: L3-resident on most machines, so the numbers show
// compute speed, not DRAM bandwidth). Run: lore_bench_kernels --benchmark_filter=q4_0
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "kernels/kernels.h"

namespace lore::kernels {
namespace {

constexpr std::int64_t kRows = 1024;
constexpr std::int64_t kCols = 4096;
constexpr std::int64_t kBatchRows = 256;
constexpr std::int64_t kBatchTokens = 32;

const TensorType kTypes[] = {TensorType::kF32,  TensorType::kF16,  TensorType::kBF16,
                             TensorType::kQ8_0, TensorType::kQ4_0, TensorType::kQ4_1,
                             TensorType::kQ5_0, TensorType::kQ5_1, TensorType::kQ4_K,
                             TensorType::kQ5_K, TensorType::kQ6_K};

std::vector<float> random_values(std::int64_t n, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> values(static_cast<std::size_t>(n));
    for (float& v : values) {
        v = normal(rng);
    }
    return values;
}

struct Matrix {
    std::size_t row_bytes = 0;
    std::vector<std::uint8_t> bytes;
};

Matrix make_matrix(TensorType type, std::int64_t n_rows) {
    Matrix m;
    m.row_bytes = tensor_row_bytes(type, kCols);
    m.bytes.resize(m.row_bytes * static_cast<std::size_t>(n_rows));
    const std::vector<float> row = random_values(kCols, 1);
    for (std::int64_t r = 0; r < n_rows; ++r) {
        reference_kernels()[type].quantize(
            row.data(), m.bytes.data() + static_cast<std::size_t>(r) * m.row_bytes, kCols);
    }
    return m;
}

void matvec_f32(benchmark::State& state, const KernelSet* set, TensorType type) {
    const Matrix m = make_matrix(type, kRows);
    const std::vector<float> x = random_values(kCols, 2);
    std::vector<float> y(kRows);
    for (auto _ : state) {
        matmul_rows_with(*set, type, m.bytes.data(), m.row_bytes, kCols, x.data(), 1, y.data(),
                         kRows, 0, kRows);
        benchmark::DoNotOptimize(y.data());
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(m.bytes.size()));
}

void matvec_q8(benchmark::State& state, const KernelSet* set, TensorType type) {
    const Matrix m = make_matrix(type, kRows);
    const std::vector<float> x = random_values(kCols, 2);
    std::vector<float> y(kRows);
    QuantizedActivations xq;
    for (auto _ : state) {
        xq.quantize(type, x.data(), 1, kCols, *set);
        matmul_rows_q8(*set, type, m.bytes.data(), m.row_bytes, xq, y.data(), kRows, 0, kRows);
        benchmark::DoNotOptimize(y.data());
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(m.bytes.size()));
}

void matmul_q8(benchmark::State& state, const KernelSet* set, TensorType type) {
    const Matrix m = make_matrix(type, kBatchRows);
    const std::vector<float> x = random_values(kBatchTokens * kCols, 2);
    std::vector<float> y(static_cast<std::size_t>(kBatchRows * kBatchTokens));
    QuantizedActivations xq;
    for (auto _ : state) {
        xq.quantize(type, x.data(), kBatchTokens, kCols, *set);
        matmul_rows_q8(*set, type, m.bytes.data(), m.row_bytes, xq, y.data(), kBatchRows, 0,
                       kBatchRows);
        benchmark::DoNotOptimize(y.data());
    }
    // Bytes of weights as a token-at-a-time loop would read them: comparable with matvec.
    state.SetBytesProcessed(state.iterations() * kBatchTokens *
                            static_cast<std::int64_t>(m.bytes.size()));
    state.counters["tokens_per_s"] = benchmark::Counter(
        static_cast<double>(state.iterations() * kBatchTokens), benchmark::Counter::kIsRate);
}

// How one token meets a weight matrix in gemv_q8.
enum class GemvPath {
    kPairs,   // vec_dot per row
    kTile,    // the tile kernel with one token: four rows per micro-tile share activations
    kPacked,  // the matrix packed at load (pack_rows) and vec_dot_packed: 16 rows per vector
};

const char* gemv_path_name(GemvPath path) {
    switch (path) {
        case GemvPath::kPairs: return "pairs";
        case GemvPath::kTile: return "tile";
        case GemvPath::kPacked: return "packed";
    }
    return "?";
}

// One token against a [n_rows, n_cols] matrix of a real model's shape (generation), along
// `path`. GB/s of weights.
void gemv_q8(benchmark::State& state,
             const KernelSet* set,
             TensorType type,
             std::int64_t n_rows,
             std::int64_t n_cols,
             GemvPath path) {
    const std::size_t row_bytes = tensor_row_bytes(type, n_cols);
    std::vector<std::uint8_t> w(row_bytes * static_cast<std::size_t>(n_rows));
    const std::vector<float> row = random_values(n_cols, 1);
    for (std::int64_t r = 0; r < n_rows; ++r) {
        reference_kernels()[type].quantize(
            row.data(), w.data() + static_cast<std::size_t>(r) * row_bytes, n_cols);
    }
    const std::vector<float> x = random_values(n_cols, 2);
    std::vector<float> y(static_cast<std::size_t>(n_rows));
    QuantizedActivations xq;
    xq.quantize(type, x.data(), 1, n_cols, *set);
    const VecDotFn vec_dot = (*set)[type].vec_dot;
    const VecDotTileFn tile = (*set)[type].vec_dot_tile;
    if (path == GemvPath::kPacked) {
        std::vector<std::uint8_t> packed(w.size());
        pack_rows(type, w.data(), row_bytes, n_rows, packed.data());
        w.swap(packed);
    }
    for (auto _ : state) {
        if (path == GemvPath::kPacked) {
            matmul_packed_q8(*set, type, w.data(), row_bytes, xq, y.data(), n_rows, 0, n_rows);
        } else if (path == GemvPath::kTile) {
            tile(w.data(), row_bytes, n_rows, xq.row(0), xq.row_bytes(), 1, y.data(), n_rows,
                 n_cols);
        } else {
            for (std::int64_t r = 0; r < n_rows; ++r) {
                y[static_cast<std::size_t>(r)] =
                    vec_dot(w.data() + static_cast<std::size_t>(r) * row_bytes, xq.row(0), n_cols);
            }
        }
        benchmark::DoNotOptimize(y.data());
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(w.size()));
}

void dequantize(benchmark::State& state, const KernelSet* set, TensorType type) {
    const Matrix m = make_matrix(type, kRows);
    std::vector<float> out(static_cast<std::size_t>(kCols));
    for (auto _ : state) {
        for (std::int64_t r = 0; r < kRows; ++r) {
            (*set)[type].dequantize(m.bytes.data() + static_cast<std::size_t>(r) * m.row_bytes,
                                    out.data(), kCols);
            benchmark::DoNotOptimize(out.data());
        }
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(m.bytes.size()));
}

// Copies of the SIMD sets without panel kernels and (is_pairs) without tile kernels too;
// alive for the whole run.
const KernelSet* without_panels(const KernelSet& set, bool is_pairs) {
    static std::vector<std::unique_ptr<KernelSet>> copies;
    copies.push_back(std::make_unique<KernelSet>(set));
    for (TypeKernels& entry : copies.back()->by_type) {
        entry.vec_dot_panel = nullptr;
        if (is_pairs) {
            entry.vec_dot_tile = nullptr;
        }
    }
    return copies.back().get();
}

void register_all() {
    for (Isa isa : kAllIsas) {
        const KernelSet* set = kernels_for(isa);
        if (set == nullptr) {
            continue;
        }
        const KernelSet* tiles = without_panels(*set, false);
        const KernelSet* pairs = without_panels(*set, true);
        for (TensorType type : kTypes) {
            // Appended piece by piece: GCC 12's -Wrestrict misfires on operator+ chains.
            std::string suffix = "/";
            suffix.append(isa_name(isa));
            suffix.append("/");
            suffix.append(tensor_type_traits(type).name);
            benchmark::RegisterBenchmark(("matvec_f32" + suffix).c_str(), matvec_f32, set, type)
                ->Unit(benchmark::kMicrosecond);
            benchmark::RegisterBenchmark(("matvec_q8" + suffix).c_str(), matvec_q8, set, type)
                ->Unit(benchmark::kMicrosecond);
            benchmark::RegisterBenchmark(("matmul_q8" + suffix).c_str(), matmul_q8, set, type)
                ->Unit(benchmark::kMicrosecond);
            if ((*set)[type].vec_dot_tile != nullptr) {
                std::string pairs_name = "matmul_q8/";
                pairs_name.append(isa_name(isa));
                pairs_name.append("-pairs/");
                pairs_name.append(tensor_type_traits(type).name);
                benchmark::RegisterBenchmark(pairs_name.c_str(), matmul_q8, pairs, type)
                    ->Unit(benchmark::kMicrosecond);
            }
            if ((*set)[type].vec_dot_panel != nullptr) {
                std::string tiles_name = "matmul_q8/";
                tiles_name.append(isa_name(isa));
                tiles_name.append("-tiles/");
                tiles_name.append(tensor_type_traits(type).name);
                benchmark::RegisterBenchmark(tiles_name.c_str(), matmul_q8, tiles, type)
                    ->Unit(benchmark::kMicrosecond);
            }
            benchmark::RegisterBenchmark(("dequantize" + suffix).c_str(), dequantize, set, type)
                ->Unit(benchmark::kMicrosecond);
            if ((*set)[type].vec_dot_tile == nullptr) {
                continue;
            }
            // A 2048-wide matrix of ~256 MB: far beyond L3, so GB/s compare with
            // lore_bench_bandwidth (generation of models larger than the cache).
            std::vector<GemvPath> paths = {GemvPath::kPairs, GemvPath::kTile};
            if (should_pack(*set, type, 1536, 2048)) {
                paths.push_back(GemvPath::kPacked);
            }
            if (type == TensorType::kQ8_0 || type == TensorType::kQ4_0 ||
                type == TensorType::kQ5_0 || type == TensorType::kQ4_K ||
                type == TensorType::kQ6_K || type == TensorType::kF16) {
                const std::int64_t dram_rows =
                    static_cast<std::int64_t>((std::size_t{256} << 20) /
                                              tensor_row_bytes(type, 2048)) /
                    kPackRows * kPackRows;
                for (GemvPath path : paths) {
                    std::string name = "gemv_dram_";
                    name.append(gemv_path_name(path));
                    name.append(suffix);
                    benchmark::RegisterBenchmark(name.c_str(), gemv_q8, set, type, dram_rows,
                                                 std::int64_t{2048}, path)
                        ->Unit(benchmark::kMillisecond)
                        ->UseRealTime();
                }
            }
            // Rows of SmolLM2 (576), Qwen2.5-0.5B (896) and Llama-3.2-1B (2048) widths;
            // 1536 rows keep the matrix L2/L3-resident (kernel speed, not DRAM).
            for (std::int64_t n_cols : {576, 896, 2048}) {
                if (n_cols % tensor_type_traits(type).block_size != 0) {
                    continue;
                }
                for (GemvPath path : paths) {
                    std::string name = "gemv_q8_";
                    name.append(gemv_path_name(path));
                    name.append(suffix);
                    name.append("/");
                    name.append(std::to_string(n_cols));
                    benchmark::RegisterBenchmark(name.c_str(), gemv_q8, set, type,
                                                 std::int64_t{1536}, n_cols, path)
                        ->Unit(benchmark::kMicrosecond);
                }
            }
        }
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
