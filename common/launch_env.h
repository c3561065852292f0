// Where and how this task was started: Slurm (one task per node, or one task per
// worker), Open MPI / MPI Operator, AWS Batch multi-node, torchrun-style variables,
// or a standalone single node. Read from the environment only: no scontrol, no RPC.
#pragma once

#include <optional>
#include <string>

#include <vector>

#include "common/env_map.h"
#include "common/hostlist.h"
#include "common/problem.h"

namespace trn {

enum class LaunchKind { kSlurm, kOpenMpi, kAwsBatch, kTorchrun, kStandalone };
const char* to_string(LaunchKind k);

// The counts every reader accepts (anything else is one Problem naming the variable):
// nodes 1..kMaxNodes (as --nodes, launch.nodes, trainer.num_nodes), tasks per node
// 1..kMaxTasksPerNode (as launch.procs_per_node), world 1..kMaxNodes*kMaxTasksPerNode,
// so nodes*procs and every rank fit an int with room to spare; ranks 0..count-1.
inline constexpr int kMaxNodes = 65536;
inline constexpr int kMaxTasksPerNode = 4096;
inline constexpr int kMaxTasks = kMaxNodes * kMaxTasksPerNode;

struct LaunchEnv {
  LaunchKind kind = LaunchKind::kStandalone;
  int nodes = 1;
  bool nodes_from_hint = false;  // standalone: the node count came from --nodes
  int node_rank = 0;
  int tasks_on_this_node = 1;    // tasks this launcher instance shares its node with
  bool per_worker = false;       // true: every task is one worker (srun --ntasks-per-node=K, mpirun -np world)
  int task_rank = 0;             // SLURM_PROCID / OMPI rank (per_worker only)
  int local_rank = 0;
  int ntasks = 1;
  HostList hosts;  // node-rank order, named on demand; may be empty (Batch, OMPI without a list)
  std::optional<std::string> master_addr;  // given by the environment (Batch child, torchrun-style)
  std::optional<int> master_port;          // torchrun-style MASTER_PORT
  // Folder names (logs/<job>/, node-warnings.<step>), checked by the reader: Slurm's are
  // digits; other launchers' run ids 1-128 of [A-Za-z0-9._:@+-], never "." or "..".
  std::string job_id = "0";
  std::string step_id;
  int restart_count = 0;
};

// The one reader of the launch environment (the launcher's plan and the cache's
// distributed compile both use it, so both follow the same precedence): false with
// Problems when the variables are inconsistent or malformed (bad hostlist, NODEID >=
// nodes, a count out of range, Open MPI sizes that do not divide, a job id that is not
// a plain folder name, ...).
// Open MPI variables (mpirun, also inside a Slurm allocation) win over Slurm's step
// variables, which then describe mpirun's daemons, not this rank. `nodes_hint` is
// --nodes for plans made outside a job. Exception-free.
bool read_launch_env(const EnvMap& env, std::optional<int> nodes_hint, LaunchEnv* out, Problems* problems);

}  // namespace trn
