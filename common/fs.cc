#include "common/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
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
  char buf[1 << 16];
  for (;;) {
    ssize_t r = ::read(fd, buf, sizeof(buf));
    if (r < 0) {
      if (errno == EINTR) continue;
      if (error) *error = path + ": read: " + std::strerror(errno);
      ::close(fd);
      return false;
    }
    if (r == 0) break;
    chunk(buf, size_t(r));
  }
  ::close(fd);
  return true;
}

bool read_file(const std::string& path, std::string* out, std::string* error, long long* mtime_ns) {
  out->clear();
  return read_file_chunks(path, [out](const char* p, size_t n) { out->append(p, n); }, error, mtime_ns);
}

bool make_dirs(const std::string& path, mode_t mode, std::string* error) {
  if (path.empty()) return true;
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return true;
    if (error) *error = path + " exists but is not a directory; remove it or choose another path";
    return false;
  }
  auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0 && !make_dirs(path.substr(0, slash), mode, error)) return false;
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    if (error) *error = "cannot create directory " + path + ": " + std::strerror(errno);
    return false;
  }
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    if (error) *error = path + " is not a directory";
    return false;
  }
  return true;
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (struct dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.push_back(n);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

void for_each_key_value(const std::string& text,
                        const std::function<void(const std::string&, const std::string&)>& f) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const size_t eq = text.find('=', start);
    if (eq != std::string::npos && eq < end) f(text.substr(start, eq - start), text.substr(eq + 1, end - eq - 1));
    start = end + 1;
  }
}

bool remove_tree(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return errno == ENOENT;
  if (!S_ISDIR(st.st_mode)) return ::unlink(path.c_str()) == 0 || errno == ENOENT;
  for (const auto& n : list_dir(path)) remove_tree(path + "/" + n);
  return ::rmdir(path.c_str()) == 0 || errno == ENOENT;
}

uint64_t tree_size(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return 0;
  if (!S_ISDIR(st.st_mode)) return S_ISREG(st.st_mode) ? uint64_t(st.st_size) : 0;
  uint64_t total = 0;
  for (const auto& n : list_dir(path)) total += tree_size(path + "/" + n);
  return total;
}

}  // namespace trn
