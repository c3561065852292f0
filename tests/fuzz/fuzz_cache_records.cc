// libFuzzer: every record the shared compile cache reads back from a file another
// user or node may have written: the done marker, the failure record, the lock's
// owner record and a stats shard. Any bytes must be accepted or refused; never a
// crash, a hang or an unbounded allocation.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cache/cluster_lock.h"
#include "cache/entry_layout.h"
#include "cache/failure_record.h"
#include "cache/stats.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  trn::cache::DoneRecord done;
  trn::cache::FailureRecord failure;
  trn::cache::LockRecord lock;
  trn::cache::Counters counters;
  (void)trn::cache::parse_done_record(text, &done);
  (void)trn::cache::parse_failure_record(text, &failure);
  if (trn::cache::parse_lock_record(text, &lock)) (void)lock.describe();
  (void)trn::cache::parse_stats_shard(text, &counters);
  return 0;
}
