// generate(): decode the prompt, then sample token by token, streaming text as soon as it is
// final: complete UTF-8 that cannot be the start of a stop string. score_continuations():
// log-probabilities of given continuations, reusing the prompt's KV cache.
#include <algorithm>
#include <chrono>

#include "lore/engine.h"

namespace lore {

namespace {

double elapsed_ms(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since)
        .count();
}

// Length of the longest prefix of `text` that ends on a UTF-8 character boundary.
std::size_t complete_utf8_prefix(std::string_view text) {
    std::size_t n = text.size();
    // Look back at most 3 bytes for the lead byte of an unfinished sequence.
    for (std::size_t back = 1; back <= 3 && back <= n; ++back) {
        const auto c = static_cast<unsigned char>(text[n - back]);
        if ((c & 0xC0) == 0x80) {
            continue;  // continuation byte
        }
        std::size_t need = 1;
        if ((c & 0xE0) == 0xC0) {
            need = 2;
        } else if ((c & 0xF0) == 0xE0) {
            need = 3;
        } else if ((c & 0xF8) == 0xF0) {
            need = 4;
        }
        return back < need ? n - back : n;
    }
    return n;
}

// How many trailing bytes of `text` could begin one of the stop strings.
std::size_t stop_prefix_overlap(std::string_view text, const std::vector<std::string>& stop) {
    std::size_t hold = 0;
    for (const std::string& s : stop) {
        for (std::size_t len = std::min(s.size() - 1, text.size()); len > hold; --len) {
            if (text.substr(text.size() - len) == std::string_view(s).substr(0, len)) {
                hold = len;
                break;
            }
        }
    }
    return hold;
}

}  // namespace

std::string_view stop_reason_name(StopReason reason) {
    switch (reason) {
        case StopReason::kMaxTokens: return "max_tokens";
        case StopReason::kEndOfGeneration: return "end_of_generation";
        case StopReason::kStopString: return "stop_string";
        case StopReason::kContextFull: return "context_full";
        case StopReason::kCancelled: return "cancelled";
    }
    return "unknown";
}

Result<Generation> generate(Session& session,
                            std::span<const TokenId> prompt,
                            const GenerateOptions& options,
                            const TextCallback& on_text) {
    const Tokenizer& tokenizer = session.model().tokenizer();
    Generation result;
    result.n_prompt_tokens = static_cast<std::int32_t>(prompt.size());
    if (prompt.empty() && session.n_past() == 0) {
        return Status::invalid_argument("generate: empty prompt and empty context");
    }
    for (const std::string& s : options.stop) {
        if (s.empty()) {
            return Status::invalid_argument("generate: empty stop string");
        }
    }
    std::vector<TokenId> history(prompt.begin(), prompt.end());

    auto start = std::chrono::steady_clock::now();
    if (!prompt.empty()) {
        LORE_RETURN_IF_ERROR(session.decode(prompt, LogitsMode::kLast));
    }
    result.prompt_ms = elapsed_ms(start);
    start = std::chrono::steady_clock::now();

    Sampler sampler(options.sampler);
    std::string text;           // all generated text
    std::size_t n_emitted = 0;  // bytes of `text` passed to on_text
    bool is_done = false;
    for (std::int32_t step = 0; step < options.max_tokens && !is_done; ++step) {
        std::span<const float> logits = session.logits(session.n_logit_rows() - 1);
        if (logits.empty()) {
            return Status::internal("generate: no logits after decode");
        }
        const TokenId token = sampler.sample(logits, history);
        if (options.stop_at_end_of_generation && tokenizer.is_end_of_generation(token)) {
            result.stop_reason = StopReason::kEndOfGeneration;
            break;
        }
        GeneratedToken gen;
        gen.token = token;
        gen.logprob = token_logprob(logits, token);
        gen.entropy = logits_entropy(logits);
        if (options.n_logprobs > 0) {
            gen.top = top_logprobs(logits, options.n_logprobs);
        }
        result.tokens.push_back(std::move(gen));
        history.push_back(token);
        text += tokenizer.token_to_piece(token, false);

        std::size_t final_end = text.size();
        for (const std::string& s : options.stop) {
            std::size_t at = text.find(s, n_emitted > s.size() ? n_emitted - s.size() : 0);
            if (at != std::string::npos && at < final_end) {
                final_end = at;
                is_done = true;
                result.stop_reason = StopReason::kStopString;
            }
        }
        if (is_done) {
            text.resize(final_end);
        }
        std::size_t safe_end = complete_utf8_prefix(text);
        if (!is_done) {
            safe_end -=
                stop_prefix_overlap(std::string_view(text).substr(0, safe_end), options.stop);
        }
        if (safe_end > n_emitted && on_text) {
            if (!on_text(std::string_view(text).substr(n_emitted, safe_end - n_emitted))) {
                result.stop_reason = StopReason::kCancelled;
                is_done = true;
            }
        }
        n_emitted = std::max(n_emitted, safe_end);
        if (is_done || step + 1 == options.max_tokens) {
            break;
        }
        if (session.n_past() >= session.n_ctx()) {
            result.stop_reason = StopReason::kContextFull;
            break;
        }
        const TokenId next[1] = {token};
        LORE_RETURN_IF_ERROR(session.decode(next, LogitsMode::kLast));
    }
    if (on_text && n_emitted < text.size() && result.stop_reason != StopReason::kCancelled) {
        on_text(std::string_view(text).substr(n_emitted));
    }
    result.text = std::move(text);
    result.generate_ms = elapsed_ms(start);
    return result;
}

Result<std::vector<ScoredContinuation>> score_continuations(
    Session& session,
    std::span<const TokenId> prompt,
    std::span<const std::vector<TokenId>> continuations) {
    if (prompt.empty()) {
        return Status::invalid_argument("score: the prompt must hold at least one token");
    }
    const std::int32_t base = session.n_past();
    LORE_RETURN_IF_ERROR(session.decode(prompt, LogitsMode::kLast));
    std::vector<float> prompt_logits(session.logits(0).begin(), session.logits(0).end());
    const std::int32_t prompt_end = session.n_past();

    std::vector<ScoredContinuation> out;
    out.reserve(continuations.size());
    for (const std::vector<TokenId>& cont : continuations) {
        ScoredContinuation scored;
        if (!cont.empty()) {
            session.truncate(prompt_end);
            // The last continuation token needs no forward pass of its own.
            std::span<const TokenId> feed(cont.data(), cont.size() - 1);
            if (!feed.empty()) {
                LORE_RETURN_IF_ERROR(session.decode(feed, LogitsMode::kAll));
            }
            for (std::size_t i = 0; i < cont.size(); ++i) {
                std::span<const float> logits =
                    i == 0 ? std::span<const float>(prompt_logits)
                           : session.logits(static_cast<std::int32_t>(i - 1));
                const float lp = token_logprob(logits, cont[i]);
                scored.tokens.push_back({cont[i], lp});
                scored.total_logprob += lp;
            }
        }
        out.push_back(std::move(scored));
    }
    session.truncate(prompt_end);
    (void)base;
    return out;
}

}  // namespace lore
