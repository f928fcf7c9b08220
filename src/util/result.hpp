// Errors for bad input and failing environments, carried as values.
// Thread-safety: plain value types. Determinism: no state.
#pragma once

#include <string>
#include <tl/expected.hpp>
#include <type_traits>
#include <utility>

namespace fp {

// Process exit codes of CONTRACT.md; an Error carries the one it maps to.
enum class ErrorCode : int {
    kInternal = 1,     // a bug
    kBadInput = 2,     // a file, flag or config value is wrong
    kEnvironment = 3,  // I/O error, disk full, MPI or libvirt failure
    // Not a failure: `plan --fail-on-unresolved` wrote every output, and summary.json lists
    // unresolved items. main() prints the message as a note and exits 4.
    kUnresolved = 4,
};

// What an error is about, when the function that found it cannot name it and its caller can
// (say, a file the caller read and passed in as values). Callers tell errors apart by this,
// never by their message text.
enum class ErrorSource : int {
    kUnspecified = 0,
    kJournal,  // an entry of the dispatch journal given to run_dispatch as `prior`
};

struct Error {
    ErrorCode code = ErrorCode::kBadInput;
    std::string msg;      // complete, user-facing (e.g. "hosts.csv:4:cpu: not a number")
    std::string context;  // optional extra detail (which command, which file)
    // Set: msg says what is wrong but leaves naming the source to the caller, who prefixes it.
    ErrorSource source = ErrorSource::kUnspecified;
};

// tl::expected<T, Error> that cannot be dropped: a call whose Result is ignored does not compile
// (-Werror). Where ignoring an error really is intended, say so with a cast to void and a comment.
// A class rather than an alias, as an alias cannot carry [[nodiscard]]; it adds no state and
// converts to and from tl::expected<T, Error>.
template <typename T>
class [[nodiscard]] Result : public tl::expected<T, Error> {
    using Base = tl::expected<T, Error>;

  public:
    using Base::Base;
    Result() = default;
    Result(const Base& b) : Base(b) {}        // NOLINT(google-explicit-constructor)
    Result(Base&& b) : Base(std::move(b)) {}  // NOLINT(google-explicit-constructor)
    // Whatever tl::expected takes (a value, an unexpected<Error>); a Result uses the implicit
    // copy and move assignments.
    template <typename U,
              typename = std::enable_if_t<!std::is_same_v<std::remove_cvref_t<U>, Result> &&
                                          std::is_assignable_v<Base&, U&&>>>
    Result& operator=(U&& u) {
        Base::operator=(std::forward<U>(u));
        return *this;
    }
};

[[nodiscard]] inline tl::unexpected<Error> fail(ErrorCode code, std::string msg,
                                                std::string context = {}) {
    return tl::unexpected<Error>(Error{code, std::move(msg), std::move(context)});
}
[[nodiscard]] inline tl::unexpected<Error> bad_input(std::string msg) {
    return fail(ErrorCode::kBadInput, std::move(msg));
}

}  // namespace fp
