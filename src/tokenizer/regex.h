// A small backtracking regular-expression matcher over code points, for the pre-tokenizer
// patterns that `tokenizer.ggml.pre` names (they come from the models' tokenizer.json files).
//
// Semantics are ECMAScript's (what llama.cpp's std::regex gives and what the HF patterns
// mean): alternatives are tried left to right, quantifiers are greedy unless followed by `?`,
// the first match found at the leftmost position wins. Supported syntax: literals and escapes
// (\r \n \t \f \v, escaped punctuation), `.`, classes `[...]` / `[^...]` with ranges,
// \s \S \d \D \w \W, Unicode categories \p{L} \p{Lu} ... \P{..}, groups `(...)`, `(?:...)`,
// case-insensitive groups `(?i:...)` (ASCII), lookahead `(?=...)` `(?!...)`, anchors `^` `$`
// (begin / end of the searched range), quantifiers `* + ? {n} {n,} {n,m}`.
//
// Matching runs over a DecodedText range with precomputed flags; an explicit backtracking
// stack keeps memory bounded, and a greedy run over one class is a single counted step, so
// `\p{L}+` over a long word costs O(length) and no stack per character.
//
// Thread safety: a compiled Regex is immutable; match/search are const and reentrant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lore/result.h"

#include "tokenizer/unicode.h"

namespace lore::tokenizer {

class Regex {
public:
    // Compiles `pattern` (UTF-8). Fails with kInvalidArgument naming the offending position.
    static Result<Regex> compile(std::string_view pattern);

    // Leftmost match in text[begin, end): returns {match_begin, match_end} code point indices,
    // or {end, end} with `found` false. Empty matches are skipped.
    struct Match {
        bool found = false;
        std::size_t begin = 0;
        std::size_t end = 0;
    };

    Match search(const DecodedText& text, std::size_t begin, std::size_t end) const;

    const std::string& pattern() const { return pattern_; }

    // Implementation types, public so the compiler in regex.cpp can build them.
    struct CharClass {
        std::vector<std::pair<char32_t, char32_t>> ranges;  // sorted, merged
        CpFlags category_mask = 0;          // any of these flags matches (incl. kFlagWhitespace)
        CpFlags negated_category_mask = 0;  // \S, \P{..} inside a class: flags that must be absent
        bool negated = false;

        bool matches(char32_t cp, CpFlags flags) const;
    };

    enum class Op : std::uint8_t {
        kClass,        // one code point in classes[arg]
        kRepeatClass,  // greedy run of classes[arg], between min and max times
        kSplit,        // try x first, then y
        kJump,         // go to x
        kLookahead,    // sub-program at x (ends in kMatch); negated if `negate`
        kAssertBegin,  // position == range begin
        kAssertEnd,    // position == range end
        kMatch,
    };

    struct Inst {
        Op op = Op::kMatch;
        bool negate = false;
        std::uint32_t arg = 0;
        std::uint32_t x = 0;
        std::uint32_t y = 0;
        std::uint32_t min = 0;
        std::uint32_t max = 0;
    };

private:
    Regex() = default;

    // A backtrack entry: resume at `pc` from `pos`. For a greedy class run (`is_run`),
    // `min_pos` is the shortest acceptable end; the entry gives back one code point per use.
    struct BacktrackEntry {
        std::uint32_t pc;
        bool is_run;
        std::size_t pos;
        std::size_t min_pos;
    };

    // Runs the program from `pc` at `pos`; returns the end position of a match or SIZE_MAX.
    // `stack` is scratch space, cleared on entry.
    std::size_t run(std::uint32_t pc,
                    const DecodedText& text,
                    std::size_t pos,
                    std::size_t range_begin,
                    std::size_t range_end,
                    std::vector<BacktrackEntry>& stack) const;

    std::string pattern_;
    std::vector<CharClass> classes_;
    std::vector<Inst> program_;

    friend class RegexCompiler;
};

}  // namespace lore::tokenizer
