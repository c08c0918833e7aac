// Strict UTF-8 validation for GGUF keys, strings and tensor names (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF).
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace lore::gguf {

// Byte index of the first invalid sequence in `text`, or nullopt when it is valid UTF-8.
std::optional<std::size_t> find_invalid_utf8(std::string_view text);

}  // namespace lore::gguf
