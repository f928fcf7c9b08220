#include "io/csv.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "io/huge_pages.hpp"
#include "io/output_commit.hpp"
#include "io/record_split.hpp"

namespace fp::io {

void ErrorList::add(const std::string& file, int64_t line, const std::string& column,
                    const std::string& what) {
    if (full()) {
        ++dropped_;
        return;
    }
    // The column may be a header's name, which is input: escaped and capped like any echo.
    messages_.emplace_back(
        line, file + ":" + std::to_string(line) + ":" + printable(column) + ": " + what);
}

Error ErrorList::to_error() const {
    std::string msg;
    for (size_t i = 0; i < messages_.size(); ++i) msg += (i ? "\n" : "") + messages_[i].second;
    if (dropped_ > 0) msg += "\n(further errors not shown)";
    return Error{ErrorCode::kBadInput, msg, {}};
}

void ErrorList::merge(const ErrorList& other) {
    std::vector<std::pair<int64_t, std::string>> all = messages_;
    all.insert(all.end(), other.messages_.begin(), other.messages_.end());
    std::stable_sort(all.begin(), all.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    dropped_ += other.dropped_;
    if (all.size() > kMaxErrors) {
        dropped_ += all.size() - kMaxErrors;
        all.resize(kMaxErrors);
    }
    messages_ = std::move(all);
}

std::optional<LineMessage> ErrorList::first() const {
    if (messages_.empty()) return std::nullopt;
    return LineMessage{messages_.front().first, messages_.front().second};
}

std::optional<LineMessage> first_in_file_order(const std::vector<std::optional<LineMessage>>& all) {
    std::optional<LineMessage> best;
    for (const auto& m : all)
        if (m && (!best || m->line < best->line)) best = m;
    return best;
}

std::vector<CsvChunk> csv_chunks(std::string_view text, size_t begin, int64_t line, size_t bytes) {
    const size_t n = text.size();
    if (begin >= n) return {};
    bytes = std::max<size_t>(bytes, 4096);
    std::vector<CsvChunk> out;
    for (const CsvChunk& c : split_records(text, begin, line, (n - begin + bytes - 1) / bytes))
        if (c.begin < c.end) out.push_back(c);
    return out;
}

CsvScanner::Status CsvScanner::next() {
    fields_.clear();
    used_ = 0;
    // Blank lines are skipped.
    while (i_ < end_ &&
           (text_[i_] == '\n' || (text_[i_] == '\r' && i_ + 1 < end_ && text_[i_ + 1] == '\n'))) {
        i_ += text_[i_] == '\r' ? 2 : 1;
        ++line_;
    }
    if (i_ >= end_) return kEnd;
    record_line_ = line_;
    for (;;) {
        std::string_view field;
        bool ascii = true;
        // A comma at the very end leaves i_ == end_: an empty last field.
        if (i_ < end_ && text_[i_] == '"') {
            const size_t start = ++i_;
            bool escaped = false;
            for (;;) {
                if (i_ >= end_) return kUnclean;  // unterminated
                const char c = text_[i_];
                if (c == '"') {
                    if (i_ + 1 < end_ && text_[i_ + 1] == '"') {
                        escaped = true;
                        i_ += 2;
                        continue;
                    }
                    break;
                }
                if (c == '\n') ++line_;
                ascii &= static_cast<unsigned char>(c) < 0x80;
                ++i_;
            }
            field = text_.substr(start, i_ - start);
            ++i_;  // closing quote
            if (i_ < end_ && text_[i_] != ',' && text_[i_] != '\n' && text_[i_] != '\r')
                return kUnclean;
            if (escaped) {
                if (used_ == unescaped_.size()) unescaped_.emplace_back();
                std::string& u = unescaped_[used_++];
                u.clear();
                for (size_t k = 0; k < field.size(); ++k) {
                    u += field[k];
                    if (field[k] == '"') ++k;
                }
                field = u;
            }
        } else {
            const size_t start = i_;
            while (i_ < end_ && text_[i_] != ',' && text_[i_] != '\n') {
                const char c = text_[i_];
                if (c == '"') return kUnclean;
                if (c == '\r' && !(i_ + 1 == end_ || text_[i_ + 1] == '\n')) return kUnclean;
                ascii &= static_cast<unsigned char>(c) < 0x80;
                ++i_;
            }
            field = text_.substr(start, i_ - start);
            if (!field.empty() && field.back() == '\r') field.remove_suffix(1);
        }
        if (!ascii && !valid_utf8(field)) return kUnclean;
        fields_.push_back(field);
        if (i_ < end_ && text_[i_] == '\r') ++i_;
        if (i_ >= end_) return kRecord;
        if (text_[i_] == ',') {
            ++i_;
            continue;
        }
        if (text_[i_] == '\n') {
            ++i_;
            ++line_;
            return kRecord;
        }
    }
}

namespace {

// Bad input naming PATH unless MODE is a regular file's.
Result<void> not_regular_file(const std::string& path, mode_t mode) {
    if (S_ISREG(mode)) return {};
    if (S_ISDIR(mode)) return bad_input(path + ": cannot open: is a directory");
    return bad_input(path + ": not a regular file (" +
                     (S_ISFIFO(mode)                   ? "a FIFO"
                      : S_ISCHR(mode) || S_ISBLK(mode) ? "a device"
                      : S_ISSOCK(mode)                 ? "a socket"
                                                       : "not a file") +
                     "): give a file");
}

}  // namespace

Result<void> require_regular_file(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return {};  // the caller's open names the fault
    return not_regular_file(path, st.st_mode);
}

namespace {
// An open regular file, or the error naming PATH. O_NONBLOCK: opening a FIFO does not wait
// for a writer (fstat then refuses it); a FIFO would block and a device (/dev/zero) never end.
Result<int> open_regular(const std::string& path, struct stat& st) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return bad_input(path + ": cannot open: " + std::strerror(errno));
    if (::fstat(fd, &st) != 0) {
        const int e = errno;
        ::close(fd);
        return fail(ErrorCode::kEnvironment, path + ": cannot stat: " + std::strerror(e));
    }
    if (auto r = not_regular_file(path, st.st_mode); !r) {
        ::close(fd);
        return tl::unexpected(r.error());
    }
    return fd;
}
}  // namespace

Result<std::string> read_file(const std::string& path) {
    struct stat st {};
    auto opened = open_regular(path, st);
    if (!opened) return tl::unexpected(opened.error());
    const int fd = *opened;
    // Straight into the string (the kernel's copy only), sized by fstat and advised huge pages
    // (a 122 MB vms.csv faulted in 4 KiB pages, then copied again from a bounce buffer, cost
    // more than reading it); a file that changes size while read still reads whole.
    std::string text;
    const size_t expected = static_cast<size_t>(std::max<off_t>(0, st.st_size));
    text.reserve(expected + 1);  // one byte more: a read that fills it has not met the end
    advise_huge(text.data(), expected + 1);
    text.resize(expected + 1);
    size_t got = 0;
    for (;;) {
        if (got == text.size()) text.resize(text.size() + (text.size() >> 1) + (size_t{1} << 16));
        const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            const int e = errno;
            ::close(fd);
            return fail(ErrorCode::kEnvironment, path + ": read error: " + std::strerror(e));
        }
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    ::close(fd);
    text.resize(got);
    return text;
}

Result<int64_t> regular_file_size(const std::string& path) {
    struct stat st {};
    auto fd = open_regular(path, st);
    if (!fd) return tl::unexpected(fd.error());
    ::close(*fd);
    return static_cast<int64_t>(st.st_size);
}

Result<std::string> read_file_range(const std::string& path, int64_t offset, int64_t length) {
    struct stat st {};
    auto fd = open_regular(path, st);
    if (!fd) return tl::unexpected(fd.error());
    // Advised huge pages (a rank's range of a 122 MB vms.csv, faulted in 4 KiB pages, cost more
    // than reading it), with 64 KiB to spare: a split reader appends its last record's tail
    // without moving the range.
    const size_t want = static_cast<size_t>(std::max<int64_t>(0, length));
    std::string bytes;
    bytes.reserve(want + (size_t{64} << 10));
    advise_huge(bytes.data(), want);
    bytes.resize(want);
    size_t got = 0;
    while (got < bytes.size()) {
        const ssize_t n = ::pread(*fd, bytes.data() + got, bytes.size() - got,
                                  static_cast<off_t>(offset + static_cast<int64_t>(got)));
        if (n < 0) {
            if (errno == EINTR) continue;
            const int e = errno;
            ::close(*fd);
            return fail(ErrorCode::kEnvironment, path + ": read error: " + std::strerror(e));
        }
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    ::close(*fd);
    bytes.resize(got);
    return bytes;
}

bool parse_csv_records(std::string_view text, int64_t line, const std::string& file,
                       std::vector<std::string>& header, bool have_header, ErrorList& errors,
                       std::vector<CsvRow>& rows) {
    size_t i = 0;
    auto column_name = [&](size_t idx) {
        if (have_header && idx < header.size()) return header[idx];
        return "column " + std::to_string(idx + 1);
    };
    while (i < text.size() && !errors.full()) {
        // One record.
        const int64_t start_line = line;
        std::vector<std::string> fields;
        std::string field;
        bool record_done = false;
        bool bad = false;
        bool lone_cr = false;  // a CR not before LF, outside quotes
        // A blank physical line is skipped.
        if (text[i] == '\n' || (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
            i += text[i] == '\r' ? 2 : 1;
            ++line;
            continue;
        }
        while (!record_done) {
            field.clear();
            if (i < text.size() && text[i] == '"') {
                const int64_t quote_line = line;
                ++i;
                bool closed = false;
                while (i < text.size()) {
                    const char c = text[i];
                    if (c == '"') {
                        if (i + 1 < text.size() && text[i + 1] == '"') {
                            field += '"';
                            i += 2;
                            continue;
                        }
                        ++i;
                        closed = true;
                        break;
                    }
                    if (c == '\n') ++line;
                    field += c;
                    ++i;
                }
                if (!closed) {
                    errors.add(file, quote_line, column_name(fields.size()),
                               "unterminated quoted field");
                    return true;  // stops here, as a reader must
                }
                if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
                    errors.add(file, line, column_name(fields.size()),
                               "unexpected character after closing quote");
                    bad = true;
                    while (i < text.size() && text[i] != ',' && text[i] != '\n') ++i;
                }
            } else {
                while (i < text.size() && text[i] != ',' && text[i] != '\n') {
                    if (text[i] == '"') {
                        if (!bad)
                            errors.add(file, line, column_name(fields.size()),
                                       "quote inside an unquoted field");
                        bad = true;
                    }
                    if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] == '\n')) {
                        ++i;
                        continue;
                    }
                    lone_cr |= text[i] == '\r';
                    field += text[i];
                    ++i;
                }
            }
            if (!valid_utf8(field)) {
                errors.add(file, line, column_name(fields.size()), "not valid UTF-8");
                bad = true;
            }
            fields.push_back(field);
            if (i < text.size() && text[i] == '\r') ++i;
            if (i >= text.size()) {
                record_done = true;
            } else if (text[i] == ',') {
                ++i;
            } else if (text[i] == '\n') {
                ++i;
                ++line;
                record_done = true;
            }
        }
        if (!have_header) {
            if (lone_cr) {
                errors.add(file, 1, "header",
                           "lines end at LF or CRLF; this file has lone CRs (old Mac line "
                           "endings), so it reads as one line");
                return true;
            }
            header = fields;
            have_header = true;
            continue;
        }
        if (bad) continue;
        if (fields.size() != header.size()) {
            const std::string col = fields.size() < header.size()
                                        ? header[fields.size()]
                                        : "column " + std::to_string(header.size() + 1);
            errors.add(file, start_line, col,
                       "expected " + std::to_string(header.size()) + " fields, found " +
                           std::to_string(fields.size()));
            continue;
        }
        rows.push_back(CsvRow{start_line, std::move(fields)});
    }
    return have_header;
}

Result<CsvTable> parse_csv(std::string_view text, const std::string& file) {
    CsvTable table;
    table.file = file;
    if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    ErrorList errors;
    if (!parse_csv_records(text, 1, file, table.header, false, errors, table.rows))
        errors.add(file, 1, "header", "empty file: expected a header line");
    if (!errors.empty()) return tl::unexpected(errors.to_error());
    return table;
}

std::string name_list(const std::vector<std::string>& names, size_t max_names) {
    std::string list;
    for (size_t i = 0; i < names.size() && i < max_names; ++i)
        list += (i ? ", " : "") + printable(names[i]);
    if (names.size() > max_names)
        list += " and " + std::to_string(names.size() - max_names) + " more";
    return list;
}

std::string spreadsheet_field(std::string_view s) {
    if (!s.empty() && std::string_view("=+-@\t\r'").find(s.front()) != std::string_view::npos)
        return csv_field("'" + std::string(s));
    return csv_field(s);
}

std::string_view trim_blanks(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

std::string csv_field(std::string_view s) {
    if (s.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(s);
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
    return out;
}

std::string format_double(const char* fmt, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, fmt, v);
    return buf;
}

void sync_parent_dir(const std::string& path) {
    const auto slash = path.rfind('/');
    const std::string dir =
        slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    ::fsync(fd);  // best effort: the entry's rename or creation survives a power loss
    ::close(fd);
}

namespace {

// The PID of a temporary's name NAME.tmp.PID[.RANDOM] given what follows "NAME.tmp."; 0 when
// it is not one.
long temporary_pid(const std::string& suffix) {
    const size_t dot = suffix.find('.');
    const std::string pid = suffix.substr(0, dot);
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) return 0;
    if (dot != std::string::npos &&
        (dot + 1 == suffix.size() ||
         suffix.find_first_not_of("0123456789abcdef", dot + 1) != std::string::npos))
        return 0;
    return std::atol(pid.c_str());
}

}  // namespace

bool is_temporary_name(const std::string& tmp, const std::string& name) {
    return tmp.size() > name.size() + 5 && tmp.rfind(name + ".tmp.", 0) == 0 &&
           temporary_pid(tmp.substr(name.size() + 5)) > 0;
}

void remove_stale_temporaries(const std::string& path) {
    namespace fs = std::filesystem;
    const fs::path target(path);
    const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    const std::string prefix = target.filename().string() + ".tmp.";
    std::error_code ec;
    // A commit list a crashed writer left may still need its temporaries (io/output_commit.hpp).
    if (fs::exists(dir / kCommitList, ec)) return;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.rfind(prefix, 0) != 0) continue;
        const long p = temporary_pid(name.substr(prefix.size()));
        if (p <= 0 || p == static_cast<long>(::getpid())) continue;
        if (::kill(static_cast<pid_t>(p), 0) == 0 || errno == EPERM) continue;  // still alive
        std::error_code rm;
        fs::remove(it->path(), rm);  // unlinks the entry itself, a link included
    }
}

Result<std::string> stage_file(const std::string& path, std::string_view content) {
    remove_stale_temporaries(path);
    const auto slash = path.rfind('/');
    const std::string dir =
        slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return fail(ErrorCode::kEnvironment, dir + ": cannot open: " + std::strerror(errno));
    // Created exclusively (O_EXCL: an entry already there, a planted link included, is never
    // opened) under a name no one can guess ahead: NAME.tmp.PID.RANDOM.
    static std::random_device entropy;
    std::string tmp;
    int fd = -1;
    for (int attempt = 0; fd < 0 && attempt < 16; ++attempt) {
        char suffix[17];
        std::snprintf(suffix, sizeof suffix, "%08x%08x", entropy(), entropy());
        tmp = name + ".tmp." + std::to_string(::getpid()) + "." + suffix;
        fd = ::openat(dfd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        const int e = errno;
        ::close(dfd);
        return fail(ErrorCode::kEnvironment,
                    dir + "/" + tmp + ": cannot create: " + std::strerror(e));
    }
    ::close(dfd);
    tmp = dir + "/" + tmp;
    size_t off = 0;
    while (off < content.size()) {
        const ssize_t n = ::write(fd, content.data() + off, content.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            const int e = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            return fail(ErrorCode::kEnvironment, path + ": write failed: " + std::strerror(e));
        }
        off += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        const int e = errno;
        ::unlink(tmp.c_str());
        return fail(ErrorCode::kEnvironment, path + ": flush failed: " + std::strerror(e));
    }
    return tmp;
}

Result<bool> rename_staged(const std::string& tmp, const std::string& path) {
    struct stat st {};
    if (::lstat(tmp.c_str(), &st) != 0) {
        if (errno == ENOENT) return false;
        return fail(ErrorCode::kEnvironment, tmp + ": " + std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode) || st.st_uid != ::geteuid())
        return bad_input(tmp + ": not a regular file of this user (" +
                         (S_ISLNK(st.st_mode) ? "a link" : "put there by someone else") +
                         "): not committed as " + path + "; remove it");
    // rename() follows neither name: a link at PATH is replaced, not written through.
    if (::rename(tmp.c_str(), path.c_str()) != 0)
        return fail(ErrorCode::kEnvironment, path + ": rename failed: " + std::strerror(errno));
    return true;
}

Result<void> write_file_atomic(const std::string& path, std::string_view content) {
    auto tmp = stage_file(path, content);
    if (!tmp) return tl::unexpected(tmp.error());
    auto renamed = rename_staged(*tmp, path);
    if (!renamed || !*renamed) {
        ::unlink(tmp->c_str());
        if (!renamed) return tl::unexpected(renamed.error());
        return fail(ErrorCode::kEnvironment, *tmp + ": removed by someone else before the rename");
    }
    sync_parent_dir(path);
    return {};
}

Result<void> make_dir(const std::string& dir) {
    std::error_code ec;
    const bool created = std::filesystem::create_directories(dir, ec);
    if (ec)
        return fail(ErrorCode::kEnvironment, dir + ": cannot create directory: " + ec.message());
    // A new directory's entry must survive a power loss too (only the last level is synced).
    if (created) {
        std::filesystem::path p = std::filesystem::path(dir).lexically_normal();
        if (!p.has_filename()) p = p.parent_path();  // "out/" names "out"
        sync_parent_dir(p.string());
    }
    return {};
}

}  // namespace fp::io
