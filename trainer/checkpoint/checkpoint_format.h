// One checkpoint file of the native engine (format 2, what runs without ZeRO-1 write;
// ZeRO-1 runs write format 3, trainer/checkpoint/checkpoint_shards.h): a short text header, then
// the payload (parameters, AdamW m, AdamW v: fp32, host byte order).
//
//   trn-train native checkpoint 2
//   step=40
//   parameters=100672
//   shape=vocab_size 64, hidden_size 64, intermediate_size 176, num_hidden_layers 2, ...
//   layout=<sha256 of the parameter and optimizer-state layout>
//   payload_bytes=1208064
//   payload_sha256=<sha256 of the payload>
//   consumed_samples=320      (optional: files without it resume at step x global batch)
//   <empty line>
//
// Why all of this: a checkpoint of another shape with the same parameter count, a
// flipped byte, NaN weights, an absurd step or a truncated file used to resume
// silently. The header names what the file is, so each of those is refused with a
// Problem before a single weight is used. Text so that `head -8` explains a file.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/problem.h"
#include "trainer/model/llama.h"

namespace trn::native {

struct TrainState {
  int step = 0;  // optimizer steps completed
  std::vector<float> params, m, v;
  // Samples of the training stream consumed (NxDT's consumed_samples): the data
  // position a resume continues from, exact also when the global batch changed.
  long long consumed_samples = 0;
};

// What a checkpoint must match to be resumed by a model: its shape and the layout of
// the parameters and optimizer state (the config that matters; lr, seq_length,
// rope_theta may change across a resume).
struct CheckpointIdentity {
  uint64_t parameters = 0;
  std::string shape;   // "vocab_size 64, hidden_size 64, ..."
  std::string layout;  // sha256 hex of shape + tensor order + optimizer-state layout
  static CheckpointIdentity of(const ModelShape& shape);
};

struct CheckpointHeader {
  long long step = 0;  // 1 .. kMaxCheckpointStep
  CheckpointIdentity identity;
  uint64_t payload_bytes = 0;  // 3 x parameters x 4
  std::string payload_sha256;
  long long consumed_samples = -1;  // -1: not recorded
  size_t header_bytes = 0;  // where the payload starts
};

inline constexpr long long kMaxCheckpointStep = 1'000'000'000;  // trainer.max_steps' range
inline constexpr size_t kMaxCheckpointHeader = 4096;

// Pure entry point (the fuzz target's): parses the header at the start of `bytes`
// (a file's first kMaxCheckpointHeader bytes are enough). False with *problem
// (key "checkpoint header") on anything but a well-formed format-2 header.
bool read_checkpoint_header(std::string_view bytes, CheckpointHeader* out, Problem* problem);
std::string checkpoint_header_text(const CheckpointHeader& header);

// The pieces the headers of both formats (this one and the ZeRO-1 manifest,
// trainer/checkpoint/checkpoint_shards.h) are read with, every value from an untrusted file:
// a decimal in [lo, hi] (no sign, no leading zeros); 64 lowercase hex digits;
// the "key=value" lines after `magic` up to the first empty line within max_bytes,
// each key `known` and given once (*header_bytes: where the payload starts); and
// step, parameters, shape, layout and the optional consumed_samples of those fields.
using HeaderFields = std::map<std::string, std::string>;
bool parse_count(const std::string& s, unsigned long long lo, unsigned long long hi, unsigned long long* out);
bool is_sha256_hex(const std::string& s);
bool read_header_fields(std::string_view bytes, std::string_view magic, size_t max_bytes,
                        const std::function<bool(const std::string&)>& known, HeaderFields* fields,
                        size_t* header_bytes, Problem* problem);
bool read_identity_fields(HeaderFields& fields, CheckpointHeader* h, Problem* problem);
// The checks of what a file holds, Problems keyed by its path: the identity this
// trainer needs; finite values (part 0 parameters, 1 AdamW m, 2 AdamW v: also
// non-negative), `first_index` naming x[0]'s place in the whole vector.
bool identity_matches(const std::string& path, const CheckpointIdentity& got, const CheckpointIdentity& want,
                      Problem* problem);
bool values_usable(const std::string& path, int part, const float* x, size_t n, size_t first_index,
                   Problem* problem);

// Writes `state` to `path` (directly; the caller publishes it atomically). "" or the error.
std::string write_checkpoint_file(const std::string& path, const CheckpointIdentity& id, const TrainState& state);
// Reads and verifies `path` into *state (vectors already sized for `id`): header,
// identity, exact size, checksum, finite values, non-negative second moments.
// False with *problem keyed by the path; *state is then partly overwritten.
bool read_checkpoint_file(const std::string& path, const CheckpointIdentity& id, TrainState* state,
                          Problem* problem);

}  // namespace trn::native
