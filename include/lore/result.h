// Result<T>: a value or the Status that explains why there is none. It has the shape of
// C++23's std::expected<T, Status>, so moving to it later is a rename.
//
// Thread safety: a value type; not synchronised.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <type_traits>
#include <utility>

#include "lore/status.h"

namespace lore {

template <typename T>
class [[nodiscard]] Result {
public:
    // Implicit on purpose: `return value;` and `return Status::...;` both read naturally.
    Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)

    Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
        if (status_.is_ok()) {
            status_ = Status::internal("result: constructed from an ok status without a value");
        }
    }

    bool has_value() const { return value_.has_value(); }

    bool is_ok() const { return value_.has_value(); }

    explicit operator bool() const { return has_value(); }

    // The error; ok() when there is a value.
    const Status& status() const { return status_; }

    // REQUIRES: has_value().
    T& value() & {
        check_has_value();
        return *value_;
    }

    const T& value() const& {
        check_has_value();
        return *value_;
    }

    T&& value() && {
        check_has_value();
        return std::move(*value_);
    }

    T& operator*() & { return value(); }

    const T& operator*() const& { return value(); }

    T* operator->() { return &value(); }

    const T* operator->() const { return &value(); }

private:
    void check_has_value() const {
        if (!value_.has_value()) {
            std::fprintf(stderr, "lore: fatal: value() on a failed Result: %s\n",
                         status_.to_string().c_str());
            std::abort();
        }
    }

    std::optional<T> value_;
    Status status_;
};

}  // namespace lore

#define LORE_CONCAT_INNER_(a, b) a##b
#define LORE_CONCAT_(a, b) LORE_CONCAT_INNER_(a, b)

// `LORE_ASSIGN_OR_RETURN(T x, expr);` evaluates `expr` (a Result<T>), returns its Status
// from the enclosing function on failure, and otherwise moves the value into `x`.
#define LORE_ASSIGN_OR_RETURN(lhs, expr) \
    LORE_ASSIGN_OR_RETURN_IMPL_(LORE_CONCAT_(lore_result_, __LINE__), lhs, expr)

#define LORE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
    auto tmp = (expr);                              \
    if (!tmp.has_value()) {                         \
        return tmp.status();                        \
    }                                               \
    lhs = std::move(tmp).value()
