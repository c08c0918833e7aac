#include "lore/status.h"

namespace lore {

std::string_view status_code_name(StatusCode code) {
    switch (code) {
        case StatusCode::kOk: return "ok";
        case StatusCode::kInvalidArgument: return "invalid argument";
        case StatusCode::kNotFound: return "not found";
        case StatusCode::kCorruption: return "corruption";
        case StatusCode::kIoError: return "i/o error";
        case StatusCode::kUnsupported: return "unsupported";
        case StatusCode::kCancelled: return "cancelled";
        case StatusCode::kResourceExhausted: return "resource exhausted";
        case StatusCode::kDeadlineExceeded: return "deadline exceeded";
        case StatusCode::kInternal: return "internal";
    }
    return "unknown";
}

std::string Status::to_string() const {
    if (is_ok()) {
        return "ok";
    }
    std::string out(status_code_name(code_));
    out += ": ";
    out += message_;
    return out;
}

int Status::to_exit_code() const {
    switch (code_) {
        case StatusCode::kOk: return 0;
        case StatusCode::kInvalidArgument: return 2;
        default: return 1;
    }
}

}  // namespace lore
