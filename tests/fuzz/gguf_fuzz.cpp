// libFuzzer target for the GGUF reader: parses the input and touches every metadata value,
// every typed look-up and the first and last byte of every tensor, so ASan sees any view
// that escaped the input. Seeds: tests/fuzz/corpus/gguf/.
#include <cstddef>
#include <cstdint>
#include <span>

#include "lore/gguf.h"

namespace {

std::uint64_t touch(const lore::gguf::Value& value) {
    std::uint64_t sum = value.u + static_cast<std::uint64_t>(value.i) + value.str.size();
    for (char c : value.str) {
        sum += static_cast<std::uint8_t>(c);
    }
    for (const lore::gguf::Value& element : value.array) {
        sum += touch(element);
    }
    return sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    lore::Result<lore::gguf::GgufFile> file = lore::gguf::GgufFile::parse({data, size});
    if (!file.has_value()) {
        return 0;
    }
    volatile std::uint64_t sink = 0;
    for (const lore::gguf::KeyValue& kv : file->metadata()) {
        sink = sink + touch(kv.value) + kv.key.size();
        (void)file->get_int(kv.key);
        (void)file->get_float(kv.key);
        (void)file->get_bool(kv.key);
        (void)file->get_string(kv.key);
        (void)file->get_string_array(kv.key);
        (void)file->get_float_array(kv.key);
        (void)file->get_int_array(kv.key);
        if (file->find(kv.key) == nullptr) {
            __builtin_trap();
        }
    }
    for (const lore::gguf::TensorInfo& info : file->tensors()) {
        if (info.n_bytes == 0 || info.data == nullptr || file->find_tensor(info.name) != &info) {
            __builtin_trap();
        }
        sink = sink + info.data[0] + info.data[info.n_bytes - 1] +
               static_cast<std::uint64_t>(info.n_rows());
    }
    return 0;
}
