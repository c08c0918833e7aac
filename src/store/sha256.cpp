// SHA-256 after FIPS 180-4, section 6.2: 64-byte blocks, 64 rounds, big-endian words.
#include "store/sha256.h"

#include <algorithm>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace lore::store {
namespace {

constexpr std::array<std::uint32_t, 64> kRoundConstants = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

constexpr std::uint32_t rotr(std::uint32_t x, int n) {
    return (x >> n) | (x << (32 - n));
}

void compress_block(std::uint32_t* state, const unsigned char* block) {
    std::array<std::uint32_t, 64> w{};
    for (std::size_t i = 0; i < 16; ++i) {
        w[i] = (std::uint32_t{block[4 * i]} << 24) | (std::uint32_t{block[4 * i + 1]} << 16) |
               (std::uint32_t{block[4 * i + 2]} << 8) | std::uint32_t{block[4 * i + 3]};
    }
    for (std::size_t i = 16; i < 64; ++i) {
        const std::uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
        const std::uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    std::uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    std::uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (std::size_t i = 0; i < 64; ++i) {
        const std::uint32_t s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        const std::uint32_t ch = (e & f) ^ (~e & g);
        const std::uint32_t t1 = h + s1 + ch + kRoundConstants[i] + w[i];
        const std::uint32_t s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        const std::uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
        const std::uint32_t t2 = s0 + maj;
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
}

// The specification, one block after another.
void compress_scalar(std::uint32_t* state, const unsigned char* data, std::size_t n_blocks) {
    for (; n_blocks > 0; --n_blocks, data += 64) {
        compress_block(state, data);
    }
}

#if defined(__x86_64__)
// The x86 SHA extensions (Intel SHA-NI; AMD since Zen): sha256rnds2 runs two rounds on the
// state held as the register pair ABEF / CDGH, sha256msg1/msg2 extend the message schedule four
// words at a time. About 5x the scalar rate, which keeps a large file's hash (done before
// anything else, to skip unchanged files) off an ingest's critical path.
__attribute__((target("sha,sse4.1"))) void compress_sha_ni(std::uint32_t* state,
                                                           const unsigned char* data,
                                                           std::size_t n_blocks) {
    const __m128i byte_swap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    // {a,b,c,d} {e,f,g,h} -> ABEF = {f,e,b,a}, CDGH = {h,g,d,c} (lane 0 first).
    __m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(state)),
                                     0xB1);  // {b,a,d,c}
    __m128i efgh = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(state + 4)),
                                     0x1B);  // {h,g,f,e}
    __m128i abef = _mm_alignr_epi8(abcd, efgh, 8);
    __m128i cdgh = _mm_blend_epi16(efgh, abcd, 0xF0);
    for (; n_blocks > 0; --n_blocks, data += 64) {
        const __m128i abef_in = abef;
        const __m128i cdgh_in = cdgh;
        __m128i w[4];  // w[g % 4] holds schedule words 4g .. 4g+3 of the current group g
        for (int g = 0; g < 16; ++g) {
            __m128i words;
            if (g < 4) {
                words = _mm_shuffle_epi8(
                    _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + 16 * g)), byte_swap);
            } else {
                // W[t] = W[t-16] + s0(W[t-15]) + W[t-7] + s1(W[t-2]) for t = 4g .. 4g+3.
                __m128i t = _mm_sha256msg1_epu32(w[g & 3], w[(g + 1) & 3]);
                t = _mm_add_epi32(t, _mm_alignr_epi8(w[(g + 3) & 3], w[(g + 2) & 3], 4));
                words = _mm_sha256msg2_epu32(t, w[(g + 3) & 3]);
            }
            w[g & 3] = words;
            __m128i wk = _mm_add_epi32(
                words,
                _mm_loadu_si128(reinterpret_cast<const __m128i*>(kRoundConstants.data() + 4 * g)));
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
            wk = _mm_shuffle_epi32(wk, 0x0E);
            abef = _mm_sha256rnds2_epu32(abef, cdgh, wk);
        }
        abef = _mm_add_epi32(abef, abef_in);
        cdgh = _mm_add_epi32(cdgh, cdgh_in);
    }
    const __m128i feba = _mm_shuffle_epi32(abef, 0x1B);  // {a,b,e,f}
    const __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);  // {g,h,c,d}
    _mm_storeu_si128(reinterpret_cast<__m128i*>(state), _mm_blend_epi16(feba, dchg, 0xF0));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(state + 4), _mm_alignr_epi8(dchg, feba, 8));
}

bool cpu_has_sha_ni() {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) == 0) {
        return false;
    }
    const bool sha = (ebx >> 29) & 1;
    __get_cpuid(1, &eax, &ebx, &ecx, &edx);
    const bool ssse3_sse41 = ((ecx >> 9) & 1) && ((ecx >> 19) & 1);
    return sha && ssse3_sse41;
}
#endif

using CompressFn = void (*)(std::uint32_t*, const unsigned char*, std::size_t);

CompressFn best_compress() {
#if defined(__x86_64__)
    static const bool has_sha_ni = cpu_has_sha_ni();
    if (has_sha_ni) {
        return compress_sha_ni;
    }
#endif
    return compress_scalar;
}

}  // namespace

bool Sha256::hardware_accelerated() {
    return best_compress() != compress_scalar;
}

Sha256::Sha256(Implementation implementation)
    : state_{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
             0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19},
      compress_(implementation == Implementation::kScalar ? compress_scalar : best_compress()) {}

void Sha256::update(std::string_view bytes) {
    const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
    std::size_t n_left = bytes.size();
    n_bytes_total_ += n_left;
    if (n_buffered_ > 0) {
        const std::size_t n_take = std::min(n_left, 64 - n_buffered_);
        std::memcpy(buffer_.data() + n_buffered_, data, n_take);
        n_buffered_ += n_take;
        data += n_take;
        n_left -= n_take;
        if (n_buffered_ == 64) {
            compress_(state_.data(), buffer_.data(), 1);
            n_buffered_ = 0;
        }
    }
    if (n_left >= 64) {
        compress_(state_.data(), data, n_left / 64);
        data += n_left / 64 * 64;
        n_left %= 64;
    }
    if (n_left > 0) {
        std::memcpy(buffer_.data(), data, n_left);
        n_buffered_ = n_left;
    }
}

std::string Sha256::hex_digest() {
    const std::uint64_t n_bits = n_bytes_total_ * 8;
    const unsigned char pad_start = 0x80;
    update(std::string_view(reinterpret_cast<const char*>(&pad_start), 1));
    const unsigned char zero = 0;
    while (n_buffered_ != 56) {
        update(std::string_view(reinterpret_cast<const char*>(&zero), 1));
    }
    std::array<unsigned char, 8> length{};
    for (std::size_t i = 0; i < 8; ++i) {
        length[i] = static_cast<unsigned char>(n_bits >> (56 - 8 * i));
    }
    update(std::string_view(reinterpret_cast<const char*>(length.data()), length.size()));
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(64);
    for (std::uint32_t word : state_) {
        for (int shift = 28; shift >= 0; shift -= 4) {
            out += kHex[(word >> shift) & 0xf];
        }
    }
    return out;
}

std::string sha256_hex(std::string_view bytes) {
    Sha256 hasher;
    hasher.update(bytes);
    return hasher.hex_digest();
}

}  // namespace lore::store
