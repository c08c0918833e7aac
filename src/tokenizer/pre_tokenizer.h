// Pre-tokenizers of byte-level BPE vocabularies: the text is cut into words before merges
// run, by the regexes that `tokenizer.ggml.pre` names. Each regex refines the pieces the
// previous ones left: inside every piece, its matches and the text between them become
// pieces (llama.cpp's unicode_regex_split, HF's Split with behaviour "Isolated").
//
// Thread safety: immutable after create(); split() is const.
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

#include "lore/result.h"

#include "tokenizer/regex.h"

namespace lore::tokenizer {

// Per-name settings that llama.cpp attaches to a pre-tokenizer.
struct PreTokenizerTraits {
    bool add_bos = false;        // default of add_bos_token when the metadata is silent
    bool ignore_merges = false;  // a word that is a token is taken whole, before merges
    bool clean_spaces = true;    // clean_up_tokenization_spaces
};

class PreTokenizer {
public:
    // `name` is tokenizer.ggml.pre ("" or "default" for the default). Unknown names fail with
    // kUnsupported.
    static Result<PreTokenizer> create(std::string_view name);

    // Byte ranges [begin, end) of the words of `text`, in order, covering all of it.
    std::vector<std::pair<std::size_t, std::size_t>> split(std::string_view text) const;

    const PreTokenizerTraits& traits() const { return traits_; }

private:
    std::vector<Regex> regexes_;
    PreTokenizerTraits traits_;
};

}  // namespace lore::tokenizer
