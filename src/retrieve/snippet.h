// Snippets: a short excerpt of a chunk around the query terms, with each matching word
// between marks. Matching uses the KB's own analysis (store/text_analysis.h), so "running"
// in the text is marked for the query "run", and stop words are never marked.
// Cost: one pass of the tokenizer over the chunk; no index access.
//
// Thread safety: pure function of its inputs and the connection's registered tokenizer.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>

#include "lore/result.h"

struct sqlite3;

namespace lore::retrieve {

struct SnippetOptions {
    std::string_view mark_begin = "**";
    std::string_view mark_end = "**";
    // Window length in indexed terms (stop words between them are shown but not counted).
    int n_terms = 24;
};

// The window of `text` with the most query terms, marked, with "…" where text was cut and
// whitespace collapsed. "" when no query term occurs in `text`.
Result<std::string> make_snippet(sqlite3* db,
                                 std::string_view text,
                                 const std::unordered_set<std::string>& query_terms,
                                 const SnippetOptions& options);

}  // namespace lore::retrieve
