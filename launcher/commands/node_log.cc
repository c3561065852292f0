#include "launcher/commands/node_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/fs.h"
#include "launcher/errors.h"

namespace trn {
namespace {

constexpr const char* kFix =
    "; the console logs never follow links nor use a folder or file of another user: remove it, or set "
    "launch.log_dir to a folder of your own";

[[noreturn]] void refuse(const std::string& root, const std::string& why, const char* fix = kFix) {
  throw InputError({{"launch.log_dir", root, why + fix}});
}

// The cache's trust rule; a sticky folder's others-write is harmless here (see node_log.h).
void check_trusted(const std::string& root, int fd, const std::string& path, const cache::TrustPolicy& trust) {
  struct stat st;
  if (::fstat(fd, &st) != 0) refuse(root, path + ": " + std::strerror(errno));
  if (S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX)) st.st_mode &= ~(S_IWGRP | S_IWOTH);
  if (std::string why; !cache::is_trusted_stat(st, path, trust, &why)) {
    refuse(root, why, "; or set launch.log_dir to a folder of your own");
  }
  if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) refuse(root, path + ": not a regular file");
}

}  // namespace

NodeLog open_node_log(const std::string& root_in, const std::string& rel, const cache::TrustPolicy& trust) {
  std::string root = root_in;
  while (root.size() > 1 && root.back() == '/') root.pop_back();  // "logs/": a trailing '/' follows a link
  if (std::string why; !make_dirs(root, cache::dir_mode(trust), &why)) {
    refuse(root_in, why, " (set launch.log_dir or the site log_dir to a writable place)");
  }
  NodeLog out;
  out.file_mode = cache::file_mode(trust);
  OwnedFd dir(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) {
    const int e = errno;
    refuse(root_in, root + ": " + (e == ELOOP || e == ENOTDIR ? "a symbolic link or not a folder" : std::strerror(e)));
  }
  check_trusted(root_in, dir.get(), root, trust);
  std::string path = root;
  for (size_t start = 0; start < rel.size();) {
    const size_t end = std::min(rel.find('/', start), rel.size());
    const std::string name = rel.substr(start, end - start);
    start = end + 1;
    if (name.empty()) continue;
    std::string why;
    OwnedFd next(open_dir_beneath(dir.get(), name, true, cache::dir_mode(trust), cache::shared_group(trust), &why));
    if (!next) refuse(root_in, path + "/" + why);
    path += "/" + name;
    check_trusted(root_in, next.get(), path, trust);
    dir = std::move(next);
  }
  out.path = path + "/";
  // O_NONBLOCK: a FIFO planted as the log would block the open for good; it is refused below.
  const std::string log_path = out.path + "log";
  OwnedFd log(::openat(dir.get(), "log", O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
                       out.file_mode));
  if (!log) {
    const int e = errno;
    // ENXIO: a FIFO without a reader (or a socket)
    refuse(root_in, log_path + ": " + (e == ELOOP    ? "a symbolic link"
                                       : e == ENXIO ? "not a regular file"
                                                    : std::strerror(e)));
  }
  check_trusted(root_in, log.get(), log_path, trust);  // a regular file (a folder cannot be opened to write)
  ::fcntl(log.get(), F_SETFL, O_APPEND);  // blocking writes again
  out.dir = std::move(dir);
  out.log = std::move(log);
  return out;
}

void write_node_file(const NodeLog& log, const std::string& name, const std::string& text) {
  if (std::string why; !write_file_atomic_at(log.dir.get(), name, text, log.file_mode, log.path + name, &why))
    refuse(log.path, why, "");
}

}  // namespace trn
