// FunctionRef: a non-owning reference to a callable, for calls that do not outlive it. It is
// what std::function offers a callee that only calls, without std::function's heap
// allocation for a callable larger than two pointers (a lambda capturing three locals by
// reference already is). The thread pool's jobs and the session's per-row callbacks are
// made hundreds of times per token; with FunctionRef none of them allocates.
//
// The callable must outlive the reference: pass a lambda straight to a FunctionRef
// parameter, or name the lambda and pass the name. Never store a FunctionRef made from a
// temporary.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

namespace lore {

template <typename Signature>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
public:
    // An empty reference: calling it is an error; test with operator bool.
    FunctionRef() = default;

    template <typename F>

    requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef> &&
             std::is_invocable_r_v<R, F&, Args...>)
        FunctionRef(F&& f)  // NOLINT(google-explicit-constructor): stands in for a callable
        : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
          call_([](void* object, Args... args) -> R {
              return (*static_cast<std::remove_reference_t<F>*>(object))(
                  std::forward<Args>(args)...);
          }) {}

    R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

    explicit operator bool() const { return call_ != nullptr; }

private:
    void* object_ = nullptr;
    R (*call_)(void*, Args...) = nullptr;
};

}  // namespace lore
