// `lore inspect FILE [--all]`: what a GGUF file holds, for a person. Prints the header
// facts, one metadata line per key (`key  type  value`; arrays as `arr[type,count]` with
// the first few elements, all of them with --all; strings quoted, long ones cut), then the
// tensor table (name, type, shape in ggml order, data offset, bytes) and totals. A file
// the reader rejects prints the Status and exits non-zero.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "lore/gguf.h"

#include "cli/commands.h"

namespace lore::cli {

namespace {

constexpr std::size_t kShownElements = 8;
constexpr std::size_t kShownStringBytes = 80;

struct InspectOptions {
    std::string path;
    bool show_all = false;
};

std::string format_float(double v, bool is_f32) {
    char buf[64];
    auto res = is_f32 ? std::to_chars(buf, buf + sizeof(buf), static_cast<float>(v))
                      : std::to_chars(buf, buf + sizeof(buf), v);
    return std::string(buf, res.ptr);
}

// `s` quoted, with quotes, backslashes and control bytes escaped; cut after
// kShownStringBytes (at a character boundary) unless `show_all`.
std::string quote(std::string_view s, bool show_all) {
    std::size_t cut = s.size();
    if (!show_all && cut > kShownStringBytes) {
        cut = kShownStringBytes;
        while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) {
            --cut;
        }
    }
    std::string out = "\"";
    for (std::size_t idx = 0; idx < cut; ++idx) {
        const auto c = static_cast<unsigned char>(s[idx]);
        switch (c) {
            case '"': out += "\\\""; break;
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
                    out += static_cast<char>(c);
                }
        }
    }
    out += '"';
    if (cut < s.size()) {
        out += "... (" + std::to_string(s.size()) + " bytes)";
    }
    return out;
}

std::string type_label(const gguf::Value& value) {
    if (!value.is_array()) {
        return std::string(gguf::value_type_name(value.type));
    }
    return "arr[" + std::string(gguf::value_type_name(value.array_type)) + "," +
           std::to_string(value.array.size()) + "]";
}

std::string format_value(const gguf::Value& value, bool show_all) {
    using gguf::ValueType;
    switch (value.type) {
        case ValueType::kUint8:
        case ValueType::kUint16:
        case ValueType::kUint32:
        case ValueType::kUint64: return std::to_string(value.u);
        case ValueType::kInt8:
        case ValueType::kInt16:
        case ValueType::kInt32:
        case ValueType::kInt64: return std::to_string(value.i);
        case ValueType::kFloat32: return format_float(value.f, true);
        case ValueType::kFloat64: return format_float(value.f, false);
        case ValueType::kBool: return value.u != 0 ? "true" : "false";
        case ValueType::kString: return quote(value.str, show_all);
        case ValueType::kArray: break;
    }
    const std::size_t n = value.array.size();
    const std::size_t n_shown = show_all ? n : std::min(n, kShownElements);
    std::string out = "[";
    for (std::size_t idx = 0; idx < n_shown; ++idx) {
        if (idx > 0) {
            out += ", ";
        }
        out += format_value(value.array[idx], show_all);
    }
    if (n_shown < n) {
        out += ", ... " + std::to_string(n - n_shown) + " more";
    }
    out += "]";
    return out;
}

std::string format_shape(const std::vector<std::int64_t>& ne) {
    std::string out = "[";
    for (std::size_t idx = 0; idx < ne.size(); ++idx) {
        if (idx > 0) {
            out += ", ";
        }
        out += std::to_string(ne[idx]);
    }
    return out + "]";
}

// 1234567 -> "1.23 M"; for the totals line.
std::string human(std::uint64_t n) {
    char buf[32];
    if (n >= 1000000000ull) {
        std::snprintf(buf, sizeof(buf), "%.2f G", static_cast<double>(n) / 1e9);
    } else if (n >= 1000000ull) {
        std::snprintf(buf, sizeof(buf), "%.2f M", static_cast<double>(n) / 1e6);
    } else if (n >= 1000ull) {
        std::snprintf(buf, sizeof(buf), "%.2f K", static_cast<double>(n) / 1e3);
    } else {
        return std::to_string(n);
    }
    return buf;
}

int run_inspect(const InspectOptions& options) {
    Result<gguf::GgufFile> opened = gguf::GgufFile::open(options.path);
    if (!opened.has_value()) {
        std::fprintf(stderr, "lore inspect: %s\n", opened.status().to_string().c_str());
        return opened.status().to_exit_code();
    }
    const gguf::GgufFile& file = *opened;

    std::printf("file:       %s\n", options.path.c_str());
    std::printf(
        "gguf:       version %u, alignment %zu, data section at byte %llu, "
        "file size %llu bytes\n",
        file.version(), file.alignment(), static_cast<unsigned long long>(file.data_offset()),
        static_cast<unsigned long long>(file.file_size()));

    std::size_t key_width = 0;
    std::size_t type_width = 0;
    for (const gguf::KeyValue& kv : file.metadata()) {
        key_width = std::max(key_width, std::min<std::size_t>(kv.key.size(), 48));
        type_width = std::max(type_width, type_label(kv.value).size());
    }
    std::printf("\nmetadata (%zu keys):\n", file.metadata().size());
    for (const gguf::KeyValue& kv : file.metadata()) {
        std::printf("  %-*.*s  %-*s  %s\n", static_cast<int>(key_width),
                    static_cast<int>(kv.key.size()), kv.key.data(), static_cast<int>(type_width),
                    type_label(kv.value).c_str(), format_value(kv.value, options.show_all).c_str());
    }

    std::size_t name_width = 4;
    std::size_t shape_width = 5;
    for (const gguf::TensorInfo& info : file.tensors()) {
        name_width = std::max(name_width, info.name.size());
        shape_width = std::max(shape_width, format_shape(info.ne).size());
    }
    std::printf("\ntensors (%zu):\n", file.tensors().size());
    std::printf("  %-*s  %-7s  %-*s  %12s  %12s\n", static_cast<int>(name_width), "name", "type",
                static_cast<int>(shape_width), "shape", "offset", "bytes");
    std::uint64_t n_params = 0;
    std::uint64_t n_bytes = 0;
    std::map<std::string, std::size_t> n_by_type;
    for (const gguf::TensorInfo& info : file.tensors()) {
        const std::string type_name(tensor_type_traits(info.type).name);
        std::printf("  %-*.*s  %-7s  %-*s  %12llu  %12llu\n", static_cast<int>(name_width),
                    static_cast<int>(info.name.size()), info.name.data(), type_name.c_str(),
                    static_cast<int>(shape_width), format_shape(info.ne).c_str(),
                    static_cast<unsigned long long>(info.offset),
                    static_cast<unsigned long long>(info.n_bytes));
        n_params += info.n_elements;
        n_bytes += info.n_bytes;
        ++n_by_type[type_name];
    }
    std::printf(
        "\ntotals:     %zu tensors, %llu parameters (%s), %llu bytes of tensor data (%sB)\n",
        file.tensors().size(), static_cast<unsigned long long>(n_params), human(n_params).c_str(),
        static_cast<unsigned long long>(n_bytes), human(n_bytes).c_str());
    if (!n_by_type.empty()) {
        std::string types;
        for (const auto& [name, count] : n_by_type) {
            types += (types.empty() ? "" : ", ") + name + " " + std::to_string(count);
        }
        std::printf("types:      %s\n", types.c_str());
    }
    return 0;
}

}  // namespace

void add_inspect_command(CLI::App& app, CommandContext& ctx) {
    auto options = std::make_shared<InspectOptions>();
    CLI::App* cmd = app.add_subcommand("inspect", "show a GGUF file's metadata and tensor table");
    cmd->add_option("file", options->path, "GGUF file")->required();
    cmd->add_flag("--all", options->show_all, "print whole arrays and strings");
    cmd->callback([options, &ctx] { ctx.exit_code = run_inspect(*options); });
}

}  // namespace lore::cli
