#include "trainer/model/grad_buckets.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

namespace trn::native {
namespace {
// MPI counts are int: a bucket is one collective, so at most 2^31-1 floats.
constexpr double kMaxMiB = 8191;

size_t floats_in(double mib) { return std::max<size_t>(1, static_cast<size_t>(mib * 1024 * 1024 / sizeof(float))); }
}  // namespace

size_t grad_bucket_floats(const char* value, Problem* problem) {
  if (value == nullptr) return floats_in(kGradBucketMiB);
  char* end = nullptr;
  const double mib = std::strtod(value, &end);
  if (*value != '\0' && *end == '\0' && std::isfinite(mib) && mib >= 0 && mib <= kMaxMiB)
    return mib == 0 ? 0 : floats_in(mib);
  *problem = {kGradBucketEnv, value,
              "give the gradient all-reduce's bucket size in MiB, 0 to " + std::to_string(int(kMaxMiB)) +
                  " (0: no overlap with backward); using " + std::to_string(int(kGradBucketMiB))};
  return floats_in(kGradBucketMiB);
}

GradBuckets::GradBuckets(size_t n, size_t cap) : n_(n), cap_(cap) {
  for (size_t end = n; end > 0;) {
    const size_t begin = end > cap ? end - cap : 0;
    buckets_.push_back({begin, end, end - begin});
    end = begin;
  }
}

void GradBuckets::rearm() {
  for (Bucket& b : buckets_) b.pending = b.end - b.begin;
}

const std::vector<size_t>& GradBuckets::complete(size_t begin, size_t end) {
  completed_.clear();
  if (begin >= end) return completed_;
  // Bucket k holds the elements i with (n - 1 - i) / cap == k.
  for (size_t k = (n_ - end) / cap_; k <= (n_ - 1 - begin) / cap_; ++k) {
    Bucket& b = buckets_[k];
    b.pending -= std::min(end, b.end) - std::max(begin, b.begin);
    if (b.pending == 0) completed_.push_back(k);
  }
  return completed_;
}

}  // namespace trn::native
