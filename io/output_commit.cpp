#include "io/output_commit.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "io/csv.hpp"
#include "src/util/assert.hpp"
#include "src/util/crash_point.hpp"
#include "src/util/text.hpp"

namespace fp::io {
namespace {

constexpr const char* kListHeader = "fleetplan commit 1";

bool plain_name(const std::string& n) {
    return !n.empty() && n != "." && n != ".." && n.find('/') == std::string::npos &&
           n.find('\t') == std::string::npos && n.find('\n') == std::string::npos;
}

// Carries out the steps in DIR (each may have been done already: a rename whose temporary is
// gone counts as done), then removes the list.
Result<void> apply(const std::string& dir,
                   const std::vector<std::pair<std::string, std::string>>& steps,
                   const char* crash) {
    for (const auto& [name, tmp] : steps) {
        const std::string path = dir + "/" + name;
        if (tmp.empty()) {
            if (::unlink(path.c_str()) != 0 && errno != ENOENT)
                return fail(ErrorCode::kEnvironment,
                            path + ": cannot remove: " + std::strerror(errno));
        } else if (auto r = rename_staged(dir + "/" + tmp, path); !r) {
            return tl::unexpected(r.error());  // a temporary gone counts as renamed
        }
        if (crash) crash_point(crash);
    }
    const std::string list = dir + "/" + kCommitList;
    sync_parent_dir(list);  // the files are in place before the list goes
    if (::unlink(list.c_str()) != 0 && errno != ENOENT)
        return fail(ErrorCode::kEnvironment, list + ": cannot remove: " + std::strerror(errno));
    sync_parent_dir(list);
    return {};
}

}  // namespace

Result<void> check_out_dir(const std::string& dir) {
    if (dir.empty()) return bad_input("--out: empty: give a directory for the outputs");
    const std::string what = "--out " + dir + ": ";  // names the flag and the path
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) return bad_input(what + "not a directory");
    } else if (errno == ENOTDIR) {
        return bad_input(what + "not a directory (a part of the path is a file)");
    } else if (errno == ENOENT && ::lstat(dir.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
        return bad_input(what + "a link to nothing (dangling): give a directory");
    }
    std::error_code ec;
    if (std::filesystem::weakly_canonical(dir, ec) == "/" && !ec)
        return bad_input(what +
                         "the root directory cannot hold outputs; give a directory of their own");
    return {};
}

std::string parent_dir(const std::string& path) {
    std::error_code ec;
    std::filesystem::path p = std::filesystem::weakly_canonical(path, ec);
    if (ec) p = std::filesystem::path(path);
    return p.has_parent_path() ? p.parent_path().string() : std::string(".");
}

Result<DirLock> DirLock::take(const std::string& dir, bool wait) {
    const std::string path = dir + "/commit.lock";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0 && errno == ELOOP)
        return fail(ErrorCode::kEnvironment,
                    path + ": a link: not followed (someone else may write into " + dir +
                        "; remove the link)");
    if (fd < 0)
        return fail(ErrorCode::kEnvironment, path + ": cannot open: " + std::strerror(errno));
    while (::flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
        if (errno == EINTR) continue;
        const int e = errno;
        ::close(fd);
        if (e == EWOULDBLOCK)
            return fail(ErrorCode::kEnvironment,
                        dir +
                            ": another fleetplan process is writing or dispatching this "
                            "directory (" +
                            path + " is locked)");
        return fail(ErrorCode::kEnvironment, path + ": cannot lock: " + std::strerror(e));
    }
    return DirLock(fd);
}

DirLock::~DirLock() {
    if (fd_ >= 0) ::close(fd_);
}

OutputCommit::OutputCommit(std::string dir, const char* crash_point_name, DirLock lock)
    : dir_(std::move(dir)), crash_(crash_point_name), lock_(std::move(lock)) {}

OutputCommit::OutputCommit(OutputCommit&& other) noexcept
    : dir_(std::move(other.dir_)),
      crash_(other.crash_),
      steps_(std::move(other.steps_)),
      committed_(other.committed_),
      lock_(std::move(other.lock_)) {
    other.steps_.clear();
    other.committed_ = true;
}

Result<OutputCommit> OutputCommit::open(std::string dir, const char* crash_point_name) {
    auto lock = DirLock::take(dir, false);
    if (!lock) return tl::unexpected(lock.error());
    if (auto r = complete_pending_commit_locked(dir); !r) return tl::unexpected(r.error());
    return OutputCommit(std::move(dir), crash_point_name, std::move(*lock));
}

OutputCommit::~OutputCommit() {
    if (committed_) return;
    for (const Step& s : steps_)
        if (!s.tmp.empty()) ::unlink((dir_ + "/" + s.tmp).c_str());
}

Result<void> OutputCommit::stage(const std::string& name, std::string_view content) {
    FP_ASSERT(plain_name(name) && !committed_);
    auto tmp = stage_file(dir_ + "/" + name, content);
    if (!tmp) return tl::unexpected(tmp.error());
    steps_.push_back({name, std::filesystem::path(*tmp).filename().string()});
    return {};
}

void OutputCommit::remove(const std::string& name) {
    FP_ASSERT(plain_name(name) && !committed_);
    const std::string path = dir_ + "/" + name;
    remove_stale_temporaries(path);
    steps_.push_back({name, ""});
}

Result<void> OutputCommit::commit() {
    FP_ASSERT(!committed_);
    if (crash_) crash_point(crash_);
    std::string list = std::string(kListHeader) + "\n";
    std::vector<std::pair<std::string, std::string>> steps;
    for (const Step& s : steps_) {
        list +=
            s.tmp.empty() ? "remove\t" + s.name + "\n" : "rename\t" + s.tmp + "\t" + s.name + "\n";
        steps.emplace_back(s.name, s.tmp);
    }
    // The temporaries' entries are on disk before the list that names them.
    sync_parent_dir(dir_ + "/" + kCommitList);
    // The commit point. Before it, a failure leaves everything as it was (the destructor
    // removes the temporaries); after it, the new files are the directory's.
    if (auto r = write_file_atomic(dir_ + "/" + kCommitList, list); !r) return r;
    committed_ = true;
    if (crash_) crash_point(crash_);
    if (auto r = apply(dir_, steps, crash_); !r)
        return fail(ErrorCode::kEnvironment,
                    r.error().msg + "; the new outputs are committed (" + dir_ + "/" + kCommitList +
                        ") but not all in place: the next fleetplan command reading " + dir_ +
                        " finishes putting them in place");
    return {};
}

Result<void> complete_pending_commit(const std::string& dir) {
    if (::access((dir + "/" + kCommitList).c_str(), F_OK) != 0) return {};
    auto lock = DirLock::take(dir, true);  // a live writer's commit ends first
    if (!lock) return tl::unexpected(lock.error());
    return complete_pending_commit_locked(dir);
}

Result<void> complete_pending_commit_locked(const std::string& dir) {
    const std::string list = dir + "/" + kCommitList;
    if (::access(list.c_str(), F_OK) != 0) {
        if (errno == ENOENT) return {};
        return fail(ErrorCode::kEnvironment, list + ": " + std::strerror(errno));
    }
    // Never read through a link: the list says what becomes the directory's outputs.
    if (struct stat st{}; ::lstat(list.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
        return bad_input(list + ": not a regular file (a link?): not carried out; remove it");
    auto text = read_file(list);
    if (!text) return fail(ErrorCode::kEnvironment, text.error().msg);
    std::vector<std::pair<std::string, std::string>> steps;
    size_t pos = 0;
    int line = 0;
    bool header = false;
    while (pos < text->size()) {
        size_t end = text->find('\n', pos);
        if (end == std::string::npos)  // the list is written atomically: never cut short
            return bad_input(list + ":" + std::to_string(line + 1) + ": line not terminated");
        const std::string l = text->substr(pos, end - pos);
        pos = end + 1;
        ++line;
        const std::string where = list + ":" + std::to_string(line) + ": ";
        if (!header) {
            if (l != kListHeader) return bad_input(where + "expected " + in_quotes(kListHeader));
            header = true;
            continue;
        }
        std::vector<std::string> f;
        for (size_t b = 0;;) {
            const size_t t = l.find('\t', b);
            f.push_back(l.substr(b, t == std::string::npos ? std::string::npos : t - b));
            if (t == std::string::npos) break;
            b = t + 1;
        }
        if (f[0] == "remove" && f.size() == 2 && plain_name(f[1])) {
            steps.emplace_back(f[1], "");
        } else if (f[0] == "rename" && f.size() == 3 && plain_name(f[2]) &&
                   is_temporary_name(f[1], f[2])) {
            steps.emplace_back(f[2], f[1]);
        } else {
            return bad_input(where +
                             "expected 'rename<TAB>NAME.tmp.PID[.RANDOM]<TAB>NAME' or "
                             "'remove<TAB>NAME'");
        }
    }
    if (!header) return bad_input(list + ":1: expected " + in_quotes(std::string(kListHeader)));
    return apply(dir, steps, nullptr);
}

}  // namespace fp::io
