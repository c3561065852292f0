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

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
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
// mkdir -p with mode (no exceptions).
bool make_dirs(const std::string& path, mode_t mode, std::string* error);
// rm -rf; returns false only on errors other than "already gone".
bool remove_tree(const std::string& path);
// Names in a directory (no "." or ".."), sorted; empty when it cannot be read.
std::vector<std::string> list_dir(const std::string& dir);
// The cache's small record files (done marker, failure record, lock) are
// "key=value" lines; calls f(key, value) for each, skipping lines without '='.
void for_each_key_value(const std::string& text,
                        const std::function<void(const std::string&, const std::string&)>& f);
// Total bytes of regular files under path.
uint64_t tree_size(const std::string& path);

}  // namespace trn
