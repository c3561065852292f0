// The on-disk shape of the cache: Neuron's persistent cache, so that the same tree is
// read and written by neuronx-cc / neuron_parallel_compile / torch-neuronx and by us.
// Inside an entry trn-train writes Neuron's files byte-for-byte as the SDK does and
// keeps everything of its own in side files the SDK ignores (the format, with its
// sources, is pinned by tests/fixtures/neuron_cache/README.md):
//
//   <root>/<compiler>-<version>/MODULE_<hash>+<flags>/
//     Neuron's (the SDK writes them; so do we, the same bytes):
//       model.hlo_module.pb       the graph the collecting process extracted (never written by us)
//       compile_flags.json        its compiler flags, a JSON list of words (never written by us)
//       model.neff                the artifact (any compiler's output is stored under this name)
//       model.done                empty, written last: the entry is compiled
//       model.log                 compiler output of a failed compile
//       model.hlo_module.pb.lock  an in-flight compile (the SDK waits while it exists)
//     ours (side files; no Neuron tool reads them):
//       trn-train.record          the artifact's sha256, size and stamp; graph, flags, host, time
//       trn-train.failure         a failed compile's exit code and its meaning
//   <root>/.stats/  <root>/.slots/  <root>/.janitor.lock   bookkeeping, never entries
//
// Earlier trn-train versions wrote their record into model.done and the failure into
// model.fail: both are still read (a non-empty model.done is such a record).
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
// Neuron's.
inline constexpr const char* kGraph = "model.hlo_module.pb";
inline constexpr const char* kOldGraph = "model.hlo.pb";  // SDKs before 2.14
inline constexpr const char* kFlags = "compile_flags.json";
inline constexpr const char* kArtifact = "model.neff";
inline constexpr const char* kDone = "model.done";
inline constexpr const char* kLog = "model.log";
inline constexpr const char* kLock = "model.hlo_module.pb.lock";
// Ours.
inline constexpr const char* kRecord = "trn-train.record";
inline constexpr const char* kFail = "trn-train.failure";
inline constexpr const char* kOldFail = "model.fail";  // earlier trn-train versions
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

// Our record of a compiled entry (files::kRecord; earlier versions wrote it into
// model.done). An entry Neuron's tools compiled has none (has_checksum == false).
// Records of earlier versions have no stamp (has_stamp == false): hashed on their next
// lookup, which then adds the stamp.
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
// Parses a record's text (raw bytes from a file anyone in the cache group may have
// written; also the fuzz entry point). False for a record no writer of ours or Neuron's
// produces: longer than kMaxRecordBytes, a sha256 that is not 64 hex digits, a size or
// time that is not a number in range. An empty text is Neuron's model.done.
bool parse_done_record(std::string_view text, DoneRecord* out);

// The compiler flags an entry's compile_flags.json holds, as the SDK writes it: a JSON
// list of words (["--model-type", "transformer"]). Empty *problem when read; otherwise
// what is wrong ("missing", "unreadable: ...", "not a JSON list of strings"), and the
// graph must not be compiled with other flags.
std::vector<std::string> read_compile_flags(const std::string& entry_dir, std::string* problem);

// True for names of temp files left by writers (".tmp."), broken locks (".stale.")
// and entries being deleted (".trash.").
bool is_leftover_name(const std::string& name);

}  // namespace trn::cache
