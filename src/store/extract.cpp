// Common reader machinery (TextBuilder, offset map, encoding checks) and the plain-text and
// Markdown readers. HTML, PDF and JSONL readers live in their own files.
//
// Markdown is read line by line, CommonMark-ish but forgiving: ATX and setext headings start
// sections (the heading text stays in the body too, so it is searchable), fenced code keeps
// its content, list/quote markers, emphasis, code ticks, link targets and HTML tags are
// dropped, table pipes become spaces. Dropped markup produces no output, so a chunk's source
// range simply spans it.
#include "store/extract.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace lore::store {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

std::string lower_ascii(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
}

bool is_alnum(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

std::size_t bom_length(std::string_view bytes) {
    return bytes.substr(0, kUtf8Bom.size()) == kUtf8Bom ? kUtf8Bom.size() : 0;
}

// Markdown ------------------------------------------------------------------------------

class MarkdownReader {
public:
    explicit MarkdownReader(std::string_view src) : src_(src) {}

    ExtractedText read() {
        out_.begin_section("", 0);
        std::size_t pos = bom_length(src_);
        while (pos < src_.size()) {
            std::size_t line_end = src_.find('\n', pos);
            if (line_end == std::string_view::npos) {
                line_end = src_.size();
            }
            const std::size_t next = std::min(line_end + 1, src_.size());
            pos = read_line(pos, line_end, next);
        }
        return out_.finish();
    }

private:
    std::string_view line(std::size_t begin, std::size_t end) const {
        std::string_view text = src_.substr(begin, end - begin);
        if (!text.empty() && text.back() == '\r') {
            text.remove_suffix(1);
        }
        return text;
    }

    static std::size_t indent(std::string_view text) {
        std::size_t n = 0;
        while (n < text.size() && (text[n] == ' ' || text[n] == '\t')) {
            ++n;
        }
        return n;
    }

    static bool is_blank(std::string_view text) { return indent(text) == text.size(); }

    static bool is_run_of(std::string_view text, char c, std::size_t min_count) {
        std::size_t n = 0;
        for (char ch : text) {
            if (ch == c) {
                ++n;
            } else if (ch != ' ' && ch != '\t') {
                return false;
            }
        }
        return n >= min_count;
    }

    static bool is_table_separator(std::string_view text) {
        bool has_dash = false;
        for (char c : text) {
            if (c == '-') {
                has_dash = true;
            } else if (c != '|' && c != ':' && c != ' ' && c != '\t') {
                return false;
            }
        }
        return has_dash && text.find('|') != std::string_view::npos;
    }

    void newline(std::size_t line_end) {
        if (line_end < src_.size()) {
            out_.copy("\n", line_end);
        } else {
            out_.emit("\n", line_end, 0);
        }
    }

    // Returns the position of the next line to read.
    std::size_t read_line(std::size_t begin, std::size_t end, std::size_t next) {
        const std::string_view text = line(begin, end);
        const std::size_t lead = indent(text);
        const std::string_view body = text.substr(lead);
        if (!fence_.empty()) {
            if (body.substr(0, fence_.size()) == fence_) {
                fence_.clear();
            } else {
                out_.copy(text, begin);
                newline(end);
            }
            return next;
        }
        if (body.substr(0, 3) == "```" || body.substr(0, 3) == "~~~") {
            fence_ = std::string(body.substr(0, 3));
            return next;
        }
        if (is_blank(text)) {
            newline(end);
            return next;
        }
        if (body[0] == '#') {
            std::size_t level = 0;
            while (level < body.size() && body[level] == '#') {
                ++level;
            }
            if (level <= 6 && (level == body.size() || body[level] == ' ' || body[level] == '\t')) {
                std::size_t title_begin = begin + lead + level;
                std::size_t title_end = begin + text.size();
                while (title_end > title_begin &&
                       (src_[title_end - 1] == '#' || is_space(src_[title_end - 1]))) {
                    --title_end;
                }
                while (title_begin < title_end && is_space(src_[title_begin])) {
                    ++title_begin;
                }
                heading(title_begin, title_end, end);
                return next;
            }
        }
        // Setext heading: a text line underlined by === or ---.
        if (next < src_.size()) {
            std::size_t next_end = src_.find('\n', next);
            if (next_end == std::string_view::npos) {
                next_end = src_.size();
            }
            const std::string_view under = line(next, next_end);
            if (is_run_of(under, '=', 2) || (is_run_of(under, '-', 2) && !is_list_item(body))) {
                heading(begin + lead, begin + text.size(), end);
                return std::min(next_end + 1, src_.size());
            }
        }
        if (is_run_of(body, '-', 3) || is_run_of(body, '*', 3) || is_run_of(body, '_', 3) ||
            is_table_separator(body)) {
            return next;
        }
        if (body[0] == '[') {
            const std::size_t close = body.find("]:");
            if (close != std::string_view::npos && close > 1) {
                return next;  // link reference definition
            }
        }
        std::size_t content = begin + lead;
        content = skip_block_markers(content, begin + text.size());
        inline_text(content, begin + text.size());
        newline(end);
        return next;
    }

    static bool is_list_item(std::string_view body) {
        if (body.size() >= 2 && (body[0] == '-' || body[0] == '*' || body[0] == '+') &&
            body[1] == ' ') {
            return true;
        }
        std::size_t n = 0;
        while (n < body.size() && std::isdigit(static_cast<unsigned char>(body[n])) != 0) {
            ++n;
        }
        return n > 0 && n + 1 < body.size() && (body[n] == '.' || body[n] == ')') &&
               body[n + 1] == ' ';
    }

    std::size_t skip_block_markers(std::size_t pos, std::size_t end) const {
        while (pos < end) {
            while (pos < end && (src_[pos] == ' ' || src_[pos] == '\t')) {
                ++pos;
            }
            if (pos < end && src_[pos] == '>') {
                ++pos;
                continue;
            }
            const std::string_view rest = src_.substr(pos, end - pos);
            if (is_list_item(rest)) {
                pos += rest.find(' ') + 1;
                const std::string_view after = src_.substr(pos, end - pos);
                if (after.size() >= 3 && after[0] == '[' && after[2] == ']' &&
                    (after[1] == ' ' || after[1] == 'x' || after[1] == 'X')) {
                    pos += 3;
                }
                continue;
            }
            break;
        }
        while (pos < end && (src_[pos] == ' ' || src_[pos] == '\t')) {
            ++pos;
        }
        return pos;
    }

    void heading(std::size_t title_begin, std::size_t title_end, std::size_t line_end) {
        out_.begin_section("", 0);
        const std::uint64_t out_begin = out_.size();
        inline_text(title_begin, title_end);
        out_.set_section_title(std::string(out_.text_since(out_begin)));
        newline(line_end);
    }

    // Emits src_[begin, end) with inline markup removed.
    void inline_text(std::size_t begin, std::size_t end) {
        std::size_t pos = begin;
        while (pos < end) {
            const char c = src_[pos];
            if (c == '\\' && pos + 1 < end &&
                std::ispunct(static_cast<unsigned char>(src_[pos + 1])) != 0) {
                out_.copy(src_.substr(pos + 1, 1), pos + 1);
                pos += 2;
            } else if (c == '`') {
                pos = code_span(pos, end);
            } else if ((c == '!' && pos + 1 < end && src_[pos + 1] == '[') || c == '[') {
                pos = link(pos, end);
            } else if ((c == '*' || c == '_' || c == '~') && is_emphasis(pos, begin, end)) {
                ++pos;
            } else if (c == '<') {
                pos = angle(pos, end);
            } else if (c == '|') {
                out_.emit(" ", pos, 1);
                ++pos;
            } else {
                out_.copy(src_.substr(pos, 1), pos);
                ++pos;
            }
        }
    }

    bool is_emphasis(std::size_t pos, std::size_t begin, std::size_t end) const {
        const char prev = pos > begin ? src_[pos - 1] : ' ';
        const char next = pos + 1 < end ? src_[pos + 1] : ' ';
        if (src_[pos] == '~') {
            return next == '~' || prev == '~';
        }
        const bool opens = !is_space(next);
        const bool closes = !is_space(prev);
        if (!opens && !closes) {
            return false;  // "2 * 3"
        }
        if (src_[pos] == '_' && is_alnum(prev) && is_alnum(next)) {
            return false;  // snake_case
        }
        return true;
    }

    std::size_t code_span(std::size_t pos, std::size_t end) {
        std::size_t n_ticks = 0;
        while (pos + n_ticks < end && src_[pos + n_ticks] == '`') {
            ++n_ticks;
        }
        const std::string ticks(n_ticks, '`');
        const std::size_t close = src_.substr(0, end).find(ticks, pos + n_ticks);
        if (close == std::string_view::npos) {
            out_.copy(src_.substr(pos, n_ticks), pos);
            return pos + n_ticks;
        }
        const std::size_t content = pos + n_ticks;
        out_.copy(src_.substr(content, close - content), content);
        return close + n_ticks;
    }

    std::size_t link(std::size_t pos, std::size_t end) {
        const std::size_t open = src_[pos] == '!' ? pos + 1 : pos;
        std::size_t depth = 0;
        std::size_t close = std::string_view::npos;
        for (std::size_t i = open; i < end; ++i) {
            if (src_[i] == '[') {
                ++depth;
            } else if (src_[i] == ']' && --depth == 0) {
                close = i;
                break;
            }
        }
        if (close == std::string_view::npos) {
            out_.copy(src_.substr(pos, open + 1 - pos), pos);
            return open + 1;
        }
        inline_text(open + 1, close);
        std::size_t after = close + 1;
        if (after < end && (src_[after] == '(' || src_[after] == '[')) {
            const char closing = src_[after] == '(' ? ')' : ']';
            const std::size_t target_end = src_.substr(0, end).find(closing, after);
            if (target_end != std::string_view::npos) {
                after = target_end + 1;
            }
        }
        return after;
    }

    std::size_t angle(std::size_t pos, std::size_t end) {
        const std::size_t close = src_.substr(0, end).find('>', pos);
        if (close == std::string_view::npos || pos + 1 >= end) {
            out_.copy(src_.substr(pos, 1), pos);
            return pos + 1;
        }
        const std::string_view inner = src_.substr(pos + 1, close - pos - 1);
        if (inner.substr(0, 7) == "http://" || inner.substr(0, 8) == "https://" ||
            inner.substr(0, 7) == "mailto:") {
            out_.copy(inner, pos + 1);  // autolink: the address is the text
            return close + 1;
        }
        const char first = inner.empty() ? ' ' : inner[0];
        if (std::isalpha(static_cast<unsigned char>(first)) != 0 || first == '/' || first == '!') {
            return close + 1;  // inline HTML tag
        }
        out_.copy(src_.substr(pos, 1), pos);
        return pos + 1;
    }

    std::string_view src_;
    TextBuilder out_;
    std::string fence_;
};

}  // namespace

std::pair<std::uint64_t, std::uint64_t> ExtractedText::source_range(std::uint64_t begin,
                                                                    std::uint64_t end) const {
    auto find = [this](std::uint64_t pos) {
        auto it = std::upper_bound(
            segments.begin(), segments.end(), pos,
            [](std::uint64_t value, const OffsetSegment& seg) { return value < seg.out_begin; });
        return std::prev(it);
    };
    const auto first = find(begin);
    const auto last = find(end - 1);
    const std::uint64_t src_begin = first->out_len == first->src_len
                                        ? first->src_begin + (begin - first->out_begin)
                                        : first->src_begin;
    const std::uint64_t src_end = last->out_len == last->src_len
                                      ? last->src_begin + (end - last->out_begin)
                                      : last->src_begin + last->src_len;
    return {src_begin, std::max(src_begin, src_end)};
}

void TextBuilder::copy(std::string_view bytes, std::uint64_t src_begin) {
    if (bytes.empty()) {
        return;
    }
    const std::uint64_t out_begin = text_.text.size();
    text_.text.append(bytes);
    if (!text_.segments.empty()) {
        OffsetSegment& last = text_.segments.back();
        if (last.out_len == last.src_len && last.out_begin + last.out_len == out_begin &&
            last.src_begin + last.src_len == src_begin) {
            last.out_len += bytes.size();
            last.src_len += bytes.size();
            return;
        }
    }
    text_.segments.push_back({out_begin, bytes.size(), src_begin, bytes.size()});
}

void TextBuilder::emit(std::string_view out, std::uint64_t src_begin, std::uint64_t src_len) {
    if (out.empty()) {
        return;
    }
    // Never merged with neighbours. A same-length replacement reads as linear in
    // source_range(), which is still right: its positions map one to one.
    text_.segments.push_back({text_.text.size(), out.size(), src_begin, src_len});
    text_.text.append(out);
}

void TextBuilder::begin_section(std::string title, std::int32_t page) {
    const std::uint64_t pos = text_.text.size();
    if (!text_.sections.empty()) {
        Section& last = text_.sections.back();
        last.end = pos;
        if (last.begin == pos) {
            text_.sections.pop_back();  // empty section
        }
    }
    text_.sections.push_back({pos, pos, std::move(title), page});
}

void TextBuilder::set_section_title(std::string title) {
    if (text_.sections.empty()) {
        begin_section(std::move(title), 0);
        return;
    }
    text_.sections.back().title = std::move(title);
}

ExtractedText TextBuilder::finish() {
    if (text_.sections.empty()) {
        text_.sections.push_back({0, 0, "", 0});
    }
    text_.sections.back().end = text_.text.size();
    ExtractedText out = std::move(text_);
    text_ = ExtractedText();
    return out;
}

Format format_from_path(std::string_view path) {
    const std::size_t slash = path.find_last_of('/');
    const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
    const std::size_t dot = name.find_last_of('.');
    if (dot == std::string_view::npos || dot == 0) {
        return Format::kUnknown;
    }
    const std::string ext = lower_ascii(name.substr(dot + 1));
    if (ext == "txt" || ext == "text") {
        return Format::kText;
    }
    if (ext == "md" || ext == "markdown") {
        return Format::kMarkdown;
    }
    if (ext == "html" || ext == "htm") {
        return Format::kHtml;
    }
    if (ext == "jsonl") {
        return Format::kJsonl;
    }
    if (ext == "pdf") {
        return Format::kPdf;
    }
    return Format::kUnknown;
}

std::string_view format_name(Format format) {
    switch (format) {
        case Format::kText: return "txt";
        case Format::kMarkdown: return "md";
        case Format::kHtml: return "html";
        case Format::kJsonl: return "jsonl";
        case Format::kPdf: return "pdf";
        case Format::kUnknown: return "unknown";
    }
    return "unknown";
}

Status check_text(std::string_view bytes, std::string_view name) {
    const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t size = bytes.size();
    std::size_t pos = 0;
    while (pos < size) {
        const unsigned char c = data[pos];
        if (c < 0x80) {
            if (c == 0) {
                return Status::invalid_argument("store: " + std::string(name) +
                                                ": binary file (NUL byte at offset " +
                                                std::to_string(pos) + ")");
            }
            ++pos;
            continue;
        }
        std::size_t n_extra = 0;
        std::uint32_t code = 0;
        std::uint32_t min_code = 0;
        if ((c & 0xE0) == 0xC0) {
            n_extra = 1;
            code = c & 0x1Fu;
            min_code = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            n_extra = 2;
            code = c & 0x0Fu;
            min_code = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            n_extra = 3;
            code = c & 0x07u;
            min_code = 0x10000;
        } else {
            n_extra = 99;
        }
        bool valid = n_extra != 99 && n_extra < size - pos;
        for (std::size_t i = 1; valid && i <= n_extra; ++i) {
            const unsigned char cont = data[pos + i];
            if ((cont & 0xC0) != 0x80) {
                valid = false;
            } else {
                code = (code << 6) | (cont & 0x3Fu);
            }
        }
        if (valid && (code < min_code || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))) {
            valid = false;
        }
        if (!valid) {
            char hex[8];
            std::snprintf(hex, sizeof(hex), "0x%02x", c);
            return Status::invalid_argument("store: " + std::string(name) +
                                            ": invalid utf-8 at byte offset " +
                                            std::to_string(pos) + " (byte " + hex + ")");
        }
        pos += 1 + n_extra;
    }
    return Status::ok();
}

Result<ExtractedText> extract_plain_text(std::string_view bytes, std::string_view name) {
    LORE_RETURN_IF_ERROR(check_text(bytes, name));
    TextBuilder out;
    const std::size_t bom = bom_length(bytes);
    out.copy(bytes.substr(bom), bom);
    return out.finish();
}

Result<ExtractedText> extract_markdown(std::string_view bytes, std::string_view name) {
    LORE_RETURN_IF_ERROR(check_text(bytes, name));
    MarkdownReader reader(bytes);
    return reader.read();
}

}  // namespace lore::store
