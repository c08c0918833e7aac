// Fts5Index: a MATCH over chunks_fts with the query words OR-ed, ranked by bm25().
#include "retrieve/lexical_index.h"

#include "store/text_analysis.h"

namespace lore::retrieve {

Result<std::vector<ScoredChunk>> Fts5Index::search(std::string_view query, int top_k) {
    std::vector<ScoredChunk> hits;
    const std::string expr = store::fts_match_expression(query);
    if (expr.empty() || top_k <= 0) {
        return hits;
    }
    if (stmt_.handle() == nullptr) {
        // bm25() is lower-is-better; rowid breaks ties so rankings are deterministic.
        LORE_ASSIGN_OR_RETURN(stmt_, db_.prepare("SELECT rowid, bm25(chunks_fts) AS score FROM "
                                                 "chunks_fts WHERE chunks_fts MATCH ?1 ORDER BY "
                                                 "score, rowid LIMIT ?2"));
    }
    stmt_.reset();
    stmt_.bind(1, expr).bind(2, std::int64_t{top_k});
    while (true) {
        LORE_ASSIGN_OR_RETURN(bool has_row, stmt_.step());
        if (!has_row) {
            break;
        }
        hits.push_back({stmt_.column_int64(0), -stmt_.column_double(1)});
    }
    stmt_.reset();
    return hits;
}

}  // namespace lore::retrieve
