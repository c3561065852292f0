// The buckets of the overlapped data-parallel gradient all-reduce
// (trainer/mpi/grad_allreduce.h), without MPI so unit tests drive them: the flat
// gradient buffer cut into pieces of at most `cap` floats, counted from its end,
// because backward finalises the gradients from the end (LM head and final norm,
// then layer L-1 down to 0, then the embedding): bucket 0 completes first. A bucket
// is complete once every element in it has been reported final, whatever the
// reports' sizes and order; every rank gets the same reports in the same order, so
// all ranks complete the buckets in the same order and start their collectives alike.
#pragma once

#include <cstddef>
#include <vector>

#include "common/problem.h"

namespace trn::native {

// PyTorch DDP's default bucket_cap_mb (25 MiB): big enough that a collective's fixed
// cost is small against its transfer, small enough that the first bucket starts
// while most of backward is still to run.
inline constexpr double kGradBucketMiB = 25;
// TRN_NATIVE_GRAD_BUCKET_MB: DDP's bucket_cap_mb for this engine (MiB, fractions
// allowed; unset: kGradBucketMiB). 0 turns the overlap off: one all-reduce of the
// whole buffer after backward, as before buckets (the A/B switch of the tests and
// the benchmark). Every rank must see the same value (mpirun and srun pass the
// environment on): ranks that disagree would start different collectives.
inline constexpr const char* kGradBucketEnv = "TRN_NATIVE_GRAD_BUCKET_MB";

// The bucket size in floats for the environment variable's value (nullptr: unset);
// 0 = no overlap. A value that is not a number >= 0: *problem says so and the
// default is used (a tuning knob never stops a run).
size_t grad_bucket_floats(const char* value, Problem* problem);

class GradBuckets {
 public:
  struct Bucket {
    size_t begin = 0, end = 0;
    size_t pending = 0;  // elements not yet reported final
  };
  // Buckets over [0, n), at most cap (> 0) floats each, bucket 0 ending at n.
  GradBuckets(size_t n, size_t cap);

  const std::vector<Bucket>& buckets() const { return buckets_; }
  // [begin, end) is final (each element reported once): the indices of the buckets
  // this completes, lowest first. The reference is valid until the next call.
  const std::vector<size_t>& complete(size_t begin, size_t end);
  // Every bucket pending in full again: the next step's reports start over.
  void rearm();

 private:
  size_t n_, cap_;
  std::vector<Bucket> buckets_;
  std::vector<size_t> completed_;
};

}  // namespace trn::native
