// JSONL reader: one JSON object per line. The text field becomes the document's text, the id
// field its key, every other field its metadata. Malformed lines are reported and skipped.
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "store/extract.h"

namespace lore::store {

Result<JsonlContents> parse_jsonl(std::string_view bytes,
                                  std::string_view name,
                                  std::string_view text_field,
                                  std::string_view id_field) {
    JsonlContents contents;
    std::unordered_set<std::string> seen_keys;
    std::size_t pos = 0;
    std::size_t line_idx = 0;
    const std::string text_key(text_field);
    const std::string id_key(id_field);
    while (pos < bytes.size()) {
        std::size_t end = bytes.find('\n', pos);
        if (end == std::string_view::npos) {
            end = bytes.size();
        }
        const std::string_view line = bytes.substr(pos, end - pos);
        pos = end + 1;
        ++line_idx;
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
            continue;
        }
        const std::string where = std::string(name) + ":" + std::to_string(line_idx);
        try {
            nlohmann::json record = nlohmann::json::parse(line, nullptr, false);
            if (record.is_discarded()) {
                contents.problems.push_back(where + ": invalid json or utf-8");
                continue;
            }
            if (!record.is_object()) {
                contents.problems.push_back(where + ": not a json object");
                continue;
            }
            auto text_it = record.find(text_key);
            if (text_it == record.end() || !text_it->is_string()) {
                contents.problems.push_back(where + ": no string field '" + text_key + "'");
                continue;
            }
            JsonlRecord out;
            out.line_idx = line_idx;
            out.text = text_it->get<std::string>();
            auto id_it = record.find(id_key);
            if (id_it != record.end() && id_it->is_string()) {
                out.key = id_it->get<std::string>();
            } else if (id_it != record.end() && id_it->is_number_integer()) {
                out.key = std::to_string(id_it->get<std::int64_t>());
            } else {
                out.key = "line:" + std::to_string(line_idx);
            }
            if (!seen_keys.insert(out.key).second) {
                contents.problems.push_back(where + ": repeated id '" + out.key + "'");
                continue;
            }
            record.erase(text_key);
            record.erase(id_key);
            out.metadata_json = record.dump();
            contents.records.push_back(std::move(out));
        } catch (const std::exception& e) {
            contents.problems.push_back(where + ": " + e.what());
        }
    }
    return contents;
}

}  // namespace lore::store
