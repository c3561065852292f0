// Files the cache keeps for information only (an entry's compile_flags.json, the
// statistics shards) are replaced atomically, never seen half-written, but not
// fsynced: their durability is not worth two fsyncs (file and folder, tens of ms each
// on a busy disk or NFS server) on the path of every publish and of every rank's exit.
// A crash may lose the latest version; their readers take an absent, empty or
// malformed one as "nothing recorded".
#pragma once

#include <sys/types.h>

#include <string>

namespace trn::cache {

// Writes `data` to a temp file beside `path`, gives it `mode` whatever the umask, and
// renames it over `path`. False (and no temp file left) on any error.
bool replace_advisory_file(const std::string& path, const std::string& data, mode_t mode);

}  // namespace trn::cache
