// Strict UTF-8 validation; see utf8.h. Table 3-7 of the Unicode standard (well-formed byte
// sequences) is the specification: the second byte's range depends on the lead byte.
#include "gguf/utf8.h"

#include <cstdint>

namespace lore::gguf {

std::optional<std::size_t> find_invalid_utf8(std::string_view text) {
    std::size_t idx = 0;
    const std::size_t n = text.size();
    while (idx < n) {
        const auto lead = static_cast<std::uint8_t>(text[idx]);
        if (lead < 0x80) {
            ++idx;
            continue;
        }
        std::size_t n_trail = 0;
        std::uint8_t second_lo = 0x80;
        std::uint8_t second_hi = 0xBF;
        if (lead >= 0xC2 && lead <= 0xDF) {
            n_trail = 1;
        } else if (lead == 0xE0) {
            n_trail = 2;
            second_lo = 0xA0;  // no overlong 3-byte forms
        } else if (lead == 0xED) {
            n_trail = 2;
            second_hi = 0x9F;  // no surrogates U+D800..U+DFFF
        } else if (lead >= 0xE1 && lead <= 0xEF) {
            n_trail = 2;
        } else if (lead == 0xF0) {
            n_trail = 3;
            second_lo = 0x90;  // no overlong 4-byte forms
        } else if (lead >= 0xF1 && lead <= 0xF3) {
            n_trail = 3;
        } else if (lead == 0xF4) {
            n_trail = 3;
            second_hi = 0x8F;  // nothing above U+10FFFF
        } else {
            return idx;  // continuation byte as lead, C0/C1, F5..FF
        }
        if (n - idx <= n_trail) {
            return idx;
        }
        const auto second = static_cast<std::uint8_t>(text[idx + 1]);
        if (second < second_lo || second > second_hi) {
            return idx;
        }
        for (std::size_t k = 2; k <= n_trail; ++k) {
            const auto trail = static_cast<std::uint8_t>(text[idx + k]);
            if (trail < 0x80 || trail > 0xBF) {
                return idx;
            }
        }
        idx += n_trail + 1;
    }
    return std::nullopt;
}

}  // namespace lore::gguf
