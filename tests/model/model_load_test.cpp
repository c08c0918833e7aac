// Loading rejects models whose tensors or hyperparameters do not fit together, with a
// message that names the tensor or key. Each case rewrites the tiny llama reference model
// with one defect.
#include <filesystem>
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "lore/engine.h"
#include "lore/gguf.h"

#include "kernels/kernels.h"

namespace lore {
namespace {

const std::string kModel =
    std::string(LORE_SOURCE_DIR) + "/tests/testdata/models/tiny-llama-F32.gguf";

struct Defect {
    std::string name;
    // Returns false to drop the key; may change the value.
    std::function<bool(std::string_view key, gguf::Value& value)> edit_metadata;
    // Returns false to drop the tensor; may change the shape.
    std::function<bool(std::string_view name, std::vector<std::int64_t>& ne)> edit_tensor;
    StatusCode expected_code;
    std::string expected_text;  // part of the message
};

std::filesystem::path write_with_defect(const Defect& defect) {
    gguf::GgufFile src = std::move(gguf::GgufFile::open(kModel)).value();
    gguf::GgufWriter writer;
    for (const gguf::KeyValue& kv : src.metadata()) {
        gguf::Value value = kv.value;
        if (kv.key == "general.alignment") {
            continue;
        }
        if (!defect.edit_metadata || defect.edit_metadata(kv.key, value)) {
            writer.set_value(std::string(kv.key), value);
        }
    }
    for (const gguf::TensorInfo& t : src.tensors()) {
        std::vector<std::int64_t> ne = t.ne;
        if (defect.edit_tensor && !defect.edit_tensor(t.name, ne)) {
            continue;
        }
        std::vector<std::uint8_t> data(t.data, t.data + t.n_bytes);
        std::size_t n_bytes = tensor_row_bytes(t.type, ne[0]);
        for (std::size_t i = 1; i < ne.size(); ++i) {
            n_bytes *= static_cast<std::size_t>(ne[i]);
        }
        data.resize(n_bytes);
        EXPECT_TRUE(writer.add_tensor(std::string(t.name), t.type, ne, data).is_ok());
    }
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("lore_model_defect_" + defect.name + ".gguf");
    EXPECT_TRUE(writer.write(path).is_ok());
    return path;
}

class ModelLoadTest : public testing::TestWithParam<Defect> {};

TEST_P(ModelLoadTest, DefectGivesClearError) {
    std::filesystem::path path = write_with_defect(GetParam());

    Result<std::shared_ptr<const Model>> model = Model::load(path);

    ASSERT_FALSE(model.has_value());
    EXPECT_EQ(model.status().code(), GetParam().expected_code) << model.status().to_string();
    EXPECT_NE(model.status().message().find(GetParam().expected_text), std::string::npos)
        << model.status().to_string();
    std::filesystem::remove(path);
}

bool keep_all_tensors(std::string_view, std::vector<std::int64_t>&) {
    return true;
}

std::vector<Defect> defects() {
    return {
        {"missing_tensor", nullptr,
         [](std::string_view name, std::vector<std::int64_t>&) {
             return name != "blk.1.ffn_up.weight";
         },
         StatusCode::kCorruption, "blk.1.ffn_up.weight"},
        {"misshapen_tensor", nullptr,
         [](std::string_view name, std::vector<std::int64_t>& ne) {
             if (name == "blk.0.attn_k.weight") {
                 ne[1] = 64;
             }
             return true;
         },
         StatusCode::kCorruption, "blk.0.attn_k.weight"},
        {"unknown_architecture",
         [](std::string_view key, gguf::Value& v) {
             if (key == "general.architecture") {
                 v.str = "mamba";
             }
             return true;
         },
         keep_all_tensors, StatusCode::kUnsupported, "mamba"},
        {"heads_do_not_divide",
         [](std::string_view key, gguf::Value& v) {
             if (key == "llama.attention.head_count_kv") {
                 v.u = 3;
                 v.i = 3;
             }
             return true;
         },
         keep_all_tensors, StatusCode::kCorruption, "head_count_kv"},
        {"missing_block_count",
         [](std::string_view key, gguf::Value&) { return key != "llama.block_count"; },
         keep_all_tensors, StatusCode::kNotFound, "llama.block_count"},
        {"vocab_smaller_than_embeddings",
         [](std::string_view key, gguf::Value& v) {
             if (key == "tokenizer.ggml.tokens" || key == "tokenizer.ggml.scores" ||
                 key == "tokenizer.ggml.token_type") {
                 v.array.resize(500);
             }
             return true;
         },
         keep_all_tensors, StatusCode::kCorruption, "500"},
        {"bos_out_of_range",
         [](std::string_view key, gguf::Value& v) {
             if (key == "tokenizer.ggml.bos_token_id") {
                 v.u = 70000;
                 v.i = 70000;
             }
             return true;
         },
         keep_all_tensors, StatusCode::kCorruption, "bos"},
    };
}

std::string defect_name(const testing::TestParamInfo<Defect>& param_info) {
    return param_info.param.name;
}

INSTANTIATE_TEST_SUITE_P(Defects, ModelLoadTest, testing::ValuesIn(defects()), defect_name);

TEST(KernelIsaTest, NamesTheActiveKernelSet) {
    const std::string_view isa = kernel_isa();
    EXPECT_EQ(isa, kernels::isa_name(kernels::active_kernels().isa));
    EXPECT_TRUE(isa == "avx512" || isa == "avxvnni" || isa == "avx2" || isa == "reference") << isa;
}

TEST(ModelLoadErrorTest, MissingFileIsNotFound) {
    Result<std::shared_ptr<const Model>> model = Model::load("/nonexistent/model.gguf");

    ASSERT_FALSE(model.has_value());
    EXPECT_EQ(model.status().code(), StatusCode::kNotFound);
}

TEST(ModelLoadTest, HyperparametersOfTinyLlama) {
    Result<std::shared_ptr<const Model>> model = Model::load(kModel);
    ASSERT_TRUE(model.has_value()) << model.status().to_string();

    const HParams& hp = (*model)->hparams();

    EXPECT_EQ(hp.arch, "llama");
    EXPECT_EQ(hp.n_layer, 2);
    EXPECT_EQ(hp.n_embd, 256);
    EXPECT_EQ(hp.n_head, 4);
    EXPECT_EQ(hp.n_head_kv, 2);
    EXPECT_EQ(hp.n_ff, 512);
    EXPECT_EQ(hp.n_vocab, 512);
    EXPECT_EQ(hp.rope_style, RopeStyle::kNormal);
    EXPECT_FALSE(hp.is_output_tied);
}

}  // namespace
}  // namespace lore
