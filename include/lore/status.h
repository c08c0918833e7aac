// Status: the outcome of an operation that can fail for a reason outside the program
// (a bad file, a malformed request, a full disk). lore never throws across its API;
// every such failure is a Status with a code and a lower-case message that names the
// subsystem, what went wrong, where, and the bad value.
//
// Thread safety: a Status is a value; copies are independent.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace lore {

enum class StatusCode {
    kOk = 0,
    kInvalidArgument,
    kNotFound,
    kCorruption,
    kIoError,
    kUnsupported,
    kCancelled,
    kResourceExhausted,
    kDeadlineExceeded,
    kInternal,
};

// Returns "ok", "invalid argument", ... for messages and logs.
std::string_view status_code_name(StatusCode code);

class [[nodiscard]] Status {
public:
    Status() = default;  // ok

    Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

    static Status ok() { return Status(); }

    static Status invalid_argument(std::string msg) {
        return {StatusCode::kInvalidArgument, std::move(msg)};
    }

    static Status not_found(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }

    static Status corruption(std::string msg) { return {StatusCode::kCorruption, std::move(msg)}; }

    static Status io_error(std::string msg) { return {StatusCode::kIoError, std::move(msg)}; }

    static Status unsupported(std::string msg) {
        return {StatusCode::kUnsupported, std::move(msg)};
    }

    static Status cancelled(std::string msg) { return {StatusCode::kCancelled, std::move(msg)}; }

    static Status resource_exhausted(std::string msg) {
        return {StatusCode::kResourceExhausted, std::move(msg)};
    }

    static Status deadline_exceeded(std::string msg) {
        return {StatusCode::kDeadlineExceeded, std::move(msg)};
    }

    static Status internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }

    bool is_ok() const { return code_ == StatusCode::kOk; }

    StatusCode code() const { return code_; }

    const std::string& message() const { return message_; }

    // "corruption: gguf: ..." or "ok".
    std::string to_string() const;

    // Process exit code for the CLI: 0 for ok, 2 for invalid arguments, 1 otherwise.
    int to_exit_code() const;

private:
    StatusCode code_ = StatusCode::kOk;
    std::string message_;
};

}  // namespace lore

// Evaluates `expr` (a Status); returns it from the enclosing function when it is not ok.
#define LORE_RETURN_IF_ERROR(expr)            \
    do {                                      \
        ::lore::Status lore_status_ = (expr); \
        if (!lore_status_.is_ok()) {          \
            return lore_status_;              \
        }                                     \
    } while (false)
