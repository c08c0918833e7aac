// Prompt assembly for ask: question and passages put into the model's prompt format.
// Passages are numbered and framed as quoted data; their text is inserted verbatim but
// never where the format expects instructions, and lines that imitate the format's own
// markers ("Q:", "A:", "[n]") are defused so a document cannot end the evidence block.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "lore/ask.h"

namespace lore::control {

// Replaces every `{name}` in `tmpl` by `value`.
std::string fill(std::string_view tmpl, std::string_view name, std::string_view value);

std::string closed_book_prompt(const PromptFormat& format, std::string_view question);
std::string open_book_prompt(const PromptFormat& format,
                             std::string_view question,
                             std::span<const SearchHit> hits);
std::string reflect_prompt(const PromptFormat& format, std::string_view question);

// A passage's text on one line, with format markers at line starts neutralised.
std::string quote_passage(std::string_view text);

}  // namespace lore::control
