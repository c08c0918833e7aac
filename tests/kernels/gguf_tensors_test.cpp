// The real-file layout oracle: llama.cpp's llama-quantize made the quantized tiny models in
// tests/testdata/models from the F32 files beside them. Dequantizing every 2-D tensor of a
// quantized file (with the reference kernels, and with the active set) must give values
// close to the F32 file's: within a per-type relative RMS budget (about 1.3x the largest
// error the reference kernels measure on these files). A wrong block layout gives errors
// near 1 or above.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lore/gguf.h"

#include "kernels/kernels.h"

namespace lore::kernels {
namespace {

// RMS(dequantized - f32) / RMS(f32) over one tensor, by tensor type.
double file_budget(TensorType type) {
    switch (type) {
        case TensorType::kF16: return 3e-4;     // measured max 0.00021
        case TensorType::kBF16: return 2.5e-3;  // 0.00167
        case TensorType::kQ8_0: return 8e-3;    // 0.0054
        case TensorType::kQ6_K: return 0.025;   // 0.0179
        case TensorType::kQ5_0:                 // 0.0430
        case TensorType::kQ5_1:                 // 0.0381
        case TensorType::kQ5_K: return 0.055;   // 0.0365
        case TensorType::kQ4_0:                 // 0.0864
        case TensorType::kQ4_1:                 // 0.0790
        case TensorType::kQ4_K: return 0.11;    // 0.0720
        default: return 0.0;
    }
}

std::string model_path(const std::string& family, const std::string& type) {
    return "tests/testdata/models/" + family + "-" + type + ".gguf";
}

double relative_rms_error(const std::vector<float>& got, const float* want, std::size_t n) {
    double error = 0.0;
    double norm = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const double d = static_cast<double>(got[i]) - static_cast<double>(want[i]);
        error += d * d;
        norm += static_cast<double>(want[i]) * static_cast<double>(want[i]);
    }
    return std::sqrt(error / norm);
}

void check_file(const std::string& family, const std::string& file_type) {
    Result<gguf::GgufFile> f32_file = gguf::GgufFile::open(model_path(family, "F32"));
    ASSERT_TRUE(f32_file.is_ok()) << f32_file.status().message();
    Result<gguf::GgufFile> q_file = gguf::GgufFile::open(model_path(family, file_type));
    ASSERT_TRUE(q_file.is_ok()) << q_file.status().message();

    int n_checked = 0;
    for (const gguf::TensorInfo& tensor : q_file->tensors()) {
        if (tensor.ne.size() != 2 || tensor.type == TensorType::kF32) {
            continue;
        }
        const gguf::TensorInfo* reference = f32_file->find_tensor(tensor.name);
        ASSERT_NE(reference, nullptr) << tensor.name;
        ASSERT_EQ(reference->type, TensorType::kF32);
        ASSERT_EQ(reference->n_elements, tensor.n_elements) << tensor.name;
        ASSERT_TRUE(is_computable(tensor.type)) << tensor.name;

        const auto n = static_cast<std::size_t>(tensor.n_elements);
        const std::int64_t n_cols = tensor.ne[0];
        const std::size_t row_bytes = tensor_row_bytes(tensor.type, n_cols);
        std::vector<float> values(n);
        std::vector<float> active_values(n);
        for (std::int64_t r = 0; r < tensor.n_rows(); ++r) {
            const std::uint8_t* row = tensor.data + static_cast<std::size_t>(r) * row_bytes;
            float* out = values.data() + r * n_cols;
            reference_kernels()[tensor.type].dequantize(row, out, n_cols);
            active_kernels()[tensor.type].dequantize(row, active_values.data() + r * n_cols,
                                                     n_cols);
        }
        const auto* want = reinterpret_cast<const float*>(reference->data);

        const double error = relative_rms_error(values, want, n);
        const double active_error = relative_rms_error(active_values, want, n);

        const std::string what = family + "-" + file_type + " " + std::string(tensor.name) + " (" +
                                 std::string(tensor_type_traits(tensor.type).name) + ")";
        EXPECT_LE(error, file_budget(tensor.type)) << what;
        EXPECT_NEAR(active_error, error, 1e-6) << what;
        ++n_checked;
    }
    EXPECT_GT(n_checked, 10) << family << "-" << file_type;
}

class GgufTensorsTest : public ::testing::TestWithParam<const char*> {};

TEST_P(GgufTensorsTest, LlamaCppQuantizedTensorsDequantizeCloseToF32) {
    check_file("tiny-llama", GetParam());
    check_file("tiny-qwen2", GetParam());
}

INSTANTIATE_TEST_SUITE_P(FileTypes,
                         GgufTensorsTest,
                         ::testing::Values("F16",
                                           "BF16",
                                           "Q8_0",
                                           "Q4_0",
                                           "Q4_1",
                                           "Q5_0",
                                           "Q5_1",
                                           "Q4_K_M",
                                           "Q4_K_S",
                                           "Q5_K_M",
                                           "Q6_K"));

}  // namespace
}  // namespace lore::kernels
