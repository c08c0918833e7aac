// HTML reader: visible text only. A forgiving scanner, not a full HTML5 parser:
//   - <script>, <style>, <textarea> are raw text and skipped whole; comments and doctype too;
//   - navigation chrome (<nav>, <footer>, <aside>, <head>, <noscript>, <template>, <svg>,
//     <iframe>, <form>, <button>, <select>) is skipped with everything inside;
//   - block tags end a paragraph ("\n\n" in the output), <br> ends a line;
//   - <h1>..<h6> start a section titled with the heading's text; <title> is the doc title;
//   - whitespace runs collapse to one space (except inside <pre>); entities are decoded.
// Every output byte maps back to the source bytes it stands for (see extract.h).
#include <algorithm>
#include <array>
#include <cctype>
#include <span>
#include <string>

#include "store/extract.h"

namespace lore::store {
namespace {

constexpr std::array<std::string_view, 13> kSkippedElements = {
    "nav",    "footer", "aside",  "head",   "noscript", "template", "svg",
    "iframe", "form",   "button", "select", "object",   "canvas"};

constexpr std::array<std::string_view, 28> kBlockElements = {
    "p",          "div", "section",    "article", "main",    "header",  "ul",
    "ol",         "li",  "table",      "tr",      "td",      "th",      "thead",
    "tbody",      "pre", "blockquote", "dl",      "dt",      "dd",      "figure",
    "figcaption", "hr",  "address",    "details", "summary", "caption", "body"};

bool contains(std::span<const std::string_view> list, std::string_view name) {
    return std::find(list.begin(), list.end(), name) != list.end();
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
}

void append_utf8(std::string& out, std::uint32_t code) {
    if (code < 0x80) {
        out += static_cast<char>(code);
    } else if (code < 0x800) {
        out += static_cast<char>(0xC0 | (code >> 6));
        out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
        out += static_cast<char>(0xE0 | (code >> 12));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (code >> 18));
        out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
    }
}

// Decodes the entity at src[pos] == '&'. Returns its length (0 when it is not one) and the
// decoded text in `out`.
std::size_t decode_entity(std::string_view src, std::size_t pos, std::string& out) {
    constexpr std::size_t kMaxEntity = 12;
    const std::size_t semi = src.substr(pos, kMaxEntity).find(';');
    if (semi == std::string_view::npos || semi < 2) {
        return 0;
    }
    const std::string_view name = src.substr(pos + 1, semi - 1);
    out.clear();
    if (name[0] == '#') {
        std::uint32_t code = 0;
        const bool is_hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
        const std::size_t digits_begin = is_hex ? 2 : 1;
        if (digits_begin >= name.size()) {
            return 0;
        }
        for (std::size_t i = digits_begin; i < name.size(); ++i) {
            const char c = name[i];
            std::uint32_t digit = 0;
            if (c >= '0' && c <= '9') {
                digit = static_cast<std::uint32_t>(c - '0');
            } else if (is_hex && c >= 'a' && c <= 'f') {
                digit = static_cast<std::uint32_t>(c - 'a' + 10);
            } else if (is_hex && c >= 'A' && c <= 'F') {
                digit = static_cast<std::uint32_t>(c - 'A' + 10);
            } else {
                return 0;
            }
            code = code * (is_hex ? 16u : 10u) + digit;
            if (code > 0x10FFFF) {
                return 0;
            }
        }
        if (code == 0 || (code >= 0xD800 && code <= 0xDFFF)) {
            code = 0xFFFD;
        }
        append_utf8(out, code);
        return semi + 1;
    }

    struct Named {
        std::string_view name;
        std::uint32_t code;
    };

    static constexpr std::array<Named, 20> kNamed = {{
        {"amp", '&'},       {"lt", '<'},       {"gt", '>'},       {"quot", '"'},
        {"apos", '\''},     {"nbsp", ' '},     {"mdash", 0x2014}, {"ndash", 0x2013},
        {"hellip", 0x2026}, {"copy", 0xA9},    {"reg", 0xAE},     {"rsquo", 0x2019},
        {"lsquo", 0x2018},  {"rdquo", 0x201D}, {"ldquo", 0x201C}, {"trade", 0x2122},
        {"middot", 0xB7},   {"bull", 0x2022},  {"laquo", 0xAB},   {"raquo", 0xBB},
    }};
    for (const Named& named : kNamed) {
        if (named.name == name) {
            append_utf8(out, named.code);
            return semi + 1;
        }
    }
    return 0;
}

class HtmlReader {
public:
    explicit HtmlReader(std::string_view src) : src_(src) {}

    ExtractedText read() {
        out_.begin_section("", 0);
        std::size_t pos = src_.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
        while (pos < src_.size()) {
            if (src_[pos] == '<') {
                pos = tag(pos);
            } else {
                pos = text(pos);
            }
        }
        ExtractedText result = out_.finish();
        result.title = std::move(title_);
        return result;
    }

private:
    std::size_t text(std::size_t pos) {
        const char c = src_[pos];
        if (skip_depth_ > 0) {
            return pos + 1;
        }
        if (is_space(c) && pre_depth_ == 0) {
            std::size_t end = pos;
            while (end < src_.size() && is_space(src_[end])) {
                ++end;
            }
            const char last = out_.last_char();
            if (last != ' ' && last != '\n') {
                out_.emit(" ", pos, end - pos);
            }
            return end;
        }
        if (c == '&') {
            std::string decoded;
            const std::size_t n = decode_entity(src_, pos, decoded);
            if (n > 0) {
                out_.emit(decoded, pos, n);
                return pos + n;
            }
        }
        out_.copy(src_.substr(pos, 1), pos);
        return pos + 1;
    }

    void paragraph_break(std::size_t pos, std::size_t len, std::string_view brk) {
        if (skip_depth_ > 0 || out_.size() == 0) {
            return;
        }
        // Drop a trailing space so the break does not follow it.
        const std::string_view tail = out_.text_since(out_.size() >= 2 ? out_.size() - 2 : 0);
        if (tail.size() == 2 && tail == "\n\n") {
            return;
        }
        if (brk == "\n" && out_.last_char() == '\n') {
            return;
        }
        out_.emit(out_.last_char() == '\n' && brk == "\n\n" ? "\n" : brk, pos, len);
    }

    std::size_t skip_raw_text(std::size_t pos, std::string_view name) {
        // Find "</name" case-insensitively.
        std::size_t search = pos;
        while (true) {
            const std::size_t lt = src_.find("</", search);
            if (lt == std::string_view::npos) {
                return src_.size();
            }
            bool match = lt + 2 + name.size() <= src_.size();
            for (std::size_t i = 0; match && i < name.size(); ++i) {
                match = std::tolower(static_cast<unsigned char>(src_[lt + 2 + i])) == name[i];
            }
            if (match) {
                const std::size_t gt = src_.find('>', lt);
                return gt == std::string_view::npos ? src_.size() : gt + 1;
            }
            search = lt + 2;
        }
    }

    std::size_t tag(std::size_t pos) {
        if (src_.substr(pos, 4) == "<!--") {
            const std::size_t end = src_.find("-->", pos + 4);
            return end == std::string_view::npos ? src_.size() : end + 3;
        }
        const char next = pos + 1 < src_.size() ? src_[pos + 1] : ' ';
        if (next == '!' || next == '?') {
            const std::size_t end = src_.find('>', pos);
            return end == std::string_view::npos ? src_.size() : end + 1;
        }
        const bool is_end = next == '/';
        std::size_t name_begin = pos + (is_end ? 2 : 1);
        std::size_t name_end = name_begin;
        while (name_end < src_.size() &&
               (std::isalnum(static_cast<unsigned char>(src_[name_end])) != 0)) {
            ++name_end;
        }
        if (name_end == name_begin) {
            return text(pos);  // a literal '<'
        }
        std::string name(src_.substr(name_begin, name_end - name_begin));
        for (char& c : name) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        // Find the tag's end, honouring quoted attribute values.
        std::size_t end = name_end;
        char quote = 0;
        while (end < src_.size()) {
            const char c = src_[end];
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '>') {
                break;
            }
            ++end;
        }
        const bool self_closing = end > pos && end < src_.size() && src_[end - 1] == '/';
        end = std::min(end + 1, src_.size());
        const std::size_t tag_len = end - pos;

        if (!is_end && (name == "script" || name == "style" || name == "textarea")) {
            return skip_raw_text(end, name);
        }
        if (!is_end && name == "title") {
            const std::size_t close = skip_raw_text(end, "title");
            const std::size_t text_end = src_.rfind("</", close);
            std::string raw(src_.substr(
                end, text_end == std::string_view::npos || text_end < end ? 0 : text_end - end));
            title_ = collapse(raw);
            return close;
        }
        if (contains(kSkippedElements, name)) {
            if (!self_closing) {
                if (is_end) {
                    skip_depth_ = skip_depth_ > 0 ? skip_depth_ - 1 : 0;
                } else {
                    ++skip_depth_;
                }
            }
            return end;
        }
        if (name.size() == 2 && name[0] == 'h' && name[1] >= '1' && name[1] <= '6') {
            paragraph_break(pos, tag_len, "\n\n");
            if (skip_depth_ == 0) {
                if (!is_end) {
                    out_.begin_section("", 0);
                    heading_begin_ = out_.size();
                    in_heading_ = true;
                } else if (in_heading_) {
                    out_.set_section_title(collapse(std::string(out_.text_since(heading_begin_))));
                    in_heading_ = false;
                }
            }
            return end;
        }
        if (name == "pre") {
            pre_depth_ = is_end ? (pre_depth_ > 0 ? pre_depth_ - 1 : 0) : pre_depth_ + 1;
        }
        if (name == "br") {
            paragraph_break(pos, tag_len, "\n");
        } else if (contains(kBlockElements, name)) {
            paragraph_break(pos, tag_len, "\n\n");
        }
        return end;
    }

    static std::string collapse(const std::string& raw) {
        std::string out;
        for (char c : raw) {
            if (is_space(c)) {
                if (!out.empty() && out.back() != ' ') {
                    out += ' ';
                }
            } else {
                out += c;
            }
        }
        while (!out.empty() && out.back() == ' ') {
            out.pop_back();
        }
        return out;
    }

    std::string_view src_;
    TextBuilder out_;
    std::string title_;
    int skip_depth_ = 0;
    int pre_depth_ = 0;
    bool in_heading_ = false;
    std::uint64_t heading_begin_ = 0;
};

}  // namespace

Result<ExtractedText> extract_html(std::string_view bytes, std::string_view name) {
    LORE_RETURN_IF_ERROR(check_text(bytes, name));
    HtmlReader reader(bytes);
    return reader.read();
}

}  // namespace lore::store
