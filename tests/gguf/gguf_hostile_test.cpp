// Hostile input: each way a GGUF file can be malformed is one row of a table, made by
// patching the bytes of a valid file written by GgufWriter. Each row names the StatusCode
// it must yield and the parts its message must contain (the field and where it is).
// Sweeps over every truncation and every flipped byte check that nothing crashes (under
// ASan in CI).
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "lore/gguf.h"

namespace lore::gguf {
namespace {

using Bytes = std::vector<std::uint8_t>;

std::size_t find_bytes(const Bytes& bytes, std::string_view needle) {
    auto it = std::search(bytes.begin(), bytes.end(), needle.begin(), needle.end());
    if (it == bytes.end()) {
        ADD_FAILURE() << "'" << needle << "' not in the base file";
        return 0;
    }
    return static_cast<std::size_t>(it - bytes.begin());
}

void put_u32(Bytes& bytes, std::size_t at, std::uint32_t v) {
    std::memcpy(bytes.data() + at, &v, sizeof(v));
}

void put_u64(Bytes& bytes, std::size_t at, std::uint64_t v) {
    std::memcpy(bytes.data() + at, &v, sizeof(v));
}

std::uint64_t get_u64(const Bytes& bytes, std::size_t at) {
    std::uint64_t v = 0;
    std::memcpy(&v, bytes.data() + at, sizeof(v));
    return v;
}

// Field positions in the base file. A key or tensor name is preceded by its u64 length.
std::size_t key_at(const Bytes& b, std::string_view key) {
    return find_bytes(b, key);
}

std::size_t type_at(const Bytes& b, std::string_view key) {
    return key_at(b, key) + key.size();
}

std::size_t value_at(const Bytes& b, std::string_view key) {
    return type_at(b, key) + 4;
}

// Tensor info: name | u32 n_dims | u64 ne[n_dims] | u32 type | u64 offset.
std::size_t n_dims_at(const Bytes& b, std::string_view name) {
    return find_bytes(b, name) + 8;
}

std::size_t ne_at(const Bytes& b, std::string_view name, std::size_t dim) {
    return n_dims_at(b, name) + 4 + 8 * dim;
}

std::size_t tensor_type_at(const Bytes& b, std::string_view name, std::size_t n_dims) {
    return ne_at(b, name, n_dims);
}

std::size_t offset_at(const Bytes& b, std::string_view name, std::size_t n_dims) {
    return tensor_type_at(b, name, n_dims) + 4;
}

Value int_array(std::vector<std::int32_t> values) {
    Value v;
    v.type = ValueType::kArray;
    v.array_type = ValueType::kInt32;
    for (std::int32_t x : values) {
        Value element;
        element.type = ValueType::kInt32;
        element.i = x;
        v.array.push_back(element);
    }
    return v;
}

Value wrap_in_array(Value inner) {
    Value v;
    v.type = ValueType::kArray;
    v.array_type = ValueType::kArray;
    v.array.push_back(std::move(inner));
    return v;
}

// The valid file every corruption starts from. Tensors: tensor_a f32 [8, 2] (64 bytes),
// tensor_b q8_0 [32, 2] (68 bytes), tensor_c f32 [4] (16 bytes), in that order.
Bytes base_file() {
    GgufWriter writer;
    writer.set_string("general.architecture", "llama");  // #0
    writer.set_u32("general.alignment", 32);             // #1
    writer.set_u32("test.u32", 7);                       // #2
    writer.set_bool("test.bool", true);
    writer.set_string("test.str", "hello");
    writer.set_string_array("test.strings", {"ab", "cd"});
    Value bytes_array;
    bytes_array.type = ValueType::kArray;
    bytes_array.array_type = ValueType::kUint8;
    bytes_array.array.resize(3);
    writer.set_value("test.bytes", bytes_array);
    writer.set_value("test.nested", wrap_in_array(int_array({1, 2})));
    writer.set_u32("test.keyA", 1);
    writer.set_u32("test.keyB", 2);
    writer.set_string("test.pad", "xyz");  // keeps the tensor infos' end off the alignment
    Bytes a(64, 1);
    Bytes b(68, 2);
    Bytes c(16, 3);
    EXPECT_TRUE(writer.add_tensor("tensor_a", TensorType::kF32, {8, 2}, a).is_ok());
    EXPECT_TRUE(writer.add_tensor("tensor_b", TensorType::kQ8_0, {32, 2}, b).is_ok());
    EXPECT_TRUE(writer.add_tensor("tensor_c", TensorType::kF32, {4}, c).is_ok());
    return writer.bytes();
}

// Bytes of a file whose one value nests arrays `depth` deep.
Bytes nested_file(int depth) {
    Value v = int_array({1});
    for (int level = 1; level < depth; ++level) {
        v = wrap_in_array(std::move(v));
    }
    GgufWriter writer;
    writer.set_value("test.deep", v);
    return writer.bytes();
}

struct Layout {
    std::uint64_t data_offset = 0;
    std::uint64_t offset_a = 0;
    std::uint64_t offset_b = 0;
    std::uint64_t offset_c = 0;
    std::size_t infos_end = 0;
};

Layout layout_of(const Bytes& base) {
    Layout layout;
    layout.offset_a = get_u64(base, offset_at(base, "tensor_a", 2));
    layout.offset_b = get_u64(base, offset_at(base, "tensor_b", 2));
    layout.offset_c = get_u64(base, offset_at(base, "tensor_c", 1));
    layout.infos_end = offset_at(base, "tensor_c", 1) + 8;
    layout.data_offset = (layout.infos_end + 31) / 32 * 32;
    return layout;
}

struct Corruption {
    const char* name;
    std::function<void(Bytes&, const Layout&)> patch;
    StatusCode code;
    std::vector<std::string> message_parts;
};

constexpr std::uint64_t k2Pow60 = std::uint64_t{1} << 60;

std::vector<Corruption> corruptions() {
    const StatusCode kBad = StatusCode::kCorruption;
    const StatusCode kUnsup = StatusCode::kUnsupported;
    using L = const Layout&;
    return {
        // Header.
        {"empty file", [](Bytes& b, L) { b.clear(); }, kBad, {"not a gguf file"}},
        {"bad magic",
         [](Bytes& b, L) { b[0] = 'X'; },
         kBad,
         {"not a gguf file", "magic at byte 0 is 'XGUF'"}},
        {"version 0", [](Bytes& b, L) { put_u32(b, 4, 0); }, kBad, {"version 0 at byte 4"}},
        {"version 1", [](Bytes& b, L) { put_u32(b, 4, 1); }, kUnsup, {"version 1 at byte 4"}},
        {"version 4", [](Bytes& b, L) { put_u32(b, 4, 4); }, kUnsup, {"version 4 at byte 4"}},
        {"big-endian file", [](Bytes& b, L) { put_u32(b, 4, 0x03000000); }, kUnsup, {"big-endian"}},
        {"truncated header",
         [](Bytes& b, L) { b.resize(12); },
         kBad,
         {"header", "tensor count at byte 8 needs 8 bytes, only 4 remain"}},
        {"absurd metadata count",
         [](Bytes& b, L) { put_u64(b, 16, k2Pow60); },
         kBad,
         {"metadata count 1152921504606846976 at byte 16"}},
        {"absurd tensor count",
         [](Bytes& b, L) { put_u64(b, 8, k2Pow60); },
         kBad,
         {"tensor count 1152921504606846976"}},
        // Metadata.
        {"truncated inside a key",
         [](Bytes& b, L) { b.resize(key_at(b, "test.keyB") + 3); },
         kBad,
         {"metadata key #9 at byte", "key length 9", "exceeds remaining 3 bytes"}},
        {"truncated inside a value",
         [](Bytes& b, L) { b.resize(value_at(b, "test.keyB") + 2); },
         kBad,
         {"metadata 'test.keyB' (#9)", "u32 value at byte", "only 2 remain"}},
        {"truncated inside an array of strings",
         [](Bytes& b, L) { b.resize(value_at(b, "test.strings") + 12 + 8 + 2 + 8 + 1); },
         kBad,
         {"metadata 'test.strings'", "string value length 2", "exceeds remaining 1 bytes"}},
        {"truncated inside an array of arrays",
         [](Bytes& b, L) { b.resize(value_at(b, "test.nested") + 12 + 12 + 6); },
         kBad,
         {"metadata 'test.nested'", "array count 2 of i32", "only 6 bytes remain"}},
        {"truncated before the metadata ends",
         [](Bytes& b, L) { b.resize(value_at(b, "test.u32") + 2); },
         kBad,
         {"header", "metadata count 11 at byte 16 cannot fit"}},
        {"absurd key length",
         [](Bytes& b, L) { put_u64(b, key_at(b, "test.u32") - 8, 0xFFFFFFFFu); },
         kBad,
         {"metadata key #2 at byte", "key length 4294967295", "exceeds remaining"}},
        {"absurd string length",
         [](Bytes& b, L) { put_u64(b, value_at(b, "test.str"), ~std::uint64_t{0}); },
         kBad,
         {"metadata 'test.str'", "string value length 18446744073709551615"}},
        {"absurd count of strings",
         [](Bytes& b, L) { put_u64(b, value_at(b, "test.strings") + 4, k2Pow60); },
         kBad,
         {"metadata 'test.strings'", "array count 1152921504606846976 of str"}},
        {"array past the element limit",
         [](Bytes& b, L) {
             const std::size_t at = value_at(b, "test.bytes");
             constexpr std::uint64_t kCount = 9u << 20;
             put_u64(b, at + 4, kCount);
             b.insert(b.begin() + static_cast<std::ptrdiff_t>(at + 12), kCount, 0);
         },
         StatusCode::kResourceExhausted,
         {"metadata 'test.bytes'", "limit of 8388608"}},
        {"unknown value type",
         [](Bytes& b, L) { put_u32(b, type_at(b, "test.u32"), 99); },
         kBad,
         {"metadata 'test.u32'", "unknown value type 99 at byte"}},
        {"unknown array element type",
         [](Bytes& b, L) { put_u32(b, value_at(b, "test.strings"), 13); },
         kBad,
         {"metadata 'test.strings'", "unknown array element type 13 at byte"}},
        {"bool that is not 0 or 1",
         [](Bytes& b, L) { b[value_at(b, "test.bool")] = 2; },
         kBad,
         {"metadata 'test.bool'", "bool value 2 at byte"}},
        {"invalid utf-8 in a key",
         [](Bytes& b, L) { b[key_at(b, "test.u32") + 1] = 0xFF; },
         kBad,
         {"metadata key #2 at byte", "key at byte", "not valid utf-8"}},
        {"invalid utf-8 in a string value",
         [](Bytes& b, L) { b[value_at(b, "test.str") + 8] = 0xC3; },
         kBad,
         {"metadata 'test.str'", "string value at byte", "not valid utf-8"}},
        {"duplicate key",
         [](Bytes& b, L) { b[key_at(b, "test.keyB") + 8] = 'A'; },
         kBad,
         {"duplicate key 'test.keyA'"}},
        {"array nesting too deep",
         [](Bytes& b, L) { b = nested_file(9); },
         kBad,
         {"metadata 'test.deep'", "nested deeper than 8"}},
        {"alignment not a power of two",
         [](Bytes& b, L) { put_u32(b, value_at(b, "general.alignment"), 48); },
         kBad,
         {"general.alignment 48 is not a power of two"}},
        {"alignment zero",
         [](Bytes& b, L) { put_u32(b, value_at(b, "general.alignment"), 0); },
         kBad,
         {"general.alignment 0 is not a power of two"}},
        {"alignment of the wrong type",
         [](Bytes& b, L) { put_u32(b, type_at(b, "general.alignment"), 6); },
         kBad,
         {"general.alignment has type f32"}},
        // Tensor infos.
        {"truncated inside the tensor infos",
         [](Bytes& b, L) { b.resize(ne_at(b, "tensor_c", 0) + 3); },
         kBad,
         {"tensor 'tensor_c' (#2)", "ne at byte", "needs 8 bytes"}},
        {"truncated before the tensor infos end",
         [](Bytes& b, L) { b.resize(ne_at(b, "tensor_b", 1) + 3); },
         kBad,
         {"tensor infos at byte", "tensor count 3 (header byte 8) cannot fit"}},
        {"invalid utf-8 in a tensor name",
         [](Bytes& b, L) {
             const std::size_t at = find_bytes(b, "tensor_a");
             b[at + 6] = 0xC0;  // overlong encoding of '/'
             b[at + 7] = 0xAF;
         },
         kBad,
         {"tensor info #0 at byte", "name at byte", "not valid utf-8"}},
        {"duplicate tensor name",
         [](Bytes& b, L) { b[find_bytes(b, "tensor_c") + 7] = 'a'; },
         kBad,
         {"tensor info #2", "duplicate tensor name 'tensor_a' (first is #0)"}},
        {"unknown tensor type",
         [](Bytes& b, L) { put_u32(b, tensor_type_at(b, "tensor_b", 2), 77); },
         kUnsup,
         {"tensor 'tensor_b' (#1)", "unknown tensor type 77 at byte"}},
        {"n_dims above 4",
         [](Bytes& b, L) { put_u32(b, n_dims_at(b, "tensor_b"), 5); },
         kBad,
         {"tensor 'tensor_b'", "n_dims 5 at byte", "outside 1..4"}},
        {"n_dims zero",
         [](Bytes& b, L) { put_u32(b, n_dims_at(b, "tensor_b"), 0); },
         kBad,
         {"tensor 'tensor_b'", "n_dims 0 at byte"}},
        {"zero dimension",
         [](Bytes& b, L) { put_u64(b, ne_at(b, "tensor_b", 1), 0); },
         kBad,
         {"tensor 'tensor_b'", "ne[1] = 0 at byte", "is zero"}},
        {"dimension beyond int64",
         [](Bytes& b, L) { put_u64(b, ne_at(b, "tensor_b", 1), std::uint64_t{1} << 63); },
         kBad,
         {"ne[1] = 9223372036854775808", "int64"}},
        {"dimension product overflows",
         [](Bytes& b, L) {
             put_u64(b, ne_at(b, "tensor_b", 0), std::uint64_t{1} << 32);
             put_u64(b, ne_at(b, "tensor_b", 1), std::uint64_t{1} << 32);
         },
         kBad,
         {"tensor 'tensor_b'", "element count overflows at ne[1]"}},
        {"byte size overflows",
         [](Bytes& b, L) { put_u64(b, ne_at(b, "tensor_c", 0), std::uint64_t{1} << 62); },
         kBad,
         {"tensor 'tensor_c'", "byte size", "overflows"}},
        {"row not a whole number of blocks",
         [](Bytes& b, L) { put_u64(b, ne_at(b, "tensor_b", 0), 33); },
         kBad,
         {"tensor 'tensor_b'", "ne[0] = 33 is not a multiple of the q8_0 block size 32"}},
        // Data section.
        {"data section past the end of the file",
         [](Bytes& b, const Layout& l) { b.resize(l.infos_end + 1); },
         kBad,
         {"data section", "past file size"}},
        {"truncated inside the tensor data",
         [](Bytes& b, const Layout& l) { b.resize(l.data_offset + l.offset_c + 8); },
         kBad,
         {"tensor 'tensor_c' ends at byte", "past file size"}},
        {"tensor past the end of the file",
         [](Bytes& b, L) { put_u64(b, offset_at(b, "tensor_c", 1), 1u << 20); },
         kBad,
         {"tensor 'tensor_c' ends at byte", "past file size"}},
        {"tensor offset that overflows",
         [](Bytes& b, L) { put_u64(b, offset_at(b, "tensor_c", 1), ~std::uint64_t{31}); },
         kBad,
         {"tensor 'tensor_c': data offset 18446744073709551584 + 16 bytes overflows"}},
        {"misaligned tensor offset",
         [](Bytes& b, const Layout& l) { put_u64(b, offset_at(b, "tensor_b", 2), l.offset_b + 4); },
         kBad,
         {"tensor 'tensor_b'", "is not a multiple of the alignment 32"}},
        {"overlapping tensors",
         [](Bytes& b, const Layout& l) {
             put_u64(b, offset_at(b, "tensor_b", 2), l.offset_a + 32);
         },
         kBad,
         {"tensor 'tensor_b' at data offset 32 overlaps tensor 'tensor_a'"}},
    };
}

TEST(GgufHostileTest, BaseFileIsValid) {
    Bytes base = base_file();
    Layout layout = layout_of(base);

    Result<GgufFile> file = GgufFile::parse(base);

    ASSERT_TRUE(file.has_value()) << file.status().to_string();
    EXPECT_EQ(file->data_offset(), layout.data_offset);
    EXPECT_NE(layout.infos_end % 32, 0u) << "the data-section case needs padding to cut into";
    EXPECT_EQ(file->tensors().size(), 3u);
}

TEST(GgufHostileTest, EachCorruptionYieldsItsCodeAndNamesTheField) {
    const Bytes base = base_file();
    const Layout layout = layout_of(base);
    const std::vector<Corruption> cases = corruptions();
    ASSERT_GE(cases.size(), 25u);

    for (const Corruption& corruption : cases) {
        SCOPED_TRACE(corruption.name);
        Bytes bytes = base;
        corruption.patch(bytes, layout);

        Result<GgufFile> file = GgufFile::parse(bytes);

        ASSERT_FALSE(file.has_value());
        EXPECT_EQ(file.status().code(), corruption.code) << file.status().to_string();
        const std::string& message = file.status().message();
        EXPECT_EQ(message.rfind("gguf: ", 0), 0u) << message;
        for (const std::string& part : corruption.message_parts) {
            EXPECT_NE(message.find(part), std::string::npos)
                << "missing '" << part << "' in: " << message;
        }
    }
}

TEST(GgufHostileTest, NestingUpToTheLimitIsAccepted) {
    Bytes bytes = nested_file(8);

    Result<GgufFile> file = GgufFile::parse(bytes);

    EXPECT_TRUE(file.has_value()) << file.status().to_string();
}

TEST(GgufHostileTest, EveryTruncationIsCorruption) {
    const Bytes base = base_file();

    for (std::size_t size = 0; size < base.size() - 32; ++size) {
        Result<GgufFile> file = GgufFile::parse(std::span(base.data(), size));

        ASSERT_FALSE(file.has_value()) << "prefix of " << size << " bytes parsed";
        EXPECT_EQ(file.status().code(), StatusCode::kCorruption) << file.status().to_string();
    }
}

TEST(GgufHostileTest, FlippingAnyByteNeverCrashes) {
    const Bytes base = base_file();
    int n_rejected = 0;

    for (std::size_t idx = 0; idx < base.size(); ++idx) {
        Bytes bytes = base;
        bytes[idx] ^= 0xFF;
        Result<GgufFile> file = GgufFile::parse(bytes);
        if (!file.has_value()) {
            ++n_rejected;
            EXPECT_EQ(file.status().message().rfind("gguf: ", 0), 0u);
        }
    }

    EXPECT_GT(n_rejected, 0);
}

}  // namespace
}  // namespace lore::gguf
