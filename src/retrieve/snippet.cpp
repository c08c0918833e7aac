// make_snippet: tokenize, slide a window of n_terms terms, keep the one with most matches.
#include "retrieve/snippet.h"

#include <algorithm>
#include <vector>

#include "store/text_analysis.h"

namespace lore::retrieve {
namespace {

void append_collapsed(std::string& out, std::string_view text) {
    for (char c : text) {
        const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f';
        if (space) {
            if (!out.empty() && out.back() != ' ') {
                out += ' ';
            }
        } else {
            out += c;
        }
    }
}

}  // namespace

Result<std::string> make_snippet(sqlite3* db,
                                 std::string_view text,
                                 const std::unordered_set<std::string>& query_terms,
                                 const SnippetOptions& options) {
    std::vector<store::TermSpan> spans;
    LORE_RETURN_IF_ERROR(store::fts_term_spans(db, text, spans));
    std::vector<char> is_match(spans.size(), 0);
    bool any = false;
    for (std::size_t idx = 0; idx < spans.size(); ++idx) {
        is_match[idx] = query_terms.count(spans[idx].term) > 0 ? 1 : 0;
        any = any || is_match[idx] != 0;
    }
    if (!any) {
        return std::string();
    }
    const std::size_t window = static_cast<std::size_t>(std::max(options.n_terms, 1));
    const std::size_t n_windows = spans.size() > window ? spans.size() - window + 1 : 1;
    std::size_t best_first = 0;
    int best_count = -1;
    int count = 0;
    for (std::size_t idx = 0; idx < std::min(window, spans.size()); ++idx) {
        count += is_match[idx];
    }
    for (std::size_t first = 0; first < n_windows; ++first) {
        if (first > 0) {
            count += is_match[first + window - 1] - is_match[first - 1];
        }
        if (count > best_count) {
            best_count = count;
            best_first = first;
        }
    }
    const std::size_t best_last = std::min(spans.size(), best_first + window) - 1;
    std::string out;
    if (best_first > 0) {
        out += "…";
    }
    std::size_t pos = best_first > 0 ? spans[best_first].begin : 0;
    for (std::size_t idx = best_first; idx <= best_last; ++idx) {
        append_collapsed(out, text.substr(pos, spans[idx].begin - pos));
        const std::string_view word =
            text.substr(spans[idx].begin, spans[idx].end - spans[idx].begin);
        if (is_match[idx] != 0) {
            out += options.mark_begin;
            out += word;
            out += options.mark_end;
        } else {
            out += word;
        }
        pos = spans[idx].end;
    }
    if (best_last + 1 < spans.size()) {
        out += "…";
    } else {
        append_collapsed(out, text.substr(pos));
    }
    while (!out.empty() && out.back() == ' ') {
        out.pop_back();
    }
    return out;
}

}  // namespace lore::retrieve
