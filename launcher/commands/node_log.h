// `run`'s per-node folder launch.log_dir/<job>/<restart>/<node>/ (train.sh's
// logs/<job>/<restart>/<node>/): the console log and the effective config.
//
// The folder usually lies in the job's working folder, which other users may be able
// to write. Whoever can plant a link there (log -> ~/.bashrc) or a tree of their own
// must not be able to make a run append to, or replace, a file of their choosing. So:
//  - launch.log_dir is opened without following a link at its last component (the
//    folders above it are the user's path), every folder below it one component at
//    a time with O_NOFOLLOW (common/fs.h open_dir_beneath), made when missing;
//  - each of them must be trusted as the cache trusts its folders (cache/permissions.h):
//    owned by the user, root or the cache group, writable by nobody else. A sticky
//    folder (like /tmp, or a site's shared log root) may be writable by others: they
//    cannot rename or remove what is ours in it, and what we use in it is checked itself;
//  - the log is opened with openat(O_NOFOLLOW|O_APPEND) and must be a regular file
//    trusted the same way; files beside it are written through the folder's descriptor.
// Failures are InputErrors on launch.log_dir naming the path and the fix (exit 2).
#pragma once

#include <sys/types.h>

#include <string>

#include "cache/permissions.h"
#include "common/owned_fd.h"

namespace trn {

struct NodeLog {
  std::string path;  // root/rel/, for messages
  OwnedFd dir;       // the node's folder
  OwnedFd log;       // its console log "log", opened for appending
  mode_t file_mode = 0644;
};

// Opens (making what is missing) the folder `rel` ("<job>/<restart>/<node>") below
// `root` (launch.log_dir) and its log.
NodeLog open_node_log(const std::string& root, const std::string& rel, const cache::TrustPolicy& trust);

// Replaces `name` in the node's folder with `text` atomically (a temp file beside it,
// then renameat), never through a link.
void write_node_file(const NodeLog& log, const std::string& name, const std::string& text);

}  // namespace trn
