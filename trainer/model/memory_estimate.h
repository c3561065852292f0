// What a training run will allocate, known before it allocates anything: an absurd
// shape (hidden_size 1e8, a million-token micro-batch) must be one clear error
// naming the figure, not std::bad_alloc, an OOM kill or hours of swapping.
#pragma once

#include <cstdint>
#include <optional>

#include "common/problem.h"
#include "trainer/model/llama.h"

namespace trn::native {

// Bytes one rank holds for `shape` at `micro_batch`: parameters and gradients (2 x
// fp32 per parameter), the AdamW moments and weight-decay mask of its optimizer
// shard (all parameters, or 1/zero1_ranks of them with ZeRO-1 over that many ranks),
// the saved activations and backward scratch of one micro-batch (Llama's own
// buffers), the token batch and the corpus tables. std::nullopt when the figure
// overflows 64 bits.
std::optional<uint64_t> training_bytes(const ModelShape& shape, long long micro_batch, int zero1_ranks = 1);

// Memory this machine can give without swapping: MemAvailable from /proc/meminfo,
// else sysconf(_SC_AVPHYS_PAGES) pages. 0 when neither can be read (no check then).
uint64_t available_memory_bytes();

// The memory verdict for `ranks_here` ranks on this machine with `available` bytes
// (0: unknown, only the overflow and index limits are checked). Also refuses a
// micro-batch whose token count (micro_batch x seq_length) or a parameter count does
// not fit the 32-bit indices the BLAS calls and MPI counts take. Empty when it fits.
Problems memory_problems(const ModelShape& shape, long long micro_batch, int ranks_here, uint64_t available,
                         int zero1_ranks = 1);

}  // namespace trn::native
