// The validating GGUF reader. Byte layout and rules: docs/formats/gguf.md. In short (all
// integers little-endian):
//
//   header        magic "GGUF" | u32 version (2 or 3) | u64 n_tensors | u64 n_kv
//   metadata      n_kv times: string key | u32 value type | value
//   tensor infos  n_tensors times: string name | u32 n_dims | u64 ne[n_dims] | u32 type |
//                 u64 offset (from the data section start)
//   padding       to general.alignment (default 32)
//   data section  tensor data, each tensor at its offset
//
//   string = u64 length | bytes (UTF-8, no terminator)
//   value  = the scalar (u8 i8 u16 i16 u32 i32 f32 bool u64 i64 f64), a string, or an
//            array: u32 element type | u64 count | count values of that type
//
// The file is untrusted: every length and count is compared with the bytes that remain
// before anything is allocated or read, and every product or sum of sizes goes through
// __builtin_*_overflow. Errors carry the context (which key or tensor, at which byte).
#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <string>
#include <unordered_map>
#include <utility>

#include "lore/gguf.h"

#include "core/mapped_file.h"
#include "gguf/utf8.h"

namespace lore::gguf {

static_assert(std::endian::native == std::endian::little,
              "the gguf reader reads little-endian fields with memcpy");

namespace {

constexpr std::uint32_t kMaxVersion = 3;
constexpr std::uint64_t kDefaultAlignment = 32;
constexpr std::uint64_t kMaxAlignment = std::uint64_t{1} << 30;
// Arrays inside arrays deeper than this are rejected; real files nest at most once.
constexpr int kMaxArrayNesting = 8;
// Each array element becomes a Value (72 bytes); this caps what a small hostile file can
// make us allocate (~600 MB) while leaving room for the largest vocabularies (~1.5M
// elements for a 256k vocabulary with merges).
constexpr std::uint64_t kMaxArrayElements = std::uint64_t{1} << 23;
constexpr std::uint32_t kMaxDims = 4;
// Smallest possible encodings, for count-versus-remaining checks before allocating.
constexpr std::uint64_t kMinKvBytes = 8 + 1 + 4 + 1;  // key len, 1-byte key, type, u8
constexpr std::uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 8 + 4 + 8;  // name, 1 dim, type, offset

std::string num(std::uint64_t v) {
    return std::to_string(v);
}

// `text` for a message: at most 64 bytes (cut at a character boundary), control bytes escaped.
std::string printable(std::string_view text) {
    constexpr std::size_t kMaxShown = 64;
    std::size_t cut = text.size();
    bool is_cut = false;
    if (cut > kMaxShown) {
        cut = kMaxShown;
        while (cut > 0 && (static_cast<std::uint8_t>(text[cut]) & 0xC0) == 0x80) {
            --cut;
        }
        is_cut = true;
    }
    std::string out;
    for (std::size_t idx = 0; idx < cut; ++idx) {
        const auto c = static_cast<std::uint8_t>(text[idx]);
        if (c < 0x20 || c == 0x7F) {
            static constexpr char kHex[] = "0123456789abcdef";
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 0xF];
        } else {
            out += static_cast<char>(c);
        }
    }
    if (is_cut) {
        out += "...";
    }
    return out;
}

bool is_valid_value_type(std::uint32_t raw) {
    return raw <= static_cast<std::uint32_t>(ValueType::kFloat64);
}

// Bytes of the smallest encoding of one value of `type`.
std::uint64_t min_value_bytes(ValueType type) {
    switch (type) {
        case ValueType::kUint8:
        case ValueType::kInt8:
        case ValueType::kBool: return 1;
        case ValueType::kUint16:
        case ValueType::kInt16: return 2;
        case ValueType::kUint32:
        case ValueType::kInt32:
        case ValueType::kFloat32: return 4;
        case ValueType::kUint64:
        case ValueType::kInt64:
        case ValueType::kFloat64:
        case ValueType::kString: return 8;  // a u64 length
        case ValueType::kArray: return 12;  // u32 element type, u64 count
    }
    return 1;
}

// A cursor over the file with the context ("metadata key #4 at byte 120") that prefixes
// every error it reports.
class Parser {
public:
    explicit Parser(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

    std::uint64_t pos() const { return pos_; }

    std::uint64_t remaining() const { return bytes_.size() - pos_; }

    std::uint64_t size() const { return bytes_.size(); }

    // REQUIRES: at <= size().
    const std::uint8_t* data_at(std::uint64_t at) const { return bytes_.data() + at; }

    void set_context(std::string context) { context_ = std::move(context); }

    Status corrupt(const std::string& what) const {
        return Status::corruption("gguf: " + context_ + ": " + what);
    }

    Status unsupported(const std::string& what) const {
        return Status::unsupported("gguf: " + context_ + ": " + what);
    }

    template <typename T>
    Status read(std::string_view field, T* out) {
        if (remaining() < sizeof(T)) {
            return corrupt(std::string(field) + " at byte " + num(pos_) + " needs " +
                           num(sizeof(T)) + " bytes, only " + num(remaining()) +
                           " remain (file truncated)");
        }
        std::memcpy(out, bytes_.data() + pos_, sizeof(T));
        pos_ += sizeof(T);
        return Status::ok();
    }

    // A u64 length and that many bytes of valid UTF-8, viewed in place.
    Status read_string(std::string_view field, std::string_view* out) {
        const std::uint64_t start = pos_;
        std::uint64_t length = 0;
        if (remaining() < sizeof(length)) {  // checked here to keep the hot path allocation-free
            return corrupt(std::string(field) + " length at byte " + num(pos_) +
                           " needs 8 bytes, only " + num(remaining()) + " remain (file truncated)");
        }
        std::memcpy(&length, bytes_.data() + pos_, sizeof(length));
        pos_ += sizeof(length);
        if (length > remaining()) {
            return corrupt(std::string(field) + " length " + num(length) + " at byte " +
                           num(start) + " exceeds remaining " + num(remaining()) + " bytes");
        }
        *out = std::string_view(reinterpret_cast<const char*>(bytes_.data() + pos_),
                                static_cast<std::size_t>(length));
        pos_ += length;
        if (std::optional<std::size_t> bad = find_invalid_utf8(*out)) {
            return corrupt(std::string(field) + " at byte " + num(start + 8) +
                           " is not valid utf-8 (bad sequence at byte " + num(start + 8 + *bad) +
                           ")");
        }
        return Status::ok();
    }

    Status read_value_type(std::string_view field, ValueType* out) {
        const std::uint64_t at = pos_;
        std::uint32_t raw = 0;
        LORE_RETURN_IF_ERROR(read(field, &raw));
        if (!is_valid_value_type(raw)) {
            return corrupt("unknown " + std::string(field) + " " + num(raw) + " at byte " +
                           num(at) + " (known: 0..12)");
        }
        *out = static_cast<ValueType>(raw);
        return Status::ok();
    }

    // One value of `type`; `nesting` counts the arrays around it.
    Status read_value(ValueType type, int nesting, Value* out) {
        out->type = type;
        switch (type) {
            case ValueType::kUint8: return read_unsigned<std::uint8_t>("u8 value", out);
            case ValueType::kUint16: return read_unsigned<std::uint16_t>("u16 value", out);
            case ValueType::kUint32: return read_unsigned<std::uint32_t>("u32 value", out);
            case ValueType::kUint64: return read_unsigned<std::uint64_t>("u64 value", out);
            case ValueType::kInt8: return read_signed<std::int8_t>("i8 value", out);
            case ValueType::kInt16: return read_signed<std::int16_t>("i16 value", out);
            case ValueType::kInt32: return read_signed<std::int32_t>("i32 value", out);
            case ValueType::kInt64: return read_signed<std::int64_t>("i64 value", out);
            case ValueType::kFloat32: {
                float v = 0;
                LORE_RETURN_IF_ERROR(read("f32 value", &v));
                out->f = static_cast<double>(v);
                return Status::ok();
            }
            case ValueType::kFloat64: return read("f64 value", &out->f);
            case ValueType::kBool: {
                const std::uint64_t at = pos_;
                std::uint8_t v = 0;
                LORE_RETURN_IF_ERROR(read("bool value", &v));
                if (v > 1) {
                    return corrupt("bool value " + num(v) + " at byte " + num(at) +
                                   " is not 0 or 1");
                }
                out->u = v;
                return Status::ok();
            }
            case ValueType::kString: return read_string("string value", &out->str);
            case ValueType::kArray: return read_array(nesting + 1, out);
        }
        return corrupt("unknown value type");
    }

private:
    template <typename T>
    Status read_unsigned(std::string_view field, Value* out) {
        T v = 0;
        LORE_RETURN_IF_ERROR(read(field, &v));
        out->u = v;
        return Status::ok();
    }

    template <typename T>
    Status read_signed(std::string_view field, Value* out) {
        T v = 0;
        LORE_RETURN_IF_ERROR(read(field, &v));
        out->i = v;
        return Status::ok();
    }

    Status read_array(int nesting, Value* out) {
        const std::uint64_t start = pos_;
        if (nesting > kMaxArrayNesting) {
            return corrupt("array at byte " + num(start) + " is nested deeper than " +
                           num(kMaxArrayNesting) + " levels");
        }
        LORE_RETURN_IF_ERROR(read_value_type("array element type", &out->array_type));
        std::uint64_t count = 0;
        LORE_RETURN_IF_ERROR(read("array count", &count));
        // Checked before allocating: every element takes at least min_value_bytes.
        const std::uint64_t min_bytes = min_value_bytes(out->array_type);
        if (count > remaining() / min_bytes) {
            return corrupt("array count " + num(count) + " of " +
                           std::string(value_type_name(out->array_type)) + " at byte " +
                           num(start + 4) + " needs at least " + num(min_bytes) +
                           " bytes each, only " + num(remaining()) + " bytes remain");
        }
        if (count > kMaxArrayElements - n_array_elements_) {
            return Status::resource_exhausted("gguf: " + context_ + ": array of " + num(count) +
                                              " elements at byte " + num(start) +
                                              " brings the file past the limit of " +
                                              num(kMaxArrayElements) + " metadata array elements");
        }
        n_array_elements_ += count;
        out->array.resize(static_cast<std::size_t>(count));
        for (Value& element : out->array) {
            LORE_RETURN_IF_ERROR(read_value(out->array_type, nesting, &element));
        }
        return Status::ok();
    }

    std::span<const std::uint8_t> bytes_;
    std::uint64_t pos_ = 0;
    std::uint64_t n_array_elements_ = 0;
    std::string context_ = "header";
};

}  // namespace

// What parsing finds; every view points into the parsed bytes.
struct GgufContents {
    std::uint32_t version = 0;
    std::uint64_t alignment = kDefaultAlignment;
    std::uint64_t data_offset = 0;
    std::vector<KeyValue> metadata;
    std::vector<TensorInfo> tensors;
    std::unordered_map<std::string_view, std::size_t> key_index;
    std::unordered_map<std::string_view, std::size_t> tensor_index;
};

struct GgufFile::Impl : GgufContents {
    MappedFile file;  // owns (or borrows) the bytes every string_view and data pointer views
};

namespace {

Status parse_header(Parser& parser, std::uint32_t* version) {
    if (parser.size() < 4) {
        return Status::corruption("gguf: not a gguf file: " + num(parser.size()) +
                                  " bytes, too short for the magic");
    }
    std::uint32_t magic = 0;
    LORE_RETURN_IF_ERROR(parser.read("magic", &magic));
    if (magic != 0x46554747u) {  // "GGUF" read little-endian
        std::string shown;
        for (int shift = 0; shift < 32; shift += 8) {
            shown += static_cast<char>((magic >> shift) & 0xFF);
        }
        return Status::corruption("gguf: not a gguf file: magic at byte 0 is '" + printable(shown) +
                                  "', expected 'GGUF'");
    }
    LORE_RETURN_IF_ERROR(parser.read("version", version));
    if (*version == 0) {
        return Status::corruption("gguf: version 0 at byte 4 is not a valid version");
    }
    if (*version > kMaxVersion && (*version & 0xFFFFu) == 0 &&
        __builtin_bswap32(*version) <= kMaxVersion) {
        return Status::unsupported("gguf: version field at byte 4 reads " + num(*version) +
                                   ": a big-endian file, which lore does not read");
    }
    if (*version < 2 || *version > kMaxVersion) {
        return Status::unsupported("gguf: version " + num(*version) +
                                   " at byte 4 is not supported (supported: 2, 3)");
    }
    return Status::ok();
}

Status parse_alignment(Parser& parser, const Value& value, std::uint64_t* alignment) {
    std::optional<std::int64_t> v = value.as_int();
    if (!value.is_integer()) {
        return parser.corrupt("general.alignment has type " +
                              std::string(value_type_name(value.type)) + ", expected u32");
    }
    if (!v || *v <= 0 || static_cast<std::uint64_t>(*v) > kMaxAlignment ||
        !std::has_single_bit(static_cast<std::uint64_t>(*v))) {
        std::string shown = v ? std::to_string(*v) : num(value.u);
        return parser.corrupt("general.alignment " + shown + " is not a power of two in 1..2^30");
    }
    *alignment = static_cast<std::uint64_t>(*v);
    return Status::ok();
}

Status parse_metadata(Parser& parser, std::uint64_t n_kv, GgufContents& impl) {
    if (n_kv > parser.remaining() / kMinKvBytes) {
        return parser.corrupt("metadata count " + num(n_kv) +
                              " at byte 16 cannot fit in the remaining " + num(parser.remaining()) +
                              " bytes");
    }
    impl.metadata.reserve(static_cast<std::size_t>(n_kv));
    for (std::uint64_t kv_idx = 0; kv_idx < n_kv; ++kv_idx) {
        const std::uint64_t start = parser.pos();
        parser.set_context("metadata key #" + num(kv_idx) + " at byte " + num(start));
        KeyValue kv;
        LORE_RETURN_IF_ERROR(parser.read_string("key", &kv.key));
        if (kv.key.empty()) {
            return parser.corrupt("empty key");
        }
        auto [it, is_new] = impl.key_index.emplace(kv.key, impl.metadata.size());
        if (!is_new) {
            return parser.corrupt("duplicate key '" + printable(kv.key) + "' (first is #" +
                                  num(it->second) + ")");
        }
        parser.set_context("metadata '" + printable(kv.key) + "' (#" + num(kv_idx) + ") at byte " +
                           num(start));
        ValueType type = ValueType::kUint8;
        LORE_RETURN_IF_ERROR(parser.read_value_type("value type", &type));
        LORE_RETURN_IF_ERROR(parser.read_value(type, 0, &kv.value));
        if (kv.key == "general.alignment") {
            LORE_RETURN_IF_ERROR(parse_alignment(parser, kv.value, &impl.alignment));
        }
        impl.metadata.push_back(std::move(kv));
    }
    return Status::ok();
}

Status parse_tensor_info(Parser& parser, std::uint64_t tensor_idx, GgufContents& impl) {
    const std::uint64_t start = parser.pos();
    parser.set_context("tensor info #" + num(tensor_idx) + " at byte " + num(start));
    TensorInfo info;
    LORE_RETURN_IF_ERROR(parser.read_string("name", &info.name));
    if (info.name.empty()) {
        return parser.corrupt("empty tensor name");
    }
    auto [it, is_new] = impl.tensor_index.emplace(info.name, impl.tensors.size());
    if (!is_new) {
        return parser.corrupt("duplicate tensor name '" + printable(info.name) + "' (first is #" +
                              num(it->second) + ")");
    }
    parser.set_context("tensor '" + printable(info.name) + "' (#" + num(tensor_idx) + ") at byte " +
                       num(start));

    const std::uint64_t dims_at = parser.pos();
    std::uint32_t n_dims = 0;
    LORE_RETURN_IF_ERROR(parser.read("n_dims", &n_dims));
    if (n_dims < 1 || n_dims > kMaxDims) {
        return parser.corrupt("n_dims " + num(n_dims) + " at byte " + num(dims_at) +
                              " is outside 1.." + num(kMaxDims));
    }
    std::uint64_t n_elements = 1;
    for (std::uint32_t dim_idx = 0; dim_idx < n_dims; ++dim_idx) {
        const std::uint64_t at = parser.pos();
        std::uint64_t ne = 0;
        LORE_RETURN_IF_ERROR(parser.read("ne", &ne));
        auto field = [&] {
            return "ne[" + num(dim_idx) + "] = " + num(ne) + " at byte " + num(at);
        };
        if (ne == 0) {
            return parser.corrupt(field() + " is zero (empty tensors are rejected)");
        }
        if (ne > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return parser.corrupt(field() + " exceeds the int64 range");
        }
        if (__builtin_mul_overflow(n_elements, ne, &n_elements) ||
            n_elements > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return parser.corrupt("element count overflows at " + field());
        }
        info.ne.push_back(static_cast<std::int64_t>(ne));
    }
    info.n_elements = n_elements;

    const std::uint64_t type_at = parser.pos();
    std::uint32_t raw_type = 0;
    LORE_RETURN_IF_ERROR(parser.read("type", &raw_type));
    info.type = static_cast<TensorType>(raw_type);
    const TensorTypeTraits traits = tensor_type_traits(info.type);
    if (!traits.is_known) {
        return parser.unsupported("unknown tensor type " + num(raw_type) + " at byte " +
                                  num(type_at));
    }
    if (static_cast<std::uint64_t>(info.ne[0]) % static_cast<std::uint64_t>(traits.block_size) !=
        0) {
        return parser.corrupt("ne[0] = " + num(static_cast<std::uint64_t>(info.ne[0])) +
                              " is not a multiple of the " + std::string(traits.name) +
                              " block size " + num(static_cast<std::uint64_t>(traits.block_size)));
    }
    const std::uint64_t n_blocks = n_elements / static_cast<std::uint64_t>(traits.block_size);
    if (__builtin_mul_overflow(n_blocks, std::uint64_t{traits.block_bytes}, &info.n_bytes)) {
        return parser.corrupt("byte size of " + num(n_elements) + " " + std::string(traits.name) +
                              " elements overflows");
    }
    LORE_RETURN_IF_ERROR(parser.read("offset", &info.offset));
    impl.tensors.push_back(std::move(info));
    return Status::ok();
}

// Places the data section and checks each tensor's offset, extent and overlap.
Status place_tensors(Parser& parser, GgufContents& impl) {
    const std::uint64_t file_size = parser.size();
    const std::uint64_t align = impl.alignment;
    const std::uint64_t infos_end = parser.pos();
    std::uint64_t padded = 0;
    if (__builtin_add_overflow(infos_end, align - 1, &padded)) {
        return parser.corrupt("data section offset overflows");
    }
    impl.data_offset = padded / align * align;
    if (impl.tensors.empty()) {
        return Status::ok();
    }
    parser.set_context("data section");
    if (impl.data_offset > file_size) {
        return parser.corrupt("starts at byte " + num(impl.data_offset) +
                              " (tensor infos end at byte " + num(infos_end) + ", aligned to " +
                              num(align) + "), past file size " + num(file_size));
    }
    for (TensorInfo& info : impl.tensors) {
        const std::string where = "gguf: tensor '" + printable(info.name) + "'";
        if (info.offset % align != 0) {
            return Status::corruption(where + ": data offset " + num(info.offset) +
                                      " is not a multiple of the alignment " + num(align));
        }
        std::uint64_t end = 0;
        std::uint64_t end_in_file = 0;
        if (__builtin_add_overflow(info.offset, info.n_bytes, &end) ||
            __builtin_add_overflow(impl.data_offset, end, &end_in_file)) {
            return Status::corruption(where + ": data offset " + num(info.offset) + " + " +
                                      num(info.n_bytes) + " bytes overflows, past file size " +
                                      num(file_size));
        }
        if (end_in_file > file_size) {
            return Status::corruption(where + " ends at byte " + num(end_in_file) +
                                      ", past file size " + num(file_size));
        }
        info.data = parser.data_at(impl.data_offset + info.offset);
    }
    std::vector<const TensorInfo*> by_offset;
    by_offset.reserve(impl.tensors.size());
    for (const TensorInfo& info : impl.tensors) {
        by_offset.push_back(&info);
    }
    std::sort(by_offset.begin(), by_offset.end(),
              [](const TensorInfo* a, const TensorInfo* b) { return a->offset < b->offset; });
    for (std::size_t idx = 1; idx < by_offset.size(); ++idx) {
        const TensorInfo& prev = *by_offset[idx - 1];
        const TensorInfo& cur = *by_offset[idx];
        if (prev.offset + prev.n_bytes > cur.offset) {
            return Status::corruption("gguf: tensor '" + printable(cur.name) + "' at data offset " +
                                      num(cur.offset) + " overlaps tensor '" +
                                      printable(prev.name) + "' (data offset " + num(prev.offset) +
                                      ", " + num(prev.n_bytes) + " bytes)");
        }
    }
    return Status::ok();
}

}  // namespace

GgufFile::GgufFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

GgufFile::GgufFile(GgufFile&&) noexcept = default;

GgufFile& GgufFile::operator=(GgufFile&&) noexcept = default;

GgufFile::~GgufFile() = default;

namespace {

Status parse_into(std::span<const std::uint8_t> bytes, GgufContents& impl) {
    Parser parser(bytes);
    LORE_RETURN_IF_ERROR(parse_header(parser, &impl.version));
    std::uint64_t n_tensors = 0;
    std::uint64_t n_kv = 0;
    LORE_RETURN_IF_ERROR(parser.read("tensor count", &n_tensors));
    LORE_RETURN_IF_ERROR(parser.read("metadata count", &n_kv));
    LORE_RETURN_IF_ERROR(parse_metadata(parser, n_kv, impl));
    parser.set_context("tensor infos at byte " + num(parser.pos()));
    if (n_tensors > parser.remaining() / kMinTensorInfoBytes) {
        return parser.corrupt("tensor count " + num(n_tensors) +
                              " (header byte 8) cannot fit in the remaining " +
                              num(parser.remaining()) + " bytes");
    }
    impl.tensors.reserve(static_cast<std::size_t>(n_tensors));
    for (std::uint64_t tensor_idx = 0; tensor_idx < n_tensors; ++tensor_idx) {
        LORE_RETURN_IF_ERROR(parse_tensor_info(parser, tensor_idx, impl));
    }
    return place_tensors(parser, impl);
}

}  // namespace

Result<GgufFile> GgufFile::parse(std::span<const std::uint8_t> bytes) {
    auto impl = std::make_unique<Impl>();
    impl->file = MappedFile::borrow(bytes);
    LORE_RETURN_IF_ERROR(parse_into(bytes, *impl));
    return GgufFile(std::move(impl));
}

Result<GgufFile> GgufFile::open(const std::filesystem::path& path, LoadMode mode) {
    auto impl = std::make_unique<Impl>();
    LORE_ASSIGN_OR_RETURN(
        impl->file, mode == LoadMode::kRead ? MappedFile::read(path) : MappedFile::open(path));
    Status status = parse_into(impl->file.bytes(), *impl);
    if (!status.is_ok()) {
        // "gguf: <what>" becomes "gguf: <path>: <what>".
        std::string message = status.message();
        constexpr std::string_view kPrefix = "gguf: ";
        if (message.starts_with(kPrefix)) {
            message.erase(0, kPrefix.size());
        }
        return Status(status.code(), "gguf: " + path.string() + ": " + message);
    }
    return GgufFile(std::move(impl));
}

std::uint32_t GgufFile::version() const {
    return impl_->version;
}

std::size_t GgufFile::alignment() const {
    return static_cast<std::size_t>(impl_->alignment);
}

std::uint64_t GgufFile::data_offset() const {
    return impl_->data_offset;
}

std::uint64_t GgufFile::file_size() const {
    return impl_->file.size();
}

const std::vector<KeyValue>& GgufFile::metadata() const {
    return impl_->metadata;
}

const std::vector<TensorInfo>& GgufFile::tensors() const {
    return impl_->tensors;
}

const Value* GgufFile::find(std::string_view key) const {
    auto it = impl_->key_index.find(key);
    return it == impl_->key_index.end() ? nullptr : &impl_->metadata[it->second].value;
}

const TensorInfo* GgufFile::find_tensor(std::string_view name) const {
    auto it = impl_->tensor_index.find(name);
    return it == impl_->tensor_index.end() ? nullptr : &impl_->tensors[it->second];
}

namespace {

Status missing_key(std::string_view key) {
    return Status::not_found("gguf: metadata key '" + printable(key) + "' not found");
}

Status wrong_type(std::string_view key, const Value& value, std::string_view expected) {
    std::string actual(value_type_name(value.type));
    if (value.is_array()) {
        actual += " of ";
        actual += value_type_name(value.array_type);
    }
    return Status::corruption("gguf: metadata key '" + printable(key) + "' has type " + actual +
                              ", expected " + std::string(expected));
}

}  // namespace

void GgufFile::release_pages(std::span<const std::uint8_t> bytes) const {
    impl_->file.release_pages(bytes);
}

Result<std::string_view> GgufFile::get_string(std::string_view key) const {
    const Value* value = find(key);
    if (value == nullptr) {
        return missing_key(key);
    }
    if (!value->is_string()) {
        return wrong_type(key, *value, "str");
    }
    return value->str;
}

Result<std::int64_t> GgufFile::get_int(std::string_view key) const {
    const Value* value = find(key);
    if (value == nullptr) {
        return missing_key(key);
    }
    if (!value->is_integer()) {
        return wrong_type(key, *value, "an integer");
    }
    std::optional<std::int64_t> v = value->as_int();
    if (!v) {
        return Status::corruption("gguf: metadata key '" + printable(key) + "' value " +
                                  num(value->u) + " exceeds the int64 range");
    }
    return *v;
}

Result<double> GgufFile::get_float(std::string_view key) const {
    const Value* value = find(key);
    if (value == nullptr) {
        return missing_key(key);
    }
    if (value->type != ValueType::kFloat32 && value->type != ValueType::kFloat64) {
        return wrong_type(key, *value, "f32 or f64");
    }
    return value->f;
}

Result<bool> GgufFile::get_bool(std::string_view key) const {
    const Value* value = find(key);
    if (value == nullptr) {
        return missing_key(key);
    }
    if (value->type != ValueType::kBool) {
        return wrong_type(key, *value, "bool");
    }
    return value->u != 0;
}

Result<std::vector<std::string_view>> GgufFile::get_string_array(std::string_view key) const {
    const Value* value = find(key);
    if (value == nullptr) {
        return missing_key(key);
    }
    if (!value->is_array() || value->array_type != ValueType::kString) {
        return wrong_type(key, *value, "arr of str");
    }
    std::vector<std::string_view> out;
    out.reserve(value->array.size());
    for (const Value& element : value->array) {
        out.push_back(element.str);
    }
    return out;
}

Result<std::vector<float>> GgufFile::get_float_array(std::string_view key) const {
    const Value* value = find(key);
    if (value == nullptr) {
        return missing_key(key);
    }
    if (!value->is_array() ||
        (value->array_type != ValueType::kFloat32 && value->array_type != ValueType::kFloat64)) {
        return wrong_type(key, *value, "arr of f32 or f64");
    }
    std::vector<float> out;
    out.reserve(value->array.size());
    for (const Value& element : value->array) {
        out.push_back(static_cast<float>(element.f));
    }
    return out;
}

Result<std::vector<std::int64_t>> GgufFile::get_int_array(std::string_view key) const {
    const Value* value = find(key);
    if (value == nullptr) {
        return missing_key(key);
    }
    Value element_kind;
    element_kind.type = value->array_type;
    if (!value->is_array() || !element_kind.is_integer()) {
        return wrong_type(key, *value, "arr of integers");
    }
    std::vector<std::int64_t> out;
    out.reserve(value->array.size());
    for (std::size_t idx = 0; idx < value->array.size(); ++idx) {
        std::optional<std::int64_t> v = value->array[idx].as_int();
        if (!v) {
            return Status::corruption("gguf: metadata key '" + printable(key) + "' element " +
                                      num(idx) + " exceeds the int64 range");
        }
        out.push_back(*v);
    }
    return out;
}

}  // namespace lore::gguf
