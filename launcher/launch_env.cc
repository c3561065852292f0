#include "launcher/launch_env.h"

#include <algorithm>
#include <charconv>

#include "common/hostlist.h"
#include "launcher/errors.h"

namespace trn {

const char* to_string(LaunchKind k) {
  switch (k) {
    case LaunchKind::kSlurm: return "slurm";
    case LaunchKind::kOpenMpi: return "openmpi";
    case LaunchKind::kAwsBatch: return "aws-batch";
    case LaunchKind::kTorchrun: return "torchrun";
    case LaunchKind::kStandalone: return "standalone";
  }
  return "?";
}

namespace {

struct Reader {
  const EnvMap& env;
  std::vector<Problem> problems;

  std::optional<int> num(const char* key) {
    auto v = lookup(env, key);
    if (!v || v->empty()) return std::nullopt;
    int out = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
    if (ec != std::errc() || p != v->data() + v->size() || out < 0) {
      problems.push_back({key, *v, "must be a non-negative integer (is the environment corrupted?)"});
      return std::nullopt;
    }
    return out;
  }
  std::string str(const char* key, const std::string& dflt = "") {
    auto v = lookup(env, key);
    return v ? *v : dflt;
  }
  // First variable that is set wins: step-level before job-level.
  template <typename... K>
  std::optional<int> first_num(K... keys) {
    for (const char* k : {keys...}) {
      if (auto v = num(k)) return v;
    }
    return std::nullopt;
  }
};

void read_slurm(Reader& r, LaunchEnv* le) {
  le->kind = LaunchKind::kSlurm;
  le->job_id = r.str("SLURM_JOB_ID", r.str("SLURM_JOBID", "0"));
  le->step_id = r.str("SLURM_STEP_ID", r.str("SLURM_STEPID"));
  le->restart_count = r.num("SLURM_RESTART_COUNT").value_or(0);
  // Step variables describe the srun we are in; job-level ones only as a fallback
  // (a step can be a subset of the allocation). Never assume SLURM_NTASKS == nodes.
  std::string nodelist = r.str("SLURM_STEP_NODELIST", r.str("SLURM_JOB_NODELIST", r.str("SLURM_NODELIST")));
  std::string error;
  if (!le->hosts.parse(nodelist, &error)) {
    r.problems.push_back({"SLURM_STEP_NODELIST", nodelist, error});
  }
  le->nodes = r.first_num("SLURM_STEP_NUM_NODES", "SLURM_NNODES", "SLURM_JOB_NUM_NODES")
                  .value_or(static_cast<int>(le->hosts.size()));
  le->node_rank = r.num("SLURM_NODEID").value_or(0);
  le->task_rank = r.num("SLURM_PROCID").value_or(0);
  le->local_rank = r.num("SLURM_LOCALID").value_or(0);
  le->ntasks = r.first_num("SLURM_STEP_NUM_TASKS", "SLURM_NTASKS").value_or(le->nodes);
  const std::string tpn = r.str("SLURM_STEP_TASKS_PER_NODE", r.str("SLURM_TASKS_PER_NODE"));
  int on_this_node = 0;
  size_t tpn_nodes = 0;
  if (!tpn.empty()) {
    if (!tasks_on_node(tpn, static_cast<size_t>(le->node_rank), &on_this_node, &tpn_nodes, &error)) {
      r.problems.push_back({"SLURM_STEP_TASKS_PER_NODE", tpn, error});
    } else if (static_cast<int>(tpn_nodes) != le->nodes) {
      r.problems.push_back({"SLURM_STEP_TASKS_PER_NODE", tpn,
                            "names " + std::to_string(tpn_nodes) + " nodes but the step has " +
                                std::to_string(le->nodes)});
    }
  }
  if (tpn_nodes > 0 && static_cast<size_t>(le->node_rank) < tpn_nodes) {
    le->tasks_on_this_node = on_this_node;
  } else {
    le->tasks_on_this_node = le->nodes > 0 ? le->ntasks / le->nodes : 1;
  }
  le->per_worker = le->ntasks > le->nodes;
  if (!le->hosts.empty() && static_cast<int>(le->hosts.size()) != le->nodes) {
    r.problems.push_back({"SLURM_STEP_NODELIST", nodelist,
                          "expands to " + std::to_string(le->hosts.size()) + " hosts but SLURM_STEP_NUM_NODES is " +
                              std::to_string(le->nodes)});
  }
}

void read_ompi(Reader& r, LaunchEnv* le) {
  le->kind = LaunchKind::kOpenMpi;
  le->task_rank = r.num("OMPI_COMM_WORLD_RANK").value_or(0);
  le->ntasks = r.num("OMPI_COMM_WORLD_SIZE").value_or(1);
  le->local_rank = r.num("OMPI_COMM_WORLD_LOCAL_RANK").value_or(0);
  le->tasks_on_this_node = r.num("OMPI_COMM_WORLD_LOCAL_SIZE").value_or(1);
  le->per_worker = le->tasks_on_this_node > 1;
  le->nodes = le->tasks_on_this_node > 0 ? le->ntasks / le->tasks_on_this_node : le->ntasks;
  le->node_rank = le->tasks_on_this_node > 0 ? le->task_rank / le->tasks_on_this_node : le->task_rank;
  le->job_id = r.str("OMPI_MCA_orte_ess_jobid", r.str("TRN_TRAIN_JOB_ID", "0"));
  if (auto a = lookup(r.env, "MASTER_ADDR")) le->master_addr = *a;
  // MPI Operator hostfile order is the rank order; without one the master must be given.
  const std::string hosts = r.str("TRN_TRAIN_HOSTS");
  std::string error;
  if (!hosts.empty() && !le->hosts.parse(hosts, &error)) r.problems.push_back({"TRN_TRAIN_HOSTS", hosts, error});
}

void read_batch(Reader& r, LaunchEnv* le) {
  le->kind = LaunchKind::kAwsBatch;
  le->node_rank = r.num("AWS_BATCH_JOB_NODE_INDEX").value_or(0);
  le->nodes = r.num("AWS_BATCH_JOB_NUM_NODES").value_or(1);
  le->ntasks = le->nodes;
  const int main_index = r.num("AWS_BATCH_JOB_MAIN_NODE_INDEX").value_or(0);
  // Batch sets the main node's address only on children; the main node uses its own.
  if (auto a = lookup(r.env, "AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS"); a && !a->empty()) {
    le->master_addr = *a;
  } else if (le->node_rank == main_index) {
    le->master_addr = "self";
  } else {
    r.problems.push_back({"AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS", "(unset)",
                          "is unset on a child node (index " + std::to_string(le->node_rank) +
                              "); this is not a multi-node parallel Batch job"});
  }
  if (main_index != 0) {
    // Rank 0 must live on the main node: rotate so the main node is node rank 0.
    le->node_rank = (le->node_rank - main_index + le->nodes) % le->nodes;
  }
  std::string id = r.str("AWS_BATCH_JOB_ID", "0");
  le->job_id = id.substr(0, id.find('#'));
}

void read_torchrun(Reader& r, LaunchEnv* le) {
  le->kind = LaunchKind::kTorchrun;
  le->master_addr = r.str("MASTER_ADDR");
  le->master_port = r.num("MASTER_PORT");
  le->ntasks = r.num("WORLD_SIZE").value_or(1);
  le->task_rank = r.num("RANK").value_or(0);
  le->local_rank = r.num("LOCAL_RANK").value_or(0);
  le->tasks_on_this_node = r.num("LOCAL_WORLD_SIZE").value_or(1);
  le->per_worker = lookup(r.env, "RANK").has_value();
  if (le->per_worker) {
    le->nodes = le->tasks_on_this_node > 0 ? le->ntasks / le->tasks_on_this_node : 1;
    le->node_rank = r.num("GROUP_RANK").value_or(le->task_rank / std::max(1, le->tasks_on_this_node));
  } else {
    le->nodes = r.first_num("NNODES", "PET_NNODES").value_or(1);
    le->node_rank = r.first_num("NODE_RANK", "PET_NODE_RANK").value_or(0);
  }
  le->job_id = r.str("TORCHELASTIC_RUN_ID", r.str("TRN_TRAIN_JOB_ID", "0"));
}

}  // namespace

LaunchEnv detect_launch_env(const EnvMap& env, std::optional<int> nodes_hint) {
  Reader r{env, {}};
  LaunchEnv le;
  // A Slurm *job* without a step (the batch script itself, or `trn-train plan` on a
  // login node inside salloc) has no SLURM_NODEID/SLURM_STEP_ID: plan from the allocation.
  if (lookup(env, "SLURM_JOB_ID") && (lookup(env, "SLURM_NODEID") || lookup(env, "SLURM_STEP_ID"))) {
    read_slurm(r, &le);
  } else if (lookup(env, "OMPI_COMM_WORLD_RANK")) {
    read_ompi(r, &le);
  } else if (lookup(env, "AWS_BATCH_JOB_NODE_INDEX")) {
    read_batch(r, &le);
  } else if (lookup(env, "MASTER_ADDR") && (lookup(env, "RANK") || lookup(env, "NODE_RANK"))) {
    read_torchrun(r, &le);
  } else {
    le.kind = LaunchKind::kStandalone;
    le.nodes = nodes_hint.value_or(1);
    le.nodes_from_hint = nodes_hint.has_value();
    le.ntasks = le.nodes;
    le.job_id = r.str("SLURM_JOB_ID", r.str("TRN_TRAIN_JOB_ID", "0"));
    if (auto nl = lookup(env, "SLURM_JOB_NODELIST"); nl && !nodes_hint) {
      std::string error;
      if (!le.hosts.parse(*nl, &error)) r.problems.push_back({"SLURM_JOB_NODELIST", *nl, error});
      if (!le.hosts.empty()) le.nodes = static_cast<int>(le.hosts.size());
    }
  }
  if (!r.problems.empty()) throw InputError(r.problems);
  if (le.nodes < 1) r.problems.push_back({"nodes", std::to_string(le.nodes), "must be at least 1"});
  if (le.node_rank >= le.nodes) {
    r.problems.push_back({"node rank", std::to_string(le.node_rank),
                          "must be below the node count " + std::to_string(le.nodes)});
  }
  if (!r.problems.empty()) throw InputError(r.problems);
  return le;
}

}  // namespace trn
