// The pieces of the flat binary codecs that move many rows between ranks (VM rows, history
// samples, traffic pairs, shard outcomes): fixed-width little-endian fields and length-prefixed
// strings appended to a byte string, and a reader that checks every length against the bytes
// left and throws std::runtime_error on a short buffer (callers run decoding as a local step, so
// the ranks agree on it).
// Thread-safety: pure functions; a Reader belongs to one thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace fp::dist::flat {

template <typename T>
char* put(char* at, T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    std::memcpy(at, &v, sizeof v);
    return at + sizeof v;
}
inline char* put_str(char* at, std::string_view s) {
    at = put(at, static_cast<uint32_t>(s.size()));
    std::memcpy(at, s.data(), s.size());
    return at + s.size();
}
// Appending forms, for buffers not sized ahead.
template <typename T>
void append(std::string& out, T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
}
inline void append_str(std::string& out, std::string_view s) {
    append(out, static_cast<uint32_t>(s.size()));
    out.append(s);
}

class Reader {
  public:
    // `what` names the rows in the error a short buffer throws ("VM rows: truncated buffer").
    Reader(std::string_view b, const char* what) : b_(b), what_(what) {}
    bool done() const { return at_ == b_.size(); }
    template <typename T>
    T get() {
        static_assert(std::is_trivially_copyable_v<T>);
        need(sizeof(T));
        T v;
        std::memcpy(&v, b_.data() + at_, sizeof v);
        at_ += sizeof v;
        return v;
    }
    // A view into the buffer (valid while it is).
    std::string_view get_view() {
        const auto n = get<uint32_t>();
        need(n);
        std::string_view s = b_.substr(at_, n);
        at_ += n;
        return s;
    }
    std::string get_str() { return std::string(get_view()); }
    // A count of items of at least `min_bytes` each: one the bytes left cannot hold is a damaged
    // buffer (thrown before anything is allocated for it).
    size_t get_count(size_t min_bytes) {
        const auto n = get<uint64_t>();
        if (n > (b_.size() - at_) / std::max<size_t>(min_bytes, 1))
            throw std::runtime_error(std::string(what_) + ": count beyond the buffer");
        return static_cast<size_t>(n);
    }

  private:
    void need(size_t n) const {
        if (n > b_.size() - at_)
            throw std::runtime_error(std::string(what_) + ": truncated buffer");
    }
    std::string_view b_;
    const char* what_;
    size_t at_ = 0;
};

}  // namespace fp::dist::flat
