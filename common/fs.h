// Publishing files so that no reader, on this host or another, ever sees a
// partial one: write a temp file next to the target (same directory, hence
// same filesystem), fsync it, then rename() over the target. rename is atomic
// on local filesystems and on NFS/Lustre/FSx, which O_APPEND or in-place
// rewrites are not. Temp names carry the ".tmp." infix so cleanup can find
// leftovers of killed writers.
//
// The one place for file-system chores (read, exclusive create, atomic write +
// rename + fsync, mkdir -p, list, remove a tree, sizes): the cache, the launcher and
// the trainer use these rather than their own copies.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trn {

// A name next to `target` that no other process, on any host, uses:
// "<target><infix><process token>.<counter>", e.g. infix ".stale." for a broken
// lock set aside, ".trash." for a tree being deleted.
std::string unique_name_for(const std::string& target, const char* infix);
// The temp file name writers use: unique_name_for(target, ".tmp.").
std::string temp_name_for(const std::string& target);

// Writes `data` to `target` atomically with permission `mode`. On failure
// (ENOSPC, EROFS, ...) nothing is left behind and *error names the path and cause.
bool write_file_atomic(const std::string& target, const std::string& data, mode_t mode,
                       std::string* error);

// The same for `name` in the directory descriptor dirfd (a folder walked without following
// links, open_dir_beneath): temp file, write, fchmod, fsync, renameat, fsync of dirfd, so
// nothing is written through a path a link could redirect. *error names `shown` (the
// path for messages) and the cause; the temp file is removed on failure.
bool write_file_atomic_at(int dirfd, const std::string& name, const std::string& data, mode_t mode,
                          const std::string& shown, std::string* error);

// fsync + fchmod an already written temp file, then rename it to `target` and
// fsync the directory so the name survives a crash of the server.
bool commit_file(const std::string& temp, const std::string& target, mode_t mode, std::string* error);

// Creates `path`, which must not exist yet (O_EXCL), holding `data`, with permission
// `mode`. False when it exists or on any write error (*error names the path and cause,
// errno holds the cause; a partly written file is removed). write_file_atomic writes
// its temp file with it; a cluster lock writes its record with it before linking it.
bool write_new_file(const std::string& path, const std::string& data, mode_t mode, std::string* error);

// Streams a file to `chunk` in pieces (for hashing artifacts too large to hold); *mtime_ns,
// when given, comes from fstat() on the same descriptor: on NFS the open() forces
// close-to-open revalidation, where a stat() may answer from the attribute cache.
bool read_file_chunks(const std::string& path, const std::function<void(const char*, size_t)>& chunk,
                      std::string* error = nullptr, long long* mtime_ns = nullptr);
// Reads a whole file (through read_file_chunks).
bool read_file(const std::string& path, std::string* out, std::string* error = nullptr,
               long long* mtime_ns = nullptr);

// Files other users can plant (a shared cache's records and artifacts) are read only
// through these: open_regular opens `path` (relative to dirfd, AT_FDCWD for none) only
// if it is a regular file and not a symbolic link, and never blocks: O_NOFOLLOW refuses a
// link (to /dev/zero, /etc/shadow, ...), O_NONBLOCK keeps a FIFO from hanging the open,
// and fstat on the same descriptor (*st) must say S_ISREG. -1 with errno and *error
// ("<path>: not a regular file", ...) otherwise.
// Links::kFollow is for files a user or admin names on purpose (a config, the site
// file symlinked from a shared filesystem): the target must still be a regular file.
enum class Links { kRefuse, kFollow };
int open_regular(int dirfd, const std::string& path, struct stat* st, std::string* error,
                 Links links = Links::kRefuse);
// Reads a regular file (open_regular) of at most max_bytes; a larger one is refused
// (EFBIG) before anything is read, so a planted huge file cannot exhaust memory.
bool read_regular_file(const std::string& path, size_t max_bytes, std::string* out,
                       std::string* error = nullptr, struct stat* st = nullptr, Links links = Links::kRefuse);
// Streams at most `limit` bytes of an open descriptor to `chunk` (sized by the caller's
// fstat: a file that grows while it is read is not followed). Returns the bytes read, or
// -1 with *error on a read error.
int64_t read_fd_chunks(int fd, uint64_t limit, const std::function<void(const char*, size_t)>& chunk,
                       std::string* error = nullptr);

// A file a user names on purpose and that may be large (`trn-train data --input`):
// opened as open_regular(..., Links::kFollow) opens it, so a FIFO, folder or device is
// refused without blocking, and read with pread, never mapped: a file truncated while
// it is read ends early, an error here, where a mapping would kill the process with
// SIGBUS. Whole small files a user names (a tokenizer model) go through
// read_regular_file(..., Links::kFollow) with a size cap instead.
class InputFile {
 public:
  InputFile() = default;
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  // False with *error (the cause only: "not a regular file", strerror) and errno.
  bool open(const std::string& path, std::string* error);
  uint64_t size() const { return uint64_t(st_.st_size); }  // as open() saw it
  // Appends bytes [offset, offset + n) to *out; false with *error when the file ends
  // before offset + n (it was truncated) or a read fails.
  bool read_at(uint64_t offset, size_t n, std::string* out, std::string* error) const;
  // False with *error when its size or modification time is no longer what open() saw:
  // it was rewritten while it was read, and what was read may mix two versions.
  bool unchanged(std::string* error) const;

 private:
  int fd_ = -1;
  struct stat st_ {};
};

// Temp files of a writer that may run long (a dataset's .bin): created like
// write_new_file (O_EXCL, `mode`) under temp_name_for(target) and held with an
// exclusive flock() for as long as the descriptor stays open, so a later run can tell
// a killed writer's leftover from a live one's. -1 with *error (target and cause).
int create_locked_temp(const std::string& target, mode_t mode, std::string* temp, std::string* error);
// Removes the leftovers of killed writers of `target` (its "<target>.tmp.*" files):
// only those no process holds the flock of (create_locked_temp) and that nobody wrote
// for min_age_s seconds (a flock may not be seen across hosts on some network
// filesystems; a live writer writes often). Links are not followed. Returns the
// removed paths with their sizes.
std::vector<std::pair<std::string, uint64_t>> remove_dead_temps(const std::string& target, double min_age_s);

// Removes `path` if the process is ended by SIGINT, SIGTERM or SIGHUP before
// forget_on_signal(path) (the signal's default action follows, so the exit status is
// unchanged). Handlers are installed only for signals nobody else handles; at most 8
// paths at once (more are not removed). Called from one thread at a time.
void remove_on_signal(const std::string& path);
void forget_on_signal(const std::string& path);

// True when a and b (stat() results) are the same file: the same device and inode,
// whatever names or links lead to them.
inline bool same_file(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

// The largest record file (done marker, failure record, lock, stats shard) ever read.
inline constexpr size_t kMaxRecordBytes = 64 * 1024;

// `path` if it exists, else its nearest existing ancestor ("/" at worst, "." for a
// relative path): the folder that has to take a directory made at `path`, and the
// filesystem whose free space and permissions count for it.
std::string nearest_existing_path(const std::string& path);

// mkdir -p with mode (no exceptions); created directories get mode minus the umask.
bool make_dirs(const std::string& path, mode_t mode, std::string* error);
// mkdir -p for a directory other users share: every directory it creates gets exactly
// `mode` (a chmod after mkdir: under umask 022 mkdir(02775) gives 02755, and the group's
// second user could then write nothing) and, when group is not (gid_t)-1, that group.
bool make_shared_dirs(const std::string& path, mode_t mode, gid_t group, std::string* error);
// Opens directory `rel` ("a/b", no ".." and no leading '/') below the directory
// descriptor `base` one component at a time with O_NOFOLLOW, so that a symbolic link
// anywhere on the way fails (ELOOP or ENOTDIR) instead of leading outside. With create,
// missing components are made as make_shared_dirs makes them. -1 with *error on failure.
int open_dir_beneath(int base, const std::string& rel, bool create, mode_t mode, gid_t group,
                     std::string* error);
// open_dir_beneath(root, rel, create) from the path of `root` (itself opened with
// O_NOFOLLOW), for callers that only need the directory to exist afterwards.
// *error names root/rel and the cause.
bool make_dirs_beneath(const std::string& root, const std::string& rel, mode_t mode, gid_t group,
                       std::string* error);
// rm -rf without following links: links are removed, never what they point to, and
// the walk goes through directory descriptors (openat + O_NOFOLLOW), so a directory
// swapped for a link mid-walk is not entered. False only on errors other than "gone".
bool remove_tree(const std::string& path);
// The same for `name` in the directory descriptor dirfd.
bool remove_tree_at(int dirfd, const std::string& name);
// Names in a directory (no "." or ".."), sorted; empty when it cannot be read.
std::vector<std::string> list_dir(const std::string& dir);
// The same for an open directory descriptor (which stays open and owned by the caller).
std::vector<std::string> list_dir_fd(int dirfd);
// The cache's small record files (done marker, failure record, lock) are
// "key=value" lines; calls f(key, value) for each, skipping lines without '='.
void for_each_key_value(std::string_view text,
                        const std::function<void(const std::string&, const std::string&)>& f);
// Total bytes of regular files under path (links are not followed).
uint64_t tree_size(const std::string& path);
// The same for `name` in the directory descriptor dirfd.
uint64_t tree_size_at(int dirfd, const std::string& name);

}  // namespace trn
