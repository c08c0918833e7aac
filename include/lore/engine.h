// The inference engine: load a GGUF language model and run it on the CPU.
//
//   Model     — the loaded file: hyperparameters, weights (in memory once), tokenizer.
//               Immutable after load; share one Model between many Sessions and threads.
//   Session   — one sequence's state: KV cache, scratch buffers, thread pool. decode()
//               appends tokens and computes logits; taps expose log-probabilities and hidden
//               states. Not thread-safe; one per request. Several Sessions over one Model run
//               independent sequences at once.
//
// Supported architectures: `llama` (Llama 2/3, Mistral, SmolLM, TinyLlama) and `qwen2`.
// Activations are float32; the KV cache is f16 (f32 on request: SessionOptions::f16_cache).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lore/gguf.h"
#include "lore/result.h"
#include "lore/tokenizer.h"

namespace lore {

enum class RopeStyle {
    kNormal,  // rotates adjacent pairs (2i, 2i + 1) of each head (llama)
    kNeox,    // rotates pairs (i, i + n_rot / 2) (qwen2)
};

// Hyperparameters, read from `<arch>.*` metadata and checked against the tensors.
struct HParams {
    std::string arch;  // "llama", "qwen2"
    std::string name;  // general.name, may be empty
    std::int32_t n_vocab = 0;
    std::int32_t n_ctx_train = 0;
    std::int32_t n_embd = 0;
    std::int32_t n_layer = 0;
    std::int32_t n_head = 0;
    std::int32_t n_head_kv = 0;
    std::int32_t n_ff = 0;
    std::int32_t head_dim = 0;  // per-head width of q and k (and v)
    std::int32_t n_rot = 0;     // rotated dimensions per head
    float rms_eps = 1e-5f;
    float rope_freq_base = 10000.0f;
    float rope_freq_scale = 1.0f;  // positions are multiplied by this (linear scaling)
    RopeStyle rope_style = RopeStyle::kNormal;
    bool has_qkv_bias = false;
    bool is_output_tied = false;         // token_embd.weight doubles as the output matrix
    bool has_rope_freq_factors = false;  // Llama-3 style per-frequency scaling tensor
};

struct ModelOptions {
    // Reserved for options such as locking pages in memory; defaults are right for most.
    bool validate_tensors = true;  // check every tensor's presence, shape and type at load
    // Map the file (instant, pages shared between processes) or, when false, read it whole
    // into private memory in 2 MB pages (the CLI's --no-mmap). With pack_weights (the
    // default) the matrices move to their own huge pages either way, so this matters only
    // without it: then reading made generation 7-10 % faster than the map.
    bool use_mmap = true;
    // Copy the matrices at load into private memory in 2 MB pages, re-laying quantized ones
    // for the kernels (16 rows side by side): generation then reads them at the memory's
    // speed instead of being bound by decoding (Q4_K: 1.7x from DRAM) or by TLB misses on
    // the file map's 4 KB pages. Costs a pass over the weights at load, and the pages are not
    // shared with other processes. False uses the weights where use_mmap put them, in the
    // file's layout (the CLI's --no-pack).
    bool pack_weights = true;
};

class Model {
public:
    // Loads `path`. Fails with kCorruption / kUnsupported naming the tensor, key or value
    // when the file is malformed, of an unsupported architecture or tensor type, or when its
    // tensors do not match its hyperparameters.
    static Result<std::shared_ptr<const Model>> load(const std::filesystem::path& path,
                                                     const ModelOptions& options = {});

    virtual ~Model() = default;

    virtual const HParams& hparams() const = 0;
    virtual const Tokenizer& tokenizer() const = 0;
    virtual const gguf::GgufFile& file() const = 0;
    // tokenizer.chat_template, or empty.
    virtual std::string_view chat_template() const = 0;
    // Number of weights and bytes of tensor data.
    virtual std::uint64_t n_params() const = 0;
    virtual std::uint64_t n_weight_bytes() const = 0;
    // "Q4_K - Medium" style label from general.file_type, or the dominant tensor type.
    virtual std::string type_label() const = 0;
};

// The instruction set of the CPU kernels every model runs on: "avx512" (F/BW/VL/VNNI),
// "avxvnni" (AVX2 with AVX-VNNI), "avx2" (with FMA and F16C) or "reference" (scalar), the
// best this CPU has unless the environment variable LORE_ISA=reference|avx2|avxvnni|avx512
// caps it. Chosen once per process.
std::string_view kernel_isa();

// Which positions of a decode() call produce logits.
enum class LogitsMode {
    kLast,  // only the last token (generation)
    kAll,   // every token (scoring, evaluation)
    kNone,  // none (prefill only)
};

struct SessionOptions {
    std::int32_t n_ctx = 0;  // context length; 0 = the model's, capped at 4096
    // 0 = automatic: one per physical core (performance cores on hybrid CPUs; SMT siblings
    // add little and cost hand-offs), or 1 for models under 32 MiB of weights, where
    // splitting a product costs more than it saves.
    std::int32_t n_threads = 0;
    std::int32_t n_batch = 512;  // tokens per forward pass; longer inputs are split
    // Quantize activations for integer dot products with quantized weights (8-bit blocks,
    // as llama.cpp does): much faster, and within the reference tolerances. false: f32
    // activations against dequantized weights, the accuracy reference.
    bool quantize_activations = true;
    // Keep keys and values in the KV cache as f16, as llama.cpp does by default: half the
    // memory of f32, and half the bytes that attention reads per token at long contexts.
    // false: f32 (the cache of the accuracy reference).
    bool f16_cache = true;
};

// Hidden states to keep during decode(). Layer index l in [0, n_layer + 1]: 0 is the token
// embeddings, l in [1, n_layer] the residual stream after l blocks, and n_layer + 1 the
// final normalised state that the output matrix reads (what embedding models pool).
struct HiddenStateRequest {
    std::vector<std::int32_t> layers;
};

struct HiddenStates {
    std::int32_t layer = 0;
    std::vector<float> last;  // [n_embd]: at the last token of the decode() call(s)
    std::vector<float> mean;  // [n_embd]: mean over all tokens decoded since the request
    std::int32_t n_tokens = 0;
};

class Session {
public:
    static Result<std::unique_ptr<Session>> create(std::shared_ptr<const Model> model,
                                                   const SessionOptions& options = {});

    virtual ~Session() = default;

    virtual const Model& model() const = 0;
    virtual std::int32_t n_ctx() const = 0;
    // Tokens in the KV cache.
    virtual std::int32_t n_past() const = 0;

    // Appends `tokens` at positions n_past().. and runs the model. Fails with
    // kInvalidArgument for a token id out of range and kResourceExhausted when the context
    // would overflow (nothing is appended then).
    virtual Status decode(std::span<const TokenId> tokens, LogitsMode mode = LogitsMode::kLast) = 0;

    // Logits of the last decode(): rows in token order ([n_vocab] each). kLast gives 1 row.
    virtual std::int32_t n_logit_rows() const = 0;
    virtual std::span<const float> logits(std::int32_t row) const = 0;

    // Forgets tokens from position `n_keep` on (n_keep <= n_past()).
    virtual void truncate(std::int32_t n_keep) = 0;

    // Starts recording hidden states for the given layers; subsequent decode() calls
    // accumulate them. Fails for a layer out of range.
    virtual Status request_hidden_states(const HiddenStateRequest& request) = 0;
    virtual std::vector<HiddenStates> hidden_states() const = 0;
};

// ---- Sampling ---------------------------------------------------------------------------

struct SamplerOptions {
    float temperature = 0.0f;     // <= 0: greedy (argmax, ties to the lowest id)
    std::int32_t top_k = 0;       // 0: off
    float top_p = 1.0f;           // 1: off
    float min_p = 0.0f;           // 0: off
    float repeat_penalty = 1.0f;  // 1: off; applied to the last `repeat_last_n` tokens
    std::int32_t repeat_last_n = 64;
    std::uint64_t seed = 0;  // same seed, same options, same model: same tokens
};

// Chooses the next token from logits. Not thread-safe; one per generation.
class Sampler {
public:
    explicit Sampler(const SamplerOptions& options);

    // `history`: tokens so far (for the repetition penalty).
    TokenId sample(std::span<const float> logits, std::span<const TokenId> history);

private:
    SamplerOptions options_;
    std::uint64_t rng_state_;
    std::vector<std::pair<float, TokenId>> candidates_;
};

// ---- Log-probabilities --------------------------------------------------------------------

struct TokenLogprob {
    TokenId token = 0;
    float logprob = 0.0f;
};

// log softmax of `logits` at `token`.
float token_logprob(std::span<const float> logits, TokenId token);
// The `k` most likely tokens, best first (ties to the lower id).
std::vector<TokenLogprob> top_logprobs(std::span<const float> logits, std::int32_t k);
// Entropy (nats) of softmax(logits).
float logits_entropy(std::span<const float> logits);

struct ScoredContinuation {
    std::vector<TokenLogprob> tokens;  // one per continuation token
    double total_logprob = 0.0;
};

// Log-probability of each continuation after `prompt` (the prompt is decoded once and its
// cache reused). The session is left holding the prompt only.
Result<std::vector<ScoredContinuation>> score_continuations(
    Session& session,
    std::span<const TokenId> prompt,
    std::span<const std::vector<TokenId>> continuations);

// ---- Generation ---------------------------------------------------------------------------

struct GenerateOptions {
    std::int32_t max_tokens = 128;
    SamplerOptions sampler;
    std::vector<std::string> stop;  // stop strings; not included in the text
    bool stop_at_end_of_generation = true;
    std::int32_t n_logprobs = 0;  // top alternatives recorded per token
};

struct GeneratedToken {
    TokenId token = 0;
    float logprob = 0.0f;
    float entropy = 0.0f;           // of the distribution the token was drawn from (nats)
    std::vector<TokenLogprob> top;  // n_logprobs alternatives
};

enum class StopReason { kMaxTokens, kEndOfGeneration, kStopString, kContextFull, kCancelled };

std::string_view stop_reason_name(StopReason reason);

struct Generation {
    std::string text;
    std::vector<GeneratedToken> tokens;
    StopReason stop_reason = StopReason::kMaxTokens;
    std::int32_t n_prompt_tokens = 0;
    double prompt_ms = 0.0;
    double generate_ms = 0.0;
};

// Receives text as soon as it is final (complete UTF-8, not part of a possible stop
// string). Return false to stop.
using TextCallback = std::function<bool(std::string_view text)>;

// Decodes `prompt` after whatever the session holds, then samples up to max_tokens.
Result<Generation> generate(Session& session,
                            std::span<const TokenId> prompt,
                            const GenerateOptions& options,
                            const TextCallback& on_text = {});

// ---- Chat templates -----------------------------------------------------------------------

enum class ChatTemplate { kPlain, kChatMl, kLlama3, kLlama2, kPhi3 };

struct ChatMessage {
    std::string role;  // "system", "user", "assistant"
    std::string content;
};

// Recognises a template from tokenizer.chat_template text (never executes it). Unknown or
// empty text gives kPlain.
ChatTemplate detect_chat_template(std::string_view template_text);
std::string_view chat_template_name(ChatTemplate tmpl);
// The prompt text for `messages`, ending where the assistant's reply begins.
std::string format_chat(ChatTemplate tmpl, std::span<const ChatMessage> messages);

}  // namespace lore
