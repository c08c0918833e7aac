// Unicode helpers: see unicode.h. Categories and case/decomposition data come from utf8proc
// (Debian's libutf8proc); the White_Space set and the GPT-2 byte table are written here.
#include "tokenizer/unicode.h"

#include <array>

#include <utf8proc.h>

namespace lore::tokenizer {
namespace {

bool is_white_space(char32_t cp) {
    // The Unicode White_Space property; Zs alone misses the ASCII controls and includes none
    // of U+0085/U+2028/U+2029 consistently, so the set is spelled out.
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000;
}

struct ByteTables {
    std::array<char32_t, 256> byte_to_symbol{};
    std::array<std::int16_t, 512> symbol_to_byte{};  // symbols are all below U+0200
};

ByteTables make_byte_tables() {
    ByteTables tables;
    tables.symbol_to_byte.fill(-1);
    auto is_printable = [](int b) {
        return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    };
    char32_t next_extra = 256;
    for (int b = 0; b < 256; ++b) {
        const char32_t symbol = is_printable(b) ? static_cast<char32_t>(b) : next_extra++;
        tables.byte_to_symbol[static_cast<std::size_t>(b)] = symbol;
        tables.symbol_to_byte[symbol] = static_cast<std::int16_t>(b);
    }
    return tables;
}

const ByteTables& byte_tables() {
    static const ByteTables tables = make_byte_tables();
    return tables;
}

}  // namespace

CpFlags codepoint_flags(char32_t cp) {
    if (cp > 0x10FFFF) {
        return category_flag(kCn);
    }
    const auto category = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
    CpFlags flags = CpFlags{1} << static_cast<int>(category);
    if (is_white_space(cp)) {
        flags |= kFlagWhitespace;
    }
    return flags;
}

std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) {
    const auto b0 = static_cast<std::uint8_t>(text[pos]);
    std::size_t len = 0;
    char32_t min_cp = 0;
    if (b0 < 0x80) {
        return 1;
    } else if ((b0 & 0xE0) == 0xC0) {
        len = 2;
        min_cp = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
        len = 3;
        min_cp = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
        len = 4;
        min_cp = 0x10000;
    } else {
        return 1;
    }
    if (pos + len > text.size()) {
        return 1;
    }
    char32_t cp = b0 & (0x7Fu >> len);
    for (std::size_t i = 1; i < len; ++i) {
        const auto b = static_cast<std::uint8_t>(text[pos + i]);
        if ((b & 0xC0) != 0x80) {
            return 1;
        }
        cp = (cp << 6) | (b & 0x3Fu);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not well-formed.
    if (cp < min_cp || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 1;
    }
    return len;
}

DecodedText decode_utf8(std::string_view text, bool with_flags) {
    DecodedText out;
    out.cps.reserve(text.size());
    out.offsets.reserve(text.size() + 1);
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t len = utf8_sequence_length(text, pos);
        const auto b0 = static_cast<std::uint8_t>(text[pos]);
        char32_t cp = 0;
        if (len == 1) {
            cp = b0 < 0x80 ? b0 : kReplacementChar;
        } else {
            cp = b0 & (0x7Fu >> len);
            for (std::size_t i = 1; i < len; ++i) {
                cp = (cp << 6) | (static_cast<std::uint8_t>(text[pos + i]) & 0x3Fu);
            }
        }
        out.cps.push_back(cp);
        out.offsets.push_back(pos);
        pos += len;
    }
    out.offsets.push_back(pos);
    if (with_flags) {
        out.flags.reserve(out.cps.size());
        for (char32_t cp : out.cps) {
            out.flags.push_back(codepoint_flags(cp));
        }
    }
    return out;
}

void append_utf8(char32_t cp, std::string& out) {
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        cp = kReplacementChar;
    }
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

char32_t byte_to_symbol(std::uint8_t byte) {
    return byte_tables().byte_to_symbol[byte];
}

int symbol_to_byte(char32_t cp) {
    if (cp >= 512) {
        return -1;
    }
    return byte_tables().symbol_to_byte[cp];
}

char32_t to_lower(char32_t cp) {
    if (cp > 0x10FFFF) {
        return cp;
    }
    return static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp)));
}

void append_nfd(char32_t cp, std::vector<char32_t>& out) {
    std::array<utf8proc_int32_t, 8> buffer{};
    int last_boundclass = 0;
    const utf8proc_ssize_t n = utf8proc_decompose_char(
        static_cast<utf8proc_int32_t>(cp), buffer.data(),
        static_cast<utf8proc_ssize_t>(buffer.size()), UTF8PROC_DECOMPOSE, &last_boundclass);
    if (n <= 0 || static_cast<std::size_t>(n) > buffer.size()) {
        out.push_back(cp);
        return;
    }
    for (utf8proc_ssize_t i = 0; i < n; ++i) {
        out.push_back(static_cast<char32_t>(buffer[static_cast<std::size_t>(i)]));
    }
}

bool is_cjk_ideograph(char32_t cp) {
    // The ranges of BERT's _is_chinese_char (HF tokenizers uses 0x2B920 for the fifth start).
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
           (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

}  // namespace lore::tokenizer
