// libFuzzer: Slurm hostlist and tasks-per-node grammars (common/hostlist). Any
// input must parse or be refused with a message; never crash, hang or allocate
// without bound (expansion is capped by the parser's host limit).
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/hostlist.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  trn::HostList list;
  std::string error;
  if (list.parse(text, &error)) {
    if (!list.empty()) {
      (void)list.front();
      (void)list.at(list.size() - 1);
      (void)list.at(list.size() / 2);
    }
    if (list.size() <= 4096) (void)list.expand();
  } else if (error.empty()) {
    __builtin_trap();  // a refusal must say why
  }
  int count = 0;
  size_t nodes = 0;
  for (size_t node : {size_t{0}, size_t{1}, size_t{1000}}) trn::tasks_on_node(text, node, &count, &nodes, &error);
  return 0;
}
