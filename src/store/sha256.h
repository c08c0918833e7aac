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
    Sha256();
    void update(std::string_view bytes);
    // Finishes the hash; the hasher must not be updated afterwards.
    std::string hex_digest();

private:
    void compress(const unsigned char* block);

    std::array<std::uint32_t, 8> state_{};
    std::array<unsigned char, 64> buffer_{};
    std::size_t n_buffered_ = 0;
    std::uint64_t n_bytes_total_ = 0;
};

// Lower-case hex SHA-256 of `bytes`.
std::string sha256_hex(std::string_view bytes);

}  // namespace lore::store
