// User options (--neuron-...) and their validation, free of Slurm types so the
// callbacks in spank_neuron.cc stay one-liners and the rules are unit-tested.
#pragma once

#include <string>

#include "common/problem.h"

namespace neuron {

struct UserOptions {
  enum class Cores { kEvenSplit, kPerTask, kAll };
  Cores cores = Cores::kEvenSplit;
  int cores_per_task = 0;   // with kPerTask
  int lnc = 0;              // 0 = not given
  std::string cache_url;    // empty = admin default
  bool env = true;          // --neuron-env=off clears it
  bool verbose = false;
};

// Each returns false with *problem = {"--neuron-X", the value given, what is accepted}.
bool parse_cores_option(const char* value, UserOptions* opts, trn::Problem* problem);
bool parse_lnc_option(const char* value, UserOptions* opts, trn::Problem* problem);
bool parse_cache_option(const char* value, UserOptions* opts, trn::Problem* problem);
bool parse_env_option(const char* value, UserOptions* opts, trn::Problem* problem);

}  // namespace neuron
