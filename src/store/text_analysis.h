// English text analysis shared by everything lexical in the KB: FTS5's index and query
// tokenization, and any other lexical index (issue 5) that must produce the same terms.
//
// The FTS5 tokenizer is `porter lore_en`: unicode61 (case folding, diacritics removed) splits
// words, `lore_en` drops English stop words, porter stems what is left. Indexed text and MATCH
// queries go through the same chain, so stop words are dropped consistently on both sides.
// The tokenizer must be registered on every connection before the FTS table is used
// (Store::open does it); a plain sqlite3 shell cannot query the FTS table for that reason.
//
// Thread safety: free functions over immutable tables; safe from any thread.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lore/status.h"

struct sqlite3;
struct fts5_api;

namespace lore::store {

// The FTS5 tokenizer spec used by the KB's FTS table.
inline constexpr std::string_view kFtsTokenizerSpec = "porter lore_en";

// True for a lower-case English stop word ("the", "of", ...). The list is part of the schema:
// changing it needs a migration that rebuilds the FTS index.
bool is_stop_word(std::string_view lower_word);
// The whole list, sorted.
std::span<const std::string_view> stop_words();

// SQLite's FTS5 extension API of `db` (version 2 or later), through which tokenizers are
// registered and found; kUnsupported when this SQLite has no usable FTS5.
Status get_fts5_api(sqlite3* db, fts5_api** out);

// Registers the `lore_en` FTS5 tokenizer on `db`. Idempotent per connection.
Status register_fts_tokenizer(sqlite3* db);

// Splits `query` into words (runs of ASCII letters and digits, or of non-ASCII bytes),
// lower-cased, stop words removed, duplicates removed, in first-seen order.
std::vector<std::string> query_words(std::string_view query);

// An FTS5 MATCH expression: the query words, each quoted, joined with OR. Empty when the query
// has no word that is not a stop word (the caller returns no hits then).
std::string fts_match_expression(std::string_view query);

// Terms exactly as FTS5 indexes them (folded, stop words dropped, porter-stemmed), in order.
// Runs `text` through the registered tokenizer chain on `db`.
Status fts_terms(sqlite3* db, std::string_view text, std::vector<std::string>& out);

// A term and the byte range of the word it came from in the analysed text.
struct TermSpan {
    std::string term;
    std::size_t begin = 0;
    std::size_t end = 0;
};

// As fts_terms, with each term's source byte range (for highlighting).
Status fts_term_spans(sqlite3* db, std::string_view text, std::vector<TermSpan>& out);

}  // namespace lore::store
