// GGUF model files: a validating reader over mmap, and a writer for tools and tests.
// The byte layout is documented in docs/formats/gguf.md. Model files are untrusted input:
// open() checks every count, length, offset and size against the file with overflow-safe
// arithmetic, and a malformed file yields kCorruption (or kUnsupported for a version or type
// lore does not know) with a message naming the field and its byte offset. Tensor data is
// never copied; TensorInfo::data points into the map, which the GgufFile keeps alive.
//
// Thread safety: a GgufFile is immutable after open(); share it freely.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lore/result.h"
#include "lore/tensor_type.h"

namespace lore::gguf {

// Metadata value types, numbered as in the file.
enum class ValueType : std::uint32_t {
    kUint8 = 0,
    kInt8 = 1,
    kUint16 = 2,
    kInt16 = 3,
    kUint32 = 4,
    kInt32 = 5,
    kFloat32 = 6,
    kBool = 7,
    kString = 8,
    kArray = 9,
    kUint64 = 10,
    kInt64 = 11,
    kFloat64 = 12,
};

std::string_view value_type_name(ValueType type);

// One metadata value. Scalars live in the field that fits their type (integers of every
// width in `i` or `u`, floats in `f`); strings view the mapped file; arrays hold their
// elements (which may be arrays again).
struct Value {
    ValueType type = ValueType::kUint8;
    ValueType array_type = ValueType::kUint8;  // element type when type == kArray
    std::uint64_t u = 0;                       // kUint*, kBool (0/1)
    std::int64_t i = 0;                        // kInt*
    double f = 0.0;                            // kFloat32, kFloat64
    std::string_view str;                      // kString, viewing the file
    std::vector<Value> array;                  // kArray

    bool is_integer() const;

    bool is_string() const { return type == ValueType::kString; }

    bool is_array() const { return type == ValueType::kArray; }

    // Integer value of any integer type, if it fits; nullopt for other types.
    std::optional<std::int64_t> as_int() const;
    // Float value of kFloat32/kFloat64 (and integers, converted).
    std::optional<double> as_float() const;
};

struct KeyValue {
    std::string_view key;  // views the file
    Value value;
};

struct TensorInfo {
    std::string_view name;  // views the file
    TensorType type = TensorType::kF32;
    std::vector<std::int64_t> ne;  // dimensions, ggml order: ne[0] is the row length
    std::uint64_t offset = 0;      // from the start of the data section
    std::uint64_t n_elements = 0;
    std::uint64_t n_bytes = 0;           // bytes of data, from the type's block layout
    const std::uint8_t* data = nullptr;  // into the map; valid while the GgufFile lives

    std::int64_t n_rows() const;  // product of ne[1..]
};

// How open() brings a file's bytes into memory: a read-only map (instant, shared with other
// processes, 4 KB pages), or a private copy in 2 MB pages (a full read at open; faster passes
// over the weights afterwards).
enum class LoadMode { kMap, kRead };

class GgufFile {
public:
    // Maps (or reads, per `mode`) and validates `path`.
    static Result<GgufFile> open(const std::filesystem::path& path, LoadMode mode = LoadMode::kMap);

    // Validates bytes owned by the caller, who keeps them alive (fuzzers, tests).
    static Result<GgufFile> parse(std::span<const std::uint8_t> bytes);

    GgufFile(GgufFile&&) noexcept;
    GgufFile& operator=(GgufFile&&) noexcept;
    ~GgufFile();

    std::uint32_t version() const;
    std::size_t alignment() const;
    std::uint64_t data_offset() const;  // byte offset of the data section in the file
    std::uint64_t file_size() const;

    const std::vector<KeyValue>& metadata() const;
    const std::vector<TensorInfo>& tensors() const;

    const Value* find(std::string_view key) const;
    const TensorInfo* find_tensor(std::string_view name) const;

    // Typed look-ups. Missing key: kNotFound; wrong type or value out of range: kCorruption.
    // Messages name the key.
    Result<std::string_view> get_string(std::string_view key) const;
    Result<std::int64_t> get_int(std::string_view key) const;  // any integer type
    Result<double> get_float(std::string_view key) const;      // f32/f64
    Result<bool> get_bool(std::string_view key) const;
    Result<std::vector<std::string_view>> get_string_array(std::string_view key) const;
    Result<std::vector<float>> get_float_array(std::string_view key) const;  // f32/f64 elements
    Result<std::vector<std::int64_t>> get_int_array(std::string_view key) const;

    // Drops the whole pages inside `bytes` (tensor data of this file that nothing will read
    // again, e.g. weights re-laid elsewhere) from memory: a mapped file would read them from
    // disk again, a read one returns zeros, parse()'s borrowed bytes are left alone.
    void release_pages(std::span<const std::uint8_t> bytes) const;

private:
    struct Impl;
    explicit GgufFile(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Builds a GGUF v3 file in memory: metadata in insertion order, tensors laid out with
// `general.alignment` (default 32). Used by tools/ and tests to make tiny models.
// Thread safety: not thread-safe; one per file being written.
class GgufWriter {
public:
    GgufWriter();
    ~GgufWriter();
    GgufWriter(const GgufWriter&) = delete;
    GgufWriter& operator=(const GgufWriter&) = delete;

    void set_u32(std::string key, std::uint32_t v);
    void set_i32(std::string key, std::int32_t v);
    void set_u64(std::string key, std::uint64_t v);
    void set_f32(std::string key, float v);
    void set_bool(std::string key, bool v);
    void set_string(std::string key, std::string v);
    void set_string_array(std::string key, std::vector<std::string> v);
    void set_f32_array(std::string key, std::vector<float> v);
    void set_i32_array(std::string key, std::vector<std::int32_t> v);
    // Any value, including arrays of arrays.
    void set_value(std::string key, Value v);

    // Adds a tensor whose `data` is already in `type`'s layout: ne[0] values per row.
    // Fails with kInvalidArgument when data.size() does not match the shape and type.
    Status add_tensor(std::string name,
                      TensorType type,
                      std::vector<std::int64_t> ne,
                      std::span<const std::uint8_t> data);
    // The same, taking ownership of `data` instead of copying it (large models).
    Status add_tensor(std::string name,
                      TensorType type,
                      std::vector<std::int64_t> ne,
                      std::vector<std::uint8_t>&& data);

    // The whole file.
    std::vector<std::uint8_t> bytes() const;
    // Writes bytes() to `path` (to a temporary name first, then renamed).
    Status write(const std::filesystem::path& path) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace lore::gguf
