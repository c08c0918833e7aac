// Unicode helpers for the tokenizers: lenient UTF-8 decoding, per-code-point category flags
// (from utf8proc), the GPT-2 byte <-> symbol table, and BERT's normalisation pieces.
//
// Invalid UTF-8 never fails here: each byte that does not start a well-formed sequence becomes
// its own "code point" whose value is U+FFFD (for classification) while the original byte range
// is kept, so tokenizers can still reproduce the input bytes exactly.
//
// Thread safety: all functions are pure; the tables are immutable after static initialisation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lore::tokenizer {

// Bit flags describing one code point. A code point has exactly one general-category bit
// (kCat* below, one per Unicode general category) and maybe kWhitespace.
using CpFlags = std::uint64_t;

// General categories, one bit each (bit index = utf8proc's category number).
enum CategoryBit : int {
    kCn = 0,
    kLu,
    kLl,
    kLt,
    kLm,
    kLo,
    kMn,
    kMc,
    kMe,
    kNd,
    kNl,
    kNo,
    kPc,
    kPd,
    kPs,
    kPe,
    kPi,
    kPf,
    kPo,
    kSm,
    kSc,
    kSk,
    kSo,
    kZs,
    kZl,
    kZp,
    kCc,
    kCf,
    kCs,
    kCo,
};

constexpr CpFlags category_flag(CategoryBit bit) {
    return CpFlags{1} << bit;
}

constexpr CpFlags kFlagsLetter = category_flag(kLu) | category_flag(kLl) | category_flag(kLt) |
                                 category_flag(kLm) | category_flag(kLo);
constexpr CpFlags kFlagsMark = category_flag(kMn) | category_flag(kMc) | category_flag(kMe);
constexpr CpFlags kFlagsNumber = category_flag(kNd) | category_flag(kNl) | category_flag(kNo);
constexpr CpFlags kFlagsPunctuation = category_flag(kPc) | category_flag(kPd) | category_flag(kPs) |
                                      category_flag(kPe) | category_flag(kPi) | category_flag(kPf) |
                                      category_flag(kPo);
constexpr CpFlags kFlagsSymbol =
    category_flag(kSm) | category_flag(kSc) | category_flag(kSk) | category_flag(kSo);
constexpr CpFlags kFlagsSeparator = category_flag(kZs) | category_flag(kZl) | category_flag(kZp);
constexpr CpFlags kFlagsOther = category_flag(kCn) | category_flag(kCc) | category_flag(kCf) |
                                category_flag(kCs) | category_flag(kCo);
// The Unicode White_Space property (\s in the pre-tokenizer regexes).
constexpr CpFlags kFlagWhitespace = CpFlags{1} << 40;

constexpr char32_t kReplacementChar = 0xFFFD;

// Flags of one code point (values past U+10FFFF are unassigned).
CpFlags codepoint_flags(char32_t cp);

// Text decoded into code points. cps[i] came from bytes [offsets[i], offsets[i + 1]).
struct DecodedText {
    std::vector<char32_t> cps;
    std::vector<CpFlags> flags;
    std::vector<std::size_t> offsets;  // cps.size() + 1 entries
};

// Decodes `text` leniently (see the file comment). With `with_flags` false, `flags` is empty.
DecodedText decode_utf8(std::string_view text, bool with_flags);

// Length in bytes of the well-formed UTF-8 sequence starting at text[pos], or 1 if the bytes
// there are not one (an invalid byte then stands alone). REQUIRES: pos < text.size().
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos);

// Appends the UTF-8 encoding of `cp` (U+FFFD when cp is not a scalar value).
void append_utf8(char32_t cp, std::string& out);

// GPT-2's reversible byte -> printable symbol table: each byte becomes one code point, so
// byte-level BPE vocabularies never contain raw spaces or control bytes.
char32_t byte_to_symbol(std::uint8_t byte);

// The byte a GPT-2 symbol stands for; -1 if `cp` is not one of the 256 symbols.
int symbol_to_byte(char32_t cp);

// Simple lower-case mapping (utf8proc).
char32_t to_lower(char32_t cp);

// Canonical decomposition (NFD) of `cp` appended to `out`.
void append_nfd(char32_t cp, std::vector<char32_t>& out);

// BERT's "Chinese character" ranges (CJK ideographs), which become words of their own.
bool is_cjk_ideograph(char32_t cp);

}  // namespace lore::tokenizer
