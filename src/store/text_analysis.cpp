// The `lore_en` FTS5 tokenizer: unicode61 with a stop-word filter. It wraps unicode61 through
// the fts5_api (see SQLite's "Custom Tokenizers" documentation) and forwards each token to the
// caller unless it is a stop word; porter sits on top of it and stems what passes.
#include "store/text_analysis.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <new>

#include <sqlite3.h>

namespace lore::store {
namespace {

// A short English list: articles, pronouns, auxiliaries, prepositions and conjunctions.
// Negations ("no", "not", "nor") are kept because they change meaning. Sorted.
constexpr std::array<std::string_view, 119> kStopWords = {
    "a",       "about",      "above", "after", "again",   "against", "all",   "am",
    "an",      "and",        "any",   "are",   "as",      "at",      "be",    "because",
    "been",    "before",     "being", "below", "between", "both",    "but",   "by",
    "can",     "could",      "did",   "do",    "does",    "doing",   "down",  "during",
    "each",    "few",        "for",   "from",  "further", "had",     "has",   "have",
    "having",  "he",         "her",   "here",  "hers",    "herself", "him",   "himself",
    "his",     "how",        "i",     "if",    "in",      "into",    "is",    "it",
    "its",     "itself",     "just",  "me",    "more",    "most",    "my",    "myself",
    "of",      "off",        "on",    "once",  "only",    "or",      "other", "our",
    "ours",    "ourselves",  "out",   "over",  "own",     "same",    "she",   "should",
    "so",      "some",       "such",  "than",  "that",    "the",     "their", "theirs",
    "them",    "themselves", "then",  "there", "these",   "they",    "this",  "those",
    "through", "to",         "too",   "under", "until",   "up",      "very",  "was",
    "we",      "were",       "what",  "when",  "where",   "which",   "while", "who",
    "whom",    "why",        "will",  "with",  "would",   "you",     "your",
};

// The stop words in an open-addressed table: a token costs one hash of its length and three
// of its letters and usually one comparison, where a binary search took seven comparisons
// (6% of an ingest's CPU, as every token of every chunk passes through here).
class StopWordTable {
public:
    StopWordTable() {
        for (std::string_view word : kStopWords) {
            std::size_t i = slot_of(word);
            while (!slots_[i].empty()) {
                i = (i + 1) & kMask;
            }
            slots_[i] = word;
            max_size_ = std::max(max_size_, word.size());
        }
    }

    bool contains(std::string_view word) const {
        if (word.empty() || word.size() > max_size_) {
            return false;
        }
        for (std::size_t i = slot_of(word);; i = (i + 1) & kMask) {
            if (slots_[i].empty()) {
                return false;
            }
            if (slots_[i] == word) {
                return true;
            }
        }
    }

private:
    static constexpr std::size_t kSlots = 512;  // a quarter full: probes rarely go past one
    static constexpr std::size_t kMask = kSlots - 1;

    static std::size_t slot_of(std::string_view word) {
        auto byte = [&](std::size_t i) {
            return static_cast<std::size_t>(static_cast<unsigned char>(word[i]));
        };
        return (word.size() * 131 + byte(0) * 31 + byte(word.size() - 1) * 7 +
                byte(word.size() / 2)) &
               kMask;
    }

    std::array<std::string_view, kSlots> slots_{};
    std::size_t max_size_ = 0;
};

struct FtsApiHandle {
    fts5_api* api = nullptr;
};

// One instance per FTS table (xCreate); owns the unicode61 instance it delegates to.
struct StopTokenizer {
    fts5_tokenizer parent{};
    Fts5Tokenizer* parent_instance = nullptr;
};

struct TokenForward {
    void* ctx = nullptr;
    int (*callback)(void*, int, const char*, int, int, int) = nullptr;
};

int forward_token(void* ctx, int tflags, const char* token, int n_token, int start, int end) {
    auto* forward = static_cast<TokenForward*>(ctx);
    if (n_token > 0 && is_stop_word(std::string_view(token, static_cast<std::size_t>(n_token)))) {
        return SQLITE_OK;
    }
    return forward->callback(forward->ctx, tflags, token, n_token, start, end);
}

int stop_create(void* context, const char** args, int n_args, Fts5Tokenizer** out) {
    auto* api = static_cast<fts5_api*>(context);
    auto tokenizer = std::unique_ptr<StopTokenizer>(new (std::nothrow) StopTokenizer());
    if (!tokenizer) {
        return SQLITE_NOMEM;
    }
    void* parent_context = nullptr;
    int rc = api->xFindTokenizer(api, "unicode61", &parent_context, &tokenizer->parent);
    if (rc != SQLITE_OK) {
        return rc;
    }
    // Default unicode61 arguments unless the table spec passes its own.
    static const char* kDefaultArgs[] = {"remove_diacritics", "2"};
    const char** parent_args = n_args > 0 ? args : kDefaultArgs;
    const int n_parent_args = n_args > 0 ? n_args : 2;
    rc = tokenizer->parent.xCreate(parent_context, parent_args, n_parent_args,
                                   &tokenizer->parent_instance);
    if (rc != SQLITE_OK) {
        return rc;
    }
    *out = reinterpret_cast<Fts5Tokenizer*>(tokenizer.release());
    return SQLITE_OK;
}

void stop_delete(Fts5Tokenizer* instance) {
    auto* tokenizer = reinterpret_cast<StopTokenizer*>(instance);
    if (tokenizer->parent_instance != nullptr) {
        tokenizer->parent.xDelete(tokenizer->parent_instance);
    }
    delete tokenizer;  // NOLINT(cppcoreguidelines-owning-memory): FTS5 owns it between calls
}

int stop_tokenize(Fts5Tokenizer* instance,
                  void* ctx,
                  int flags,
                  const char* text,
                  int n_text,
                  int (*callback)(void*, int, const char*, int, int, int)) {
    auto* tokenizer = reinterpret_cast<StopTokenizer*>(instance);
    TokenForward forward{ctx, callback};
    return tokenizer->parent.xTokenize(tokenizer->parent_instance, &forward, flags, text, n_text,
                                       forward_token);
}

bool is_word_byte(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

int collect_term(void* ctx, int tflags, const char* token, int n_token, int start, int end) {
    auto* out = static_cast<std::vector<TermSpan>*>(ctx);
    if ((tflags & FTS5_TOKEN_COLOCATED) == 0) {
        out->push_back({std::string(token, static_cast<std::size_t>(n_token)),
                        static_cast<std::size_t>(start), static_cast<std::size_t>(end)});
    }
    return SQLITE_OK;
}

}  // namespace

Status get_fts5_api(sqlite3* db, fts5_api** out) {
    *out = nullptr;
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &stmt, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return Status::unsupported("store: fts5: this SQLite has no FTS5 (" +
                                   std::string(sqlite3_errmsg(db)) + ")");
    }
    sqlite3_bind_pointer(stmt, 1, static_cast<void*>(out), "fts5_api_ptr", nullptr);
    rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (*out == nullptr || (*out)->iVersion < 2) {
        return Status::unsupported("store: fts5: no usable fts5_api (code " + std::to_string(rc) +
                                   ")");
    }
    return Status::ok();
}

std::span<const std::string_view> stop_words() {
    return kStopWords;
}

bool is_stop_word(std::string_view lower_word) {
    static const StopWordTable table;
    return table.contains(lower_word);
}

Status register_fts_tokenizer(sqlite3* db) {
    fts5_api* api = nullptr;
    LORE_RETURN_IF_ERROR(get_fts5_api(db, &api));
    fts5_tokenizer tokenizer{stop_create, stop_delete, stop_tokenize};
    const int rc = api->xCreateTokenizer(api, "lore_en", api, &tokenizer, nullptr);
    if (rc != SQLITE_OK) {
        return Status::internal("store: fts5: cannot register tokenizer lore_en (code " +
                                std::to_string(rc) + ")");
    }
    return Status::ok();
}

std::vector<std::string> query_words(std::string_view query) {
    std::vector<std::string> words;
    std::size_t pos = 0;
    while (pos < query.size()) {
        while (pos < query.size() && !is_word_byte(static_cast<unsigned char>(query[pos]))) {
            ++pos;
        }
        std::size_t end = pos;
        while (end < query.size() && is_word_byte(static_cast<unsigned char>(query[end]))) {
            ++end;
        }
        if (end > pos) {
            std::string word(query.substr(pos, end - pos));
            for (char& c : word) {
                if (c >= 'A' && c <= 'Z') {
                    c = static_cast<char>(c - 'A' + 'a');
                }
            }
            if (!is_stop_word(word) && std::find(words.begin(), words.end(), word) == words.end()) {
                words.push_back(std::move(word));
            }
        }
        pos = end;
    }
    return words;
}

std::string fts_match_expression(std::string_view query) {
    std::string expr;
    for (const std::string& word : query_words(query)) {
        if (!expr.empty()) {
            expr += " OR ";
        }
        expr += '"';
        expr += word;  // only letters, digits and non-ASCII bytes: no quote to escape
        expr += '"';
    }
    return expr;
}

Status fts_term_spans(sqlite3* db, std::string_view text, std::vector<TermSpan>& out) {
    fts5_api* api = nullptr;
    LORE_RETURN_IF_ERROR(get_fts5_api(db, &api));
    void* context = nullptr;
    fts5_tokenizer porter{};
    int rc = api->xFindTokenizer(api, "porter", &context, &porter);
    if (rc != SQLITE_OK) {
        return Status::unsupported("store: fts5: no porter tokenizer");
    }
    const char* args[] = {"lore_en"};
    Fts5Tokenizer* instance = nullptr;
    rc = porter.xCreate(context, args, 1, &instance);
    if (rc != SQLITE_OK) {
        return Status::internal("store: fts5: cannot create 'porter lore_en' (code " +
                                std::to_string(rc) + "); is lore_en registered?");
    }
    rc = porter.xTokenize(instance, &out, FTS5_TOKENIZE_DOCUMENT, text.data(),
                          static_cast<int>(text.size()), collect_term);
    porter.xDelete(instance);
    if (rc != SQLITE_OK) {
        return Status::internal("store: fts5: tokenize failed (code " + std::to_string(rc) + ")");
    }
    return Status::ok();
}

Status fts_terms(sqlite3* db, std::string_view text, std::vector<std::string>& out) {
    std::vector<TermSpan> spans;
    LORE_RETURN_IF_ERROR(fts_term_spans(db, text, spans));
    for (TermSpan& span : spans) {
        out.push_back(std::move(span.term));
    }
    return Status::ok();
}

}  // namespace lore::store
