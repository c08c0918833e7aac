// Sampling: repetition penalty, then greedy, or top-k -> temperature -> top-p -> min-p and a
// draw from the remaining distribution. The random numbers come from our own splitmix64
// stream (std:: distributions differ between standard libraries), so a seed gives the same
// tokens on every machine.
#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "lore/engine.h"

namespace lore {

namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// Uniform in [0, 1) with 53 random bits.
double uniform01(std::uint64_t& state) {
    return static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53;
}

bool better(const std::pair<float, TokenId>& a, const std::pair<float, TokenId>& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
}

}  // namespace

Sampler::Sampler(const SamplerOptions& options) : options_(options), rng_state_(options.seed) {}

TokenId Sampler::sample(std::span<const float> logits, std::span<const TokenId> history) {
    candidates_.resize(logits.size());
    for (std::size_t i = 0; i < logits.size(); ++i) {
        candidates_[i] = {logits[i], static_cast<TokenId>(i)};
    }
    if (options_.repeat_penalty != 1.0f && options_.repeat_last_n != 0 && !history.empty()) {
        const std::size_t n_last =
            options_.repeat_last_n < 0
                ? history.size()
                : std::min(history.size(), static_cast<std::size_t>(options_.repeat_last_n));
        std::unordered_set<TokenId> seen(history.end() - static_cast<std::ptrdiff_t>(n_last),
                                         history.end());
        for (TokenId id : seen) {
            if (id < 0 || static_cast<std::size_t>(id) >= candidates_.size()) {
                continue;
            }
            float& logit = candidates_[static_cast<std::size_t>(id)].first;
            logit = logit > 0 ? logit / options_.repeat_penalty : logit * options_.repeat_penalty;
        }
    }
    if (options_.temperature <= 0.0f) {
        return std::min_element(candidates_.begin(), candidates_.end(), better)->second;
    }
    std::size_t n = candidates_.size();
    if (options_.top_k > 0 && static_cast<std::size_t>(options_.top_k) < n) {
        n = static_cast<std::size_t>(options_.top_k);
        std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(n),
                          candidates_.end(), better);
    } else {
        std::sort(candidates_.begin(), candidates_.end(), better);
    }
    candidates_.resize(n);
    // Softmax at the temperature; candidates are sorted best first.
    const float max_logit = candidates_[0].first;
    double sum = 0.0;
    for (auto& c : candidates_) {
        c.first = std::exp((c.first - max_logit) / options_.temperature);
        sum += c.first;
    }
    for (auto& c : candidates_) {
        c.first = static_cast<float>(c.first / sum);
    }
    if (options_.top_p < 1.0f) {
        double cumulative = 0.0;
        std::size_t keep = 0;
        while (keep < candidates_.size()) {
            cumulative += candidates_[keep].first;
            ++keep;
            if (cumulative >= options_.top_p) {
                break;
            }
        }
        candidates_.resize(std::max<std::size_t>(1, keep));
    }
    if (options_.min_p > 0.0f) {
        const float threshold = options_.min_p * candidates_[0].first;
        std::size_t keep = 1;
        while (keep < candidates_.size() && candidates_[keep].first >= threshold) {
            ++keep;
        }
        candidates_.resize(keep);
    }
    double total = 0.0;
    for (const auto& c : candidates_) {
        total += c.first;
    }
    double r = uniform01(rng_state_) * total;
    for (const auto& c : candidates_) {
        r -= c.first;
        if (r < 0.0) {
            return c.second;
        }
    }
    return candidates_.back().second;
}

float token_logprob(std::span<const float> logits, TokenId token) {
    if (logits.empty() || token < 0 || static_cast<std::size_t>(token) >= logits.size()) {
        return -INFINITY;
    }
    const float max_logit = *std::max_element(logits.begin(), logits.end());
    double sum = 0.0;
    for (float l : logits) {
        sum += std::exp(static_cast<double>(l - max_logit));
    }
    return static_cast<float>(
        static_cast<double>(logits[static_cast<std::size_t>(token)] - max_logit) - std::log(sum));
}

std::vector<TokenLogprob> top_logprobs(std::span<const float> logits, std::int32_t k) {
    std::vector<TokenLogprob> out;
    if (logits.empty() || k <= 0) {
        return out;
    }
    const float max_logit = *std::max_element(logits.begin(), logits.end());
    double sum = 0.0;
    for (float l : logits) {
        sum += std::exp(static_cast<double>(l - max_logit));
    }
    const double log_sum = std::log(sum);
    std::vector<std::pair<float, TokenId>> all(logits.size());
    for (std::size_t i = 0; i < logits.size(); ++i) {
        all[i] = {logits[i], static_cast<TokenId>(i)};
    }
    const std::size_t n = std::min(all.size(), static_cast<std::size_t>(k));
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(), better);
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back(
            {all[i].second,
             static_cast<float>(static_cast<double>(all[i].first - max_logit) - log_sum)});
    }
    return out;
}

float logits_entropy(std::span<const float> logits) {
    if (logits.empty()) {
        return 0.0f;
    }
    const float max_logit = *std::max_element(logits.begin(), logits.end());
    double sum = 0.0;
    double weighted = 0.0;
    for (float l : logits) {
        const double z = static_cast<double>(l - max_logit);
        const double e = std::exp(z);
        sum += e;
        weighted += e * z;
    }
    // H = log(sum) - E[z]
    return static_cast<float>(std::log(sum) - weighted / sum);
}

}  // namespace lore
