// make_tiny_model: writes a random-weight GGUF model of the `llama` or `qwen2` architecture
// with the tensor names, shapes and metadata keys llama.cpp's converter writes, in any tensor
// type lore supports (including llama-quantize's Q4_K_M-style mixes). Test fixtures and
// benchmarks use it so no model has to be downloaded.
//
//   make_tiny_model --out tiny.gguf                        # 2 layers, 256 wide, f32
//   make_tiny_model --shape smollm2-135m --type q4_k_m --out smol.gguf
//   make_tiny_model --vocab tests/testdata/models/tiny-llama-Q4_K_M.gguf --out m.gguf
//
// Tokenizer: with --vocab FILE every `tokenizer.*` key of FILE is copied and n_vocab is its
// token count. Otherwise a byte-level vocabulary is synthesized (tokenizer.ggml.model "gpt2",
// pre "default"): ids 0..255 are the 256 GPT-2 byte symbols (byte b is token b), 256 is
// "<|endoftext|>" (control; bos and eos), then up to 50 merge tokens (frequent English
// letter pairs, space + letter; tokenizer.ggml.merges lists them), and the rest up to
// n_vocab are "<|unused_N|>" (type unused). Any text round-trips.
//
// Weights: uniform in [-s, s] with s = sqrt(3 / row length) (unit-variance dot products),
// norm weights 1 +- 0.1, biases +- 0.1; a fixed --seed gives the same file everywhere
// (std::mt19937_64 is fully specified). Rows are quantized with the reference kernels.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <CLI/CLI.hpp>

#include "lore/gguf.h"
#include "lore/tensor_type.h"

#include "kernels/kernels.h"

namespace {

using lore::Result;
using lore::Status;
using lore::TensorType;
using lore::gguf::GgufFile;
using lore::gguf::GgufWriter;

struct ModelSpec {
    std::string arch = "llama";
    std::string name = "lore-tiny-random-llama";
    std::int64_t n_embd = 256;
    std::int64_t n_layer = 2;
    std::int64_t n_head = 4;
    std::int64_t n_head_kv = 2;
    std::int64_t n_ff = 512;
    std::int64_t n_vocab = 512;
    std::int64_t n_ctx = 512;
    float rope_freq_base = 10000.0f;
    float rms_eps = 1e-5f;
    bool is_tied = false;  // no output.weight; token_embd is also the output matrix
    bool has_qkv_bias = false;
};

// A file type as llama-quantize names them: the base type and the per-tensor exceptions.
enum class Mix {
    kF32,
    kF16,
    kBF16,
    kQ8_0,
    kQ4_0,
    kQ4_1,
    kQ5_0,
    kQ5_1,
    kQ6_K,
    kQ4_K_S,
    kQ4_K_M,
    kQ5_K_S,
    kQ5_K_M,
};

struct MixInfo {
    Mix mix;
    TensorType base;
    std::uint32_t file_type;  // general.file_type, llama.cpp's LLAMA_FTYPE_* number
};

const std::map<std::string, MixInfo>& mixes() {
    static const std::map<std::string, MixInfo> kMixes = {
        {"f32", {Mix::kF32, TensorType::kF32, 0}},
        {"f16", {Mix::kF16, TensorType::kF16, 1}},
        {"bf16", {Mix::kBF16, TensorType::kBF16, 32}},
        {"q8_0", {Mix::kQ8_0, TensorType::kQ8_0, 7}},
        {"q4_0", {Mix::kQ4_0, TensorType::kQ4_0, 2}},
        {"q4_1", {Mix::kQ4_1, TensorType::kQ4_1, 3}},
        {"q5_0", {Mix::kQ5_0, TensorType::kQ5_0, 8}},
        {"q5_1", {Mix::kQ5_1, TensorType::kQ5_1, 9}},
        {"q6_k", {Mix::kQ6_K, TensorType::kQ6_K, 18}},
        {"q4_k_s", {Mix::kQ4_K_S, TensorType::kQ4_K, 14}},
        {"q4_k_m", {Mix::kQ4_K_M, TensorType::kQ4_K, 15}},
        {"q5_k_s", {Mix::kQ5_K_S, TensorType::kQ5_K, 16}},
        {"q5_k_m", {Mix::kQ5_K_M, TensorType::kQ5_K, 17}},
    };
    return kMixes;
}

// llama-quantize's rule for the _M mixes: more bits in the first and last eighth of the
// layers and in every third layer between.
bool use_more_bits(std::int64_t layer_idx, std::int64_t n_layer) {
    return layer_idx < n_layer / 8 || layer_idx >= 7 * n_layer / 8 ||
           (layer_idx - n_layer / 8) % 3 == 2;
}

// The type of a 2-D weight. `role` is the name without "blk.N." and ".weight".
TensorType choose_type(const MixInfo& mix,
                       std::string_view role,
                       std::int64_t layer_idx,
                       std::int64_t n_layer,
                       std::int64_t row_length) {
    TensorType type = mix.base;
    const bool is_float = mix.mix == Mix::kF32 || mix.mix == Mix::kF16 || mix.mix == Mix::kBF16;
    const bool is_uniform = is_float || mix.mix == Mix::kQ8_0 || mix.mix == Mix::kQ6_K;
    if (role == "output" && !is_uniform) {
        type = TensorType::kQ6_K;
    } else if (mix.mix == Mix::kQ4_K_M || mix.mix == Mix::kQ5_K_M) {
        if ((role == "attn_v" || role == "ffn_down") && use_more_bits(layer_idx, n_layer)) {
            type = TensorType::kQ6_K;
        }
    } else if (mix.mix == Mix::kQ4_K_S) {
        if ((role == "attn_v" && layer_idx < 4) ||
            (role == "ffn_down" && layer_idx < n_layer / 8)) {
            type = TensorType::kQ5_K;
        }
    }
    // Rows that are not whole 256-value blocks fall back as llama-quantize does.
    if (row_length % lore::tensor_type_traits(type).block_size != 0) {
        switch (type) {
            case TensorType::kQ4_K: type = TensorType::kQ5_0; break;
            case TensorType::kQ5_K: type = TensorType::kQ5_1; break;
            case TensorType::kQ6_K: type = TensorType::kQ8_0; break;
            default: break;
        }
    }
    if (row_length % lore::tensor_type_traits(type).block_size != 0) {
        type = TensorType::kF16;
    }
    return type;
}

// Deterministic uniform numbers in [-1, 1) from a fully specified engine.
class Random {
public:
    explicit Random(std::uint64_t seed) : engine_(seed) {}

    float next() {
        const double unit = static_cast<double>(engine_() >> 11) * 0x1.0p-53;
        return static_cast<float>(2.0 * unit - 1.0);
    }

private:
    std::mt19937_64 engine_;
};

enum class Init { kWeight, kNorm, kBias };

Status add_random_tensor(GgufWriter& writer,
                         Random& random,
                         const std::string& name,
                         TensorType type,
                         std::vector<std::int64_t> ne,
                         Init init) {
    const lore::kernels::QuantizeFn quantize = lore::kernels::reference_kernels()[type].quantize;
    if (quantize == nullptr) {
        return Status::unsupported("make_tiny_model: no quantize kernel for " +
                                   std::string(lore::tensor_type_traits(type).name));
    }
    const std::int64_t n_cols = ne[0];
    std::int64_t n_rows = 1;
    for (std::size_t dim_idx = 1; dim_idx < ne.size(); ++dim_idx) {
        n_rows *= ne[dim_idx];
    }
    const std::size_t row_bytes = lore::tensor_row_bytes(type, n_cols);
    std::vector<std::uint8_t> data(row_bytes * static_cast<std::size_t>(n_rows));
    std::vector<float> row(static_cast<std::size_t>(n_cols));  // [n_cols] f32
    const float scale = std::sqrt(3.0f / static_cast<float>(n_cols));
    for (std::int64_t row_idx = 0; row_idx < n_rows; ++row_idx) {
        for (float& v : row) {
            switch (init) {
                case Init::kWeight: v = scale * random.next(); break;
                case Init::kNorm: v = 1.0f + 0.1f * random.next(); break;
                case Init::kBias: v = 0.1f * random.next(); break;
            }
        }
        quantize(row.data(), data.data() + static_cast<std::size_t>(row_idx) * row_bytes, n_cols);
    }
    return writer.add_tensor(name, type, std::move(ne), std::move(data));
}

// GPT-2's byte-to-symbol map: printable bytes stand for themselves, the others take the
// code points from U+0100 on, in byte order.
std::vector<std::string> gpt2_byte_symbols() {
    std::vector<std::string> symbols(256);
    std::uint32_t next_extra = 256;
    for (std::uint32_t byte = 0; byte < 256; ++byte) {
        const bool is_printable = (byte >= 33 && byte <= 126) || (byte >= 161 && byte <= 172) ||
                                  (byte >= 174 && byte <= 255);
        const std::uint32_t cp = is_printable ? byte : next_extra++;
        std::string utf8;
        if (cp < 0x80) {
            utf8 += static_cast<char>(cp);
        } else {  // all symbols are below U+0800: two bytes
            utf8 += static_cast<char>(0xC0 | (cp >> 6));
            utf8 += static_cast<char>(0x80 | (cp & 0x3F));
        }
        symbols[byte] = utf8;
    }
    return symbols;
}

// The merges of the synthesized vocabulary, best first: frequent English letter pairs and
// a space ("Ġ", GPT-2's symbol for byte 0x20) before each lowercase letter.
std::vector<std::string> synthesized_merges() {
    std::vector<std::string> merges;
    for (const char* pair :
         {"t h", "h e", "i n", "e r", "a n", "r e", "o n", "a t", "e n", "n d", "t i", "e s",
          "o r", "t e", "o f", "e d", "i s", "i t", "a l", "a r", "s t", "t o", "n t", "n g"}) {
        merges.emplace_back(pair);
    }
    for (char letter = 'a'; letter <= 'z'; ++letter) {
        merges.push_back(std::string("\xC4\xA0 ") + letter);
    }
    return merges;
}

Status add_byte_level_vocab(GgufWriter& writer, std::int64_t n_vocab) {
    constexpr std::int32_t kEndOfText = 256;
    if (n_vocab < kEndOfText + 2) {
        return Status::invalid_argument(
            "make_tiny_model: --n-vocab " + std::to_string(n_vocab) +
            " is below 258: the synthesized byte-level vocabulary needs 256 byte tokens, "
            "<|endoftext|> and at least one merge");
    }
    std::vector<std::string> tokens = gpt2_byte_symbols();
    std::vector<std::int32_t> token_types(256, 1);  // normal
    tokens.emplace_back("<|endoftext|>");
    token_types.push_back(3);  // control
    std::vector<std::string> merges = synthesized_merges();
    merges.resize(std::min(merges.size(), static_cast<std::size_t>(n_vocab - kEndOfText - 1)));
    for (const std::string& merge : merges) {
        std::string merged = merge;
        merged.erase(merged.find(' '), 1);
        tokens.push_back(merged);
        token_types.push_back(1);
    }
    for (auto id = static_cast<std::int64_t>(tokens.size()); id < n_vocab; ++id) {
        tokens.push_back("<|unused_" + std::to_string(id) + "|>");
        token_types.push_back(5);  // unused
    }
    writer.set_string("tokenizer.ggml.model", "gpt2");
    writer.set_string("tokenizer.ggml.pre", "default");
    writer.set_string_array("tokenizer.ggml.tokens", std::move(tokens));
    writer.set_i32_array("tokenizer.ggml.token_type", std::move(token_types));
    writer.set_string_array("tokenizer.ggml.merges", std::move(merges));
    writer.set_u32("tokenizer.ggml.bos_token_id", kEndOfText);
    writer.set_u32("tokenizer.ggml.eos_token_id", kEndOfText);
    writer.set_bool("tokenizer.ggml.add_bos_token", false);
    return Status::ok();
}

// Copies every `tokenizer.*` key of `vocab`; returns its token count.
Result<std::int64_t> copy_vocab(GgufWriter& writer, const GgufFile& vocab) {
    LORE_ASSIGN_OR_RETURN(std::vector<std::string_view> tokens,
                          vocab.get_string_array("tokenizer.ggml.tokens"));
    for (const lore::gguf::KeyValue& kv : vocab.metadata()) {
        if (kv.key.starts_with("tokenizer.")) {
            writer.set_value(std::string(kv.key), kv.value);
        }
    }
    return static_cast<std::int64_t>(tokens.size());
}

Status check_spec(const ModelSpec& spec) {
    auto bad = [](const std::string& what) {
        return Status::invalid_argument("make_tiny_model: " + what);
    };
    if (spec.arch != "llama" && spec.arch != "qwen2") {
        return bad("--arch '" + spec.arch + "': expected llama or qwen2");
    }
    if (spec.n_embd < 1 || spec.n_layer < 1 || spec.n_head < 1 || spec.n_head_kv < 1 ||
        spec.n_ff < 1 || spec.n_vocab < 1 || spec.n_ctx < 1) {
        return bad("every size must be at least 1");
    }
    if (spec.n_embd % spec.n_head != 0 || spec.n_head % spec.n_head_kv != 0) {
        return bad("n_embd " + std::to_string(spec.n_embd) + ", n_head " +
                   std::to_string(spec.n_head) + ", n_head_kv " + std::to_string(spec.n_head_kv) +
                   ": heads must divide the width and KV heads the heads");
    }
    return Status::ok();
}

Status make_model(const ModelSpec& spec_in,
                  const MixInfo& mix,
                  const std::string& vocab_path,
                  std::uint64_t seed,
                  const std::string& out) {
    ModelSpec spec = spec_in;
    GgufWriter writer;
    const std::string& a = spec.arch;
    writer.set_string("general.architecture", a);
    writer.set_string("general.name", spec.name);

    // A --vocab file decides n_vocab; its keys are written after the model's, as
    // llama.cpp's converter orders them.
    std::optional<GgufFile> vocab;
    if (!vocab_path.empty()) {
        LORE_ASSIGN_OR_RETURN(vocab, GgufFile::open(vocab_path));
    }
    LORE_RETURN_IF_ERROR(check_spec(spec));

    writer.set_u32(a + ".context_length", static_cast<std::uint32_t>(spec.n_ctx));
    writer.set_u32(a + ".embedding_length", static_cast<std::uint32_t>(spec.n_embd));
    writer.set_u32(a + ".block_count", static_cast<std::uint32_t>(spec.n_layer));
    writer.set_u32(a + ".feed_forward_length", static_cast<std::uint32_t>(spec.n_ff));
    writer.set_u32(a + ".attention.head_count", static_cast<std::uint32_t>(spec.n_head));
    writer.set_u32(a + ".attention.head_count_kv", static_cast<std::uint32_t>(spec.n_head_kv));
    writer.set_f32(a + ".rope.freq_base", spec.rope_freq_base);
    writer.set_f32(a + ".attention.layer_norm_rms_epsilon", spec.rms_eps);
    writer.set_u32(a + ".rope.dimension_count",
                   static_cast<std::uint32_t>(spec.n_embd / spec.n_head));
    writer.set_u32("general.file_type", mix.file_type);
    if (mix.base != TensorType::kF32 && mix.base != TensorType::kF16 &&
        mix.base != TensorType::kBF16) {
        writer.set_u32("general.quantization_version", 2);
    }
    if (vocab) {
        LORE_ASSIGN_OR_RETURN(spec.n_vocab, copy_vocab(writer, *vocab));
    } else {
        LORE_RETURN_IF_ERROR(add_byte_level_vocab(writer, spec.n_vocab));
    }

    const std::int64_t n_embd = spec.n_embd;
    const std::int64_t n_embd_kv = spec.n_embd / spec.n_head * spec.n_head_kv;
    Random random(seed);
    auto weight = [&](const std::string& name, std::string_view role, std::int64_t layer_idx,
                      std::vector<std::int64_t> ne) {
        TensorType type = choose_type(mix, role, layer_idx, spec.n_layer, ne[0]);
        return add_random_tensor(writer, random, name, type, std::move(ne), Init::kWeight);
    };
    auto vector = [&](const std::string& name, std::int64_t n, Init init) {
        return add_random_tensor(writer, random, name, TensorType::kF32, {n}, init);
    };

    LORE_RETURN_IF_ERROR(weight("token_embd.weight", spec.is_tied ? "output" : "token_embd", 0,
                                {n_embd, spec.n_vocab}));
    for (std::int64_t layer_idx = 0; layer_idx < spec.n_layer; ++layer_idx) {
        const std::string blk = "blk." + std::to_string(layer_idx) + ".";
        LORE_RETURN_IF_ERROR(vector(blk + "attn_norm.weight", n_embd, Init::kNorm));
        LORE_RETURN_IF_ERROR(weight(blk + "attn_q.weight", "attn_q", layer_idx, {n_embd, n_embd}));
        LORE_RETURN_IF_ERROR(
            weight(blk + "attn_k.weight", "attn_k", layer_idx, {n_embd, n_embd_kv}));
        LORE_RETURN_IF_ERROR(
            weight(blk + "attn_v.weight", "attn_v", layer_idx, {n_embd, n_embd_kv}));
        if (spec.has_qkv_bias) {
            LORE_RETURN_IF_ERROR(vector(blk + "attn_q.bias", n_embd, Init::kBias));
            LORE_RETURN_IF_ERROR(vector(blk + "attn_k.bias", n_embd_kv, Init::kBias));
            LORE_RETURN_IF_ERROR(vector(blk + "attn_v.bias", n_embd_kv, Init::kBias));
        }
        LORE_RETURN_IF_ERROR(
            weight(blk + "attn_output.weight", "attn_output", layer_idx, {n_embd, n_embd}));
        LORE_RETURN_IF_ERROR(vector(blk + "ffn_norm.weight", n_embd, Init::kNorm));
        LORE_RETURN_IF_ERROR(
            weight(blk + "ffn_gate.weight", "ffn_gate", layer_idx, {n_embd, spec.n_ff}));
        LORE_RETURN_IF_ERROR(
            weight(blk + "ffn_up.weight", "ffn_up", layer_idx, {n_embd, spec.n_ff}));
        LORE_RETURN_IF_ERROR(
            weight(blk + "ffn_down.weight", "ffn_down", layer_idx, {spec.n_ff, n_embd}));
    }
    LORE_RETURN_IF_ERROR(vector("output_norm.weight", n_embd, Init::kNorm));
    if (!spec.is_tied) {
        LORE_RETURN_IF_ERROR(weight("output.weight", "output", 0, {n_embd, spec.n_vocab}));
    }
    return writer.write(out);
}

ModelSpec preset(const std::string& shape) {
    ModelSpec spec;
    if (shape == "smollm2-135m") {
        spec = {"llama", "lore-random-smollm2-135m",
                576,     30,
                9,       3,
                1536,    49152,
                8192,    100000.0f,
                1e-5f,   true,
                false};
    } else if (shape == "qwen2.5-0.5b") {
        spec = {"qwen2", "lore-random-qwen2.5-0.5b",
                896,     24,
                14,      2,
                4864,    151936,
                32768,   1000000.0f,
                1e-6f,   true,
                true};
    } else if (shape == "llama-3.2-1b") {
        spec = {"llama", "lore-random-llama-3.2-1b",
                2048,    16,
                32,      8,
                8192,    128256,
                131072,  500000.0f,
                1e-5f,   true,
                false};
    }
    return spec;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"make_tiny_model: write a random-weight llama/qwen2 GGUF file"};
    std::string shape;
    std::string arch;
    std::string type_name = "f32";
    std::string vocab_path;
    std::string out;
    std::uint64_t seed = 42;
    ModelSpec given;
    bool is_tied = false;
    app.add_option("--shape", shape, "preset: smollm2-135m, qwen2.5-0.5b, llama-3.2-1b")
        ->check(CLI::IsMember({"smollm2-135m", "qwen2.5-0.5b", "llama-3.2-1b"}));
    CLI::Option* arch_opt = app.add_option("--arch", arch, "llama or qwen2 (qwen2: qkv biases)")
                                ->check(CLI::IsMember({"llama", "qwen2"}));
    CLI::Option* embd_opt = app.add_option("--n-embd", given.n_embd, "width");
    CLI::Option* layer_opt = app.add_option("--n-layer", given.n_layer, "layers");
    CLI::Option* head_opt = app.add_option("--n-head", given.n_head, "attention heads");
    CLI::Option* head_kv_opt = app.add_option("--n-head-kv", given.n_head_kv, "KV heads");
    CLI::Option* ff_opt = app.add_option("--n-ff", given.n_ff, "feed-forward width");
    CLI::Option* vocab_n_opt =
        app.add_option("--n-vocab", given.n_vocab, "vocabulary size (synthesized vocab)");
    CLI::Option* ctx_opt = app.add_option("--n-ctx", given.n_ctx, "context length");
    CLI::Option* tied_opt = app.add_flag("--tied", is_tied, "no output.weight; reuse token_embd");
    app.add_option("--type", type_name,
                   "f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1 q6_k q4_k_s q4_k_m q5_k_s q5_k_m");
    app.add_option("--vocab", vocab_path, "GGUF file whose tokenizer.* metadata to copy");
    app.add_option("--seed", seed, "random seed");
    app.add_option("--out", out, "output GGUF file")->required();
    CLI11_PARSE(app, argc, argv);

    ModelSpec spec = preset(shape);
    if (*arch_opt) {
        spec.arch = arch;
    }
    spec.has_qkv_bias = spec.arch == "qwen2";
    if (shape.empty()) {
        spec.name = "lore-tiny-random-" + spec.arch;
    }
    for (auto [opt, field, value] : {std::tuple{embd_opt, &spec.n_embd, given.n_embd},
                                     std::tuple{layer_opt, &spec.n_layer, given.n_layer},
                                     std::tuple{head_opt, &spec.n_head, given.n_head},
                                     std::tuple{head_kv_opt, &spec.n_head_kv, given.n_head_kv},
                                     std::tuple{ff_opt, &spec.n_ff, given.n_ff},
                                     std::tuple{vocab_n_opt, &spec.n_vocab, given.n_vocab},
                                     std::tuple{ctx_opt, &spec.n_ctx, given.n_ctx}}) {
        if (*opt) {
            *field = value;
        }
    }
    if (*tied_opt) {
        spec.is_tied = is_tied;
    }
    auto mix = mixes().find(type_name);
    if (mix == mixes().end()) {
        std::fprintf(stderr, "make_tiny_model: unknown --type '%s'\n", type_name.c_str());
        return 2;
    }
    if (!vocab_path.empty() && *vocab_n_opt) {
        std::fprintf(stderr, "make_tiny_model: --n-vocab is ignored with --vocab\n");
    }

    Status status = make_model(spec, mix->second, vocab_path, seed, out);
    if (!status.is_ok()) {
        std::fprintf(stderr, "make_tiny_model: %s\n", status.to_string().c_str());
        return status.to_exit_code();
    }
    std::printf("wrote %s (%s, %s)\n", out.c_str(), spec.arch.c_str(), type_name.c_str());
    return 0;
}
