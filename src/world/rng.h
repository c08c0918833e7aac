// Rng: the world generator's pseudo-random numbers. xoshiro256** seeded through splitmix64,
// with our own integer reduction and shuffle, so that a seed gives the same world on every
// machine and standard library (std::uniform_int_distribution and std::shuffle are
// implementation-defined and are therefore never used here).
//
// Thread safety: not thread-safe; one per generation stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "core/check.h"

namespace lore::world {

class Rng {
public:
    // Streams with different `stream_id` under one seed are independent, so adding a new kind
    // of entity to the generator does not change the ones generated before it.
    Rng(std::uint64_t seed, std::uint64_t stream_id) {
        std::uint64_t x = seed ^ (stream_id * 0xD1B54A32D192ED03ULL);
        for (std::uint64_t& word : state_) {
            word = splitmix64(x);
        }
    }

    std::uint64_t next_u64() {
        const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
        const std::uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }

    // Uniform in [0, n). REQUIRES: n > 0. Rejection sampling keeps it unbiased.
    std::uint64_t below(std::uint64_t n) {
        LORE_CHECK(n > 0, "world: rng below(0)");
        const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
        std::uint64_t v = next_u64();
        while (v >= limit) {
            v = next_u64();
        }
        return v % n;
    }

    // Uniform in [lo, hi]. REQUIRES: lo <= hi.
    int range(int lo, int hi) {
        LORE_CHECK(lo <= hi, "world: rng range with lo > hi");
        return lo + static_cast<int>(below(static_cast<std::uint64_t>(hi - lo) + 1));
    }

    // True with probability num/den.
    bool chance(std::uint64_t num, std::uint64_t den) { return below(den) < num; }

    // An index into a container of `size` elements. REQUIRES: size > 0.
    std::size_t index(std::size_t size) { return static_cast<std::size_t>(below(size)); }

    // Fisher-Yates, highest index first.
    template <typename T>
    void shuffle(std::vector<T>& items) {
        for (std::size_t i = items.size(); i > 1; --i) {
            const std::size_t j = index(i);
            std::swap(items[i - 1], items[j]);
        }
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

    static std::uint64_t splitmix64(std::uint64_t& x) {
        x += 0x9E3779B97F4A7C15ULL;
        std::uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }

    std::uint64_t state_[4] = {0, 0, 0, 0};
};

}  // namespace lore::world
