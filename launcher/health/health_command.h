// `trn-train health`: a fast, node-local check that Slurm runs as HealthCheckProgram
// (as root under slurmd, with no job and no PATH) or an admin runs by hand. It judges
// this node's Neuron devices and cores against its instance, the Neuron error counters
// against the last run's, the driver and runtime versions, the EFA devices, the free
// space of the compile cache's filesystem and the open-file limit (launcher/health/
// health_checks.h). A failing node is drained with the reason "trn-train health: ...";
// a node drained with such a reason is resumed once healthy again; a drain anyone else
// set is left alone. Exit status: 0 healthy (warnings allowed), 1 a check failed or
// Slurm could not be told, 2 bad input.
#pragma once

namespace CLI {
class App;
}

namespace trn {

// Adds the `health` subcommand to `app`; when it runs, its exit status is written to
// *exit_code.
void add_health_command(CLI::App& app, int* exit_code);

}  // namespace trn
