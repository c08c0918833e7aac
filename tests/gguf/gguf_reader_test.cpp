// GgufFile: round trips through GgufWriter for every value type, typed look-ups, and a real
// llama.cpp-written file checked against the reference manifest.
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lore/gguf.h"

namespace lore::gguf {
namespace {

Value scalar_u(ValueType type, std::uint64_t u) {
    Value v;
    v.type = type;
    v.u = u;
    return v;
}

Value scalar_i(ValueType type, std::int64_t i) {
    Value v;
    v.type = type;
    v.i = i;
    return v;
}

Value scalar_f(ValueType type, double f) {
    Value v;
    v.type = type;
    v.f = f;
    return v;
}

Value string_value(std::string_view s) {
    Value v;
    v.type = ValueType::kString;
    v.str = s;
    return v;
}

Value array_of(ValueType element_type, std::vector<Value> elements) {
    Value v;
    v.type = ValueType::kArray;
    v.array_type = element_type;
    v.array = std::move(elements);
    return v;
}

std::vector<std::uint8_t> floats_as_bytes(const std::vector<float>& values) {
    std::vector<std::uint8_t> out(values.size() * sizeof(float));
    std::memcpy(out.data(), values.data(), out.size());
    return out;
}

TEST(GgufReaderTest, EveryScalarTypeRoundTrips) {
    GgufWriter writer;
    writer.set_value("t.u8", scalar_u(ValueType::kUint8, 200));
    writer.set_value("t.i8", scalar_i(ValueType::kInt8, -100));
    writer.set_value("t.u16", scalar_u(ValueType::kUint16, 60000));
    writer.set_value("t.i16", scalar_i(ValueType::kInt16, -30000));
    writer.set_u32("t.u32", 4000000000u);
    writer.set_i32("t.i32", -2000000000);
    writer.set_f32("t.f32", 0.25f);
    writer.set_bool("t.bool", true);
    writer.set_string("t.str", "héllo");
    writer.set_u64("t.u64", 18000000000000000000ull);
    writer.set_value("t.i64", scalar_i(ValueType::kInt64, -9000000000000000000ll));
    writer.set_value("t.f64", scalar_f(ValueType::kFloat64, 1e300));
    std::vector<std::uint8_t> bytes = writer.bytes();

    Result<GgufFile> file = GgufFile::parse(bytes);

    ASSERT_TRUE(file.has_value()) << file.status().to_string();
    EXPECT_EQ(file->version(), 3u);
    ASSERT_EQ(file->metadata().size(), 12u);
    EXPECT_EQ(file->find("t.u8")->u, 200u);
    EXPECT_EQ(file->find("t.i8")->i, -100);
    EXPECT_EQ(file->find("t.u16")->u, 60000u);
    EXPECT_EQ(file->find("t.i16")->i, -30000);
    EXPECT_EQ(file->find("t.u32")->u, 4000000000u);
    EXPECT_EQ(file->find("t.i32")->i, -2000000000);
    EXPECT_EQ(file->find("t.f32")->f, 0.25);
    EXPECT_EQ(file->find("t.bool")->u, 1u);
    EXPECT_EQ(file->find("t.str")->str, "héllo");
    EXPECT_EQ(file->find("t.u64")->u, 18000000000000000000ull);
    EXPECT_EQ(file->find("t.i64")->i, -9000000000000000000ll);
    EXPECT_EQ(file->find("t.f64")->f, 1e300);
    EXPECT_EQ(file->find("t.f64")->type, ValueType::kFloat64);
    EXPECT_EQ(file->metadata()[0].key, "t.u8");
    EXPECT_EQ(file->metadata()[11].key, "t.f64");
}

TEST(GgufReaderTest, ArraysOfEveryTypeRoundTrip) {
    GgufWriter writer;
    writer.set_value("a.u8", array_of(ValueType::kUint8, {scalar_u(ValueType::kUint8, 1),
                                                          scalar_u(ValueType::kUint8, 255)}));
    writer.set_value("a.i16", array_of(ValueType::kInt16, {scalar_i(ValueType::kInt16, -5)}));
    writer.set_value("a.u64", array_of(ValueType::kUint64, {scalar_u(ValueType::kUint64, 7)}));
    writer.set_value("a.f64", array_of(ValueType::kFloat64, {scalar_f(ValueType::kFloat64, 2.5)}));
    writer.set_value("a.bool", array_of(ValueType::kBool, {scalar_u(ValueType::kBool, 0),
                                                           scalar_u(ValueType::kBool, 1)}));
    writer.set_string_array("a.str", {"one", "", "three"});
    writer.set_f32_array("a.f32", {1.5f, -2.0f});
    writer.set_i32_array("a.i32", {3, -4, 5});
    writer.set_i32_array("a.empty", {});
    std::vector<std::uint8_t> bytes = writer.bytes();

    Result<GgufFile> file = GgufFile::parse(bytes);

    ASSERT_TRUE(file.has_value()) << file.status().to_string();
    const Value* u8 = file->find("a.u8");
    ASSERT_TRUE(u8 != nullptr && u8->is_array());
    EXPECT_EQ(u8->array_type, ValueType::kUint8);
    ASSERT_EQ(u8->array.size(), 2u);
    EXPECT_EQ(u8->array[1].u, 255u);
    EXPECT_EQ(file->find("a.i16")->array[0].i, -5);
    EXPECT_EQ(file->find("a.u64")->array[0].u, 7u);
    EXPECT_EQ(file->find("a.f64")->array[0].f, 2.5);
    EXPECT_EQ(file->find("a.bool")->array[1].u, 1u);
    EXPECT_EQ(file->get_string_array("a.str").value(),
              (std::vector<std::string_view>{"one", "", "three"}));
    EXPECT_EQ(file->get_float_array("a.f32").value(), (std::vector<float>{1.5f, -2.0f}));
    EXPECT_EQ(file->get_int_array("a.i32").value(), (std::vector<std::int64_t>{3, -4, 5}));
    EXPECT_TRUE(file->get_int_array("a.empty").value().empty());
}

TEST(GgufReaderTest, ArraysOfArraysRoundTrip) {
    GgufWriter writer;
    Value inner_ints = array_of(ValueType::kInt32,
                                {scalar_i(ValueType::kInt32, 1), scalar_i(ValueType::kInt32, 2)});
    Value inner_strings = array_of(ValueType::kString, {string_value("x"), string_value("yz")});
    writer.set_value("n.mixed", array_of(ValueType::kArray, {inner_ints, inner_strings}));
    writer.set_value("n.deep",
                     array_of(ValueType::kArray, {array_of(ValueType::kArray, {inner_ints})}));
    std::vector<std::uint8_t> bytes = writer.bytes();

    Result<GgufFile> file = GgufFile::parse(bytes);

    ASSERT_TRUE(file.has_value()) << file.status().to_string();
    const Value* mixed = file->find("n.mixed");
    ASSERT_NE(mixed, nullptr);
    EXPECT_EQ(mixed->array_type, ValueType::kArray);
    ASSERT_EQ(mixed->array.size(), 2u);
    EXPECT_EQ(mixed->array[0].array_type, ValueType::kInt32);
    EXPECT_EQ(mixed->array[0].array[1].i, 2);
    EXPECT_EQ(mixed->array[1].array_type, ValueType::kString);
    EXPECT_EQ(mixed->array[1].array[1].str, "yz");
    const Value* deep = file->find("n.deep");
    ASSERT_NE(deep, nullptr);
    EXPECT_EQ(deep->array[0].array[0].array[0].i, 1);
}

TEST(GgufReaderTest, TensorsPointIntoTheBytesAtTheAlignment) {
    GgufWriter writer;
    writer.set_u32("general.alignment", 64);
    std::vector<float> a = {1, 2, 3, 4, 5, 6};
    std::vector<float> b = {7, 8, 9};
    ASSERT_TRUE(writer.add_tensor("a", TensorType::kF32, {3, 2}, floats_as_bytes(a)).is_ok());
    ASSERT_TRUE(writer.add_tensor("b", TensorType::kF32, {3}, floats_as_bytes(b)).is_ok());
    std::vector<std::uint8_t> bytes = writer.bytes();

    Result<GgufFile> file = GgufFile::parse(bytes);

    ASSERT_TRUE(file.has_value()) << file.status().to_string();
    EXPECT_EQ(file->alignment(), 64u);
    EXPECT_EQ(file->data_offset() % 64, 0u);
    ASSERT_EQ(file->tensors().size(), 2u);
    const TensorInfo* ta = file->find_tensor("a");
    const TensorInfo* tb = file->find_tensor("b");
    ASSERT_TRUE(ta != nullptr && tb != nullptr);
    EXPECT_EQ(ta->ne, (std::vector<std::int64_t>{3, 2}));
    EXPECT_EQ(ta->n_elements, 6u);
    EXPECT_EQ(ta->n_bytes, 24u);
    EXPECT_EQ(ta->n_rows(), 2);
    EXPECT_EQ(tb->offset, 64u);
    EXPECT_EQ(ta->data, bytes.data() + file->data_offset());
    float b0 = 0;
    std::memcpy(&b0, tb->data, sizeof(float));
    EXPECT_EQ(b0, 7.0f);
    EXPECT_EQ(file->find_tensor("c"), nullptr);
}

TEST(GgufReaderTest, TypedLookupsReportMissingAndWrongTypes) {
    GgufWriter writer;
    writer.set_string("s", "text");
    writer.set_u64("big", 18000000000000000000ull);
    writer.set_u32("n", 12);
    writer.set_f32("f", 0.5f);
    writer.set_bool("b", false);
    std::vector<std::uint8_t> bytes = writer.bytes();
    Result<GgufFile> file = GgufFile::parse(bytes);
    ASSERT_TRUE(file.has_value());

    Result<std::int64_t> missing = file->get_int("nope");
    Result<std::int64_t> not_int = file->get_int("s");
    Result<std::int64_t> too_big = file->get_int("big");
    Result<double> not_float = file->get_float("s");

    EXPECT_EQ(file->get_int("n").value(), 12);
    EXPECT_EQ(file->get_float("f").value(), 0.5);
    EXPECT_EQ(file->get_bool("b").value(), false);
    EXPECT_EQ(file->get_string("s").value(), "text");
    EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
    EXPECT_NE(missing.status().message().find("'nope'"), std::string::npos);
    EXPECT_EQ(not_int.status().code(), StatusCode::kCorruption);
    EXPECT_NE(not_int.status().message().find("'s' has type str"), std::string::npos);
    EXPECT_EQ(too_big.status().code(), StatusCode::kCorruption);
    EXPECT_EQ(not_float.status().code(), StatusCode::kCorruption);
    EXPECT_EQ(file->get_string_array("s").status().code(), StatusCode::kCorruption);
}

TEST(GgufReaderTest, ValueViewsConvertIntegersAndFloats) {
    Value big = scalar_u(ValueType::kUint64, 18000000000000000000ull);
    Value neg = scalar_i(ValueType::kInt16, -3);
    Value str = string_value("x");

    EXPECT_FALSE(big.as_int().has_value());
    EXPECT_EQ(neg.as_int(), -3);
    EXPECT_EQ(neg.as_float(), -3.0);
    EXPECT_FALSE(str.as_int().has_value());
    EXPECT_FALSE(str.is_integer());
    EXPECT_EQ(value_type_name(ValueType::kArray), "arr");
}

// Expected tensors of tiny-llama-Q4_K_M.gguf, as ../shared/data/reference-models/manifest.json
// lists them (written by llama.cpp's quantizer).
struct ExpectedTensor {
    const char* name;
    TensorType type;
    std::vector<std::int64_t> ne;
};

TEST(GgufReaderTest, ReadsLlamaCppQ4KMFileAsTheManifestDescribes) {
    const std::vector<ExpectedTensor> expected = {
        {"output.weight", TensorType::kQ6_K, {256, 512}},
        {"output_norm.weight", TensorType::kF32, {256}},
        {"token_embd.weight", TensorType::kQ4_K, {256, 512}},
        {"blk.0.attn_k.weight", TensorType::kQ4_K, {256, 128}},
        {"blk.0.attn_norm.weight", TensorType::kF32, {256}},
        {"blk.0.attn_output.weight", TensorType::kQ4_K, {256, 256}},
        {"blk.0.attn_q.weight", TensorType::kQ4_K, {256, 256}},
        {"blk.0.attn_v.weight", TensorType::kQ4_K, {256, 128}},
        {"blk.0.ffn_down.weight", TensorType::kQ4_K, {512, 256}},
        {"blk.0.ffn_gate.weight", TensorType::kQ4_K, {256, 512}},
        {"blk.0.ffn_norm.weight", TensorType::kF32, {256}},
        {"blk.0.ffn_up.weight", TensorType::kQ4_K, {256, 512}},
        {"blk.1.attn_k.weight", TensorType::kQ4_K, {256, 128}},
        {"blk.1.attn_norm.weight", TensorType::kF32, {256}},
        {"blk.1.attn_output.weight", TensorType::kQ4_K, {256, 256}},
        {"blk.1.attn_q.weight", TensorType::kQ4_K, {256, 256}},
        {"blk.1.attn_v.weight", TensorType::kQ6_K, {256, 128}},
        {"blk.1.ffn_down.weight", TensorType::kQ6_K, {512, 256}},
        {"blk.1.ffn_gate.weight", TensorType::kQ4_K, {256, 512}},
        {"blk.1.ffn_norm.weight", TensorType::kF32, {256}},
        {"blk.1.ffn_up.weight", TensorType::kQ4_K, {256, 512}},
    };

    Result<GgufFile> file = GgufFile::open("tests/testdata/models/tiny-llama-Q4_K_M.gguf");

    ASSERT_TRUE(file.has_value()) << file.status().to_string();
    EXPECT_EQ(file->version(), 3u);
    EXPECT_EQ(file->file_size(), 904896u);
    EXPECT_EQ(file->get_string("general.architecture").value(), "llama");
    EXPECT_EQ(file->get_int("llama.block_count").value(), 2);
    EXPECT_EQ(file->get_int("general.file_type").value(), 15);
    EXPECT_EQ(file->get_string_array("tokenizer.ggml.tokens").value().size(), 512u);
    ASSERT_EQ(file->tensors().size(), expected.size());
    for (const ExpectedTensor& want : expected) {
        const TensorInfo* info = file->find_tensor(want.name);
        ASSERT_NE(info, nullptr) << want.name;
        EXPECT_EQ(info->type, want.type) << want.name;
        EXPECT_EQ(info->ne, want.ne) << want.name;
        const std::size_t row_bytes = tensor_row_bytes(want.type, want.ne[0]);
        EXPECT_EQ(info->n_bytes, row_bytes * static_cast<std::uint64_t>(info->n_rows()))
            << want.name;
        EXPECT_EQ(info->offset % file->alignment(), 0u) << want.name;
    }
}

TEST(GgufReaderTest, OpenNamesThePathOfAMissingFile) {
    Result<GgufFile> file = GgufFile::open("tests/testdata/models/no-such-model.gguf");

    ASSERT_FALSE(file.has_value());
    EXPECT_EQ(file.status().code(), StatusCode::kNotFound);
    EXPECT_NE(file.status().message().find("no-such-model.gguf"), std::string::npos);
}

}  // namespace
}  // namespace lore::gguf
