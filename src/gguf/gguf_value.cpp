// Metadata values of a GGUF file: type names and the integer / float views of a Value.
#include <limits>

#include "lore/gguf.h"

namespace lore::gguf {

std::string_view value_type_name(ValueType type) {
    switch (type) {
        case ValueType::kUint8: return "u8";
        case ValueType::kInt8: return "i8";
        case ValueType::kUint16: return "u16";
        case ValueType::kInt16: return "i16";
        case ValueType::kUint32: return "u32";
        case ValueType::kInt32: return "i32";
        case ValueType::kFloat32: return "f32";
        case ValueType::kBool: return "bool";
        case ValueType::kString: return "str";
        case ValueType::kArray: return "arr";
        case ValueType::kUint64: return "u64";
        case ValueType::kInt64: return "i64";
        case ValueType::kFloat64: return "f64";
    }
    return "unknown";
}

bool Value::is_integer() const {
    switch (type) {
        case ValueType::kUint8:
        case ValueType::kInt8:
        case ValueType::kUint16:
        case ValueType::kInt16:
        case ValueType::kUint32:
        case ValueType::kInt32:
        case ValueType::kUint64:
        case ValueType::kInt64: return true;
        default: return false;
    }
}

std::optional<std::int64_t> Value::as_int() const {
    switch (type) {
        case ValueType::kUint8:
        case ValueType::kUint16:
        case ValueType::kUint32:
        case ValueType::kUint64:
            if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
                return std::nullopt;
            }
            return static_cast<std::int64_t>(u);
        case ValueType::kInt8:
        case ValueType::kInt16:
        case ValueType::kInt32:
        case ValueType::kInt64: return i;
        default: return std::nullopt;
    }
}

std::optional<double> Value::as_float() const {
    if (type == ValueType::kFloat32 || type == ValueType::kFloat64) {
        return f;
    }
    if (type == ValueType::kUint8 || type == ValueType::kUint16 || type == ValueType::kUint32 ||
        type == ValueType::kUint64) {
        return static_cast<double>(u);
    }
    if (is_integer()) {
        return static_cast<double>(i);
    }
    return std::nullopt;
}

}  // namespace lore::gguf

namespace lore::gguf {

std::int64_t TensorInfo::n_rows() const {
    std::int64_t rows = 1;
    for (std::size_t dim_idx = 1; dim_idx < ne.size(); ++dim_idx) {
        rows *= ne[dim_idx];  // no overflow: the reader checked the product of all dims
    }
    return rows;
}

}  // namespace lore::gguf
