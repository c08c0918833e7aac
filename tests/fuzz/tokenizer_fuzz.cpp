// libFuzzer target for the tokenizers: encodes arbitrary bytes with real vocabularies
// (SentencePiece llama, byte-level BPE gpt-2 and deepseek-llm, WordPiece bert) and decodes
// the ids. Checks that every id is in range and that gpt-2's byte-level BPE round-trips
// exactly (deepseek-llm does not for invalid UTF-8: bytes 0xC0, 0xC1, 0xF5.. have no base
// token there, and their symbols are user-defined tokens that decode as text).
// The first input byte picks the vocabulary and the encode flags. Runs from the repository
// root (vocabularies from tests/testdata/tokenizer/); seeds in tests/fuzz/corpus/tokenizer/.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lore/gguf.h"
#include "lore/tokenizer.h"

namespace {

struct LoadedVocab {
    std::unique_ptr<lore::gguf::GgufFile> file;
    std::unique_ptr<lore::Tokenizer> tokenizer;
    bool lossless = false;  // decode(encode(x)) == x for any bytes x
};

std::vector<LoadedVocab> load_vocabs() {
    std::vector<LoadedVocab> vocabs;
    const std::pair<const char*, bool> names[] = {
        {"llama-spm", false}, {"gpt-2", true}, {"deepseek-llm", false}, {"bert-bge", false}};
    for (const auto& [name, lossless] : names) {
        const std::string path =
            std::string("tests/testdata/tokenizer/ggml-vocab-") + name + ".gguf";
        auto file = lore::gguf::GgufFile::open(path);
        if (!file.is_ok()) {
            std::fprintf(stderr, "tokenizer_fuzz: %s (run from the repository root)\n",
                         file.status().to_string().c_str());
            std::abort();
        }
        LoadedVocab vocab;
        vocab.file = std::make_unique<lore::gguf::GgufFile>(std::move(file).value());
        auto tokenizer = lore::Tokenizer::from_gguf(*vocab.file);
        if (!tokenizer.is_ok()) {
            std::fprintf(stderr, "tokenizer_fuzz: %s\n", tokenizer.status().to_string().c_str());
            std::abort();
        }
        vocab.tokenizer = std::move(tokenizer).value();
        vocab.lossless = lossless;
        vocabs.push_back(std::move(vocab));
    }
    return vocabs;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::vector<LoadedVocab> vocabs = load_vocabs();
    if (size == 0) {
        return 0;
    }
    const std::uint8_t selector = data[0];
    const LoadedVocab& vocab = vocabs[selector % vocabs.size()];
    const bool add_special = (selector & 0x10) != 0;
    const bool parse_special = (selector & 0x20) != 0;
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

    const std::vector<lore::TokenId> ids =
        vocab.tokenizer->encode(text, add_special, parse_special);

    for (lore::TokenId id : ids) {
        if (id < 0 || id >= vocab.tokenizer->n_vocab()) {
            std::fprintf(stderr, "tokenizer_fuzz: id %d out of range\n", id);
            std::abort();
        }
    }
    const std::string decoded = vocab.tokenizer->decode(ids, /*render_special=*/parse_special);
    if (vocab.lossless && !add_special && !parse_special && decoded != text) {
        std::fprintf(stderr, "tokenizer_fuzz: gpt-2 did not round-trip\n");
        std::abort();
    }
    return 0;
}
