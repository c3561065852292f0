#include "spank/core_placement.h"

namespace neuron {

namespace {
std::string n(int v) { return std::to_string(v); }

std::string divisors(int c) {
  std::string out;
  for (int d = 1; d <= c; ++d)
    if (c % d == 0) out += (out.empty() ? "" : ", ") + n(d);
  return out;
}
}  // namespace

bool place_task(const UserOptions& opts, int c, int k, int task_id, const std::string& node, CoreRange* range,
                trn::Problem* problem) {
  const std::string cores = n(c) + " logical NeuronCores of node " + node;
  if (c <= 0 || k <= 0 || task_id < 0 || task_id >= k) {
    *problem = {"local task", n(task_id), "cannot be placed among " + n(k) + " tasks on the " + cores};
    return false;
  }
  switch (opts.cores) {
    case UserOptions::Cores::kAll:
      *range = {0, c};
      return true;
    case UserOptions::Cores::kPerTask: {
      int per = opts.cores_per_task;
      if (per > c || c % per != 0) {
        *problem = {"--neuron-cores", n(per), "must divide the " + cores + " (one of " + divisors(c) + ")"};
        return false;
      }
      if (static_cast<long>(per) * k > c) {
        *problem = {"--neuron-cores", n(per),
                    n(k) + " tasks x " + n(per) + " cores overcommit the " + cores + "; use at most " + n(c / k) +
                        " per task or fewer tasks per node"};
        return false;
      }
      *range = {task_id * per, per};
      return true;
    }
    case UserOptions::Cores::kEvenSplit:
    default: {
      if (k > c) {  // more tasks than cores and no request: not a Neuron step; set nothing
        *range = {0, 0};
        return true;
      }
      // c/k when it divides; otherwise the largest power of two <= c/k, so every
      // range still starts at a multiple of its size (a few cores stay idle).
      int per = c / k;
      if (c % k != 0) {
        int p2 = 1;
        while (p2 * 2 <= per) p2 *= 2;
        per = p2;
      }
      *range = {task_id * per, per};
      return true;
    }
  }
}

std::string format_range(const CoreRange& r) {
  if (r.count <= 0) return "";
  if (r.count == 1) return n(r.first);
  return n(r.first) + "-" + n(r.first + r.count - 1);
}

}  // namespace neuron
