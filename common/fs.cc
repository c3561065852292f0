#include "common/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "common/process_identity.h"

namespace trn {

std::string unique_name_for(const std::string& target, const char* infix) {
  return target + infix + ProcessIdentity::self().token + "." + std::to_string(unique_counter());
}

std::string temp_name_for(const std::string& target) { return unique_name_for(target, ".tmp."); }

static void fsync_dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);  // best effort: some filesystems refuse fsync on directories
    ::close(fd);
  }
}

bool commit_file(const std::string& temp, const std::string& target, mode_t mode, std::string* error) {
  int fd = ::open(temp.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (error) *error = temp + ": " + std::strerror(errno);
    ::unlink(temp.c_str());
    return false;
  }
  bool ok = ::fchmod(fd, mode) == 0 && ::fsync(fd) == 0;
  int saved = errno;
  ::close(fd);
  if (!ok || ::rename(temp.c_str(), target.c_str()) != 0) {
    if (ok) saved = errno;
    if (error) *error = "cannot publish " + target + ": " + std::strerror(saved);
    ::unlink(temp.c_str());
    return false;
  }
  fsync_dir_of(target);
  return true;
}

bool write_new_file(const std::string& path, const std::string& data, mode_t mode, std::string* error) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  int saved = errno;
  if (fd >= 0) {
    const char* p = data.data();
    size_t left = data.size();
    while (left > 0) {
      ssize_t w = ::write(fd, p, left);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) break;
      p += w;
      left -= size_t(w);
    }
    saved = errno;
    // NFS reports deferred write errors (ENOSPC, EDQUOT) at close.
    if (::close(fd) == 0 && left == 0) return true;
    if (left == 0) saved = errno;
    ::unlink(path.c_str());
  }
  if (error) *error = "cannot write " + path + ": " + std::strerror(saved);
  errno = saved;
  return false;
}

bool write_file_atomic(const std::string& target, const std::string& data, mode_t mode,
                       std::string* error) {
  std::string tmp = temp_name_for(target);
  if (!write_new_file(tmp, data, 0600, nullptr)) {
    if (error) *error = "cannot write " + target + ": " + std::strerror(errno);  // the target, not the temp name
    return false;
  }
  return commit_file(tmp, target, mode, error);
}

bool write_file_atomic_at(int dirfd, const std::string& name, const std::string& data, mode_t mode,
                          const std::string& shown, std::string* error) {
  const std::string temp = temp_name_for(name);
  const int fd = ::openat(dirfd, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (error) *error = "cannot write " + shown + ": " + std::strerror(errno);
    return false;
  }
  int err = 0;
  for (size_t done = 0; done < data.size() && !err;) {
    const ssize_t w = ::write(fd, data.data() + done, data.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) err = w < 0 ? errno : EIO;
    else done += static_cast<size_t>(w);
  }
  if (!err && (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0)) err = errno;
  if (::close(fd) != 0 && !err) err = errno;  // NFS reports deferred write errors (ENOSPC, EDQUOT) at close
  if (!err && ::renameat(dirfd, temp.c_str(), dirfd, name.c_str()) != 0) err = errno;
  if (!err) {
    ::fsync(dirfd);  // best effort: the name survives a crash of the server
    return true;
  }
  ::unlinkat(dirfd, temp.c_str(), 0);
  if (error) *error = "cannot write " + shown + ": " + std::strerror(err);
  return false;
}

bool read_file_chunks(const std::string& path, const std::function<void(const char*, size_t)>& chunk,
                      std::string* error, long long* mtime_ns) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (error) *error = path + ": " + std::strerror(errno);
    return false;
  }
  if (mtime_ns) {
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      if (error) *error = path + ": " + std::strerror(errno);
      ::close(fd);
      return false;
    }
    *mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
  }
  std::string err;
  bool ok = read_fd_chunks(fd, UINT64_MAX, chunk, &err) >= 0;
  ::close(fd);
  if (!ok && error) *error = path + ": " + err;
  return ok;
}

bool read_file(const std::string& path, std::string* out, std::string* error, long long* mtime_ns) {
  out->clear();
  return read_file_chunks(path, [out](const char* p, size_t n) { out->append(p, n); }, error, mtime_ns);
}

int open_regular(int dirfd, const std::string& path, struct stat* st, std::string* error, Links links) {
  const int nofollow = links == Links::kRefuse ? O_NOFOLLOW : 0;
  int fd = ::openat(dirfd, path.c_str(), O_RDONLY | nofollow | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int saved = errno;
    if (error)
      *error = path + (saved == ELOOP ? ": is a symbolic link (never followed)" : ": " + std::string(std::strerror(saved)));
    errno = saved;
    return -1;
  }
  int saved = 0;
  if (::fstat(fd, st) != 0) saved = errno;
  else if (!S_ISREG(st->st_mode)) saved = EINVAL;
  if (saved != 0) {
    ::close(fd);
    if (error) *error = path + (saved == EINVAL ? ": not a regular file" : ": " + std::string(std::strerror(saved)));
    errno = saved;
    return -1;
  }
  return fd;
}

int64_t read_fd_chunks(int fd, uint64_t limit, const std::function<void(const char*, size_t)>& chunk,
                       std::string* error) {
  char buf[1 << 16];
  uint64_t total = 0;
  while (total < limit) {
    ssize_t r = ::read(fd, buf, size_t(std::min<uint64_t>(sizeof(buf), limit - total)));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      if (error) *error = std::string("read: ") + std::strerror(errno);
      return -1;
    }
    if (r == 0) break;
    chunk(buf, size_t(r));
    total += uint64_t(r);
  }
  return int64_t(total);
}

bool read_regular_file(const std::string& path, size_t max_bytes, std::string* out, std::string* error,
                       struct stat* st_out, Links links) {
  out->clear();
  struct stat st;
  int fd = open_regular(AT_FDCWD, path, &st, error, links);
  if (fd < 0) return false;
  if (uint64_t(st.st_size) > max_bytes) {
    ::close(fd);
    if (error)
      *error = path + ": " + std::to_string(st.st_size) + " bytes, more than the " + std::to_string(max_bytes) +
               " allowed";
    errno = EFBIG;
    return false;
  }
  std::string err;
  bool ok = read_fd_chunks(fd, max_bytes, [out](const char* p, size_t n) { out->append(p, n); }, &err) >= 0;
  ::close(fd);
  if (!ok && error) *error = path + ": " + err;
  if (ok && st_out) *st_out = st;
  return ok;
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

bool InputFile::open(const std::string& path, std::string* error) {
  std::string err;
  fd_ = open_regular(AT_FDCWD, path, &st_, &err, Links::kFollow);
  if (fd_ < 0) {
    const int saved = errno;
    *error = saved == EINVAL ? "not a regular file (a folder, device or FIFO)" : std::strerror(saved);
    errno = saved;
    return false;
  }
  return true;
}

bool InputFile::read_at(uint64_t offset, size_t n, std::string* out, std::string* error) const {
  const size_t at = out->size();
  out->resize(at + n);
  size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd_, out->data() + at + done, n - done, off_t(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      *error = r < 0 ? std::string("read: ") + std::strerror(errno)
                     : "ended at byte " + std::to_string(offset + done) + " of " + std::to_string(size()) +
                           ": it was truncated while it was read";
      out->resize(at);
      return false;
    }
    done += size_t(r);
  }
  return true;
}

bool InputFile::unchanged(std::string* error) const {
  struct stat now {};
  if (::fstat(fd_, &now) != 0) {
    *error = std::strerror(errno);
    return false;
  }
  if (now.st_size == st_.st_size && now.st_mtim.tv_sec == st_.st_mtim.tv_sec &&
      now.st_mtim.tv_nsec == st_.st_mtim.tv_nsec)
    return true;
  *error = "was rewritten while it was read (" + std::to_string(st_.st_size) + " bytes then, " +
           std::to_string(now.st_size) + " now)";
  return false;
}

int create_locked_temp(const std::string& target, mode_t mode, std::string* temp, std::string* error) {
  *temp = temp_name_for(target);
  const int fd = ::open(temp->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    if (error) *error = "cannot write " + target + ": " + std::strerror(errno);
    temp->clear();
    return -1;
  }
  // Blocking: a sweeper may hold the lock for a moment, and then sees an empty file it
  // leaves alone. A filesystem without flock (ENOLCK, ENOSYS) leaves only the age rule.
  while (::flock(fd, LOCK_EX) != 0 && errno == EINTR) {
  }
  return fd;
}

std::vector<std::pair<std::string, uint64_t>> remove_dead_temps(const std::string& target, double min_age_s) {
  std::vector<std::pair<std::string, uint64_t>> removed;
  const auto slash = target.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : target.substr(0, slash));
  const std::string stem = (slash == std::string::npos ? target : target.substr(slash + 1)) + ".tmp.";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return removed;
  for (const auto& name : list_dir_fd(dfd)) {
    if (name.compare(0, stem.size(), stem) != 0) continue;
    struct stat st {};
    const int fd = open_regular(dfd, name, &st, nullptr, Links::kRefuse);
    if (fd < 0) continue;
    // The lock first: an empty file we could lock may be a writer's between its create
    // and its flock; a written one we could lock has no live writer on this host.
    struct stat now {}, named {};
    const bool dead = ::flock(fd, LOCK_EX | LOCK_NB) == 0 && ::fstat(fd, &now) == 0 && now.st_size > 0 &&
                      wall_seconds() - double(now.st_mtim.tv_sec) >= min_age_s &&
                      ::fstatat(dfd, name.c_str(), &named, AT_SYMLINK_NOFOLLOW) == 0 && same_file(named, now);
    if (dead && ::unlinkat(dfd, name.c_str(), 0) == 0) removed.emplace_back(dir + "/" + name, uint64_t(now.st_size));
    ::close(fd);  // releases the lock
  }
  ::close(dfd);
  return removed;
}

namespace {

// remove_on_signal's paths: fixed buffers, so the handler only reads memory and unlinks.
constexpr int kSignalPaths = 8;
char signal_paths[kSignalPaths][4096];
std::atomic<bool> signal_path_used[kSignalPaths];
constexpr int kCleanupSignals[] = {SIGINT, SIGTERM, SIGHUP};

void remove_paths_and_die(int sig) {
  for (int i = 0; i < kSignalPaths; ++i)
    if (signal_path_used[i].load()) ::unlink(signal_paths[i]);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

}  // namespace

void remove_on_signal(const std::string& path) {
  static std::atomic<bool> installed{false};
  if (!installed.exchange(true)) {
    for (int sig : kCleanupSignals) {
      struct sigaction old {};
      if (::sigaction(sig, nullptr, &old) != 0 || old.sa_handler != SIG_DFL) continue;  // someone else's
      struct sigaction sa {};
      sa.sa_handler = remove_paths_and_die;
      sigemptyset(&sa.sa_mask);
      ::sigaction(sig, &sa, nullptr);
    }
  }
  if (path.size() >= sizeof signal_paths[0]) return;
  for (int i = 0; i < kSignalPaths; ++i) {
    if (signal_path_used[i].load()) continue;
    std::memcpy(signal_paths[i], path.c_str(), path.size() + 1);
    signal_path_used[i].store(true);
    return;
  }
}

void forget_on_signal(const std::string& path) {
  for (int i = 0; i < kSignalPaths; ++i)
    if (signal_path_used[i].load() && path == signal_paths[i]) signal_path_used[i].store(false);
}

// mkdir -p; `exact` gives each directory it creates exactly `mode` and `group`.
static bool make_dirs_impl(const std::string& path, mode_t mode, bool exact, gid_t group, std::string* error) {
  if (path.empty()) return true;
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return true;
    if (error) *error = path + " exists but is not a directory; remove it or choose another path";
    return false;
  }
  auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0 && !make_dirs_impl(path.substr(0, slash), mode, exact, group, error))
    return false;
  if (::mkdir(path.c_str(), mode) != 0) {
    if (errno != EEXIST) {
      if (error) *error = "cannot create directory " + path + ": " + std::strerror(errno);
      return false;
    }
  } else if (exact) {
    // Ours: the group first (chown may clear the setgid bit), then the whole mode.
    if ((group != gid_t(-1) && ::lchown(path.c_str(), uid_t(-1), group) != 0) || ::chmod(path.c_str(), mode) != 0) {
      if (error) *error = "cannot set the mode of " + path + ": " + std::strerror(errno);
      return false;
    }
  }
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    if (error) *error = path + " is not a directory";
    return false;
  }
  return true;
}

std::string nearest_existing_path(const std::string& path) {
  std::string at = path;
  struct stat st {};
  while (::stat(at.c_str(), &st) != 0) {
    const auto slash = at.rfind('/');
    if (slash == std::string::npos) return ".";
    at = slash == 0 ? "/" : at.substr(0, slash);
  }
  return at;
}

bool make_dirs(const std::string& path, mode_t mode, std::string* error) {
  return make_dirs_impl(path, mode, false, gid_t(-1), error);
}

bool make_shared_dirs(const std::string& path, mode_t mode, gid_t group, std::string* error) {
  return make_dirs_impl(path, mode, true, group, error);
}

int open_dir_beneath(int base, const std::string& rel, bool create, mode_t mode, gid_t group, std::string* error) {
  int fd = ::fcntl(base, F_DUPFD_CLOEXEC, 0);
  size_t start = 0;
  while (fd >= 0 && start < rel.size()) {
    size_t end = rel.find('/', start);
    if (end == std::string::npos) end = rel.size();
    const std::string name = rel.substr(start, end - start);
    start = end + 1;
    if (name.empty()) continue;
    if (name == "." || name == "..") {
      ::close(fd);
      if (error) *error = rel + ": no '.' or '..' allowed";
      errno = EINVAL;
      return -1;
    }
    int mkdir_errno = 0;
    if (create && ::mkdirat(fd, name.c_str(), mode) != 0) mkdir_errno = errno;
    if (create && mkdir_errno == 0) {
      int made = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (made < 0 || (group != gid_t(-1) && ::fchown(made, uid_t(-1), group) != 0) || ::fchmod(made, mode) != 0) {
        int saved = errno;
        if (made >= 0) ::close(made);
        ::close(fd);
        if (error) *error = "cannot set the mode of " + rel + ": " + std::strerror(saved);
        errno = saved;
        return -1;
      }
      ::close(fd);
      fd = made;
      continue;
    }
    int next = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int saved = errno == ENOENT && mkdir_errno != 0 && mkdir_errno != EEXIST ? mkdir_errno : errno;
    ::close(fd);
    fd = next;
    if (fd < 0) {
      if (error)
        *error = rel + ": " +
                 (saved == ELOOP || saved == ENOTDIR ? name + " is a symbolic link or not a directory (never followed)"
                                                     : std::string(std::strerror(saved)));
      errno = saved;
    }
  }
  return fd;
}

bool make_dirs_beneath(const std::string& root, const std::string& rel, mode_t mode, gid_t group,
                       std::string* error) {
  int rfd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  std::string err = root + ": " + std::strerror(errno);
  int fd = rfd < 0 ? -1 : open_dir_beneath(rfd, rel, true, mode, group, &err);
  if (rfd >= 0) ::close(rfd);
  if (fd < 0) {
    if (error) *error = "cannot create " + root + "/" + rel + ": " + err;
    return false;
  }
  ::close(fd);
  return true;
}

std::vector<std::string> list_dir_fd(int dirfd) {
  std::vector<std::string> out;
  int fd = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);  // fdopendir takes ownership of its own
  if (fd < 0) return out;
  DIR* d = ::fdopendir(fd);
  if (!d) {
    ::close(fd);
    return out;
  }
  while (struct dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> list_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return {};
  auto out = list_dir_fd(fd);
  ::close(fd);
  return out;
}

void for_each_key_value(std::string_view text,
                        const std::function<void(const std::string&, const std::string&)>& f) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);  // '=' searched within the line only
    const size_t eq = line.find('=');
    if (eq != std::string_view::npos) f(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
    start = end + 1;
  }
}

bool remove_tree_at(int dirfd, const std::string& name) {
  struct stat st;
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return errno == ENOENT;
  if (!S_ISDIR(st.st_mode)) return ::unlinkat(dirfd, name.c_str(), 0) == 0 || errno == ENOENT;
  int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT;  // ELOOP: swapped for a link since the fstatat; never entered
  for (const auto& n : list_dir_fd(fd)) remove_tree_at(fd, n);
  ::close(fd);
  return ::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) == 0 || errno == ENOENT;
}

bool remove_tree(const std::string& path) { return remove_tree_at(AT_FDCWD, path); }

uint64_t tree_size_at(int dirfd, const std::string& name) {
  struct stat st;
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return 0;
  if (!S_ISDIR(st.st_mode)) return S_ISREG(st.st_mode) ? uint64_t(st.st_size) : 0;
  int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return 0;
  uint64_t total = 0;
  for (const auto& n : list_dir_fd(fd)) total += tree_size_at(fd, n);
  ::close(fd);
  return total;
}

uint64_t tree_size(const std::string& path) { return tree_size_at(AT_FDCWD, path); }

}  // namespace trn
