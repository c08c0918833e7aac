// libFuzzer target: the eval dataset reader (JSONL questions) on arbitrary bytes. It must
// return a Status for anything malformed and never crash.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "lore/eval.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
    lore::Result<std::vector<lore::eval::Example>> examples =
        lore::eval::parse_dataset(in, "fuzz.jsonl");
    if (examples.has_value()) {
        for (const lore::eval::Example& ex : *examples) {
            (void)lore::eval::normalize_answer(ex.question);
            (void)lore::eval::token_f1(ex.question, ex.answers);
        }
    }
    return 0;
}
