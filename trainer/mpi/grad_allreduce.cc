#include "trainer/mpi/grad_allreduce.h"

#include <mpi.h>

#include <algorithm>

#include "trainer/report/progress_beacon.h"

namespace trn::native {

struct OverlappedAllreduce::Requests {
  std::vector<MPI_Request> pending;  // started, maybe complete (then MPI_REQUEST_NULL)
};

OverlappedAllreduce::OverlappedAllreduce(std::vector<float>* grads, size_t bucket_floats)
    : data_(grads->data()),
      buckets_(grads->size(), bucket_floats),
      started_(buckets_.buckets().size(), 0),
      requests_(std::make_unique<Requests>()) {
  requests_->pending.reserve(buckets_.buckets().size());
}

OverlappedAllreduce::~OverlappedAllreduce() { wait(); }

void OverlappedAllreduce::start(size_t bucket) {
  const GradBuckets::Bucket& b = buckets_.buckets()[bucket];
  started_[bucket] = 1;
  requests_->pending.emplace_back();
  MPI_Iallreduce(MPI_IN_PLACE, data_ + b.begin, static_cast<int>(b.end - b.begin), MPI_FLOAT, MPI_SUM,
                 MPI_COMM_WORLD, &requests_->pending.back());
}

void OverlappedAllreduce::ready(size_t begin, size_t end) {
  for (size_t bucket : buckets_.complete(begin, end)) start(bucket);
  auto& p = requests_->pending;
  int done = 0;
  if (!p.empty()) MPI_Testall(static_cast<int>(p.size()), p.data(), &done, MPI_STATUSES_IGNORE);
}

void OverlappedAllreduce::wait() {
  for (size_t bucket = 0; bucket < started_.size(); ++bucket)
    if (!started_[bucket]) start(bucket);
  auto& p = requests_->pending;
  InCollective in;
  MPI_Waitall(static_cast<int>(p.size()), p.data(), MPI_STATUSES_IGNORE);
  p.clear();
  std::fill(started_.begin(), started_.end(), 0);
  buckets_.rearm();
}

}  // namespace trn::native
