// Publishing files so that no reader, on this host or another, ever sees a
// partial one: write a temp file next to the target (same directory, hence
// same filesystem), fsync it, then rename() over the target. rename is atomic
// on local filesystems and on NFS/Lustre/FSx, which O_APPEND or in-place
// rewrites are not. Temp names carry the ".tmp." infix so cleanup can find
// leftovers of killed writers.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace trn::cache {

// Returns a unique sibling temp name: "<target>.tmp.<token>".
std::string temp_name_for(const std::string& target);

// Writes `data` to `target` atomically with permission `mode`. On failure
// (ENOSPC, EROFS, ...) nothing is left behind and *error names the path and cause.
bool write_file_atomic(const std::string& target, const std::string& data, mode_t mode,
                       std::string* error);

// fsync + fchmod an already written temp file, then rename it to `target` and
// fsync the directory so the name survives a crash of the server.
bool commit_file(const std::string& temp, const std::string& target, mode_t mode, std::string* error);

// Small helpers (no exceptions): read a whole file; mkdir -p with mode.
bool read_file(const std::string& path, std::string* out, std::string* error = nullptr);
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

}  // namespace trn::cache
