// Pre-tokenizer table: which regexes and settings each `tokenizer.ggml.pre` name means. The
// patterns are the models' own (their tokenizer.json Split pre-tokenizers), in the forms that
// llama.cpp uses; regex.h documents the matcher that runs them.
#include "tokenizer/pre_tokenizer.h"

#include <string>

namespace lore::tokenizer {
namespace {

// GPT-2's pattern (without the final `|\s+`, which never changes the pieces: text that no
// alternative matches becomes a piece of its own anyway).
constexpr std::string_view kGpt2 =
    R"re('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))re";

// Llama 3 (tiktoken cl100k style): digits in groups of up to three.
constexpr std::string_view kLlama3 =
    R"re((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";

// Qwen2: as Llama 3, but every digit is a word of its own.
constexpr std::string_view kQwen2 =
    R"re((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re";

constexpr std::string_view kDeepseekLlmLetters =
    R"re(\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+)re";

constexpr std::string_view kCjk = R"re([一-龥ࠀ-一가-퟿]+)re";

constexpr std::string_view kFinnish = R"re( ?[^(\s|.,!?…。，、।۔،)]+)re";

struct Entry {
    std::vector<std::string_view> names;
    std::vector<std::string_view> patterns;
    PreTokenizerTraits traits;
};

const std::vector<Entry>& table() {
    static const std::vector<Entry> kTable = {
        {{"default", ""},
         {R"re([\p{P}\$\+<=>\^~\|]+)re", kGpt2, R"re(\p{N}+)re", R"re([0-9][0-9][0-9])re"},
         {}},
        {{"llama3", "llama-v3", "llama-bpe", "falcon3"},
         {kLlama3},
         {.add_bos = true, .ignore_merges = true, .clean_spaces = true}},
        {{"dbrx", "smaug-bpe", "chatglm-bpe"}, {kLlama3}, {}},
        {{"deepseek-llm"},
         {R"re([\r\n])re", kDeepseekLlmLetters, R"re(\s?[!-/:-~！-／：-～‘-‟　-。]+)re",
          R"re(\s+$)re", kCjk, R"re(\p{N}+)re"},
         {.clean_spaces = false}},
        {{"deepseek-v3"},
         {R"re(\p{N}{1,3})re", R"re([一-龥぀-ゟ゠-ヿ]+)re",
          R"re([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)re"},
         {.clean_spaces = false}},
        {{"deepseek-coder"},
         {R"re([\r\n])re", R"re(\s?\p{L}+)re", R"re(\s?\p{P}+)re", kCjk, R"re(\p{N})re"},
         {.clean_spaces = false}},
        {{"falcon"}, {R"re([\p{P}\$\+<=>\^~\|`]+)re", kGpt2, R"re([0-9][0-9][0-9])re"}, {}},
        {{"starcoder", "refact", "codeshell", "exaone", "minerva-7b"}, {R"re(\p{N})re", kGpt2}, {}},
        {{"command-r", "smollm"}, {R"re(\p{N})re", kGpt2}, {.clean_spaces = false}},
        {{"gpt-2", "gpt2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v1-en", "jina-v2-es",
          "jina-v2-de", "jina-v2-code", "roberta-bpe", "mpt", "olmo", "jais"},
         {kGpt2},
         {}},
        {{"qwen2", "deepseek-r1-qwen"}, {kQwen2}, {.clean_spaces = false}},
        {{"stablelm2", "megrez"}, {kQwen2}, {}},
        {{"poro-chat"}, {kFinnish}, {.clean_spaces = false}},
        {{"bloom", "gpt3-finnish"}, {kFinnish}, {}},
        {{"viking"}, {kFinnish, R"re(\p{N})re"}, {.clean_spaces = false}},
        {{"tekken"},
         {R"re([^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)re"},
         {.add_bos = true, .ignore_merges = true, .clean_spaces = false}},
        {{"chameleon"},
         {R"re(<sentinel:[0-9]+>)re", R"re((IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z)re",
          R"re(([\t\n]|    |  ))re", R"re(\p{N})re", R"re([\p{P}!-/:-@\[-`{-~])re", kGpt2},
         {.add_bos = true, .ignore_merges = false, .clean_spaces = false}},
    };
    return kTable;
}

}  // namespace

Result<PreTokenizer> PreTokenizer::create(std::string_view name) {
    for (const Entry& entry : table()) {
        for (std::string_view entry_name : entry.names) {
            if (entry_name != name) {
                continue;
            }
            PreTokenizer pre;
            pre.traits_ = entry.traits;
            for (std::string_view pattern : entry.patterns) {
                LORE_ASSIGN_OR_RETURN(Regex regex, Regex::compile(pattern));
                pre.regexes_.push_back(std::move(regex));
            }
            return pre;
        }
    }
    return Status::unsupported("tokenizer: unknown pre-tokenizer '" + std::string(name) +
                               "' in tokenizer.ggml.pre");
}

std::vector<std::pair<std::size_t, std::size_t>> PreTokenizer::split(std::string_view text) const {
    const DecodedText decoded = decode_utf8(text, true);
    // Pieces as code point ranges; each regex refines them.
    std::vector<std::pair<std::size_t, std::size_t>> pieces;
    if (!decoded.cps.empty()) {
        pieces.emplace_back(0, decoded.cps.size());
    }
    std::vector<std::pair<std::size_t, std::size_t>> refined;
    for (const Regex& regex : regexes_) {
        refined.clear();
        refined.reserve(pieces.size());
        for (const auto& [begin, end] : pieces) {
            std::size_t pos = begin;
            while (pos < end) {
                const Regex::Match match = regex.search(decoded, pos, end);
                if (!match.found) {
                    break;
                }
                if (match.begin > pos) {
                    refined.emplace_back(pos, match.begin);
                }
                refined.emplace_back(match.begin, match.end);
                pos = match.end;
            }
            if (pos < end) {
                refined.emplace_back(pos, end);
            }
        }
        pieces.swap(refined);
    }
    for (auto& [begin, end] : pieces) {
        begin = decoded.offsets[begin];
        end = decoded.offsets[end];
    }
    return pieces;
}

}  // namespace lore::tokenizer
