#include "cache/permissions.h"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace trn::cache {

TrustPolicy TrustPolicy::for_current_user(const std::string& group_name, std::string* error) {
  TrustPolicy p;
  p.uid = ::geteuid();
  if (!group_name.empty()) {
    struct group* g = ::getgrnam(group_name.c_str());
    if (!g) {
      if (error) *error = "cache group '" + group_name + "' does not exist (set TRN_CACHE_GROUP to an existing group)";
      return p;
    }
    p.has_group = true;
    p.group = g->gr_gid;
    p.group_name = group_name;
  }
  return p;
}

bool is_trusted(const std::string& path, const TrustPolicy& policy, std::string* why) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (why) *why = path + ": " + std::strerror(errno);
    return false;
  }
  return is_trusted_stat(st, path, policy, why);
}

bool is_trusted_stat(const struct stat& st, const std::string& path, const TrustPolicy& policy, std::string* why) {
  if (S_ISLNK(st.st_mode)) {
    if (why) *why = path + " is a symbolic link; the cache never follows links to artifacts (remove it)";
    return false;
  }
  // With a shared group, files of other members carry the group (setgid dirs).
  bool owner_ok = st.st_uid == 0 || st.st_uid == policy.uid || (policy.has_group && st.st_gid == policy.group);
  if (!owner_ok) {
    if (why)
      *why = "refusing " + path + ": owned by uid " + std::to_string(st.st_uid) +
             ", who is neither you, root nor in a configured cache group (fix: chown it, or set "
             "TRN_CACHE_GROUP to the group that shares this cache)";
    return false;
  }
  if (st.st_mode & S_IWOTH) {
    if (why) *why = "refusing " + path + ": writable by any user (fix: chmod o-w '" + path + "')";
    return false;
  }
  if ((st.st_mode & S_IWGRP) && !(policy.has_group && st.st_gid == policy.group)) {
    if (why)
      *why = "refusing " + path + ": group-writable by gid " + std::to_string(st.st_gid) +
             ", which is not the configured cache group (fix: chmod g-w '" + path +
             "', or set TRN_CACHE_GROUP to that group if it should share the cache)";
    return false;
  }
  return true;
}

mode_t file_mode(const TrustPolicy& p) { return p.has_group ? 0664 : 0644; }
mode_t dir_mode(const TrustPolicy& p) { return p.has_group ? 02775 : 0755; }
gid_t shared_group(const TrustPolicy& p) { return p.has_group ? p.group : gid_t(-1); }

}  // namespace trn::cache
