// GgufWriter: lays out a GGUF v3 file (docs/formats/gguf.md) from metadata set in
// insertion order and tensors added with their data. Values are encoded when they are set,
// so a Value's string views need to live only for the call. Tensor data is padded to the
// alignment; offsets count from the data section start.
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

#include "lore/gguf.h"

namespace lore::gguf {

static_assert(std::endian::native == std::endian::little,
              "the gguf writer stores little-endian fields with memcpy");

namespace {

constexpr std::uint32_t kVersion = 3;
constexpr std::uint32_t kDefaultAlignment = 32;

using Bytes = std::vector<std::uint8_t>;

template <typename T>
void put(Bytes& out, T v) {
    const std::size_t at = out.size();
    out.resize(at + sizeof(T));
    std::memcpy(out.data() + at, &v, sizeof(T));
}

void put_string(Bytes& out, std::string_view s) {
    put<std::uint64_t>(out, s.size());
    out.insert(out.end(), s.begin(), s.end());
}

// The payload of `value` read as `type` (for array elements, the array's element type
// decides which field is read, whatever the element's own `type` says).
void put_payload(Bytes& out, ValueType type, const Value& value) {
    switch (type) {
        case ValueType::kUint8: put(out, static_cast<std::uint8_t>(value.u)); break;
        case ValueType::kInt8: put(out, static_cast<std::int8_t>(value.i)); break;
        case ValueType::kUint16: put(out, static_cast<std::uint16_t>(value.u)); break;
        case ValueType::kInt16: put(out, static_cast<std::int16_t>(value.i)); break;
        case ValueType::kUint32: put(out, static_cast<std::uint32_t>(value.u)); break;
        case ValueType::kInt32: put(out, static_cast<std::int32_t>(value.i)); break;
        case ValueType::kFloat32: put(out, static_cast<float>(value.f)); break;
        case ValueType::kBool: put(out, static_cast<std::uint8_t>(value.u != 0 ? 1 : 0)); break;
        case ValueType::kString: put_string(out, value.str); break;
        case ValueType::kUint64: put(out, value.u); break;
        case ValueType::kInt64: put(out, value.i); break;
        case ValueType::kFloat64: put(out, value.f); break;
        case ValueType::kArray:
            put(out, static_cast<std::uint32_t>(value.array_type));
            put<std::uint64_t>(out, value.array.size());
            for (const Value& element : value.array) {
                put_payload(out, value.array_type, element);
            }
            break;
    }
}

std::uint64_t align_up(std::uint64_t n, std::uint64_t align) {
    return (n + align - 1) / align * align;
}

}  // namespace

struct GgufWriter::Impl {
    struct Entry {
        std::string key;
        Bytes encoded;  // u32 value type, then the value
    };

    struct Tensor {
        std::string name;
        TensorType type = TensorType::kF32;
        std::vector<std::int64_t> ne;
        Bytes data;
    };

    void set(std::string key, Bytes encoded) {
        for (Entry& entry : entries) {
            if (entry.key == key) {
                entry.encoded = std::move(encoded);
                return;
            }
        }
        entries.push_back({std::move(key), std::move(encoded)});
    }

    // Everything before the data section, unpadded, and each tensor's data offset.
    Bytes head(std::vector<std::uint64_t>* offsets) const {
        Bytes out;
        put<std::uint32_t>(out, 0x46554747u);  // "GGUF"
        put<std::uint32_t>(out, kVersion);
        put<std::uint64_t>(out, tensors.size());
        put<std::uint64_t>(out, entries.size());
        for (const Entry& entry : entries) {
            put_string(out, entry.key);
            out.insert(out.end(), entry.encoded.begin(), entry.encoded.end());
        }
        std::uint64_t offset = 0;
        for (const Tensor& tensor : tensors) {
            put_string(out, tensor.name);
            put<std::uint32_t>(out, static_cast<std::uint32_t>(tensor.ne.size()));
            for (std::int64_t ne : tensor.ne) {
                put<std::uint64_t>(out, static_cast<std::uint64_t>(ne));
            }
            put<std::uint32_t>(out, static_cast<std::uint32_t>(tensor.type));
            put<std::uint64_t>(out, offset);
            offsets->push_back(offset);
            offset = align_up(offset + tensor.data.size(), alignment);
        }
        return out;
    }

    // Calls emit(pointer, size) for each piece of the file, in order.
    template <typename Emit>
    void emit_file(Emit&& emit) const {
        std::vector<std::uint64_t> offsets;
        Bytes bytes = head(&offsets);
        const std::uint64_t data_start = align_up(bytes.size(), alignment);
        bytes.resize(static_cast<std::size_t>(data_start), 0);
        emit(bytes.data(), bytes.size());
        const Bytes padding(alignment, 0);
        std::uint64_t written = 0;
        for (std::size_t idx = 0; idx < tensors.size(); ++idx) {
            emit(padding.data(), static_cast<std::size_t>(offsets[idx] - written));
            emit(tensors[idx].data.data(), tensors[idx].data.size());
            written = offsets[idx] + tensors[idx].data.size();
        }
        if (!tensors.empty()) {
            emit(padding.data(), static_cast<std::size_t>(align_up(written, alignment) - written));
        }
    }

    std::vector<Entry> entries;
    std::vector<Tensor> tensors;
    std::uint64_t alignment = kDefaultAlignment;
};

GgufWriter::GgufWriter() : impl_(std::make_unique<Impl>()) {}

GgufWriter::~GgufWriter() = default;

namespace {

template <typename T>
Bytes encode_scalar(ValueType type, T v) {
    Bytes out;
    put(out, static_cast<std::uint32_t>(type));
    put(out, v);
    return out;
}

}  // namespace

void GgufWriter::set_u32(std::string key, std::uint32_t v) {
    if (key == "general.alignment" && std::has_single_bit(v)) {
        impl_->alignment = v;  // an invalid value is still written (for tests), not used
    }
    impl_->set(std::move(key), encode_scalar(ValueType::kUint32, v));
}

void GgufWriter::set_i32(std::string key, std::int32_t v) {
    impl_->set(std::move(key), encode_scalar(ValueType::kInt32, v));
}

void GgufWriter::set_u64(std::string key, std::uint64_t v) {
    impl_->set(std::move(key), encode_scalar(ValueType::kUint64, v));
}

void GgufWriter::set_f32(std::string key, float v) {
    impl_->set(std::move(key), encode_scalar(ValueType::kFloat32, v));
}

void GgufWriter::set_bool(std::string key, bool v) {
    impl_->set(std::move(key),
               encode_scalar(ValueType::kBool, static_cast<std::uint8_t>(v ? 1 : 0)));
}

void GgufWriter::set_string(std::string key, std::string v) {
    Bytes out;
    put(out, static_cast<std::uint32_t>(ValueType::kString));
    put_string(out, v);
    impl_->set(std::move(key), std::move(out));
}

void GgufWriter::set_string_array(std::string key, std::vector<std::string> v) {
    Bytes out;
    put(out, static_cast<std::uint32_t>(ValueType::kArray));
    put(out, static_cast<std::uint32_t>(ValueType::kString));
    put<std::uint64_t>(out, v.size());
    for (const std::string& s : v) {
        put_string(out, s);
    }
    impl_->set(std::move(key), std::move(out));
}

void GgufWriter::set_f32_array(std::string key, std::vector<float> v) {
    Bytes out;
    put(out, static_cast<std::uint32_t>(ValueType::kArray));
    put(out, static_cast<std::uint32_t>(ValueType::kFloat32));
    put<std::uint64_t>(out, v.size());
    for (float f : v) {
        put(out, f);
    }
    impl_->set(std::move(key), std::move(out));
}

void GgufWriter::set_i32_array(std::string key, std::vector<std::int32_t> v) {
    Bytes out;
    put(out, static_cast<std::uint32_t>(ValueType::kArray));
    put(out, static_cast<std::uint32_t>(ValueType::kInt32));
    put<std::uint64_t>(out, v.size());
    for (std::int32_t i : v) {
        put(out, i);
    }
    impl_->set(std::move(key), std::move(out));
}

void GgufWriter::set_value(std::string key, Value v) {
    if (key == "general.alignment" && v.type == ValueType::kUint32) {
        set_u32(std::move(key), static_cast<std::uint32_t>(v.u));
        return;
    }
    Bytes out;
    put(out, static_cast<std::uint32_t>(v.type));
    put_payload(out, v.type, v);
    impl_->set(std::move(key), std::move(out));
}

Status GgufWriter::add_tensor(std::string name,
                              TensorType type,
                              std::vector<std::int64_t> ne,
                              std::span<const std::uint8_t> data) {
    return add_tensor(std::move(name), type, std::move(ne),
                      std::vector<std::uint8_t>(data.begin(), data.end()));
}

Status GgufWriter::add_tensor(std::string name,
                              TensorType type,
                              std::vector<std::int64_t> ne,
                              std::vector<std::uint8_t>&& data) {
    const std::string where = "gguf writer: tensor '" + name + "'";
    if (name.empty()) {
        return Status::invalid_argument("gguf writer: empty tensor name");
    }
    for (const Impl::Tensor& tensor : impl_->tensors) {
        if (tensor.name == name) {
            return Status::invalid_argument(where + " added twice");
        }
    }
    const TensorTypeTraits traits = tensor_type_traits(type);
    if (!traits.is_known) {
        return Status::invalid_argument(where + ": unknown tensor type " +
                                        std::to_string(static_cast<std::uint32_t>(type)));
    }
    if (ne.empty() || ne.size() > 4) {
        return Status::invalid_argument(where + ": " + std::to_string(ne.size()) +
                                        " dimensions, expected 1..4");
    }
    std::uint64_t n_elements = 1;
    for (std::int64_t n : ne) {
        if (n < 1 ||
            __builtin_mul_overflow(n_elements, static_cast<std::uint64_t>(n), &n_elements)) {
            return Status::invalid_argument(where + ": bad dimension " + std::to_string(n));
        }
    }
    if (ne[0] % traits.block_size != 0) {
        return Status::invalid_argument(where + ": ne[0] = " + std::to_string(ne[0]) +
                                        " is not a multiple of the " + std::string(traits.name) +
                                        " block size " + std::to_string(traits.block_size));
    }
    const std::uint64_t n_bytes =
        n_elements / static_cast<std::uint64_t>(traits.block_size) * traits.block_bytes;
    if (data.size() != n_bytes) {
        return Status::invalid_argument(where + ": " + std::to_string(data.size()) +
                                        " bytes of data, the shape needs " +
                                        std::to_string(n_bytes));
    }
    impl_->tensors.push_back({std::move(name), type, std::move(ne), std::move(data)});
    return Status::ok();
}

std::vector<std::uint8_t> GgufWriter::bytes() const {
    Bytes out;
    impl_->emit_file(
        [&out](const std::uint8_t* p, std::size_t n) { out.insert(out.end(), p, p + n); });
    return out;
}

Status GgufWriter::write(const std::filesystem::path& path) const {
    std::filesystem::path tmp = path;
    tmp += ".tmp." + std::to_string(::getpid());
    auto fail = [&](const char* what, int err) {
        ::unlink(tmp.c_str());
        return Status::io_error("gguf writer: " + std::string(what) + " '" + tmp.string() +
                                "': " + std::strerror(err));  // NOLINT(concurrency-mt-unsafe)
    };
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return Status::io_error("gguf writer: cannot create '" + tmp.string() +
                                "': " + std::strerror(errno));  // NOLINT(concurrency-mt-unsafe)
    }
    int write_errno = 0;
    impl_->emit_file([&](const std::uint8_t* p, std::size_t n) {
        while (n > 0 && write_errno == 0) {
            ssize_t done = ::write(fd, p, n);
            if (done < 0) {
                if (errno != EINTR) {
                    write_errno = errno;
                }
                continue;
            }
            p += done;
            n -= static_cast<std::size_t>(done);
        }
    });
    if (write_errno != 0) {
        ::close(fd);
        return fail("cannot write", write_errno);
    }
    if (::fsync(fd) != 0) {
        int err = errno;
        ::close(fd);
        return fail("cannot sync", err);
    }
    if (::close(fd) != 0) {
        return fail("cannot close", errno);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        return Status::io_error("gguf writer: cannot rename '" + tmp.string() + "' to '" +
                                path.string() +
                                "': " + std::strerror(err));  // NOLINT(concurrency-mt-unsafe)
    }
    return Status::ok();
}

}  // namespace lore::gguf
