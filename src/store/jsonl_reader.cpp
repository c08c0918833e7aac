// JSONL reader: one JSON object per line. The text field becomes the document's text, the id
// field its key, every other field its metadata. Malformed lines are reported and skipped.
//
// Most corpora carry only an id and a text per line, so a line is first read with nlohmann's
// SAX interface, which builds no DOM (the DOM's per-record maps and strings cost more than the
// FTS5 insert of the record); a line with other fields is parsed again into a DOM to keep them
// as metadata.
#include <limits>

#include <nlohmann/json.hpp>

#include "store/extract.h"

namespace lore::store {
namespace {

using json = nlohmann::json;

// Collects the text and id of a line whose value is an object; notes anything else.
class RecordSax {
public:
    RecordSax(const std::string& text_key, const std::string& id_key)
        : text_key_(text_key), id_key_(id_key) {}

    bool root_is_object = false;
    bool has_text = false;
    bool has_other_fields = false;
    std::string text_value;
    bool has_key = false;  // the id is a string or an integer
    std::string key_value;

    bool null() { return scalar(); }

    bool boolean(bool) { return scalar(); }

    bool number_integer(json::number_integer_t v) {
        if (at_field(Field::kId)) {
            key_value = std::to_string(v);
            has_key = true;
        }
        return scalar();
    }

    bool number_unsigned(json::number_unsigned_t v) {
        if (at_field(Field::kId)) {
            key_value = std::to_string(v);
            has_key = true;
        }
        return scalar();
    }

    bool number_float(json::number_float_t, const std::string&) { return scalar(); }

    bool string(std::string& v) {
        if (at_field(Field::kText)) {
            text_value = std::move(v);
            has_text = true;
        } else if (at_field(Field::kId)) {
            key_value = std::move(v);
            has_key = true;
        }
        return scalar();
    }

    bool binary(json::binary_t&) { return scalar(); }

    bool start_object(std::size_t) {
        if (depth_ == 0) {
            root_is_object = true;
        }
        return open();
    }

    bool end_object() { return close(); }

    bool start_array(std::size_t) { return open(); }

    bool end_array() { return close(); }

    bool key(std::string& k) {
        if (depth_ == 1) {
            field_ = k == text_key_ ? Field::kText : k == id_key_ ? Field::kId : Field::kOther;
            if (field_ == Field::kOther) {
                has_other_fields = true;
            }
            // A repeated field is decided by its last value, as in the DOM.
            if (field_ == Field::kText) {
                has_text = false;
            } else if (field_ == Field::kId) {
                has_key = false;
            }
        }
        return true;
    }

    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
        return false;
    }

private:
    enum class Field { kNone, kText, kId, kOther };

    // True when the current value is the top-level field `f` itself (not nested in it).
    bool at_field(Field f) const { return depth_ == 1 && field_ == f; }

    bool scalar() {
        if (depth_ == 1) {
            field_ = Field::kNone;
        }
        return true;
    }

    bool open() {
        ++depth_;
        return true;
    }

    bool close() {
        --depth_;
        return scalar();
    }

    const std::string& text_key_;
    const std::string& id_key_;
    int depth_ = 0;
    Field field_ = Field::kNone;
};

}  // namespace

JsonlReader::JsonlReader(std::string_view bytes,
                         std::string_view name,
                         std::string_view text_field,
                         std::string_view id_field)
    : bytes_(bytes), name_(name), text_key_(text_field), id_key_(id_field) {}

bool JsonlReader::read(std::size_t max_records, JsonlContents& out) {
    std::size_t n_read = 0;
    while (pos_ < bytes_.size() && n_read < max_records) {
        std::size_t end = bytes_.find('\n', pos_);
        if (end == std::string_view::npos) {
            end = bytes_.size();
        }
        const std::string_view line = bytes_.substr(pos_, end - pos_);
        pos_ = end + 1;
        ++line_idx_;
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
            continue;
        }
        ++n_read;
        read_line(line, out);
    }
    return n_read > 0;
}

void JsonlReader::read_line(std::string_view line, JsonlContents& out) {
    auto where = [&] { return name_ + ":" + std::to_string(line_idx_); };
    try {
        RecordSax sax(text_key_, id_key_);
        if (!json::sax_parse(line, &sax)) {
            out.problems.push_back(where() + ": invalid json or utf-8");
            return;
        }
        if (!sax.root_is_object) {
            out.problems.push_back(where() + ": not a json object");
            return;
        }
        if (!sax.has_text) {
            out.problems.push_back(where() + ": no string field '" + text_key_ + "'");
            return;
        }
        JsonlRecord record;
        record.line_idx = line_idx_;
        record.text = std::move(sax.text_value);
        record.key = !sax.has_key ? "line:" + std::to_string(line_idx_) : std::move(sax.key_value);
        if (!seen_keys_.insert(record.key).second) {
            out.problems.push_back(where() + ": repeated id '" + record.key + "'");
            return;
        }
        if (sax.has_other_fields) {
            json dom = json::parse(line);
            dom.erase(text_key_);
            dom.erase(id_key_);
            record.metadata_json = dom.dump();
        } else {
            record.metadata_json = "{}";
        }
        out.records.push_back(std::move(record));
    } catch (const std::exception& e) {
        out.problems.push_back(where() + ": " + e.what());
    }
}

Result<JsonlContents> parse_jsonl(std::string_view bytes,
                                  std::string_view name,
                                  std::string_view text_field,
                                  std::string_view id_field) {
    JsonlContents contents;
    JsonlReader reader(bytes, name, text_field, id_field);
    while (reader.read(std::numeric_limits<std::size_t>::max(), contents)) {
    }
    return contents;
}

}  // namespace lore::store
