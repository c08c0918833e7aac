// Syllable tables are chosen to read easily in English and to rarely form real words.
#include "world/names.h"

#include <array>
#include <cctype>

namespace lore::world {

namespace {

constexpr std::array<const char*, 22> kOnsets = {"b",  "d",  "f",  "g",  "k",  "l", "m",  "n",
                                                 "p",  "r",  "s",  "t",  "v",  "z", "br", "dr",
                                                 "kr", "tr", "st", "th", "sh", "vr"};
constexpr std::array<const char*, 11> kVowels = {"a", "e", "i",  "o",  "u", "a",
                                                 "e", "o", "ai", "ei", "ou"};
constexpr std::array<const char*, 10> kCodas = {"n",  "r",  "l",  "s", "th",
                                                "nd", "rn", "sk", "m", "x"};

template <std::size_t N>
const char* pick(Rng& rng, const std::array<const char*, N>& table) {
    return table[rng.index(N)];
}

std::string lower(std::string s) {
    for (char& c : s) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return s;
}

std::string capitalised(std::string s) {
    if (!s.empty()) {
        s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
    }
    return s;
}

}  // namespace

std::string NameMaker::syllables(Rng& rng, int n_syllables, bool allow_coda) {
    std::string word;
    for (int i = 0; i < n_syllables; ++i) {
        word += pick(rng, kOnsets);
        word += pick(rng, kVowels);
    }
    if (allow_coda && rng.chance(1, 2)) {
        word += pick(rng, kCodas);
    }
    return word;
}

bool NameMaker::is_taken(const std::string& name) const {
    return taken_.count(lower(name)) > 0;
}

std::string NameMaker::unique_word(Rng& rng, int min_syllables, int max_syllables) {
    while (true) {
        std::string word =
            capitalised(syllables(rng, rng.range(min_syllables, max_syllables), true));
        if (!is_taken(word)) {
            taken_.insert(lower(word));
            return word;
        }
    }
}

std::string NameMaker::unique_word_with_suffix(Rng& rng,
                                               int n_syllables,
                                               const std::string& suffix) {
    while (true) {
        std::string word = capitalised(syllables(rng, n_syllables, false) + suffix);
        if (!is_taken(word)) {
            taken_.insert(lower(word));
            return word;
        }
    }
}

std::string NameMaker::unique_person_name(Rng& rng) {
    while (true) {
        const std::string first = capitalised(syllables(rng, 2, true));
        const std::string last = capitalised(syllables(rng, rng.range(2, 3), true));
        const std::string full = first + " " + last;
        if (first == last || is_taken(full) || is_taken(first) || is_taken(last)) {
            continue;
        }
        // Person words are not reserved (people share first names and surnames), but a
        // full name is.
        taken_.insert(lower(full));
        return full;
    }
}

}  // namespace lore::world
