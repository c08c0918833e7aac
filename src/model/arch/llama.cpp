// The llama family: Llama 2/3, Mistral, SmolLM, TinyLlama — and, with q/k/v biases and NEOX
// rope, qwen2 (arch/qwen2.cpp). Pre-norm decoder blocks: RMSNorm, grouped-query attention
// with RoPE, SwiGLU feed-forward; tied or separate output matrix.
//
// Metadata keys are `<arch>.block_count`, `<arch>.embedding_length` ... as llama.cpp's
// converters write them; tensor names are `token_embd.weight`, `blk.N.attn_q.weight` ...
#include <cmath>
#include <string>

#include "kernels/kernels.h"
#include "model/model_impl.h"

namespace lore::model {

namespace {

Result<std::int32_t> read_positive(const gguf::GgufFile& file, const std::string& key) {
    LORE_ASSIGN_OR_RETURN(std::int64_t v, file.get_int(key));
    if (v <= 0 || v > (1 << 24)) {
        return Status::corruption("model: " + key + " = " + std::to_string(v) + " is out of range");
    }
    return static_cast<std::int32_t>(v);
}

Result<std::int32_t> read_positive_or(const gguf::GgufFile& file,
                                      const std::string& key,
                                      std::int32_t fallback) {
    if (file.find(key) == nullptr) {
        return fallback;
    }
    return read_positive(file, key);
}

Result<float> read_float_or(const gguf::GgufFile& file, const std::string& key, float fallback) {
    if (file.find(key) == nullptr) {
        return fallback;
    }
    LORE_ASSIGN_OR_RETURN(double v, file.get_float(key));
    if (!std::isfinite(v)) {
        return Status::corruption("model: " + key + " is not a finite number");
    }
    return static_cast<float>(v);
}

std::string shape_string(const std::vector<std::int64_t>& ne) {
    std::string out = "[";
    for (std::size_t i = 0; i < ne.size(); ++i) {
        out += (i > 0 ? ", " : "") + std::to_string(ne[i]);
    }
    return out + "]";
}

// Finds `name` and checks its shape (ggml order) and that lore can compute with its type.
Result<const gguf::TensorInfo*> find_tensor(const gguf::GgufFile& file,
                                            const std::string& name,
                                            const std::vector<std::int64_t>& ne) {
    const gguf::TensorInfo* info = file.find_tensor(name);
    if (info == nullptr) {
        return Status::corruption("model: tensor '" + name + "' is missing");
    }
    if (info->ne != ne) {
        return Status::corruption("model: tensor '" + name + "' has shape " +
                                  shape_string(info->ne) + ", expected " + shape_string(ne));
    }
    TensorTypeTraits traits = tensor_type_traits(info->type);
    if (!traits.is_supported) {
        return Status::unsupported("model: tensor '" + name + "' has type " +
                                   std::string(traits.is_known ? traits.name : "unknown") + " (" +
                                   std::to_string(static_cast<std::uint32_t>(info->type)) +
                                   "), which lore does not support");
    }
    return info;
}

Result<WeightMatrix> bind_matrix(const gguf::GgufFile& file,
                                 const std::string& name,
                                 std::int64_t n_rows,
                                 std::int64_t n_cols) {
    LORE_ASSIGN_OR_RETURN(const gguf::TensorInfo* info, find_tensor(file, name, {n_cols, n_rows}));
    WeightMatrix m;
    m.type = info->type;
    m.data = info->data;
    m.n_rows = n_rows;
    m.n_cols = n_cols;
    m.row_bytes = tensor_row_bytes(info->type, n_cols);
    return m;
}

// Converts a small 1-D tensor of any supported type to f32.
Result<std::vector<float>> load_vector(const gguf::GgufFile& file,
                                       const std::string& name,
                                       std::int64_t n) {
    LORE_ASSIGN_OR_RETURN(const gguf::TensorInfo* info, find_tensor(file, name, {n}));
    if (n % tensor_type_traits(info->type).block_size != 0) {
        return Status::corruption("model: tensor '" + name + "' length " + std::to_string(n) +
                                  " is not a multiple of its type's block size");
    }
    std::vector<float> out(static_cast<std::size_t>(n));
    kernels::reference_kernels()[info->type].dequantize(info->data, out.data(), n);
    return out;
}

bool is_neox_arch(std::string_view arch) {
    return arch == "qwen2";
}

bool has_qkv_bias_arch(std::string_view arch) {
    return arch == "qwen2";
}

}  // namespace

Result<HParams> read_llama_hparams(const gguf::GgufFile& file, std::string_view arch) {
    const std::string prefix = std::string(arch) + ".";
    HParams hp;
    hp.arch = std::string(arch);
    if (Result<std::string_view> name = file.get_string("general.name"); name.has_value()) {
        hp.name = std::string(*name);
    }
    LORE_ASSIGN_OR_RETURN(hp.n_ctx_train, read_positive(file, prefix + "context_length"));
    LORE_ASSIGN_OR_RETURN(hp.n_embd, read_positive(file, prefix + "embedding_length"));
    LORE_ASSIGN_OR_RETURN(hp.n_layer, read_positive(file, prefix + "block_count"));
    LORE_ASSIGN_OR_RETURN(hp.n_ff, read_positive(file, prefix + "feed_forward_length"));
    LORE_ASSIGN_OR_RETURN(hp.n_head, read_positive(file, prefix + "attention.head_count"));
    LORE_ASSIGN_OR_RETURN(hp.n_head_kv,
                          read_positive_or(file, prefix + "attention.head_count_kv", hp.n_head));
    if (hp.n_embd % hp.n_head != 0 && file.find(prefix + "attention.key_length") == nullptr) {
        return Status::corruption("model: embedding_length " + std::to_string(hp.n_embd) +
                                  " is not divisible by head_count " + std::to_string(hp.n_head));
    }
    if (hp.n_head % hp.n_head_kv != 0) {
        return Status::corruption("model: head_count " + std::to_string(hp.n_head) +
                                  " is not a multiple of head_count_kv " +
                                  std::to_string(hp.n_head_kv));
    }
    LORE_ASSIGN_OR_RETURN(hp.head_dim, read_positive_or(file, prefix + "attention.key_length",
                                                        hp.n_embd / hp.n_head));
    LORE_ASSIGN_OR_RETURN(std::int32_t value_length,
                          read_positive_or(file, prefix + "attention.value_length", hp.head_dim));
    if (value_length != hp.head_dim) {
        return Status::unsupported("model: attention.value_length " + std::to_string(value_length) +
                                   " differs from key_length " + std::to_string(hp.head_dim));
    }
    LORE_ASSIGN_OR_RETURN(hp.n_rot,
                          read_positive_or(file, prefix + "rope.dimension_count", hp.head_dim));
    if (hp.n_rot > hp.head_dim || hp.n_rot % 2 != 0) {
        return Status::corruption("model: rope.dimension_count " + std::to_string(hp.n_rot) +
                                  " must be even and at most the head width " +
                                  std::to_string(hp.head_dim));
    }
    LORE_ASSIGN_OR_RETURN(hp.rms_eps,
                          read_float_or(file, prefix + "attention.layer_norm_rms_epsilon", 1e-5f));
    LORE_ASSIGN_OR_RETURN(hp.rope_freq_base,
                          read_float_or(file, prefix + "rope.freq_base", 10000.0f));
    if (hp.rms_eps <= 0.0f || hp.rope_freq_base <= 0.0f) {
        return Status::corruption("model: rms epsilon and rope.freq_base must be positive");
    }
    float scale_factor = 1.0f;
    if (Result<std::string_view> type = file.get_string(prefix + "rope.scaling.type");
        type.has_value() && *type == "linear") {
        LORE_ASSIGN_OR_RETURN(scale_factor,
                              read_float_or(file, prefix + "rope.scaling.factor", 1.0f));
        if (scale_factor <= 0.0f) {
            return Status::corruption("model: rope.scaling.factor must be positive");
        }
    } else if (type.has_value() && *type != "none" && *type != "yarn") {
        return Status::unsupported("model: rope.scaling.type '" + std::string(*type) + "'");
    }
    hp.rope_freq_scale = 1.0f / scale_factor;
    hp.rope_style = is_neox_arch(arch) ? RopeStyle::kNeox : RopeStyle::kNormal;
    hp.has_qkv_bias = has_qkv_bias_arch(arch);

    const gguf::TensorInfo* embd = file.find_tensor("token_embd.weight");
    if (embd == nullptr || embd->ne.size() != 2) {
        return Status::corruption("model: tensor 'token_embd.weight' is missing or not 2-D");
    }
    if (embd->ne[1] <= 0 || embd->ne[1] > (1 << 24)) {
        return Status::corruption("model: vocabulary size " + std::to_string(embd->ne[1]) +
                                  " is out of range");
    }
    hp.n_vocab = static_cast<std::int32_t>(embd->ne[1]);
    hp.is_output_tied = file.find_tensor("output.weight") == nullptr;
    hp.has_rope_freq_factors = file.find_tensor("rope_freqs.weight") != nullptr;
    return hp;
}

Result<ModelWeights> bind_llama_weights(const gguf::GgufFile& file, const HParams& hp) {
    const std::int64_t n_embd = hp.n_embd;
    const std::int64_t n_q = static_cast<std::int64_t>(hp.n_head) * hp.head_dim;
    const std::int64_t n_kv = static_cast<std::int64_t>(hp.n_head_kv) * hp.head_dim;
    ModelWeights w;
    LORE_ASSIGN_OR_RETURN(w.token_embd, bind_matrix(file, "token_embd.weight", hp.n_vocab, n_embd));
    w.layers.resize(static_cast<std::size_t>(hp.n_layer));
    for (std::int32_t layer_idx = 0; layer_idx < hp.n_layer; ++layer_idx) {
        LayerWeights& l = w.layers[static_cast<std::size_t>(layer_idx)];
        const std::string p = "blk." + std::to_string(layer_idx) + ".";
        LORE_ASSIGN_OR_RETURN(l.attn_norm, load_vector(file, p + "attn_norm.weight", n_embd));
        LORE_ASSIGN_OR_RETURN(l.wq, bind_matrix(file, p + "attn_q.weight", n_q, n_embd));
        LORE_ASSIGN_OR_RETURN(l.wk, bind_matrix(file, p + "attn_k.weight", n_kv, n_embd));
        LORE_ASSIGN_OR_RETURN(l.wv, bind_matrix(file, p + "attn_v.weight", n_kv, n_embd));
        LORE_ASSIGN_OR_RETURN(l.wo, bind_matrix(file, p + "attn_output.weight", n_embd, n_q));
        if (hp.has_qkv_bias) {
            LORE_ASSIGN_OR_RETURN(l.bq, load_vector(file, p + "attn_q.bias", n_q));
            LORE_ASSIGN_OR_RETURN(l.bk, load_vector(file, p + "attn_k.bias", n_kv));
            LORE_ASSIGN_OR_RETURN(l.bv, load_vector(file, p + "attn_v.bias", n_kv));
        }
        LORE_ASSIGN_OR_RETURN(l.ffn_norm, load_vector(file, p + "ffn_norm.weight", n_embd));
        LORE_ASSIGN_OR_RETURN(l.w_gate, bind_matrix(file, p + "ffn_gate.weight", hp.n_ff, n_embd));
        LORE_ASSIGN_OR_RETURN(l.w_up, bind_matrix(file, p + "ffn_up.weight", hp.n_ff, n_embd));
        LORE_ASSIGN_OR_RETURN(l.w_down, bind_matrix(file, p + "ffn_down.weight", n_embd, hp.n_ff));
    }
    LORE_ASSIGN_OR_RETURN(w.output_norm, load_vector(file, "output_norm.weight", n_embd));
    if (hp.is_output_tied) {
        w.output = w.token_embd;
    } else {
        LORE_ASSIGN_OR_RETURN(w.output, bind_matrix(file, "output.weight", hp.n_vocab, n_embd));
    }
    if (hp.has_rope_freq_factors) {
        LORE_ASSIGN_OR_RETURN(w.rope_freq_factors,
                              load_vector(file, "rope_freqs.weight", hp.n_rot / 2));
    }
    return w;
}

}  // namespace lore::model
