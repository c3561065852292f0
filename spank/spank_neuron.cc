// spank_neuron.so: skeleton until the plugin lands (issue 4). Loads cleanly in
// slurmd/slurmstepd/srun so the local cluster can be tested with it in place.
extern "C" {
#include <slurm/spank.h>
}

// SPANK_PLUGIN defines const objects, which are internal in C++: declare them extern "C" first.
#pragma GCC visibility push(default)
extern "C" const char plugin_name[];
extern "C" const char plugin_type[];
extern "C" const unsigned int plugin_version;
extern "C" const unsigned int spank_plugin_version;
SPANK_PLUGIN(neuron, 1)
#pragma GCC visibility pop

extern "C" __attribute__((visibility("default"))) int slurm_spank_init(spank_t, int, char**) {
  return ESPANK_SUCCESS;
}
