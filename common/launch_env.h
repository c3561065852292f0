// Where and how this task was started: Slurm (one task per node, or one task per
// worker), Open MPI / MPI Operator, AWS Batch multi-node, a torchrun worker's or a
// Kubeflow PyTorchJob pod's variables, or a standalone single node. Read from the
// environment (and, for the MPI Operator, the host name the caller passes): no
// scontrol, no RPC.
#pragma once

#include <optional>
#include <string>

#include <vector>

#include "common/env_map.h"
#include "common/hostlist.h"
#include "common/problem.h"

namespace trn {

// kTorchrun: a torchrun worker's variables (LOCAL_RANK / TORCHELASTIC_RUN_ID), or
// torchrun-style per-node ones (NNODES, NODE_RANK); kPyTorchJob: a Kubeflow PyTorchJob
// pod (RANK = pod index, no LOCAL_RANK), one launcher per pod.
enum class LaunchKind { kSlurm, kOpenMpi, kAwsBatch, kTorchrun, kPyTorchJob, kStandalone };
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
  std::optional<std::string> master_addr;  // given by the environment (Batch child, torchrun-style, PyTorchJob)
  bool master_is_this_node = false;        // AWS Batch main node: the address of its own interface
  std::optional<int> master_port;          // torchrun-style / PyTorchJob MASTER_PORT
  // CCOM_SOCKET_IFNAME as upstream's launch scripts set it under this launcher ("" = not
  // set): "eth0" for mpirun outside Slurm (NxDT train_setup.sh's OMPI_COMM_WORLD_RANK
  // branch, taken when SLURM_NNODES is unset: the MPI Operator) and for AWS Batch
  // (aws-neuron-samples torch-neuronx/training/aws-batch/llama2/docker/llama_batch_training.sh).
  std::string socket_ifname;
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
// `fqdn` is this host's fully qualified name (`hostname --fqdn`), read by the caller:
// under mpirun outside Slurm with no host list given, the MPI Operator's pod names
// <job>-worker-0..N-1 are derived from it (mpi_operator_hosts); "" = unknown.
bool read_launch_env(const EnvMap& env, std::optional<int> nodes_hint, const std::string& fqdn, LaunchEnv* out,
                     Problems* problems);
inline bool read_launch_env(const EnvMap& env, std::optional<int> nodes_hint, LaunchEnv* out, Problems* problems) {
  return read_launch_env(env, nodes_hint, "", out, problems);
}

// The MPI Operator's worker pods, as neuronx-nemo-megatron k8s/docker/nodelist_helper.py
// derives them: `fqdn` is "<prefix>-worker-<i><suffix>" (the rightmost "-worker-<digits>"),
// the hosts are "<prefix>-worker-0<suffix>" .. "<prefix>-worker-<nodes-1><suffix>" in rank
// order. Empty when the name has no such part. `job` gets <prefix> (the MPIJob's name).
std::vector<std::string> mpi_operator_hosts(const std::string& fqdn, int nodes, std::string* job);

}  // namespace trn
