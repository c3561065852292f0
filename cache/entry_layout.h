// The on-disk shape of the cache, shared with Neuron's persistent cache so the
// same code reads entries written by neuronx-cc / neuron_parallel_compile:
//
//   <root>/<compiler>-<version>/MODULE_<hash>+<flags>/
//       model.neff          the artifact (any compiler's output is stored under this name)
//       model.done          written last; ours records sha256 + size (Neuron's is empty)
//       model.log           compiler output of a failed compile
//       model.fail          ours: exit code and its meaning
//       model.lock / *.lock an in-flight compile (ours: owner record + heartbeat mtime)
//       compile_flags.json  the normalised flags (informational)
//   <root>/.stats/  <root>/.slots/  <root>/.janitor.lock   bookkeeping, never entries
//
// Entry states (the rules optimum-neuron's cleanup uses, first match wins):
//   SUCCESS  model.neff and model.done
//   FAILED   model.log without model.neff
//   LOCKED   any *.lock
//   EMPTY    anything else (e.g. an HLO extracted but not compiled yet)
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace trn::cache {

namespace files {
inline constexpr const char* kArtifact = "model.neff";
inline constexpr const char* kDone = "model.done";
inline constexpr const char* kLog = "model.log";
inline constexpr const char* kFail = "model.fail";
inline constexpr const char* kLock = "model.lock";
inline constexpr const char* kFlags = "compile_flags.json";
}  // namespace files

enum class EntryState { kSuccess, kFailed, kLocked, kEmpty };
const char* state_name(EntryState s);

struct EntryInfo {
  std::string compiler_dir;  // "neuronxcc-2.15.128.0+56dc5a86"
  std::string module;        // "MODULE_..."
  std::string path;          // full path of the entry directory
  EntryState state = EntryState::kEmpty;
  std::vector<std::string> locks;  // full paths of *.lock files
  uint64_t bytes = 0;
  double last_used = 0;  // mtime of model.done (bumped on hits), else of the directory
};

// Classifies one entry directory; fills *locks with its lock files.
EntryState classify_entry(const std::string& dir, std::vector<std::string>* locks = nullptr);

// Compiler-version directories under root (skips dot-dirs, plain files and symbolic
// links: nothing reached through a link is part of the cache).
std::vector<std::string> list_compiler_dirs(const std::string& root);
// Every entry under root (real directories only, never links); sizes only when
// with_sizes (a full walk, links not followed).
std::vector<EntryInfo> scan_entries(const std::string& root, bool with_sizes);

// Compiler name and version of a "<name>-<version>" directory; false if not that shape.
bool split_compiler_dir(const std::string& dir, std::string* name, std::string* version);
// Numeric-aware version comparison ("2.9" < "2.15"); <0, 0, >0.
int compare_versions(const std::string& a, const std::string& b);

// What a lookup compares instead of re-hashing an artifact (NEFFs are large and live on
// NFS/FSx): size, mtime, ctime and inode as fstat gives them on an open descriptor. An
// in-place rewrite changes mtime and ctime (ctime cannot be set back, unlike mtime with
// touch -d or rsync -t); a replacement changes the inode. Not the device: it differs
// between NFS clients. As fine as the filesystem keeps times (ns on ext4/xfs/NFSv4,
// whole seconds on Lustre), so a same-size rewrite within one tick of publishing goes
// unseen by lookups; `trn-train cache verify` hashes every artifact in full.
struct FileStamp {
  uint64_t size = 0, inode = 0;
  long long mtime_ns = 0, ctime_ns = 0;
  static FileStamp of(const struct stat& st);
  bool operator==(const FileStamp& o) const {
    return size == o.size && inode == o.inode && mtime_ns == o.mtime_ns && ctime_ns == o.ctime_ns;
  }
};

// The done marker ours writes; Neuron's is empty (has_checksum == false). Records of
// earlier versions have no stamp (has_stamp == false): hashed on their next lookup,
// which then adds the stamp.
struct DoneRecord {
  bool has_checksum = false;
  std::string sha256;
  uint64_t size = 0;
  bool has_stamp = false;
  FileStamp stamp;  // of the artifact, taken when its sha256 was last computed
  std::string graph, flags, host;
  double created = 0;
  std::string serialize() const;
};
// Parses a done marker's text (raw bytes from a file anyone in the cache group may
// have written; also the fuzz entry point). False for a record no writer of ours or
// Neuron's produces: longer than kMaxRecordBytes, a sha256 that is not 64 hex digits,
// a size or time that is not a number in range. An empty text is Neuron's marker.
bool parse_done_record(std::string_view text, DoneRecord* out);

// The text of compile_flags.json: {"flags": "<normalised flags>"}, valid JSON whatever
// the flags hold (quotes, backslashes, control characters).
std::string compile_flags_json(const std::string& flags);

// True for names of temp files left by writers (".tmp."), broken locks (".stale.")
// and entries being deleted (".trash.").
bool is_leftover_name(const std::string& name);

}  // namespace trn::cache
