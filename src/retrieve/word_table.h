// WordTable: an open-addressing hash map from short byte strings to uint32 values, with the
// keys packed in one arena. It backs LexicalWriter's word cache, which is looked up once per
// token of every ingested chunk: a node-based std::unordered_map cost three dependent cache
// misses per lookup there (measured: 40 % of the index's ingest CPU), this one about one
// (keys up to 16 bytes are stored in the slot).
//
// Thread safety: none; one owner.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace lore::retrieve {

class WordTable {
public:
    static constexpr std::uint32_t kAbsent = 0xffffffffU;

    // FNV-1a, 64-bit; callers may compute it incrementally with hash_step.
    static constexpr std::uint64_t kHashSeed = 0xcbf29ce484222325ULL;

    static std::uint64_t hash_step(std::uint64_t hash, unsigned char c) {
        return (hash ^ c) * 0x100000001b3ULL;
    }

    std::size_t size() const { return size_; }

    // The value of `key` (whose hash is `hash`), or kAbsent.
    std::uint32_t find(std::string_view key, std::uint64_t hash) const {
        if (slots_.empty()) {
            return kAbsent;
        }
        const std::size_t mask = slots_.size() - 1;
        // Short keys compare as one fixed-size, zero-padded block (inlined by the compiler).
        const bool is_inline = key.size() <= kInlineKey;
        char padded[kInlineKey] = {};
        if (is_inline) {
            std::memcpy(padded, key.data(), key.size());
        }
        for (std::size_t idx = hash & mask;; idx = (idx + 1) & mask) {
            const Slot& slot = slots_[idx];
            if (slot.value == kAbsent) {
                return kAbsent;
            }
            if (slot.hash != hash || slot.key_len != key.size()) {
                continue;
            }
            if (is_inline
                    ? std::memcmp(slot.inline_key, padded, kInlineKey) == 0
                    : std::memcmp(arena_.data() + slot.key_offset, key.data(), key.size()) == 0) {
                return slot.value;
            }
        }
    }

    // REQUIRES: `key` absent, value != kAbsent, key shorter than 4 GiB.
    void insert(std::string_view key, std::uint64_t hash, std::uint32_t value) {
        if ((size_ + 1) * 2 > slots_.size()) {
            grow();
        }
        Slot slot;
        slot.hash = hash;
        slot.key_len = static_cast<std::uint32_t>(key.size());
        slot.value = value;
        if (key.size() <= kInlineKey) {
            std::memcpy(slot.inline_key, key.data(), key.size());
        } else {
            slot.key_offset = static_cast<std::uint32_t>(arena_.size());
            arena_.append(key);
        }
        place(slot);
        ++size_;
    }

    void clear() {
        slots_.clear();
        arena_.clear();
        size_ = 0;
    }

private:
    // Keys up to this long live in the slot itself: no second cache miss to compare them.
    static constexpr std::size_t kInlineKey = 16;

    struct Slot {
        std::uint64_t hash = 0;
        std::uint32_t key_len = 0;
        std::uint32_t value = kAbsent;
        std::uint32_t key_offset = 0;  // in arena_, when key_len > kInlineKey
        char inline_key[kInlineKey] = {};
    };

    void place(const Slot& slot) {
        const std::size_t mask = slots_.size() - 1;
        std::size_t idx = slot.hash & mask;
        while (slots_[idx].value != kAbsent) {
            idx = (idx + 1) & mask;
        }
        slots_[idx] = slot;
    }

    void grow() {
        std::vector<Slot> old = std::move(slots_);
        slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
        for (const Slot& slot : old) {
            if (slot.value != kAbsent) {
                place(slot);
            }
        }
    }

    std::vector<Slot> slots_;  // power-of-two size, at most half full
    std::string arena_;
    std::size_t size_ = 0;
};

}  // namespace lore::retrieve
