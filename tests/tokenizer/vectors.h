// Reads llama.cpp's tokenizer test vectors: `NAME.inp` holds inputs separated by lines
// "__ggml_vocab_test__", `NAME.out` one line of space-separated expected ids per input.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "lore/tokenizer.h"

namespace lore::tokenizer::testing {

struct TokenizerVector {
    std::string input;
    std::vector<TokenId> expected;
};

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

// Empty when the files are missing or their counts disagree.
inline std::vector<TokenizerVector> read_vectors(const std::string& inp_path,
                                                 const std::string& out_path) {
    const std::string raw = read_file(inp_path);
    const std::string separator = "\n__ggml_vocab_test__\n";
    std::vector<std::string> inputs;
    std::size_t pos = 0;
    while (pos < raw.size()) {
        const std::size_t next = raw.find(separator, pos);
        if (next == std::string::npos) {
            inputs.push_back(raw.substr(pos));
            break;
        }
        inputs.push_back(raw.substr(pos, next - pos));
        pos = next + separator.size();
    }
    std::vector<std::vector<TokenId>> outputs;
    std::istringstream out_lines(read_file(out_path));
    for (std::string line; std::getline(out_lines, line);) {
        std::istringstream ids(line);
        std::vector<TokenId> row;
        for (long id = 0; ids >> id;) {
            row.push_back(static_cast<TokenId>(id));
        }
        outputs.push_back(std::move(row));
    }
    std::vector<TokenizerVector> vectors;
    if (inputs.size() != outputs.size()) {
        return vectors;
    }
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        vectors.push_back({inputs[i], outputs[i]});
    }
    return vectors;
}

}  // namespace lore::tokenizer::testing
