// A rank's progress as its node's `trn-train run` reads it (issue 21, hang detection):
// one small file per rank, `rank.<N>` in the folder `run` names in TRN_TRAIN_PROGRESS_DIR
// (node-local, mode 0700, made by `run` and removed when it ends). The rank maps the file
// and updates it with plain stores (no syscall per update: trainer/report/progress_beacon.h);
// `run` reads it every tick (launcher/heal/hang_watch.h). The layout is fixed, native
// endianness: writer and reader are the same build on the same node.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace trn {

inline constexpr const char* kProgressDirVariable = "TRN_TRAIN_PROGRESS_DIR";
inline constexpr uint32_t kProgressMagic = 0x504e5254;  // "TRNP"
inline constexpr uint32_t kProgressVersion = 1;

// What the rank is doing: computing (forward, backward, the optimizer, a checkpoint) or
// waiting inside a collective for the other ranks.
enum class ProgressPhase : int32_t { kStarting = 0, kCompute = 1, kCollective = 2 };
const char* to_string(ProgressPhase p);  // "starting" | "compute" | "collective"

struct ProgressRecord {
  uint32_t magic = kProgressMagic;
  uint32_t version = kProgressVersion;
  int32_t pid = 0;
  int32_t rank = 0;
  int64_t step = -1;  // the last completed step (-1: none completed by this run yet)
  int32_t phase = 0;  // ProgressPhase
  int32_t reserved = 0;
};

// The file name of rank `rank`'s record.
std::string progress_file_name(int rank);

// Every well-formed record in `dir` (files owned by this user, regular, not links);
// the others are skipped. Sorted by rank.
std::vector<ProgressRecord> read_progress_records(const std::string& dir);

}  // namespace trn
