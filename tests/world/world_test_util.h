// Helpers for the world tests: a small world, file look-up, a TSV reader and a reader for the
// flat JSON records of qa/*.jsonl (strings, string arrays, arrays of string arrays, bools).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "lore/world.h"

namespace lore::world::testing {

// A world small enough for unit tests: a dozen people of each kind.
inline WorldOptions small_options() {
    WorldOptions o;
    o.seed = 42;
    o.n_known = 12;
    o.n_unknown = 12;
    o.n_updated = 4;
    o.n_readers = 6;
    o.n_countries = 3;
    o.n_cities = 8;
    o.n_universities = 3;
    o.n_companies = 6;
    return o;
}

inline const std::string& file_of(const std::vector<WorldFile>& files, std::string_view path) {
    for (const WorldFile& f : files) {
        if (f.path == path) {
            return f.content;
        }
    }
    ADD_FAILURE() << "no file " << path;
    static const std::string kEmpty;
    return kEmpty;
}

inline std::vector<std::string> split(std::string_view text, char sep) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const std::size_t end = text.find(sep, start);
        parts.emplace_back(text.substr(start, end == std::string_view::npos ? end : end - start));
        if (end == std::string_view::npos) {
            return parts;
        }
        start = end + 1;
    }
}

// One qa/*.jsonl record. Values: strings (`text`), string lists (`lists`), lists of string
// lists (`tables`), booleans (`flags`).
struct Record {
    std::map<std::string, std::string> text;
    std::map<std::string, std::vector<std::string>> lists;
    std::map<std::string, std::vector<std::vector<std::string>>> tables;
    std::map<std::string, bool> flags;
};

class JsonReader {
public:
    explicit JsonReader(std::string_view s) : s_(s) {}

    bool parse_record(Record& rec) {
        if (!eat('{')) {
            return false;
        }
        while (true) {
            std::string key;
            if (!parse_string(key) || !eat(':')) {
                return false;
            }
            if (peek() == '"') {
                if (!parse_string(rec.text[key])) {
                    return false;
                }
            } else if (peek() == '[') {
                if (!parse_value_array(rec, key)) {
                    return false;
                }
            } else if (s_.substr(pos_, 4) == "true") {
                rec.flags[key] = true;
                pos_ += 4;
            } else if (s_.substr(pos_, 5) == "false") {
                rec.flags[key] = false;
                pos_ += 5;
            } else {
                return false;
            }
            if (eat('}')) {
                return pos_ == s_.size();
            }
            if (!eat(',')) {
                return false;
            }
        }
    }

private:
    char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }

    bool eat(char c) {
        if (peek() != c) {
            return false;
        }
        ++pos_;
        return true;
    }

    bool parse_string(std::string& out) {
        if (!eat('"')) {
            return false;
        }
        while (pos_ < s_.size() && s_[pos_] != '"') {
            if (s_[pos_] == '\\') {
                ++pos_;
                if (pos_ >= s_.size()) {
                    return false;
                }
                out += s_[pos_] == 'n' ? '\n' : s_[pos_] == 't' ? '\t' : s_[pos_];
            } else {
                out += s_[pos_];
            }
            ++pos_;
        }
        return eat('"');
    }

    bool parse_string_array(std::vector<std::string>& out) {
        if (!eat('[')) {
            return false;
        }
        if (eat(']')) {
            return true;
        }
        while (true) {
            out.emplace_back();
            if (!parse_string(out.back())) {
                return false;
            }
            if (eat(']')) {
                return true;
            }
            if (!eat(',')) {
                return false;
            }
        }
    }

    bool parse_value_array(Record& rec, const std::string& key) {
        if (s_.substr(pos_, 2) != "[[") {
            return parse_string_array(rec.lists[key]);
        }
        ++pos_;
        while (true) {
            rec.tables[key].emplace_back();
            if (!parse_string_array(rec.tables[key].back())) {
                return false;
            }
            if (eat(']')) {
                return true;
            }
            if (!eat(',')) {
                return false;
            }
        }
    }

    std::string_view s_;
    std::size_t pos_ = 0;
};

inline std::vector<Record> parse_jsonl(const std::string& text) {
    std::vector<Record> records;
    for (const std::string& line : split(text, '\n')) {
        if (line.empty()) {
            continue;
        }
        Record rec;
        JsonReader reader(line);
        EXPECT_TRUE(reader.parse_record(rec)) << "bad json line: " << line;
        records.push_back(std::move(rec));
    }
    return records;
}

}  // namespace lore::world::testing
