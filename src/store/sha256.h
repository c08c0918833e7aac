// SHA-256 (FIPS 180-4), used for content hashes: a file or record whose hash is unchanged is
// not re-ingested. Streaming: update() any number of times, then hex_digest().
//
// Thread safety: a value type; one hasher per thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace lore::store {

class Sha256 {
public:
    // kBest uses the CPU's SHA instructions when it has them; kScalar is the reference.
    enum class Implementation { kBest, kScalar };

    explicit Sha256(Implementation implementation = Implementation::kBest);
    // True when kBest runs on SHA instructions on this CPU.
    static bool hardware_accelerated();

    void update(std::string_view bytes);
    // Finishes the hash; the hasher must not be updated afterwards.
    std::string hex_digest();

private:
    std::array<std::uint32_t, 8> state_{};
    // Runs the compression over whole 64-byte blocks.
    void (*compress_)(std::uint32_t* state, const unsigned char* blocks, std::size_t n_blocks);
    std::array<unsigned char, 64> buffer_{};
    std::size_t n_buffered_ = 0;
    std::uint64_t n_bytes_total_ = 0;
};

// Lower-case hex SHA-256 of `bytes`.
std::string sha256_hex(std::string_view bytes);

}  // namespace lore::store
