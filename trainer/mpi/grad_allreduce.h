// The data-parallel sum of the gradients, overlapped with backward: the buckets of
// trainer/model/grad_buckets.h, each all-reduced (MPI_Iallreduce, in place) as soon as the
// last micro-batch's backward has finalised all of it, while earlier layers still
// run; wait() before clipping and the optimizer. Built once per run: wait() leaves
// it ready for the next step. Each element is summed over the ranks as one
// MPI_Allreduce of the whole buffer sums it when Open MPI reduces both
// along the same tree: Open MPI 4.1's do at 2, 4, 6 and 8 ranks (bitwise at 2 and 4:
// tests/scripts/test_trainer_grad_overlap.sh); at 3 or 5 ranks its blocking and
// non-blocking all-reduce may add in another order (fp32 rounding, nothing more).
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "trainer/model/grad_buckets.h"

namespace trn::native {

class OverlappedAllreduce {
 public:
  // grads must outlive this object and keep its size; bucket_floats > 0.
  OverlappedAllreduce(std::vector<float>* grads, size_t bucket_floats);
  ~OverlappedAllreduce();  // wait()
  OverlappedAllreduce(const OverlappedAllreduce&) = delete;
  OverlappedAllreduce& operator=(const OverlappedAllreduce&) = delete;

  // Backward's report (Llama::on_grads_ready) that [begin, end) is final: starts
  // the buckets it completes, and lets MPI progress those under way (Open MPI
  // moves a non-blocking collective only inside MPI calls).
  void ready(size_t begin, size_t end);
  // Every bucket summed over the ranks, in place. A bucket backward never reported
  // complete is started here, so the sum is whole whatever the reports were. Then
  // every bucket is pending again, for the next step.
  void wait();

 private:
  struct Requests;  // the MPI requests (<mpi.h> stays in trainer/mpi/*.cc)
  float* data_;
  GradBuckets buckets_;
  std::vector<char> started_;  // per bucket
  std::unique_ptr<Requests> requests_;
  void start(size_t bucket);
};

}  // namespace trn::native
