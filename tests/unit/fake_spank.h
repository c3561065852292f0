// A fake SPANK API for unit tests (the qiskit pattern): the plugin's real entry
// points (slurm_spank_init, _user_init, _task_init) run against this instead of
// slurmstepd. The test binary links every spank/*.o, including spank_neuron.o,
// so the fake must define every spank_*/slurm_* function the plugin calls; a
// missing one is a link error here before it is a dlopen error on a cluster.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

extern "C" {
#include <slurm/spank.h>
}

namespace fake_spank {

struct World {
  spank_context_t context = S_CTX_REMOTE;
  std::map<int, uint32_t> items;                 // spank_item_t -> value (uint32 or int)
  std::map<std::string, std::string> env;        // the step's job->env
  std::vector<std::string> registered;           // option names
  std::vector<struct spank_option> options;      // as registered (callbacks)
  std::vector<std::string> errors, infos;        // slurm_error / other log lines
  std::vector<std::string> spank_logs;           // slurm_spank_log lines
  int setenv_fail = 0;                           // make spank_setenv fail
};

World& world();
void reset();
// Runs the registered option callback for `name` as Slurm would.
int give_option(const std::string& name, const char* value, int remote);
spank_t handle();

}  // namespace fake_spank
