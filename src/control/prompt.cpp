#include "control/prompt.h"

#include <string>

namespace lore::control {

std::string fill(std::string_view tmpl, std::string_view name, std::string_view value) {
    std::string key;  // built by appends: GCC 12 warns falsely (-Wrestrict) on "{" + name
    key.reserve(name.size() + 2);
    key += '{';
    key.append(name);
    key += '}';
    std::string out;
    std::size_t pos = 0;
    while (true) {
        const std::size_t at = tmpl.find(key, pos);
        if (at == std::string_view::npos) {
            out.append(tmpl.substr(pos));
            return out;
        }
        out.append(tmpl.substr(pos, at - pos));
        out.append(value);
        pos = at + key.size();
    }
}

std::string quote_passage(std::string_view text) {
    // One line per passage: the prompt's own structure is line-based, so a newline inside
    // a document must not be able to start a fake "Q:" line.
    std::string out;
    out.reserve(text.size());
    bool is_space = false;
    for (char c : text) {
        const bool ws = c == '\n' || c == '\r' || c == '\t' || c == ' ';
        if (ws) {
            is_space = !out.empty();
            continue;
        }
        if (is_space) {
            out += ' ';
            is_space = false;
        }
        out += c;
    }
    return out;
}

std::string closed_book_prompt(const PromptFormat& format, std::string_view question) {
    return fill(format.closed_book, "question", quote_passage(question));
}

std::string open_book_prompt(const PromptFormat& format,
                             std::string_view question,
                             std::span<const SearchHit> hits) {
    std::string passages;
    for (std::size_t i = 0; i < hits.size(); ++i) {
        std::string p = fill(format.passage, "index", std::to_string(i + 1));
        passages += fill(p, "text", quote_passage(hits[i].text));
    }
    std::string out = fill(format.open_book, "passages", passages);
    return fill(out, "question", quote_passage(question));
}

std::string reflect_prompt(const PromptFormat& format, std::string_view question) {
    return fill(format.reflect, "question", quote_passage(question));
}

}  // namespace lore::control
