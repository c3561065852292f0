// Whoever can write to the cache can make every rank run their code (a NEFF or
// a shared object is executable content), so the cache is trusted only as far
// as its permissions: an artifact is loaded only if the artifact and every
// directory from the cache root down to it are writable by nobody but their
// owner (root, us, or a member of the configured group) and that group.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <string>

namespace trn::cache {

struct TrustPolicy {
  uid_t uid = 0;            // the running user
  bool has_group = false;   // a group shares the cache (TRN_CACHE_GROUP)
  gid_t group = 0;
  std::string group_name;
  static TrustPolicy for_current_user(const std::string& group_name, std::string* error);
};

// Checks one path (file or directory). On refusal *why names the path, the
// problem and the fix (a chmod/chgrp command line).
// A symbolic link is never trusted (lstat).
bool is_trusted(const std::string& path, const TrustPolicy& policy, std::string* why);
// The same check on what fstat said of an already opened file (open_regular): no
// window between the check and the read for someone to swap the file.
bool is_trusted_stat(const struct stat& st, const std::string& path, const TrustPolicy& policy, std::string* why);

// The mode new files and directories get: group-writable only with a group.
mode_t file_mode(const TrustPolicy& p);
mode_t dir_mode(const TrustPolicy& p);
// The group new directories are given: the cache group, or (gid_t)-1 (leave it) without one.
gid_t shared_group(const TrustPolicy& p);

}  // namespace trn::cache
