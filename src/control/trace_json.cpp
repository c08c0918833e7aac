// AskResult as JSON for `lore ask --json/--trace` and the server (docs/formats/ask.md).
#include <cmath>

#include <nlohmann/json.hpp>

#include "lore/ask.h"

namespace lore {

namespace {

nlohmann::json number_or_null(double v) {
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

nlohmann::json hit_to_json(const SearchHit& hit) {
    return {{"chunk_id", hit.chunk_id}, {"score", hit.score},
            {"source", hit.source},     {"document_key", hit.document_key},
            {"title", hit.title},       {"section", hit.section},
            {"page", hit.page},         {"byte_begin", hit.byte_begin},
            {"byte_end", hit.byte_end}, {"text", hit.text}};
}

}  // namespace

std::string ask_result_to_json(const AskResult& result, std::string_view question) {
    const AskTrace& t = result.trace;
    nlohmann::json citations = nlohmann::json::array();
    for (const Citation& c : result.citations) {
        nlohmann::json j = hit_to_json(c.hit);
        j["index"] = c.index;
        j.erase("text");
        citations.push_back(std::move(j));
    }
    nlohmann::json retrieved = nlohmann::json::array();
    for (const SearchHit& hit : t.hits) {
        retrieved.push_back(
            {{"chunk_id", hit.chunk_id}, {"score", hit.score}, {"source", hit.source}});
    }
    nlohmann::json out = {{"question", question},
                          {"answer", result.answer},
                          {"abstained", result.abstained},
                          {"citations", citations},
                          {"trace",
                           {{"gate", t.gate},
                            {"score", number_or_null(t.score)},
                            {"threshold", number_or_null(t.threshold)},
                            {"retrieved", t.retrieved},
                            {"verified", t.verified},
                            {"verify_conflict", t.verify_conflict},
                            {"verify_reason", t.verify_reason},
                            {"kb_lookups", t.n_kb_lookups},
                            {"retrieved_chunks", retrieved},
                            {"closed_book_answer", t.closed_book_answer},
                            {"closed_book_confidence", number_or_null(t.closed_book_confidence)},
                            {"open_book_answer", t.open_book_answer},
                            {"open_book_confidence", number_or_null(t.open_book_confidence)},
                            {"prompt_tokens", t.n_prompt_tokens},
                            {"generated_tokens", t.n_generated_tokens},
                            {"timings_ms",
                             {{"decide", t.decide_ms},
                              {"retrieve", t.retrieve_ms},
                              {"generate", t.generate_ms},
                              {"total", t.total_ms}}}}}};
    return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace lore
