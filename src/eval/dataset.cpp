// JSONL question-answering datasets (format in include/lore/eval.h): one JSON object per
// line, read with a bounded line reader so a file with one enormous line fails fast instead
// of being buffered whole. Every error names the file, the 1-based line and the field.
#include <cstddef>
#include <fstream>
#include <istream>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "lore/eval.h"
#include "lore/result.h"
#include "lore/status.h"

namespace lore::eval {
namespace {

using nlohmann::json;

std::string where(std::string_view source_name, std::size_t line_number) {
    return "dataset: " + std::string(source_name) + ":" + std::to_string(line_number) + ": ";
}

// The JSON type in words, for "expected string, got number".
std::string type_words(const json& value) {
    return std::string(value.type_name());
}

bool is_blank(std::string_view line) {
    for (char c : line) {
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\f' && c != '\v') {
            return false;
        }
    }
    return true;
}

enum class LineRead { kLine, kEnd, kTooLong };

// Reads up to the next '\n' (not stored) into `line`; stops early once `line` would exceed
// kMaxLineBytes. A final line without '\n' is still a line.
LineRead read_line(std::streambuf& buffer, std::string& line) {
    line.clear();
    bool read_any = false;
    for (;;) {
        const int c = buffer.sbumpc();
        if (c == std::char_traits<char>::eof()) {
            return read_any ? LineRead::kLine : LineRead::kEnd;
        }
        read_any = true;
        if (c == '\n') {
            return LineRead::kLine;
        }
        if (line.size() >= kMaxLineBytes) {
            return LineRead::kTooLong;
        }
        line.push_back(static_cast<char>(c));
    }
}

// nlohmann's messages start with "[json.exception.parse_error.101] "; keep what follows.
std::string parse_error_text(const json::parse_error& error) {
    std::string_view text = error.what();
    const std::size_t bracket = text.find("] ");
    if (bracket != std::string_view::npos) {
        text.remove_prefix(bracket + 2);
    }
    return std::string(text);
}

Result<std::string> required_string(const json& record, const char* field, const std::string& at) {
    const auto it = record.find(field);
    if (it == record.end()) {
        return Status::invalid_argument(at + "missing field '" + field + "'");
    }
    if (!it->is_string()) {
        return Status::invalid_argument(at + "field '" + field + "' must be a string, got " +
                                        type_words(*it));
    }
    std::string value = it->get<std::string>();
    if (value.empty()) {
        return Status::invalid_argument(at + "field '" + field + "' is empty");
    }
    return value;
}

Result<Example> parse_record(std::string_view line, const std::string& at) {
    json record;
    try {
        record = json::parse(line);
    } catch (const json::parse_error& error) {
        return Status::invalid_argument(at + "malformed json: " + parse_error_text(error));
    } catch (const json::exception& error) {
        // e.g. out_of_range 406: a number too large for a double (found by the dataset fuzzer).
        return Status::invalid_argument(at + "malformed json: " + error.what());
    }
    if (!record.is_object()) {
        return Status::invalid_argument(at + "a record must be a json object, got " +
                                        type_words(record));
    }

    Example example;
    LORE_ASSIGN_OR_RETURN(example.id, required_string(record, "id", at));
    LORE_ASSIGN_OR_RETURN(example.question, required_string(record, "question", at));

    const auto answers = record.find("answers");
    if (answers == record.end()) {
        return Status::invalid_argument(at + "missing field 'answers'");
    }
    if (!answers->is_array()) {
        return Status::invalid_argument(at + "field 'answers' must be an array of strings, got " +
                                        type_words(*answers));
    }
    if (answers->empty()) {
        return Status::invalid_argument(at + "field 'answers' is empty (need at least one)");
    }
    for (std::size_t answer_idx = 0; answer_idx < answers->size(); ++answer_idx) {
        const json& answer = (*answers)[answer_idx];
        const std::string field = "answers[" + std::to_string(answer_idx) + "]";
        if (!answer.is_string()) {
            return Status::invalid_argument(at + "field '" + field + "' must be a string, got " +
                                            type_words(answer));
        }
        std::string text = answer.get<std::string>();
        if (text.empty()) {
            return Status::invalid_argument(at + "field '" + field + "' is empty");
        }
        example.answers.push_back(std::move(text));
    }

    const auto split = record.find("split");
    if (split != record.end()) {
        if (!split->is_string()) {
            return Status::invalid_argument(at + "field 'split' must be a string, got " +
                                            type_words(*split));
        }
        example.split = split->get<std::string>();
        if (example.split == kOverallSplit) {
            return Status::invalid_argument(at + "field 'split' is '" + example.split +
                                            "', a name reserved for the row over all splits");
        }
    }

    for (auto it = record.begin(); it != record.end(); ++it) {
        if (it.key() != "id" && it.key() != "question" && it.key() != "answers" &&
            it.key() != "split") {
            example.metadata[it.key()] = it.value();
        }
    }
    return example;
}

}  // namespace

Result<std::vector<Example>> parse_dataset(std::istream& in, std::string_view source_name) {
    std::streambuf* buffer = in.rdbuf();
    if (buffer == nullptr) {
        return Status::io_error("dataset: " + std::string(source_name) + ": no stream to read");
    }
    std::vector<Example> examples;
    std::set<std::string, std::less<>> ids;
    std::string line;
    for (std::size_t line_number = 1;; ++line_number) {
        const LineRead read = read_line(*buffer, line);
        if (read == LineRead::kEnd) {
            break;
        }
        const std::string at = where(source_name, line_number);
        if (read == LineRead::kTooLong) {
            return Status::invalid_argument(at + "line is longer than the limit of " +
                                            std::to_string(kMaxLineBytes) + " bytes");
        }
        std::string_view text = line;
        if (line_number == 1 && text.substr(0, 3) == "\xEF\xBB\xBF") {
            text.remove_prefix(3);  // a UTF-8 byte-order mark
        }
        if (is_blank(text)) {
            continue;
        }
        LORE_ASSIGN_OR_RETURN(Example example, parse_record(text, at));
        if (!ids.insert(example.id).second) {
            return Status::invalid_argument(at + "field 'id' repeats '" + example.id +
                                            "' from an earlier line");
        }
        examples.push_back(std::move(example));
    }
    if (in.bad()) {
        return Status::io_error("dataset: " + std::string(source_name) + ": read failed");
    }
    if (examples.empty()) {
        return Status::invalid_argument("dataset: " + std::string(source_name) +
                                        ": no records (the file is empty or blank)");
    }
    return examples;
}

Result<std::vector<Example>> load_dataset(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in.is_open()) {
        return Status::not_found("dataset: cannot open " + path.string());
    }
    return parse_dataset(in, path.string());
}

}  // namespace lore::eval
