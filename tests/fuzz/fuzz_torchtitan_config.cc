// libFuzzer: a TorchTitan TOML job config as planning reads it
// (launcher/plan/torchtitan_config.h): any text is a config or Problems, never an
// exception (toml++ runs with exceptions off) or a crash; a config that parses holds
// only degrees TorchTitan accepts, and checking it against any world never overflows.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "launcher/plan/torchtitan_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  trn::TorchTitanConfig c;
  trn::Problems problems;
  if (!trn::parse_torchtitan_config(text, "/fuzz/job.toml", &c, &problems)) {
    if (problems.empty()) std::abort();
    return 0;
  }
  for (long long d : {c.dp_replicate, c.tp, c.pp, c.cp, c.ep, c.etp, c.local_batch_size})
    if (d < 1) std::abort();
  if (c.dp_shard == 0 || c.dp_shard < -1) std::abort();
  for (long long nodes : {1LL, 7LL, 65536LL})
    for (long long procs : {1LL, 64LL, 4096LL}) trn::check_torchtitan_world(c, nodes, procs, &problems);
  return 0;
}
