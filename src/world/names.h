// NameMaker: unique, pronounceable, clearly fictional names built from syllables
// (onset + vowel, an optional closing consonant). Every name it hands out is unique across
// all kinds (a person's full name never equals a city, a company word never equals a surname),
// so a question names exactly one entity and exact-match answers are unambiguous.
//
// Thread safety: not thread-safe; one per world.
#pragma once

#include <set>
#include <string>

#include "world/rng.h"

namespace lore::world {

class NameMaker {
public:
    // A capitalised word of `min_syllables`..`max_syllables` syllables that was never handed
    // out before (as a word or as a full name).
    std::string unique_word(Rng& rng, int min_syllables, int max_syllables);

    // A word with a fixed ending ("vik", "land" ...), unique like unique_word.
    std::string unique_word_with_suffix(Rng& rng, int n_syllables, const std::string& suffix);

    // "First Last": unique as a whole; the surname is never a word used for a place or
    // company. First names and surnames may repeat across people.
    std::string unique_person_name(Rng& rng);

private:
    std::string syllables(Rng& rng, int n_syllables, bool allow_coda);
    bool is_taken(const std::string& name) const;

    std::set<std::string> taken_;  // lower-cased words and full names handed out
};

}  // namespace lore::world
