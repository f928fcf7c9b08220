// A small exact binary codec for the simulator's resumable state: fixed-width little-endian
// integers and IEEE doubles, length-prefixed vectors and strings. Reading past the end or a
// length beyond the remaining bytes marks the reader failed (no exceptions).
// Thread-safety: one object per thread.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

namespace fp::sim {

class ByteWriter {
  public:
    template <typename T>
    void put(T v) {
        static_assert(std::is_arithmetic_v<T>);
        char b[sizeof(T)];
        std::memcpy(b, &v, sizeof(T));
        out_.append(b, sizeof(T));
    }
    template <typename T>
    void put_vec(const std::vector<T>& v) {
        put<uint64_t>(v.size());
        for (const T& x : v) put<T>(x);
    }
    template <typename T>
    void put_vecvec(const std::vector<std::vector<T>>& v) {
        put<uint64_t>(v.size());
        for (const auto& x : v) put_vec(x);
    }
    void put_str(const std::string& s) {
        put<uint64_t>(s.size());
        out_ += s;
    }
    std::string& bytes() { return out_; }

  private:
    std::string out_;
};

class ByteReader {
  public:
    explicit ByteReader(const std::string& in) : in_(in) {}
    template <typename T>
    T get() {
        T v{};
        if (failed_ || pos_ + sizeof(T) > in_.size()) {
            failed_ = true;
            return v;
        }
        std::memcpy(&v, in_.data() + pos_, sizeof(T));
        pos_ += sizeof(T);
        return v;
    }
    template <typename T>
    std::vector<T> get_vec() {
        const uint64_t n = get<uint64_t>();
        if (failed_ || n > (in_.size() - pos_) / sizeof(T)) {
            failed_ = true;
            return {};
        }
        std::vector<T> v(n);
        for (auto& x : v) x = get<T>();
        return v;
    }
    template <typename T>
    std::vector<std::vector<T>> get_vecvec() {
        const uint64_t n = get<uint64_t>();
        if (failed_ || n > (in_.size() - pos_) / sizeof(uint64_t)) {
            failed_ = true;
            return {};
        }
        std::vector<std::vector<T>> v(n);
        for (auto& x : v) x = get_vec<T>();
        return v;
    }
    std::string get_str() {
        const uint64_t n = get<uint64_t>();
        if (failed_ || n > in_.size() - pos_) {
            failed_ = true;
            return {};
        }
        std::string s = in_.substr(pos_, n);
        pos_ += n;
        return s;
    }
    bool failed() const { return failed_; }
    // Marks the input invalid (a reader's caller found a value out of its range).
    void fail() { failed_ = true; }
    bool at_end() const { return pos_ == in_.size(); }

  private:
    const std::string& in_;
    size_t pos_ = 0;
    bool failed_ = false;
};

}  // namespace fp::sim
