#include "control/evidence.h"

#include <array>
#include <cctype>
#include <cstdio>
#include <vector>

namespace lore::control {

std::string normalize_for_match(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    out += ' ';
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) != 0 || u >= 0x80) {
            out += static_cast<char>(std::tolower(u));
        } else if (out.back() != ' ') {
            out += ' ';
        }
    }
    if (out.back() != ' ') {
        out += ' ';
    }
    return out;
}

bool text_supports(std::string_view text, std::string_view answer) {
    const std::string a = normalize_for_match(answer);
    if (a.size() <= 2) {  // nothing but spaces
        return false;
    }
    return normalize_for_match(text).find(a) != std::string::npos;
}

namespace {

constexpr std::array<std::string_view, 12> kMonths = {
    "january", "february", "march",     "april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december"};

int month_number(std::string_view word) {
    for (std::size_t i = 0; i < kMonths.size(); ++i) {
        if (word == kMonths[i]) {
            return static_cast<int>(i) + 1;
        }
    }
    return 0;
}

bool is_number(std::string_view w) {
    if (w.empty() || w.size() > 4) {
        return false;
    }
    for (char c : w) {
        if (std::isdigit(static_cast<unsigned char>(c)) == 0) {
            return false;
        }
    }
    return true;
}

int to_int(std::string_view w) {
    int v = 0;
    for (char c : w) {
        v = v * 10 + (c - '0');
    }
    return v;
}

std::string format_date(int year, int month, int day) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", year, month, day);
    return buf;
}

}  // namespace

std::string latest_date(std::string_view text) {
    // Words: lower-cased alphanumeric runs; ISO dates are found on the raw text first.
    std::string latest;
    auto consider = [&](int year, int month, int day) {
        if (year < 1000 || year > 2999 || month < 1 || month > 12 || day < 1 || day > 31) {
            return;
        }
        std::string d = format_date(year, month, day);
        if (d > latest) {
            latest = d;
        }
    };
    for (std::size_t i = 0; i + 10 <= text.size(); ++i) {
        std::string_view s = text.substr(i, 10);
        if (s[4] == '-' && s[7] == '-' && is_number(s.substr(0, 4)) && is_number(s.substr(5, 2)) &&
            is_number(s.substr(8, 2))) {
            consider(to_int(s.substr(0, 4)), to_int(s.substr(5, 2)), to_int(s.substr(8, 2)));
        }
    }
    std::vector<std::string> words;
    std::string word;
    for (char c : text) {
        if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
            word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        } else if (!word.empty()) {
            words.push_back(word);
            word.clear();
        }
    }
    if (!word.empty()) {
        words.push_back(word);
    }
    for (std::size_t i = 0; i < words.size(); ++i) {
        const int month = month_number(words[i]);
        if (month > 0) {
            // "26 October 2024" / "October 26, 2024" / "October 2024"
            if (i + 1 < words.size() && is_number(words[i + 1]) && words[i + 1].size() == 4) {
                const int day = i > 0 && is_number(words[i - 1]) && words[i - 1].size() <= 2
                                    ? to_int(words[i - 1])
                                    : 1;
                consider(to_int(words[i + 1]), month, day);
            } else if (i + 2 < words.size() && is_number(words[i + 1]) &&
                       words[i + 1].size() <= 2 && is_number(words[i + 2]) &&
                       words[i + 2].size() == 4) {
                consider(to_int(words[i + 2]), month, to_int(words[i + 1]));
            }
            continue;
        }
        if (i > 0 && is_number(words[i]) && words[i].size() == 4 &&
            (words[i - 1] == "since" || words[i - 1] == "in" || words[i - 1] == "from" ||
             words[i - 1] == "until")) {
            consider(to_int(words[i]), 1, 1);
        }
    }
    return latest;
}

}  // namespace lore::control
