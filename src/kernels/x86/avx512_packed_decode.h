// Decoding of packed panel blocks (kernels.h, "Packed weights"), shared by the one-token
// packed kernels (avx512_packed.cpp) and the prompt panels that read packed weights
// (avx512_panels.cpp). A vector holds one word of the 16 rows of a panel (lane = row); every
// function here turns such words into unsigned levels, scales or mins, 16 rows at a time.
// Include only from sources compiled with the AVX-512 (F, BW, VL, VNNI) flags.
#pragma once

#include <cstdint>

#include <immintrin.h>

namespace lore::kernels::x86::packed {

inline __m512i load512(const std::uint8_t* p) {
    return _mm512_loadu_si512(p);
}

// The 16 fp16 fields at p as f32, lane = row.
inline __m512 halves16(const std::uint8_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

// Byte j (0..3) of every 32-bit lane, zero- or sign-extended.
inline __m512i byte_u(__m512i v, unsigned j) {
    return _mm512_and_si512(_mm512_srli_epi32(v, 8 * j), _mm512_set1_epi32(0xFF));
}

inline __m512i byte_s(__m512i v, unsigned j) {
    return _mm512_srai_epi32(_mm512_slli_epi32(v, 24 - 8 * j), 24);
}

// ---- Q4_0, Q4_1, Q5_0, Q5_1: 32-value blocks ----
//
// Word k of qs: byte i holds value 4k + i (low nibble) and 16 + 4k + i (high nibble). Q5
// fifth bits: qh is one word per row, bit j the fifth bit of value j.

// Byte j of every row's word, copied to the row's four bytes (vpshufb stays in a lane).
inline __m512i spread_byte(__m512i words, int j) {
    const __m512i row_base = _mm512_set4_epi32(0x0C0C0C0C, 0x08080808, 0x04040404, 0);
    return _mm512_shuffle_epi8(words,
                               _mm512_add_epi8(row_base, _mm512_set1_epi8(static_cast<char>(j))));
}

// A block's qh prepared for add_fifth_bits: bytes 0..3 of each row's qh, each spread.
struct FifthBits {
    __m512i bytes[4];

    explicit FifthBits(__m512i qh) {
        for (int j = 0; j < 4; ++j) {
            bytes[j] = spread_byte(qh, j);
        }
    }
};

// Adds 16 to the levels of word k whose fifth bit is set: values 4k + i take bit 4k + i of
// qh, i.e. bit 4(k % 2) + i of qh byte k / 2 (high nibbles: byte 2 + k / 2). A byte test
// turns that bit into a lane mask.
inline void add_fifth_bits(const FifthBits& qh, int k, __m512i& lo, __m512i& hi) {
    const __m512i bit = _mm512_set1_epi32(k % 2 == 0 ? 0x08040201 : static_cast<int>(0x80402010u));
    const __m512i sixteen = _mm512_set1_epi8(16);
    lo = _mm512_mask_add_epi8(lo, _mm512_test_epi8_mask(qh.bytes[k / 2], bit), lo, sixteen);
    hi = _mm512_mask_add_epi8(hi, _mm512_test_epi8_mask(qh.bytes[2 + k / 2], bit), hi, sixteen);
}

// Low and high nibbles of a word: levels 4k..4k+3 and 16+4k..16+4k+3.
inline void nibbles(__m512i w, __m512i& lo, __m512i& hi) {
    const __m512i low4 = _mm512_set1_epi8(15);
    lo = _mm512_and_si512(w, low4);
    hi = _mm512_and_si512(_mm512_srli_epi16(w, 4), low4);
}

// ---- Q4_K, Q5_K ----
//
// Words 0-2 of a super-block: the twelve bytes of six-bit scales and mins (blocks.h).
struct ScalesMins {
    __m512i sc_lo;  // scales 0-3, a byte each
    __m512i sc_hi;  // scales 4-7
    __m512i m_lo;   // mins 0-3
    __m512i m_hi;   // mins 4-7

    explicit ScalesMins(const std::uint8_t* words) {
        const __m512i low4 = _mm512_set1_epi8(15);
        const __m512i low6 = _mm512_set1_epi8(0x3f);
        const __m512i low2 = _mm512_set1_epi8(3);
        const __m512i w0 = load512(words);
        const __m512i w1 = load512(words + 64);
        const __m512i w2 = load512(words + 128);
        sc_lo = _mm512_and_si512(w0, low6);
        m_lo = _mm512_and_si512(w1, low6);
        sc_hi =
            _mm512_or_si512(_mm512_and_si512(w2, low4),
                            _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(w0, 6), low2), 4));
        m_hi =
            _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(w2, 4), low4),
                            _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(w1, 6), low2), 4));
    }

    __m512i scale(unsigned j) const { return byte_u(j < 4 ? sc_lo : sc_hi, j % 4); }

    __m512i min(unsigned j) const { return byte_u(j < 4 ? m_lo : m_hi, j % 4); }
};

// Q5_K: adds the fifth bits to the nibbles of qs word 8c + g (lo: sub-block 2c, hi: 2c + 1).
// h is qh word g: bit 2c of byte i is the fifth bit of value 64c + 4g + i, bit 2c + 1 that of
// value 64c + 32 + 4g + i.
inline void add_k_fifth_bits(__m512i h, unsigned c, __m512i& lo, __m512i& hi) {
    const __m512i low1 = _mm512_set1_epi8(1);
    lo = _mm512_or_si512(lo,
                         _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(h, 2 * c), low1), 4));
    hi = _mm512_or_si512(
        hi, _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(h, 2 * c + 1), low1), 4));
}

// ---- Q6_K ----
//
// In half h of a super-block, ql word 16h + g (low nibbles: values 128h + 4g + i, high:
// 128h + 64 + 4g + i), ql word 16h + 8 + g (values + 32, + 96) and qh word 32 + 8h + g (two
// bits for each of those four) make four words of six-bit levels: q[j] holds values
// 128h + 32j + 4g + i.
inline void q6_k_levels(__m512i ql0, __m512i ql1, __m512i qh, __m512i (&q)[4]) {
    const __m512i low4 = _mm512_set1_epi8(15);
    const __m512i bits45 = _mm512_set1_epi8(0x30);
    q[0] = _mm512_or_si512(_mm512_and_si512(ql0, low4),
                           _mm512_and_si512(_mm512_slli_epi16(qh, 4), bits45));
    q[1] = _mm512_or_si512(_mm512_and_si512(ql1, low4),
                           _mm512_and_si512(_mm512_slli_epi16(qh, 2), bits45));
    q[2] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql0, 4), low4),
                           _mm512_and_si512(qh, bits45));
    q[3] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql1, 4), low4),
                           _mm512_and_si512(_mm512_srli_epi16(qh, 2), bits45));
}

}  // namespace lore::kernels::x86::packed
