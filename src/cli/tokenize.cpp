// `lore tokenize -m FILE [--ids] [--no-special] TEXT`: the token ids of TEXT under the
// vocabulary of a GGUF model (or vocab-only) file. By default one token per line as
// `id 'piece'` (the piece's bytes, control characters escaped); with --ids the ids alone,
// space-separated on one line. BOS/EOS are added as the file's metadata says and special
// token text (e.g. "<|im_start|>") becomes its token; --no-special turns both off, which is
// the convention of the tokenizer test vectors (tests/testdata/tokenizer/*.out).
#include <cstdio>
#include <memory>
#include <string>

#include "lore/gguf.h"
#include "lore/tokenizer.h"

#include "cli/commands.h"

namespace lore::cli {
namespace {

struct TokenizeOptions {
    std::string model_path;
    std::string text;
    bool ids_only = false;
    bool no_special = false;
};

std::string escape_piece(const std::string& piece) {
    std::string out;
    for (char ch : piece) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '\'': out += "\\'"; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            case '\r': out += "\\r"; break;
            default:
                if (c < 0x20 || c == 0x7F) {
                    char buf[8];
                    std::snprintf(buf, sizeof(buf), "\\x%02x", c);
                    out += buf;
                } else {
                    out += ch;
                }
        }
    }
    return out;
}

int run_tokenize(const TokenizeOptions& options) {
    auto file = gguf::GgufFile::open(options.model_path);
    if (!file.is_ok()) {
        std::fprintf(stderr, "lore tokenize: %s\n", file.status().to_string().c_str());
        return file.status().to_exit_code();
    }
    auto tokenizer = Tokenizer::from_gguf(*file);
    if (!tokenizer.is_ok()) {
        std::fprintf(stderr, "lore tokenize: %s\n", tokenizer.status().to_string().c_str());
        return tokenizer.status().to_exit_code();
    }
    const bool special = !options.no_special;
    const std::vector<TokenId> ids = (*tokenizer)->encode(options.text, special, special);
    if (options.ids_only) {
        std::string line;
        for (std::size_t i = 0; i < ids.size(); ++i) {
            if (i > 0) {
                line += ' ';
            }
            line += std::to_string(ids[i]);
        }
        std::printf("%s\n", line.c_str());
        return 0;
    }
    for (TokenId id : ids) {
        const std::string piece = (*tokenizer)->token_to_piece(id, /*render_special=*/true);
        std::printf("%6d '%s'\n", id, escape_piece(piece).c_str());
    }
    return 0;
}

}  // namespace

void add_tokenize_command(CLI::App& app, CommandContext& ctx) {
    auto options = std::make_shared<TokenizeOptions>();
    CLI::App* cmd = app.add_subcommand("tokenize", "show the token ids of a text");
    cmd->add_option("-m,--model", options->model_path, "GGUF model or vocab file")->required();
    cmd->add_flag("--ids", options->ids_only, "print only the ids, space-separated");
    cmd->add_flag("--no-special", options->no_special,
                  "add no BOS/EOS and treat special-token text as plain text");
    cmd->add_option("text", options->text, "text to tokenize")->required();
    cmd->callback([options, &ctx] { ctx.exit_code = run_tokenize(*options); });
}

}  // namespace lore::cli
