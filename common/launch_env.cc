#include "common/launch_env.h"

#include <algorithm>
#include <charconv>

#include "common/hostlist.h"

namespace trn {

const char* to_string(LaunchKind k) {
  switch (k) {
    case LaunchKind::kSlurm: return "slurm";
    case LaunchKind::kOpenMpi: return "openmpi";
    case LaunchKind::kAwsBatch: return "aws-batch";
    case LaunchKind::kTorchrun: return "torchrun";
    case LaunchKind::kPyTorchJob: return "pytorchjob";
    case LaunchKind::kStandalone: return "standalone";
  }
  return "?";
}

namespace {

// How an id that becomes a folder name (logs/<job>/..., node-warnings.<step>) must look.
enum class IdForm {
  kSlurm,  // Slurm's job and step ids are numbers (array and het jobs have their own numeric SLURM_JOB_ID)
  kName,   // other launchers' run ids: a plain name
};

bool id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-' || c == ':' || c == '@' || c == '+';
}

// Never empty, never '/', never "." or "..": the id is one path component below launch.log_dir.
bool valid_id(const std::string& v, IdForm form) {
  if (v.empty() || v == "." || v == "..") return false;
  if (form == IdForm::kSlurm) {
    return v.size() <= 20 && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
  }
  return v.size() <= 128 && std::all_of(v.begin(), v.end(), id_char);
}

struct Reader {
  const EnvMap& env;
  const std::string& fqdn;
  std::vector<Problem> problems;

  // An integer from lo to hi; anything else (negative, overflowing, text) is a Problem.
  std::optional<int> num(const char* key, int lo, int hi) {
    auto v = lookup(env, key);
    if (!v || v->empty()) return std::nullopt;
    long long out = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
    if (ec != std::errc() || p != v->data() + v->size() || out < lo || out > hi) {
      problems.push_back({key, *v,
                          "must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) +
                              " (is the environment corrupted?)"});
      return std::nullopt;
    }
    return static_cast<int>(out);
  }
  std::optional<int> count(const char* key, int hi) { return num(key, 1, hi); }
  std::optional<int> index(const char* key, int hi) { return num(key, 0, hi - 1); }
  std::string str(const char* key, const std::string& dflt = "") {
    auto v = lookup(env, key);
    return v ? *v : dflt;
  }
  // An id (job, step, run) that names a folder; a malformed one is a Problem.
  void check_id(const char* key, const std::string& v, IdForm form) {
    if (valid_id(v, form)) return;
    problems.push_back({key, v,
                        form == IdForm::kSlurm
                            ? "must be Slurm's numeric id (digits only; it names the folder logs/<job>/): is the "
                              "environment corrupted?"
                            : "names the log folder launch.log_dir/<job>/: use 1 to 128 letters, digits and . _ - : "
                              "@ + (not '.' or '..')"});
  }
  std::optional<std::string> id(const char* key, IdForm form) {
    auto v = lookup(env, key);
    if (v) check_id(key, *v, form);
    return v;
  }
  // The first id variable that is set (even to ""), checked; `dflt` when none is.
  template <typename... K>
  std::string first_id(IdForm form, const char* dflt, K... keys) {
    for (const char* k : {keys...}) {
      if (auto v = id(k, form)) return *v;
    }
    return dflt;
  }
  // First variable that is set wins: step-level before job-level.
  template <typename... K>
  std::optional<int> first_count(int hi, K... keys) {
    for (const char* k : {keys...}) {
      if (auto v = count(k, hi)) return v;
    }
    return std::nullopt;
  }
  // A rank must lie below its count: `what` names the count in the fix.
  void below(const char* key, int value, int limit, const std::string& what) {
    if (value >= limit) {
      problems.push_back({key, std::to_string(value), "must be below " + what + " (" + std::to_string(limit) + ")"});
    }
  }
};

void read_slurm(Reader& r, LaunchEnv* le) {
  le->kind = LaunchKind::kSlurm;
  le->job_id = r.first_id(IdForm::kSlurm, "0", "SLURM_JOB_ID", "SLURM_JOBID");
  le->step_id = r.first_id(IdForm::kSlurm, "", "SLURM_STEP_ID", "SLURM_STEPID");
  le->restart_count = r.num("SLURM_RESTART_COUNT", 0, 1000000).value_or(0);
  // Step variables describe the srun we are in; job-level ones only as a fallback
  // (a step can be a subset of the allocation). Never assume SLURM_NTASKS == nodes.
  std::string nodelist = r.str("SLURM_STEP_NODELIST", r.str("SLURM_JOB_NODELIST", r.str("SLURM_NODELIST")));
  std::string error;
  if (!le->hosts.parse(nodelist, &error)) {
    r.problems.push_back({"SLURM_STEP_NODELIST", nodelist, error});
  }
  le->nodes = r.first_count(kMaxNodes, "SLURM_STEP_NUM_NODES", "SLURM_NNODES", "SLURM_JOB_NUM_NODES")
                  .value_or(static_cast<int>(std::min<size_t>(le->hosts.size(), kMaxNodes)));
  le->node_rank = r.index("SLURM_NODEID", kMaxNodes).value_or(0);
  le->task_rank = r.index("SLURM_PROCID", kMaxTasks).value_or(0);
  le->local_rank = r.index("SLURM_LOCALID", kMaxTasksPerNode).value_or(0);
  le->ntasks = r.first_count(kMaxTasks, "SLURM_STEP_NUM_TASKS", "SLURM_NTASKS").value_or(le->nodes);
  r.below("SLURM_PROCID", le->task_rank, le->ntasks, "the step's task count SLURM_STEP_NUM_TASKS");
  // srun --mpi=pmix sets PMIX_RANK = SLURM_PROCID; another PMIx launcher inside the step
  // (prterun, mpirun without OMPI_COMM_WORLD_*) means the step variables are its daemons'.
  if (auto pmix = lookup(r.env, "PMIX_RANK"); pmix && *pmix != std::to_string(le->task_rank)) {
    r.problems.push_back({"PMIX_RANK", *pmix,
                          "differs from SLURM_PROCID " + std::to_string(le->task_rank) +
                              ": this rank was started by a PMIx launcher inside the Slurm step, which sets no "
                              "world or node sizes trn-train can read; launch with srun, or Open MPI's mpirun "
                              "(OMPI_COMM_WORLD_*)"});
  }
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

// Open MPI's mpirun (alone, under the MPI Operator, or inside a Slurm allocation). Its
// variables describe this rank; ranks are placed node by node (--map-by ppr:N:node),
// so the node rank is rank / local size and every node must hold the same number.
void read_ompi(Reader& r, LaunchEnv* le) {
  le->kind = LaunchKind::kOpenMpi;
  le->ntasks = r.count("OMPI_COMM_WORLD_SIZE", kMaxTasks).value_or(1);
  le->tasks_on_this_node = r.count("OMPI_COMM_WORLD_LOCAL_SIZE", kMaxTasksPerNode).value_or(1);
  le->task_rank = r.index("OMPI_COMM_WORLD_RANK", kMaxTasks).value_or(0);
  le->local_rank = r.index("OMPI_COMM_WORLD_LOCAL_RANK", kMaxTasksPerNode).value_or(0);
  r.below("OMPI_COMM_WORLD_RANK", le->task_rank, le->ntasks, "OMPI_COMM_WORLD_SIZE");
  r.below("OMPI_COMM_WORLD_LOCAL_RANK", le->local_rank, le->tasks_on_this_node, "OMPI_COMM_WORLD_LOCAL_SIZE");
  if (le->ntasks % le->tasks_on_this_node != 0) {
    r.problems.push_back({"OMPI_COMM_WORLD_SIZE", std::to_string(le->ntasks),
                          "is not a multiple of OMPI_COMM_WORLD_LOCAL_SIZE " + std::to_string(le->tasks_on_this_node) +
                              ": every node needs the same number of ranks; use mpirun --map-by ppr:N:node"});
  }
  le->per_worker = le->tasks_on_this_node > 1;
  le->nodes = le->ntasks / le->tasks_on_this_node;
  le->node_rank = le->task_rank / le->tasks_on_this_node;
  if (auto a = lookup(r.env, "MASTER_ADDR")) le->master_addr = *a;
  std::string error;
  if (auto job = r.id("SLURM_JOB_ID", IdForm::kSlurm)) {
    // Inside an allocation Slurm still says truly which job and which nodes; its step
    // variables belong to mpirun's daemons. mpirun fills the allocation in its order.
    le->job_id = *job;
    le->restart_count = r.num("SLURM_RESTART_COUNT", 0, 1000000).value_or(0);
    const std::string nodelist = r.str("SLURM_JOB_NODELIST", r.str("SLURM_NODELIST"));
    if (!le->hosts.parse(nodelist, &error)) {
      r.problems.push_back({"SLURM_JOB_NODELIST", nodelist, error});
    } else if (le->hosts.size() < static_cast<size_t>(le->nodes)) {
      r.problems.push_back({"OMPI_COMM_WORLD_SIZE", std::to_string(le->ntasks),
                            "places ranks on " + std::to_string(le->nodes) + " nodes but the allocation has " +
                                std::to_string(le->hosts.size()) + " (" + nodelist + ")"});
    } else if (le->hosts.size() > static_cast<size_t>(le->nodes)) {
      std::vector<std::string> used;  // mpirun uses fewer nodes than allocated: the first ones
      for (int i = 0; i < le->nodes; ++i) used.push_back(le->hosts.at(static_cast<size_t>(i)));
      le->hosts = HostList::of(std::move(used));
    }
    return;
  }
  // train_setup.sh takes its MPI (EKS) branch when SLURM_NNODES is unset and sets the
  // collectives' socket interface there.
  if (!lookup(r.env, "SLURM_NNODES")) le->socket_ifname = "eth0";
  // The hosts in rank order: TRN_TRAIN_HOSTS when given, else the MPI Operator's worker
  // pods named from this pod's own name (nodelist_helper.py); neither: MASTER_ADDR must be.
  std::string mpijob;
  const std::string hosts = r.str("TRN_TRAIN_HOSTS");
  if (!hosts.empty()) {
    if (!le->hosts.parse(hosts, &error)) r.problems.push_back({"TRN_TRAIN_HOSTS", hosts, error});
  } else if (auto pods = mpi_operator_hosts(r.fqdn, le->nodes, &mpijob); !pods.empty()) {
    le->hosts = HostList::of(std::move(pods));
  }
  // The job id names the experiment (NEMO_EXPM_VERSION) and the log folder, so two jobs
  // must never share one: an explicit TRN_TRAIN_JOB_ID; POD_UID, the launcher pod's uid
  // that the seed's MPIJob manifest passes to every rank (mpirun -x POD_UID) and that
  // train_setup.sh names the experiment after; Open MPI's own id of this mpirun (v4:
  // OMPI_MCA_*ess*_jobid; every version: PMIX_NAMESPACE); the MPIJob's name last.
  le->job_id = r.first_id(IdForm::kName, "", "TRN_TRAIN_JOB_ID", "POD_UID", "OMPI_MCA_orte_ess_jobid",
                          "OMPI_MCA_ess_base_jobid", "PMIX_NAMESPACE");
  if (le->job_id.empty()) le->job_id = mpijob.empty() ? "0" : mpijob;
}

void read_batch(Reader& r, LaunchEnv* le) {
  le->kind = LaunchKind::kAwsBatch;
  le->nodes = r.count("AWS_BATCH_JOB_NUM_NODES", kMaxNodes).value_or(1);
  le->node_rank = r.index("AWS_BATCH_JOB_NODE_INDEX", kMaxNodes).value_or(0);
  le->ntasks = le->nodes;
  const int main_index = r.index("AWS_BATCH_JOB_MAIN_NODE_INDEX", kMaxNodes).value_or(0);
  // Checked before the rotation below, which would otherwise wrap an index beyond the count.
  r.below("AWS_BATCH_JOB_NODE_INDEX", le->node_rank, le->nodes, "AWS_BATCH_JOB_NUM_NODES");
  r.below("AWS_BATCH_JOB_MAIN_NODE_INDEX", main_index, le->nodes, "AWS_BATCH_JOB_NUM_NODES");
  if (!r.problems.empty()) return;
  le->socket_ifname = "eth0";  // llama_batch_training.sh exports it on every node
  // Batch sets the main node's address only on children; the main node uses the address
  // of its own interface (the sample: eth0's), never its host name (which may map to
  // 127.0.0.1).
  if (auto a = lookup(r.env, "AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS"); a && !a->empty()) {
    le->master_addr = *a;
  } else if (le->node_rank == main_index) {
    le->master_is_this_node = true;
  } else {
    r.problems.push_back({"AWS_BATCH_JOB_MAIN_NODE_PRIVATE_IPV4_ADDRESS", "(unset)",
                          "is unset on a child node (index " + std::to_string(le->node_rank) +
                              "); this is not a multi-node parallel Batch job"});
  }
  if (main_index != 0) {
    // Rank 0 must live on the main node: rotate so the main node is node rank 0.
    le->node_rank = (le->node_rank - main_index + le->nodes) % le->nodes;
  }
  const std::string id = r.str("AWS_BATCH_JOB_ID", "0");
  le->job_id = id.substr(0, id.find('#'));  // "<job>#<node index>" on a multi-node job's nodes
  r.check_id("AWS_BATCH_JOB_ID", le->job_id, IdForm::kName);
}

void read_torchrun(Reader& r, LaunchEnv* le) {
  le->kind = LaunchKind::kTorchrun;
  le->master_addr = r.str("MASTER_ADDR");
  le->master_port = r.num("MASTER_PORT", 1, 65535);
  le->ntasks = r.count("WORLD_SIZE", kMaxTasks).value_or(1);
  le->task_rank = r.index("RANK", kMaxTasks).value_or(0);
  le->local_rank = r.index("LOCAL_RANK", kMaxTasksPerNode).value_or(0);
  le->tasks_on_this_node = r.count("LOCAL_WORLD_SIZE", kMaxTasksPerNode).value_or(1);
  le->per_worker = lookup(r.env, "RANK").has_value();
  if (le->per_worker) {
    r.below("RANK", le->task_rank, le->ntasks, "WORLD_SIZE");
    if (le->ntasks % le->tasks_on_this_node != 0) {
      r.problems.push_back({"WORLD_SIZE", std::to_string(le->ntasks),
                            "is not a multiple of LOCAL_WORLD_SIZE " + std::to_string(le->tasks_on_this_node) +
                                ": every node needs the same number of workers"});
    }
    le->nodes = le->ntasks / le->tasks_on_this_node;
    le->node_rank = r.index("GROUP_RANK", kMaxNodes).value_or(le->task_rank / le->tasks_on_this_node);
  } else {
    le->nodes = r.first_count(kMaxNodes, "NNODES", "PET_NNODES").value_or(1);
    const char* rank_key = lookup(r.env, "NODE_RANK") ? "NODE_RANK" : "PET_NODE_RANK";
    le->node_rank = r.index(rank_key, kMaxNodes).value_or(0);
  }
  le->job_id = r.first_id(IdForm::kName, "0", "TORCHELASTIC_RUN_ID", "TRN_TRAIN_JOB_ID");
}

// A Kubeflow PyTorchJob pod (training-operator pkg/controller.v1/pytorch/envvar.go and
// master.go, release-1.9): MASTER_ADDR = <job>-master-0, MASTER_PORT, RANK = PET_NODE_RANK
// = the pod's index (master 0, worker i: i+1), WORLD_SIZE = pods x nprocPerNode (1 when
// unset), PET_NNODES = pods (a "min:max" range under an elasticPolicy), PET_NPROC_PER_NODE
// when nprocPerNode is set; never LOCAL_RANK. One launcher per pod: the pod is a node.
void read_pytorchjob(Reader& r, LaunchEnv* le) {
  le->kind = LaunchKind::kPyTorchJob;
  le->master_addr = r.str("MASTER_ADDR");
  le->master_port = r.num("MASTER_PORT", 1, 65535);
  const int world = r.count("WORLD_SIZE", kMaxTasks).value_or(1);
  std::optional<int> nproc;
  if (auto v = lookup(r.env, "PET_NPROC_PER_NODE"); v && !v->empty() && (*v)[0] >= '0' && (*v)[0] <= '9') {
    nproc = r.count("PET_NPROC_PER_NODE", kMaxTasksPerNode);  // "auto"/"cpu": WORLD_SIZE counted pods
  }
  if (auto nn = lookup(r.env, "PET_NNODES"); nn && nn->find(':') != std::string::npos) {
    r.problems.push_back({"PET_NNODES", *nn,
                          "is a range (an elastic PyTorchJob): trn-train plans a fixed world; remove "
                          "elasticPolicy and give the Master and Worker replicas fixed counts"});
    return;
  }
  le->nodes = r.count("PET_NNODES", kMaxNodes).value_or(nproc ? world / *nproc : world);
  if (nproc && static_cast<long long>(le->nodes) * *nproc != world) {
    r.problems.push_back({"WORLD_SIZE", std::to_string(world),
                          "is not PET_NNODES x PET_NPROC_PER_NODE (" + std::to_string(le->nodes) + " x " +
                              std::to_string(*nproc) + "): is the environment corrupted?"});
  }
  const char* rank_key = lookup(r.env, "PET_NODE_RANK") ? "PET_NODE_RANK" : "RANK";
  le->node_rank = r.index(rank_key, kMaxNodes).value_or(0);
  le->ntasks = le->nodes;
  // The PyTorchJob's name (MASTER_ADDR without "-master-0"): the same for every pod and
  // every restart of the job's pods (which should resume), different for another job
  // running beside it. TRN_TRAIN_JOB_ID (e.g. from the manifest) wins.
  std::string job = le->master_addr.value_or("");
  if (const std::string tail = "-master-0"; job.size() > tail.size() && job.compare(job.size() - tail.size(), tail.size(), tail) == 0) {
    job.resize(job.size() - tail.size());
  }
  le->job_id = r.first_id(IdForm::kName, "", "TRN_TRAIN_JOB_ID");
  if (le->job_id.empty()) {
    le->job_id = job;
    r.check_id("MASTER_ADDR", job, IdForm::kName);
  }
}

// torchrun gives every worker LOCAL_RANK, LOCAL_WORLD_SIZE, GROUP_RANK and
// TORCHELASTIC_RUN_ID; a PyTorchJob pod (RANK, WORLD_SIZE, MASTER_*) has none of them.
bool torchrun_worker(const EnvMap& env) {
  for (const char* k : {"LOCAL_RANK", "LOCAL_WORLD_SIZE", "GROUP_RANK", "TORCHELASTIC_RUN_ID"})
    if (lookup(env, k)) return true;
  return false;
}

}  // namespace

std::vector<std::string> mpi_operator_hosts(const std::string& fqdn, int nodes, std::string* job) {
  // Greedy like the helper's ^(.*-worker)-\d+(.*): the rightmost "-worker-" followed by a digit.
  const std::string mark = "-worker-";
  for (size_t at = fqdn.rfind(mark); at != std::string::npos; at = at == 0 ? std::string::npos : fqdn.rfind(mark, at - 1)) {
    size_t end = at + mark.size();
    if (end >= fqdn.size() || fqdn[end] < '0' || fqdn[end] > '9') continue;
    while (end < fqdn.size() && fqdn[end] >= '0' && fqdn[end] <= '9') ++end;
    const std::string prefix = fqdn.substr(0, at + mark.size()), suffix = fqdn.substr(end);
    std::vector<std::string> hosts;
    for (int i = 0; i < nodes; ++i) hosts.push_back(prefix + std::to_string(i) + suffix);
    if (job) *job = fqdn.substr(0, at);
    return hosts;
  }
  return {};
}

bool read_launch_env(const EnvMap& env, std::optional<int> nodes_hint, const std::string& fqdn, LaunchEnv* out,
                     Problems* problems) {
  Reader r{env, fqdn, {}};
  LaunchEnv le;
  // mpirun's rank variables first: inside a Slurm allocation its ranks also inherit the
  // step variables of the srun that started mpirun's daemons (one per node).
  // A Slurm *job* without a step (the batch script itself, or `trn-train plan` on a
  // login node inside salloc) has no SLURM_NODEID/SLURM_STEP_ID: plan from the allocation.
  if (lookup(env, "OMPI_COMM_WORLD_RANK")) {
    read_ompi(r, &le);
  } else if (lookup(env, "SLURM_JOB_ID") && (lookup(env, "SLURM_NODEID") || lookup(env, "SLURM_STEP_ID"))) {
    read_slurm(r, &le);
  } else if (lookup(env, "AWS_BATCH_JOB_NODE_INDEX")) {
    read_batch(r, &le);
  } else if (lookup(env, "MASTER_ADDR") && lookup(env, "RANK") && !torchrun_worker(env)) {
    read_pytorchjob(r, &le);
  } else if (lookup(env, "MASTER_ADDR") && (lookup(env, "RANK") || lookup(env, "NODE_RANK"))) {
    read_torchrun(r, &le);
  } else {
    le.kind = LaunchKind::kStandalone;
    le.nodes = nodes_hint.value_or(1);
    le.nodes_from_hint = nodes_hint.has_value();
    le.ntasks = le.nodes;
    auto slurm_job = r.id("SLURM_JOB_ID", IdForm::kSlurm);
    le.job_id = slurm_job ? *slurm_job : r.first_id(IdForm::kName, "0", "TRN_TRAIN_JOB_ID");
    if (auto nl = lookup(env, "SLURM_JOB_NODELIST"); nl && !nodes_hint) {
      std::string error;
      if (!le.hosts.parse(*nl, &error)) r.problems.push_back({"SLURM_JOB_NODELIST", *nl, error});
      if (le.hosts.size() > static_cast<size_t>(kMaxNodes)) {
        r.problems.push_back({"SLURM_JOB_NODELIST", *nl, "names more than " + std::to_string(kMaxNodes) + " nodes"});
      } else if (!le.hosts.empty()) {
        le.nodes = static_cast<int>(le.hosts.size());
      }
    }
  }
  if (r.problems.empty() && le.nodes < 1) r.problems.push_back({"nodes", std::to_string(le.nodes), "must be at least 1"});
  if (le.node_rank >= le.nodes) {
    r.problems.push_back({"node rank", std::to_string(le.node_rank),
                          "must be below the node count " + std::to_string(le.nodes)});
  }
  problems->insert(problems->end(), r.problems.begin(), r.problems.end());
  if (!r.problems.empty()) return false;
  *out = le;
  return true;
}

}  // namespace trn
