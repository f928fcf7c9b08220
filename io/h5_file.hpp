// The HDF5 plumbing shared by io's checkpoint files (internal to io/: hid_t stays in io): RAII
// ids, a writer and a reader of the datasets fleetplan uses (1-D columns, fixed-length string
// columns, dictionaries, 2-D float matrices, attributes), atomic writes (temporary file, flush,
// fsync, rename) and reads that turn every HDF5 failure into an Error naming the file.
// Thread-safety: not thread-safe (HDF5 serial library).
#pragma once

#include <fcntl.h>
#include <hdf5.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "io/csv.hpp"
#include "src/util/crash_point.hpp"
#include "src/util/result.hpp"

namespace fp::io::h5 {

// ---- RAII for HDF5 ids ----
class Hid {
  public:
    using Closer = herr_t (*)(hid_t);
    Hid() = default;
    Hid(hid_t id, Closer closer) : id_(id), closer_(closer) {}
    Hid(const Hid&) = delete;
    Hid& operator=(const Hid&) = delete;
    Hid(Hid&& o) noexcept : id_(o.id_), closer_(o.closer_) { o.id_ = -1; }
    Hid& operator=(Hid&& o) noexcept {
        reset();
        id_ = o.id_;
        closer_ = o.closer_;
        o.id_ = -1;
        return *this;
    }
    ~Hid() { reset(); }
    void reset() {
        if (id_ >= 0 && closer_) closer_(id_);
        id_ = -1;
    }
    hid_t get() const { return id_; }
    bool ok() const { return id_ >= 0; }

  private:
    hid_t id_ = -1;
    Closer closer_ = nullptr;
};

// Thrown only inside this file and caught at its two entry points.
struct H5Failure {
    std::string what;
};

inline void check(bool ok, const std::string& what) {
    if (!ok) throw H5Failure{what};
}

// Every dataset fleetplan writes carries its CRC-32 (zlib's, as Python's zlib.crc32) in the
// uint32 attribute `crc32`: over the raw values as stored (numbers in the file's byte order,
// fixed-length strings NUL-padded to their width; a scalar string: its UTF-8 text). Readers
// check it when present (files written before it have none) and refuse a mismatch naming the
// dataset (docs/checkpoint.md, "Integrity").
inline constexpr const char* kChecksumAttr = "crc32";

inline uint32_t crc32_of(const void* data, size_t bytes) {
    // 1 MiB pieces in parallel, joined with crc32_combine: the same value as one pass.
    constexpr size_t kPiece = size_t{1} << 20;
    const auto* p = static_cast<const Bytef*>(data);
    if (bytes <= 2 * kPiece) return static_cast<uint32_t>(::crc32_z(0L, p, bytes));
    const size_t pieces = (bytes + kPiece - 1) / kPiece;
    std::vector<uLong> crc(pieces);
    tbb::parallel_for(size_t{0}, pieces, [&](size_t k) {
        crc[k] = ::crc32_z(0L, p + k * kPiece, std::min(kPiece, bytes - k * kPiece));
    });
    uLong all = crc[0];
    for (size_t k = 1; k < pieces; ++k)
        all = ::crc32_combine(all, crc[k],
                              static_cast<z_off_t>(std::min(kPiece, bytes - k * kPiece)));
    return static_cast<uint32_t>(all);
}

// The chunk (in elements) of every 1-D dataset, and the deflate level (1: most of the gain, a
// third of the time of the default).
inline constexpr size_t kChunkElements = 65536;
inline constexpr int kDeflateLevel = 1;

// One chunk as HDF5's shuffle and deflate filters store it: `count` elements of `elem` bytes,
// zero-padded to a whole chunk of `chunk` elements (an edge chunk, as HDF5 pads it with the
// fill value 0), bytes transposed by position in the element (shuffle), then zlib's
// compress2 (the deflate filter's call). Empty when zlib fails.
inline std::vector<unsigned char> pack_chunk(const unsigned char* src, size_t count, size_t elem,
                                             size_t chunk) {
    std::vector<unsigned char> shuffled(chunk * elem, 0);
    for (size_t j = 0; j < elem; ++j) {
        unsigned char* out = shuffled.data() + j * chunk;
        for (size_t i = 0; i < count; ++i) out[i] = src[i * elem + j];
    }
    // Run-length matching only (Z_RLE): after the shuffle, a column's high bytes are long runs
    // (small integers, repeated values), which RLE finds as well as level 1's search does, at
    // a fraction of its time. The stream is ordinary zlib, which HDF5's deflate filter reads.
    std::vector<unsigned char> packed(::compressBound(static_cast<uLong>(shuffled.size())));
    z_stream z{};
    if (::deflateInit2(&z, kDeflateLevel, Z_DEFLATED, 15, 8, Z_RLE) != Z_OK) return {};
    z.next_in = shuffled.data();
    z.avail_in = static_cast<uInt>(shuffled.size());
    z.next_out = packed.data();
    z.avail_out = static_cast<uInt>(packed.size());
    const int rc = ::deflate(&z, Z_FINISH);
    packed.resize(z.total_out);
    ::deflateEnd(&z);
    if (rc != Z_STREAM_END) return {};
    return packed;
}

inline Hid string_type() {
    Hid t(H5Tcopy(H5T_C_S1), H5Tclose);
    check(t.ok(), "string type");
    check(H5Tset_size(t.get(), H5T_VARIABLE) >= 0, "string type size");
    check(H5Tset_cset(t.get(), H5T_CSET_UTF8) >= 0, "string type cset");
    return t;
}

// ---- writing ----
class Writer {
  public:
    explicit Writer(hid_t file) : file_(file) {
        if (const char* s = std::getenv("FP_CKPT_ABORT_AFTER")) abort_after_ = std::atol(s);
    }

    Hid group(const std::string& path) {
        Hid g(H5Gcreate2(file_, path.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
        check(g.ok(), "create group " + path);
        return g;
    }

    // A 1-D dataset, chunked and compressed, extendible (room for a time axis later).
    template <typename T>
    void dataset(const std::string& path, hid_t mem_type, const std::vector<T>& data,
                 const char* units = nullptr) {
        write_raw(path, mem_type, data.size(), data.empty() ? nullptr : data.data(), units);
    }

    // A string column as fixed-length, NUL-padded UTF-8 strings of the column's longest value:
    // compressed with the rest, and an order of magnitude faster to write than variable-length
    // strings (whose heap objects are neither compact nor compressed). h5py reads them as bytes.
    void strings(const std::string& path, const std::vector<std::string>& data) {
        strings(path, data.size(), [&](size_t i) -> std::string_view { return data[i]; });
    }
    template <typename Get>
    void strings(const std::string& path, size_t n, Get get) {
        size_t width = 1;
        for (size_t i = 0; i < n; ++i) width = std::max(width, std::string_view(get(i)).size());
        strings(path, n, width, get);
    }
    // The same with a given width (at least the longest value's): parts of one column written
    // by several processes agree on it.
    template <typename Get>
    void strings(const std::string& path, size_t n, size_t width, Get get) {
        const std::string buf = fixed_strings(path, n, width, get);
        write_raw(path, fixed_string_type(path, width).get(), n, n == 0 ? nullptr : buf.data(),
                  nullptr);
    }
    // n values get(i) as fixed-length NUL-padded strings of `width` bytes.
    template <typename Get>
    static std::string fixed_strings(const std::string& path, size_t n, size_t width, Get get) {
        std::string buf(n * width, '\0');
        // The padding is NULs, so a value's own trailing NULs would be lost on reading: refuse
        // rather than store a different value (ids cannot hold NULs; see src/util/text.hpp).
        // Every other byte, trailing spaces included, reads back as is. Filled in parallel; the
        // fault is recorded as a value and reported after.
        std::atomic<bool> has_nul{false};
        tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 4096), [&](const auto& r) {
            for (size_t i = r.begin(); i < r.end(); ++i) {
                const std::string_view v = get(i);
                if (v.find('\0') != std::string_view::npos || v.size() > width) has_nul = true;
                std::copy(v.begin(), v.end(), buf.begin() + static_cast<std::ptrdiff_t>(i * width));
            }
        });
        check(!has_nul, path + ": a value holds a NUL byte, which the stored form cannot keep");
        return buf;
    }
    static Hid fixed_string_type(const std::string& path, size_t width) {
        Hid t(H5Tcopy(H5T_C_S1), H5Tclose);
        check(t.ok() && H5Tset_size(t.get(), width) >= 0 &&
                  H5Tset_strpad(t.get(), H5T_STR_NULLPAD) >= 0 &&
                  H5Tset_cset(t.get(), H5T_CSET_UTF8) >= 0,
              "string type " + path);
        return t;
    }

    // A string column stored once per distinct value: PATH_names (strings) + PATH (int32 codes).
    void dictionary(const std::string& path, const std::vector<std::string>& values) {
        dictionary(path, values.size(), [&](size_t i) -> std::string_view { return values[i]; });
    }
    template <typename Get>
    void dictionary(const std::string& path, size_t n, Get get) {
        Dictionary d = make_dictionary(n, get);
        strings(path + "_names", d.names);
        dataset(path, H5T_NATIVE_INT32, d.codes);
    }
    // A column's distinct values in order of first appearance and each row's code.
    struct Dictionary {
        std::vector<std::string> names;
        std::vector<int32_t> codes;
    };
    template <typename Get>
    static Dictionary make_dictionary(size_t n, Get get) {
        Dictionary d;
        std::map<std::string, int32_t, std::less<>> code;
        d.codes.resize(n);
        std::string_view last;  // runs of one value (often "") skip the map
        bool have_last = false;
        int32_t last_code = 0;
        for (size_t i = 0; i < n; ++i) {
            const std::string_view v = get(i);
            if (have_last && v == last) {
                d.codes[i] = last_code;
                continue;
            }
            auto it = code.find(v);
            if (it == code.end()) {
                it = code.emplace(std::string(v), static_cast<int32_t>(d.names.size())).first;
                d.names.emplace_back(v);
            }
            d.codes[i] = last_code = it->second;
            last = v;
            have_last = true;
        }
        return d;
    }

    void scalar_string(const std::string& path, const std::string& value) {
        Hid t = string_type();
        Hid space(H5Screate(H5S_SCALAR), H5Sclose);
        Hid d(H5Dcreate2(file_, path.c_str(), t.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT,
                         H5P_DEFAULT),
              H5Dclose);
        check(d.ok(), "create " + path);
        const char* p = value.c_str();
        check(H5Dwrite(d.get(), t.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &p) >= 0, "write " + path);
        seal(d.get(), value.data(), value.size());
        counted();
    }

    static void attr_string(hid_t obj, const char* name, const std::string& value) {
        Hid t = string_type();
        Hid space(H5Screate(H5S_SCALAR), H5Sclose);
        Hid a(H5Acreate2(obj, name, t.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
        check(a.ok(), std::string("attribute ") + name);
        const char* p = value.c_str();
        check(H5Awrite(a.get(), t.get(), &p) >= 0, std::string("attribute ") + name);
    }
    template <typename T>
    static void attr_num(hid_t obj, const char* name, hid_t type, T value) {
        Hid space(H5Screate(H5S_SCALAR), H5Sclose);
        Hid a(H5Acreate2(obj, name, type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
        check(a.ok(), std::string("attribute ") + name);
        check(H5Awrite(a.get(), type, &value) >= 0, std::string("attribute ") + name);
    }

    // A 2-D float32 matrix rows × cols (row-major), chunked by rows and compressed.
    void matrix(const std::string& path, size_t rows, size_t cols, const std::vector<float>& data,
                const char* units = nullptr) {
        const hsize_t dims[2] = {rows, cols};
        const hsize_t maxdims[2] = {H5S_UNLIMITED, cols};
        Hid space(H5Screate_simple(2, dims, maxdims), H5Sclose);
        Hid dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
        const hsize_t chunk[2] = {std::max<hsize_t>(1, std::min<hsize_t>(rows, 64)),
                                  std::max<hsize_t>(1, cols)};
        check(H5Pset_chunk(dcpl.get(), 2, chunk) >= 0, "chunk " + path);
        check(H5Pset_shuffle(dcpl.get()) >= 0 && H5Pset_deflate(dcpl.get(), 1) >= 0, "deflate");
        Hid d(H5Dcreate2(file_, path.c_str(), H5T_NATIVE_FLOAT, space.get(), H5P_DEFAULT,
                         dcpl.get(), H5P_DEFAULT),
              H5Dclose);
        check(d.ok(), "create " + path);
        if (rows * cols > 0)
            check(H5Dwrite(d.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()) >=
                      0,
                  "write " + path);
        seal(d.get(), data.data(), rows * cols * sizeof(float));
        if (units) attr_string(d.get(), "units", units);
        counted();
    }

    static void seal(hid_t d, const void* buf, size_t bytes) {
        attr_num<uint32_t>(d, kChecksumAttr, H5T_NATIVE_UINT32, crc32_of(buf, bytes));
    }

    // n elements of `type` at buf as a chunked, shuffled and deflated 1-D dataset, sealed with
    // their crc32 (fixed-size types) and the units attribute when given.
    void write_raw(const std::string& path, hid_t type, size_t n, const void* buf,
                   const char* units) {
        const hsize_t dims[1] = {n};
        const hsize_t maxdims[1] = {H5S_UNLIMITED};
        Hid space(H5Screate_simple(1, dims, maxdims), H5Sclose);
        Hid dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
        const size_t chunk_n = std::max<size_t>(1, std::min<size_t>(n, kChunkElements));
        const hsize_t chunk[1] = {chunk_n};
        check(H5Pset_chunk(dcpl.get(), 1, chunk) >= 0, "chunk " + path);
        const bool fixed = H5Tis_variable_str(type) <= 0;
        if (fixed) check(H5Pset_shuffle(dcpl.get()) >= 0, "shuffle");
        check(H5Pset_deflate(dcpl.get(), kDeflateLevel) >= 0, "deflate");
        Hid d(H5Dcreate2(file_, path.c_str(), type, space.get(), H5P_DEFAULT, dcpl.get(),
                         H5P_DEFAULT),
              H5Dclose);
        check(d.ok(), "create " + path);
        if (n > chunk_n && fixed) {
            // Large columns: the chunks shuffled and compressed in parallel (TBB), then handed
            // to HDF5 as they are stored (H5Dwrite_chunk): the same file as through HDF5's own
            // filters, which run on one thread.
            const size_t elem = H5Tget_size(type);
            const size_t chunks = (n + chunk_n - 1) / chunk_n;
            const auto* src = static_cast<const unsigned char*>(buf);
            std::vector<std::vector<unsigned char>> packed(chunks);
            tbb::parallel_for(size_t{0}, chunks, [&](size_t c) {
                const size_t first = c * chunk_n;
                packed[c] =
                    pack_chunk(src + first * elem, std::min(chunk_n, n - first), elem, chunk_n);
            });
            for (size_t c = 0; c < chunks; ++c) {
                check(!packed[c].empty(), "compress " + path);
                const hsize_t offset[1] = {c * chunk_n};
                check(H5Dwrite_chunk(d.get(), H5P_DEFAULT, 0, offset, packed[c].size(),
                                     packed[c].data()) >= 0,
                      "write " + path);
                std::vector<unsigned char>().swap(packed[c]);
            }
        } else if (n > 0) {
            check(H5Dwrite(d.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0,
                  "write " + path);
        }
        if (H5Tis_variable_str(type) <= 0) seal(d.get(), buf, n * H5Tget_size(type));
        if (units) attr_string(d.get(), "units", units);
        counted();
    }

    // A virtual dataset of n elements of `type` whose pieces lie in other files: each source
    // maps its dataset's elements [src_first, src_first + count) to [first, first + count) here.
    // File names are relative to this file's directory (HDF5 looks there when a relative source
    // is not found from the working directory).
    struct Source {
        std::string file, dataset;
        hsize_t src_n = 0;  // the source dataset's length
        hsize_t src_first = 0, first = 0, count = 0;
    };
    void virtual_dataset(const std::string& path, hid_t type, size_t n,
                         const std::vector<Source>& sources, uint32_t crc, const char* units) {
        const hsize_t dims[1] = {n};
        Hid space(H5Screate_simple(1, dims, nullptr), H5Sclose);
        Hid dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
        check(space.ok() && dcpl.ok(), "virtual " + path);
        for (const Source& s : sources) {
            if (s.count == 0) continue;
            const hsize_t vstart[1] = {s.first}, sstart[1] = {s.src_first}, cnt[1] = {s.count};
            check(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, vstart, nullptr, cnt, nullptr) >=
                      0,
                  "virtual " + path);
            const hsize_t src_dims[1] = {s.src_n};
            Hid src_space(H5Screate_simple(1, src_dims, nullptr), H5Sclose);
            check(src_space.ok() && H5Sselect_hyperslab(src_space.get(), H5S_SELECT_SET, sstart,
                                                        nullptr, cnt, nullptr) >= 0,
                  "virtual " + path);
            check(H5Pset_virtual(dcpl.get(), space.get(), s.file.c_str(), s.dataset.c_str(),
                                 src_space.get()) >= 0,
                  "virtual mapping " + path);
        }
        check(H5Sselect_all(space.get()) >= 0, "virtual " + path);
        Hid d(H5Dcreate2(file_, path.c_str(), type, space.get(), H5P_DEFAULT, dcpl.get(),
                         H5P_DEFAULT),
              H5Dclose);
        check(d.ok(), "create " + path);
        attr_num<uint32_t>(d.get(), kChecksumAttr, H5T_NATIVE_UINT32, crc);
        if (units) attr_string(d.get(), "units", units);
        counted();
    }

  private:
    // Test hook (issue: atomic writes): abort the process after N datasets.
    void counted() {
        crash_point("ckpt");
        ++written_;
        if (abort_after_ > 0 && written_ >= abort_after_) std::abort();
    }

    hid_t file_;
    long abort_after_ = 0;
    long written_ = 0;
};

// ---- reading ----
// Whether dataset d is a virtual dataset (its elements lie in other datasets, see
// Writer::virtual_dataset).
inline bool is_virtual(hid_t d) {
    Hid p(H5Dget_create_plist(d), H5Pclose);
    return p.ok() && H5Pget_layout(p.get()) == H5D_VIRTUAL;
}

class Reader {
  public:
    static constexpr size_t kUnbounded = std::numeric_limits<size_t>::max();
    explicit Reader(hid_t file) : file_(file) {}
    // The dataset access property list every dataset is opened with (default: H5P_DEFAULT); the
    // caller keeps it open while this reader is used.
    void set_dataset_access(hid_t dapl) { dapl_ = dapl; }

    bool exists(const std::string& path) const {
        return H5Lexists(file_, path.c_str(), H5P_DEFAULT) > 0;
    }

    template <typename T>
    // `max_n`: the most elements the schema allows here for the fleet the file states (checked
    // before anything is allocated; see length()).
    std::vector<T> dataset(const std::string& path, hid_t mem_type,
                           size_t max_n = kUnbounded) const {
        Hid d(H5Dopen2(file_, path.c_str(), dapl_), H5Dclose);
        check(d.ok(), "missing dataset " + path);
        const size_t n = length(d.get(), path, max_n);
        std::vector<T> out(n);
        if (n > 0)
            check(H5Dread(d.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) >= 0,
                  "cannot read " + path);
        Hid ft(H5Dget_type(d.get()), H5Tclose);
        if (ft.ok() && H5Tequal(ft.get(), mem_type) > 0)  // as written (else: not ours)
            verify(d.get(), path, out.data(), n * sizeof(T));
        return out;
    }

    std::vector<std::string> strings(const std::string& path, size_t max_n = kUnbounded) const {
        Hid d(H5Dopen2(file_, path.c_str(), dapl_), H5Dclose);
        check(d.ok(), "missing dataset " + path);
        const size_t n = length(d.get(), path, max_n);
        Hid ft(H5Dget_type(d.get()), H5Tclose);
        check(ft.ok() && H5Tget_class(ft.get()) == H5T_STRING, path + ": not a string dataset");
        if (H5Tis_variable_str(ft.get()) == 0) {
            // Fixed-length (format written since the sharded planner): NUL-padded.
            const size_t width = H5Tget_size(ft.get());
            check(width > 0, path + ": empty string type");
            Hid mt(H5Tcopy(ft.get()), H5Tclose);
            std::string buf(n * width, '\0');
            if (n > 0)
                check(H5Dread(d.get(), mt.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) >= 0,
                      "cannot read " + path);
            verify(d.get(), path, buf.data(), buf.size());
            std::vector<std::string> out(n);
            for (size_t i = 0; i < n; ++i) {
                std::string_view v(buf.data() + i * width, width);
                const size_t end = v.find_last_not_of('\0');
                out[i] = end == std::string_view::npos ? std::string()
                                                       : std::string(v.substr(0, end + 1));
            }
            return out;
        }
        Hid t = string_type();
        std::vector<char*> ptrs(n, nullptr);
        if (n > 0)
            check(H5Dread(d.get(), t.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) >= 0,
                  "cannot read " + path);
        std::vector<std::string> out(n);
        for (size_t i = 0; i < n; ++i) out[i] = ptrs[i] ? ptrs[i] : "";
        if (n > 0) {
            Hid space(H5Dget_space(d.get()), H5Sclose);
            H5Dvlen_reclaim(t.get(), space.get(), H5P_DEFAULT, ptrs.data());
        }
        return out;
    }

    // A dictionary has at most as many names as codes (each name is used).
    std::vector<std::string> dictionary(const std::string& path, size_t max_n = kUnbounded) const {
        const auto codes = dataset<int32_t>(path, H5T_NATIVE_INT32, max_n);
        const auto names = strings(path + "_names", std::max<size_t>(codes.size(), 1));
        std::vector<std::string> out(codes.size());
        for (size_t i = 0; i < codes.size(); ++i) {
            check(codes[i] >= 0 && static_cast<size_t>(codes[i]) < names.size(),
                  "corrupt dictionary code in " + path);
            out[i] = names[static_cast<size_t>(codes[i])];
        }
        return out;
    }

    std::string scalar_string(const std::string& path) const {
        Hid d(H5Dopen2(file_, path.c_str(), dapl_), H5Dclose);
        check(d.ok(), "missing dataset " + path);
        Hid t = string_type();
        char* p = nullptr;
        check(H5Dread(d.get(), t.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &p) >= 0,
              "cannot read " + path);
        std::string s = p ? p : "";
        H5free_memory(p);
        verify(d.get(), path, s.data(), s.size());
        return s;
    }

    static std::string attr_string(hid_t obj, const char* name) {
        check(H5Aexists(obj, name) > 0, std::string("missing attribute ") + name);
        Hid a(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
        check(a.ok(), std::string("attribute ") + name);
        Hid ft(H5Aget_type(a.get()), H5Tclose);
        check(H5Tget_class(ft.get()) == H5T_STRING && H5Tis_variable_str(ft.get()) > 0,
              std::string("attribute ") + name + " is not a string");
        Hid t = string_type();
        char* p = nullptr;
        check(H5Aread(a.get(), t.get(), &p) >= 0, std::string("attribute ") + name);
        std::string s = p ? p : "";
        H5free_memory(p);
        return s;
    }
    template <typename T>
    static T attr_num(hid_t obj, const char* name, hid_t type) {
        check(H5Aexists(obj, name) > 0, std::string("missing attribute ") + name);
        Hid a(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
        T v{};
        check(a.ok() && H5Aread(a.get(), type, &v) >= 0, std::string("attribute ") + name);
        return v;
    }

    // A 2-D float32 matrix: its rows and columns, row-major.
    std::vector<float> matrix(const std::string& path, size_t& rows, size_t& cols) const {
        Hid d(H5Dopen2(file_, path.c_str(), dapl_), H5Dclose);
        check(d.ok(), "missing dataset " + path);
        Hid space(H5Dget_space(d.get()), H5Sclose);
        check(space.ok() && H5Sget_simple_extent_ndims(space.get()) == 2, "bad shape of " + path);
        hsize_t dims[2];
        H5Sget_simple_extent_dims(space.get(), dims, nullptr);
        check(dims[1] == 0 || dims[0] <= (hsize_t{1} << 62) / dims[1], "bad shape of " + path);
        check_plausible(d.get(), dims[0] * dims[1], path);
        rows = static_cast<size_t>(dims[0]);
        cols = static_cast<size_t>(dims[1]);
        std::vector<float> out(rows * cols);
        if (!out.empty())
            check(
                H5Dread(d.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) >= 0,
                "cannot read " + path);
        verify(d.get(), path, out.data(), out.size() * sizeof(float));
        return out;
    }

    // ---- A range of a 1-D dataset's rows (readers that share a dataset's rows between them).
    // The length of the 1-D dataset PATH, checked as dataset() checks it.
    size_t extent(const std::string& path, size_t max_n = kUnbounded) const {
        Hid d(H5Dopen2(file_, path.c_str(), dapl_), H5Dclose);
        check(d.ok(), "missing dataset " + path);
        return length(d.get(), path, max_n);
    }
    // Rows [first, first + n) of the 1-D dataset PATH exactly as stored (read in the file's own
    // type, so no conversion), a block of at most `block` rows at a time: take(row, bytes, elem)
    // gets each block (row: its first row). Returns the crc32 of the range's stored bytes and
    // their count, which joined in row order with the other ranges' (crc32_combine) give the
    // dataset's crc32 attribute (checksum(), checked by the caller). A variable-length string
    // dataset (format 1) has no stored form to sum: it is refused (read it with strings_range).
    struct RangeSum {
        uint32_t crc = 0;
        int64_t bytes = 0;
    };
    template <typename Take>
    RangeSum stored_range(const std::string& path, size_t first, size_t n, size_t block,
                          Take take) const {
        Hid d(H5Dopen2(file_, path.c_str(), dapl_), H5Dclose);
        check(d.ok(), "missing dataset " + path);
        Hid ft(H5Dget_type(d.get()), H5Tclose);
        check(ft.ok() && H5Tis_variable_str(ft.get()) <= 0, path + ": not a fixed-size column");
        const size_t elem = H5Tget_size(ft.get());
        check(elem > 0, path + ": empty type");
        Hid fspace(H5Dget_space(d.get()), H5Sclose);
        check(fspace.ok(), "bad shape of " + path);
        uLong crc = 0;
        std::vector<unsigned char> buf;
        for (size_t at = first; at < first + n; at += block) {
            const size_t count = std::min(block, first + n - at);
            buf.resize(count * elem);
            const hsize_t start[1] = {at}, cnt[1] = {count};
            Hid mspace(H5Screate_simple(1, cnt, nullptr), H5Sclose);
            check(mspace.ok() && H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start, nullptr,
                                                     cnt, nullptr) >= 0,
                  "cannot select rows of " + path);
            check(H5Dread(d.get(), ft.get(), mspace.get(), fspace.get(), H5P_DEFAULT, buf.data()) >=
                      0,
                  "cannot read " + path);
            crc = ::crc32_combine(crc, crc32_of(buf.data(), buf.size()),
                                  static_cast<z_off_t>(buf.size()));
            take(at, std::string_view(reinterpret_cast<const char*>(buf.data()), buf.size()), elem);
        }
        return {static_cast<uint32_t>(crc), static_cast<int64_t>(n * elem)};
    }
    // Rows [first, first + n) of a variable-length string dataset (format 1).
    std::vector<std::string> strings_range(const std::string& path, size_t first, size_t n) const {
        Hid d(H5Dopen2(file_, path.c_str(), dapl_), H5Dclose);
        check(d.ok(), "missing dataset " + path);
        Hid fspace(H5Dget_space(d.get()), H5Sclose);
        const hsize_t start[1] = {first}, cnt[1] = {n};
        Hid mspace(H5Screate_simple(1, cnt, nullptr), H5Sclose);
        check(fspace.ok() && mspace.ok() &&
                  H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start, nullptr, cnt, nullptr) >=
                      0,
              "cannot select rows of " + path);
        Hid t = string_type();
        std::vector<char*> ptrs(n, nullptr);
        if (n > 0)
            check(H5Dread(d.get(), t.get(), mspace.get(), fspace.get(), H5P_DEFAULT, ptrs.data()) >=
                      0,
                  "cannot read " + path);
        std::vector<std::string> out(n);
        for (size_t i = 0; i < n; ++i) out[i] = ptrs[i] ? ptrs[i] : "";
        if (n > 0) H5Dvlen_reclaim(t.get(), mspace.get(), H5P_DEFAULT, ptrs.data());
        return out;
    }
    // The dataset's crc32 attribute (kChecksumAttr); nullopt when it has none (written before
    // checksums, or variable-length strings).
    std::optional<uint32_t> checksum(const std::string& path) const {
        Hid d(H5Dopen2(file_, path.c_str(), dapl_), H5Dclose);
        check(d.ok(), "missing dataset " + path);
        if (H5Aexists(d.get(), kChecksumAttr) <= 0) return std::nullopt;
        return attr_num<uint32_t>(d.get(), kChecksumAttr, H5T_NATIVE_UINT32);
    }
    // What a reader says when a dataset's values do not match its crc32 attribute.
    static std::string checksum_mismatch(const std::string& path) {
        return path +
               ": checksum mismatch (crc32 attribute): the file is damaged, or the dataset was "
               "changed without updating its checksum";
    }

  private:
    // The dataset's crc32 attribute (kChecksumAttr), when it has one, against what was read.
    static void verify(hid_t d, const std::string& path, const void* data, size_t bytes) {
        if (H5Aexists(d, kChecksumAttr) <= 0) return;  // written before checksums
        const auto want = attr_num<uint32_t>(d, kChecksumAttr, H5T_NATIVE_UINT32);
        check(want == crc32_of(data, bytes), checksum_mismatch(path));
    }

    size_t length(hid_t d, const std::string& path, size_t max_n) const {
        Hid space(H5Dget_space(d), H5Sclose);
        check(space.ok() && H5Sget_simple_extent_ndims(space.get()) == 1, "bad shape of " + path);
        hsize_t dims[1];
        H5Sget_simple_extent_dims(space.get(), dims, nullptr);
        check(dims[0] <= max_n, "bad length of " + path + ": " + std::to_string(dims[0]) +
                                    " elements, at most " + std::to_string(max_n) +
                                    " for the fleet the file states (damaged file)");
        check_plausible(d, dims[0], path);
        return static_cast<size_t>(dims[0]);
    }
    // A damaged file can claim any length; the reader would then allocate it (and HDF5 walk a
    // chunk per element). No dataset we write holds more elements than its own stored bytes
    // inflate to (deflate: at most 1032:1), and those are part of the file.
    void check_plausible(hid_t d, hsize_t n, const std::string& path) const {
        plausible_length(file_, d, n, path);
    }

  public:
    // check_plausible for dataset `d` of `file` (a virtual dataset's source in another file).
    static void plausible_length(hid_t file, hid_t d, hsize_t n, const std::string& path) {
        // A virtual dataset stores nothing here; its readers check each source (whose
        // mappings bound its length) before reading it.
        if (is_virtual(d)) return;
        hsize_t file_bytes = 0;
        Hid type(H5Dget_type(d), H5Tclose);
        const size_t elem = type.ok() ? std::max<size_t>(H5Tget_size(type.get()), 1) : 1;
        const hsize_t stored = std::min<hsize_t>(
            H5Dget_storage_size(d), H5Fget_filesize(file, &file_bytes) >= 0 ? file_bytes : 0);
        check(n <= (stored * 1032 + 4096) / elem,
              "bad length of " + path + ": " + std::to_string(n) + " elements in " +
                  std::to_string(stored) + " stored bytes (damaged file)");
    }

  private:
    hid_t file_;
    hid_t dapl_ = H5P_DEFAULT;
};

// Builds an HDF5 file in memory (HDF5's core driver, no backing store) and returns its image;
// fill() writes its content. `path` and `what` name it in messages. HDF5 never touches the disk
// here: a full disk or a file-size limit while HDF5 itself wrote left a file id HDF5 could not
// close, and the library crashed at exit (issue 8, disk full).
// The serial HDF5 library is not thread-safe: threads of one process (in-process ranks) build
// and read files one at a time.
inline std::mutex& library_mutex() {
    static std::mutex m;
    return m;
}

template <typename Fill>
Result<std::string> build_image(const std::string& path, const char* what, Fill fill) {
    std::lock_guard lock(library_mutex());
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    std::string image;
    try {
        Hid fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
        check(fapl.ok() && H5Pset_fapl_core(fapl.get(), size_t{1} << 20, 0) >= 0,
              "cannot set up the in-memory file");
        Hid file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose);
        check(file.ok(), "cannot create file");
        fill(file.get());
        check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL) >= 0, "flush failed");
        const ssize_t size = H5Fget_file_image(file.get(), nullptr, 0);
        check(size > 0, "cannot take the file image");
        image.resize(static_cast<size_t>(size));
        check(H5Fget_file_image(file.get(), image.data(), image.size()) == size,
              "cannot take the file image");
    } catch (const H5Failure& f) {
        return fail(ErrorCode::kEnvironment, path + ": cannot write " + what + ": " + f.what);
    }
    return image;
}

// Writes `path` atomically: build_image, then write_file_atomic (PATH.tmp.PID, fsync, rename).
// Any failure removes the temporary file and leaves the previous file intact (exit code 3).
template <typename Fill>
Result<void> write_atomic(const std::string& path, const char* what, Fill fill) {
    auto image = build_image(path, what, fill);
    if (!image) return tl::unexpected(image.error());
    if (auto r = write_file_atomic(path, *image); !r)
        return fail(ErrorCode::kEnvironment,
                    r.error().msg + " (while writing the " + std::string(what) + ")");
    return {};
}

// Opens `path` read-only and returns read(file); a missing, truncated or malformed file is bad
// input naming the file.
template <typename T, typename Read>
Result<T> read_file(const std::string& path, Read read) {
    std::lock_guard lock(library_mutex());
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    if (auto r = require_regular_file(path); !r) return tl::unexpected(r.error());
    if (::access(path.c_str(), R_OK) != 0)
        return bad_input(path + ": cannot open: " + std::strerror(errno));
    if (H5Fis_hdf5(path.c_str()) <= 0) return bad_input(path + ": not an HDF5 file, or truncated");
    Hid file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    if (!file.ok()) return bad_input(path + ": not an HDF5 file, or truncated");
    try {
        return read(file.get());
    } catch (const H5Failure& f) {
        return bad_input(path + ": " + f.what);
    }
}

// ---- column tables ----
// One description per group of columns (name, stored type, units, how to get a row's value and
// how to set it), read by both the writer (write_columns) and the reader (read_columns), so
// that adding a field touches one line. `In` is what the writer reads rows from, `Out` what
// the reader fills; both are indexed by row.
// HDF5's native type of T (the numeric types the tables use).
template <typename T>
hid_t native_type() {
    if constexpr (std::is_same_v<T, int32_t>) return H5T_NATIVE_INT32;
    if constexpr (std::is_same_v<T, int64_t>) return H5T_NATIVE_INT64;
    if constexpr (std::is_same_v<T, uint8_t>) return H5T_NATIVE_UINT8;
    static_assert(std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t> ||
                      std::is_same_v<T, uint8_t> || std::is_same_v<T, double>,
                  "no HDF5 type for this column type");
    return H5T_NATIVE_DOUBLE;
}

enum class TextForm { kFixed, kDictionary };

template <typename In, typename Out, typename T>
struct NumColumn {
    T (*get)(const In&, size_t);
    void (*set)(Out&, size_t, T);  // may throw H5Failure (a value out of range)
};
template <typename In, typename Out>
struct TextColumn {
    TextForm form;
    std::string_view (*get)(const In&, size_t);
    void (*set)(Out&, size_t, std::string&&);
};
template <typename In, typename Out>
struct Column {
    const char* name;
    const char* units;  // nullptr: none
    std::variant<NumColumn<In, Out, int32_t>, NumColumn<In, Out, int64_t>,
                 NumColumn<In, Out, uint8_t>, NumColumn<In, Out, double>, TextColumn<In, Out>>
        access;
};
template <typename In, typename Out>
using Table = std::vector<Column<In, Out>>;

// Row i of a vector a reader fills in row order (grown geometrically as it goes).
template <typename V>
auto& grow_at(V& v, size_t i) {
    if (v.size() <= i) v.resize(i + 1);
    return v[i];
}

// A numeric column's n values, filled in parallel (get only reads).
template <typename In, typename Out, typename T>
std::vector<T> column_values(const NumColumn<In, Out, T>& c, const In& in, size_t first, size_t n) {
    std::vector<T> v(n);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 16384), [&](const auto& r) {
        for (size_t i = r.begin(); i < r.end(); ++i) v[i] = c.get(in, first + i);
    });
    return v;
}

template <typename In, typename Out>
void write_columns(Writer& w, const std::string& group, const Table<In, Out>& table, const In& in,
                   size_t n) {
    for (const Column<In, Out>& c : table) {
        const std::string path = group + "/" + c.name;
        std::visit(
            [&](const auto& a) {
                using A = std::decay_t<decltype(a)>;
                if constexpr (std::is_same_v<A, TextColumn<In, Out>>) {
                    auto get = [&](size_t i) { return a.get(in, i); };
                    if (a.form == TextForm::kDictionary)
                        w.dictionary(path, n, get);
                    else
                        w.strings(path, n, get);
                } else {
                    auto v = column_values(a, in, 0, n);
                    w.dataset(path, native_type<typename decltype(v)::value_type>(), v, c.units);
                }
            },
            c.access);
    }
}

// Reads every column of `table` under `group` into `out` and returns the row count; the
// columns must agree in length (at most max_n rows).
template <typename In, typename Out>
size_t read_columns(const Reader& r, const std::string& group, const Table<In, Out>& table,
                    Out& out, size_t max_n = Reader::kUnbounded) {
    size_t n = 0;
    bool first = true;
    for (const Column<In, Out>& c : table) {
        const std::string path = group + "/" + c.name;
        std::visit(
            [&](const auto& a) {
                using A = std::decay_t<decltype(a)>;
                auto fill = [&](auto&& v) {
                    if (first) {
                        n = v.size();
                        max_n = n;
                        first = false;
                    }
                    check(v.size() == n, group + ": columns differ in length");
                    for (size_t i = 0; i < n; ++i) a.set(out, i, std::move(v[i]));
                };
                if constexpr (std::is_same_v<A, TextColumn<In, Out>>) {
                    fill(a.form == TextForm::kDictionary ? r.dictionary(path, max_n)
                                                         : r.strings(path, max_n));
                } else {
                    using T = decltype(a.get(std::declval<const In&>(), 0));
                    fill(r.template dataset<T>(path, native_type<T>(), max_n));
                }
            },
            c.access);
    }
    return n;
}

}  // namespace fp::io::h5
