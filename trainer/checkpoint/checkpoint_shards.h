// ZeRO-1 checkpoints (format 3): every rank writes its own shard file at the same
// time, then rank 0 writes the manifest that makes them a checkpoint.
//
//   checkpoints/checkpoint-40.shard-0-of-4.bin   rank 0's slice [0, 25168): a header
//   checkpoints/checkpoint-40.shard-1-of-4.bin   naming step, rank and slice, then the
//   ...                                          slice's parameters, AdamW m, AdamW v
//                                                (fp32, host byte order)
//   checkpoints/checkpoint-40.bin                the manifest, written last:
//
//   trn-train native checkpoint 3 manifest
//   step=40
//   parameters=100672
//   shape=vocab_size 64, hidden_size 64, ...
//   layout=<sha256 of the parameter and optimizer-state layout>
//   consumed_samples=320
//   ranks=4
//   shard.0=0 25168 <sha256 of its parameters> <sha256 of its m> <sha256 of its v>
//   shard.1=25168 25168 <...> <...> <...>
//   ...
//   <empty line>
//
// Why this shape:
// - Parameters are sharded too, not written by rank 0: every rank then writes the
//   same 12 x parameters / N bytes, so a save takes 1/N of the single file's time;
//   rank 0 writing the parameters would write 4 + 8/N bytes per parameter while the
//   others wait for it.
// - The manifest is written after every rank's shard is durable (fsync + rename,
//   confirmed by a gather) and visible to rank 0 with its size, through the same
//   atomic write: a crash before it leaves no checkpoint-40.bin, so the previous
//   checkpoint stays the newest one; the shards it leaves are removed at the next start.
// - It carries the name checkpoint-<step>.bin, so resume, fallback, save_top_k,
//   resume_from_checkpoint and generate find it as they find a single file.
// - Shard file names are derived from the manifest's name and the rank count, never
//   read from the file: a damaged manifest cannot point a reader elsewhere.
// - A checksum per section (parameters, m, v) of each shard: a resumed rank reads
//   only the m and v sections of the shards that overlap its slice (of this run's
//   rank count, whatever the saving run's was), and verifies each section it reads.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/problem.h"
#include "trainer/checkpoint/checkpoint_format.h"
#include "trainer/model/zero1.h"

namespace trn::native {

inline constexpr int kMaxShards = 1 << 16;
inline constexpr size_t kMaxManifestBytes = 16 << 20;  // 65536 shard lines fit

struct ShardRecord {
  Shard range;
  std::string sha256[3];  // of its parameters, AdamW m, AdamW v
};

struct Manifest {
  CheckpointHeader header;  // step, identity, consumed_samples (no payload of its own)
  std::vector<ShardRecord> shards;
};

// True when `head` (a file's first bytes) starts a manifest.
bool is_manifest(std::string_view head);
// Pure (fuzzable): the manifest in `text`, every field checked (shards contiguous
// from 0, covering the parameters exactly, one line per rank). False with *problem.
bool read_manifest_text(std::string_view text, Manifest* out, Problem* problem);
std::string manifest_text(const Manifest& manifest);
// One shard line's value ("<begin> <count> <sha> <sha> <sha>"): what a rank reports
// to rank 0 after writing its shard.
std::string shard_record_text(const ShardRecord& record);
bool read_shard_record(const std::string& text, uint64_t parameters, ShardRecord* out);

// The shard file of `rank` out of `ranks` of the checkpoint named `manifest_path`.
std::string shard_path(const std::string& manifest_path, int rank, int ranks);

// Writes this rank's shard of step `step` atomically: parameters [shard) of `params`
// (all parameters), and `m`, `v` (the slice's). "" or the error; *record its checksums.
std::string write_shard(const std::string& manifest_path, int step, int rank, int ranks, Shard shard,
                        const float* params, const float* m, const float* v, ShardRecord* record);
// Rank 0, once every rank reported its record: checks every shard file is there with
// its size (all ranks must write to one shared folder), then publishes the manifest.
std::string write_manifest(const std::string& path, const Manifest& manifest);

// What one rank of a resumed run needs of a checkpoint of either format: all the
// parameters when `with_params` (else state->params is left alone), and AdamW m and
// v of `slice` only, plus step and consumed_samples. Of a manifest only the shard
// sections that hold those values are read; a single file is read whole (its one
// checksum covers all), keeping only the slice. False with *problem keyed by a path.
bool read_checkpoint(const std::string& path, const CheckpointIdentity& id, bool with_params, Shard slice,
                     TrainState* state, Problem* problem);

}  // namespace trn::native
