#include "launcher/neuron/neuron_env.h"

#include <optional>
#include <vector>

#include "common/cc_flags.h"
#include "launcher/plan/visible_cores.h"

namespace trn {

bool torch_elastic_visible_cores(const std::optional<std::string>& task_cores, int local_rank, int local_world,
                                 std::string* out, Problem* why) {
  out->clear();
  if (!task_cores || task_cores->empty()) return true;  // torch-xla sets it to LOCAL_RANK, as under torchrun
  const std::string fix = "one task per worker needs one core per task (srun --ntasks-per-node=" +
                          std::to_string(local_world) + " with the plugin gives each task one) or the node's " +
                          std::to_string(local_world) + " cores in every task; or start one task per node, whose "
                          "torchrun starts the workers: srun --ntasks-per-node=1 trn-train run";
  // The format torch-xla reads too (neuron_utils.py get_visible_cores_list).
  const std::optional<std::vector<int>> parsed = parse_visible_cores(*task_cores);
  if (!parsed) {
    *why = {"NEURON_RT_VISIBLE_CORES", *task_cores, "is not a list of cores N or LO-HI separated by commas"};
    return false;
  }
  const std::vector<int>& cores = *parsed;
  const long count = static_cast<long>(cores.size());
  if (count == local_world) return true;  // torch-xla takes the LOCAL_RANK-th: this worker's own
  if (count == 1 && cores[0] >= local_rank) {
    // torch-xla requires LOCAL_WORLD_SIZE cores and takes the LOCAL_RANK-th, so the range
    // that has this task's one core at that place keeps it exactly this core.
    const long lo = cores[0] - local_rank, hi = lo + local_world - 1;
    *out = lo == hi ? std::to_string(lo) : std::to_string(lo) + "-" + std::to_string(hi);
    return true;
  }
  *why = {"NEURON_RT_VISIBLE_CORES",
          *task_cores + " (this task's, local rank " + std::to_string(local_rank) + " of " +
              std::to_string(local_world) + ")",
          "torch-xla under torch-elastic needs " + std::to_string(local_world) +
              " visible cores and takes the local rank's: " + fix};
  return false;
}

namespace {

struct EnvBuilder {
  const EnvMap& user;
  std::map<std::string, std::string> out;
  // Set unless the user exported it already (NxDT's overwrite=False).
  void set_default(const std::string& k, const std::string& v) {
    if (auto u = lookup(user, k)) {
      out[k] = *u;
    } else {
      out[k] = v;
    }
  }
  void force(const std::string& k, const std::string& v) { out[k] = v; }
};

// One task per worker: what torchrun gives each worker it starts (torch
// distributed/elastic/agent/server/local_elastic_agent.py _start_workers; torchrun's
// static rendezvous, as train.sh runs it: run id "none"), so the script sees the world
// torchrun would form. torch-xla's Neuron plugin sets its PJRT multi-process variables
// and remaps NEURON_RT_VISIBLE_CORES only when TORCHELASTIC_RUN_ID is set
// (torch_xla/_internal/neuron.py configure_pjrt_environment), and NxDT's training.py
// picks Lightning's TorchElasticEnvironment (RANK, GROUP_RANK, LOCAL_RANK,
// LOCAL_WORLD_SIZE) on the same test. One difference on purpose: no torchrun agent holds
// the rendezvous store here, so TORCHELASTIC_USE_AGENT_STORE is False and rank 0 opens
// it (torch_xla/_internal/rendezvous.py), as under torchrun's c10d rendezvous.
void torch_elastic_env(const Plan& p, const EnvMap& user_env, EnvBuilder* b) {
  b->force("GROUP_RANK", std::to_string(p.node_rank));
  b->force("ROLE_RANK", std::to_string(p.task_rank));
  b->force("ROLE_NAME", "default");
  b->force("GROUP_WORLD_SIZE", std::to_string(p.nodes));
  b->force("ROLE_WORLD_SIZE", std::to_string(p.world_size));
  b->force("TORCHELASTIC_RESTART_COUNT", "0");
  b->force("TORCHELASTIC_MAX_RESTARTS", "0");
  b->force("TORCHELASTIC_RUN_ID", "none");
  b->force("TORCHELASTIC_USE_AGENT_STORE", "False");
  b->set_default("TORCH_NCCL_ASYNC_ERROR_HANDLING", "1");
  if (p.procs_per_node > 1) b->set_default("OMP_NUM_THREADS", "1");  // torchrun's own, for nproc_per_node > 1
  if (p.backend == Backend::kTorchNeuron) {
    // TorchNeuron wants one preset core per process: the plugin's one core stays (planning
    // refused any other count); without one, the local rank's core, the rule `trn-train
    // worker` applies under torchrun (launcher/commands/worker_command.h).
    if (lookup(user_env, "NEURON_RT_VISIBLE_CORES").value_or("").empty())
      b->force("NEURON_RT_VISIBLE_CORES", std::to_string(p.local_rank));
    return;
  }
  std::string cores;
  Problem why;
  const auto task_cores = lookup(user_env, "NEURON_RT_VISIBLE_CORES");
  if (torch_elastic_visible_cores(task_cores, p.local_rank, p.procs_per_node, &cores, &why) && !cores.empty())
    b->force("NEURON_RT_VISIBLE_CORES", cores);
}

// Rendezvous: the launcher is the authority, so these are not user-overridable,
// except the root-comm id that the SPANK plugin (or the user) may already have set.
// A plan made outside an allocation has no master yet: leave both out rather
// than print an empty address (`run` refuses to start without one).
void rendezvous_env(const Plan& p, const EnvMap& user_env, EnvBuilder* b) {
  if (!p.master_addr.empty()) b->force("MASTER_ADDR", p.master_addr);
  b->force("MASTER_PORT", std::to_string(p.master_port));
  if (auto rc = lookup(user_env, "NEURON_RT_ROOT_COMM_ID"); rc && !rc->empty()) {
    b->force("NEURON_RT_ROOT_COMM_ID", *rc);
  } else if (!p.master_addr.empty()) {
    b->force("NEURON_RT_ROOT_COMM_ID", p.master_addr + ":" + std::to_string(p.root_comm_port));
  }
  b->force("WORLD_SIZE", std::to_string(p.world_size));
  b->force("LOCAL_WORLD_SIZE", std::to_string(p.procs_per_node));
  b->force("NODE_RANK", std::to_string(p.node_rank));
  if (p.launch_pattern == LaunchPattern::kPerWorker) {
    b->force("RANK", std::to_string(p.task_rank));
    b->force("LOCAL_RANK", std::to_string(p.local_rank));
    if (p.backend != Backend::kNative) torch_elastic_env(p, user_env, b);
  }
  b->force("COMPILE", p.compile ? "1" : "0");
  b->force("TRN_TRAIN_LOG_DIR", p.log_dir);
  b->force("TRN_TRAIN_CACHE_DIR", p.cache.dir);
}

// Precision table (training_orchestrator.py): the runtime's variables, and the
// compiler flags it implies (returned).
std::string precision_env(const config::TrainingConfig& training, bool nxdt, EnvBuilder* b) {
  std::string cc_extra;
  auto prec_env = [&](const char* bf16, const char* down, const char* sr) {
    if (nxdt) {  // TorchNeuron's mixed precision is torch.autocast(device_type="neuron") in the script
      b->set_default("XLA_USE_BF16", bf16);
      b->set_default("XLA_DOWNCAST_BF16", down);
    }
    if (sr) b->set_default("NEURON_RT_STOCHASTIC_ROUNDING_EN", sr);
  };
  const char* mixed_accumulation = "--enable-mixed-precision-accumulation";
  const config::ManualPrecision& m = training.manual_precision;
  switch (training.precision) {
    case config::Precision::kUnset: break;
    case config::Precision::kBf16SR: prec_env("1", "0", "1"), cc_extra = mixed_accumulation; break;
    case config::Precision::kMixedPrecision: prec_env("0", "1", "0"), cc_extra = mixed_accumulation; break;
    case config::Precision::kMixedPrecisionSR: prec_env("0", "1", "1"), cc_extra = mixed_accumulation; break;
    case config::Precision::kFp32: prec_env("0", "0", nullptr), cc_extra = "--auto-cast none"; break;
    case config::Precision::kAutocast:
      prec_env("0", "0", "0"), cc_extra = std::string(mixed_accumulation) + " --auto-cast none";
      break;
    case config::Precision::kManual:
      prec_env(m.xla_use_bf16 ? "1" : "0", m.xla_downcast_bf16 ? "1" : "0", m.stochastic_rounding ? "1" : "0");
      break;
  }
  return cc_extra;
}

// NEURON_CC_FLAGS: the user's value, then what no one else adds. NxDT's
// training_orchestrator.py appends compiler_flags and the precision flags itself
// (unconditionally), so for nxdt exporting them too would repeat every flag and
// change the compile-cache keys from those train.sh produces; backends without an
// orchestrator get them from us. The cache dir and LNC are ours for every backend.
void compiler_flags_env(const Plan& p, const config::TrainingConfig& training, const InstanceType& inst,
                        const std::string& cc_extra, const std::string& cache, EnvBuilder* b) {
  const bool nxdt = p.backend == Backend::kNxdt;
  std::string cc = lookup(b->user, "NEURON_CC_FLAGS").value_or("");
  auto append = [&](const std::string& f) {
    if (f.empty()) return;
    cc += (cc.empty() ? "" : " ") + f;
  };
  if (!nxdt) {
    if (!has_cc_words(cc, training.neuron.compiler_flags)) append(training.neuron.compiler_flags);
    if (!cc_extra.empty() && !has_cc_words(cc, cc_extra)) append(cc_extra);
  }
  // --cache_dir is an option of torch-neuronx's PyTorch/XLA compile wrapper, not of
  // neuronx-cc: TorchNeuron gets the location through NEURON_COMPILE_CACHE_URL only.
  if (nxdt && !cache.empty() && cache.rfind("s3://", 0) != 0 && !has_cc_flag(cc, "--cache_dir"))
    append("--cache_dir=" + cache);
  if (inst.lnc_allowed.size() > 1) {
    // Runtime and compiler must agree on LNC: one value, written to both.
    b->force("NEURON_LOGICAL_NC_CONFIG", std::to_string(p.lnc));
    if (!has_cc_flag(cc, "--lnc") && !has_cc_flag(cc, "--logical-nc-config")) append("--lnc=" + std::to_string(p.lnc));
  }
  if (!cc.empty()) b->force("NEURON_CC_FLAGS", cc);
}

}  // namespace

namespace {

// NxDT's train_setup.sh (examples/, at 9169aa0) exports these unconditionally: the
// FI_* in its Slurm and MPI branches, the rest for every run, over whatever the user's
// environment holds. The seed's jobs run with these values, so trn-train matches them
// (a stale FI_PROVIDER=tcp in a profile would change the transport) and says so in one
// warning line naming every value it replaced. FI_* only where the instance has EFA.
void upstream_env(const Plan& p, const InstanceType& inst, EnvBuilder* b, std::vector<std::string>* warnings) {
  std::vector<std::pair<const char*, const char*>> values;
  if (inst.efa > 0) values.insert(values.end(), {{"FI_EFA_USE_DEVICE_RDMA", "1"}, {"FI_PROVIDER", "efa"}, {"FI_EFA_FORK_SAFE", "1"}});
  values.push_back({"MALLOC_ARENA_MAX", "128"});
  if (p.backend == Backend::kNxdt) values.insert(values.end(), {{"XLA_DISABLE_FUNCTIONALIZATION", "0"}, {"HYDRA_FULL_ERROR", "1"}});
  std::string replaced;
  for (const auto& [name, value] : values) {
    if (auto u = lookup(b->user, name); u && *u != value) {
      replaced += std::string(replaced.empty() ? "" : ", ") + name + "=" + *u + " -> " + value;
    }
    b->force(name, value);
  }
  if (!replaced.empty() && warnings) {
    warnings->push_back("this environment's " + replaced + ": replaced by the values NxDT's train_setup.sh exports "
                        "for every run (unset them in the job's environment to silence this)");
  }
}

}  // namespace

std::map<std::string, std::string> derive_env(const Plan& p, const config::TrainingConfig& training,
                                              const InstanceType& inst, const EnvMap& user_env,
                                              std::vector<std::string>* warnings) {
  EnvBuilder b{user_env, {}};
  rendezvous_env(p, user_env, &b);
  upstream_env(p, inst, &b, warnings);
  if (p.backend == Backend::kNative) return b.out;
  // The collectives' socket interface where upstream's scripts set it (MPI Operator,
  // AWS Batch: launch_env.h socket_ifname); as they do, over the user's value.
  if (!p.socket_ifname.empty()) b.force("CCOM_SOCKET_IFNAME", p.socket_ifname);

  // PyTorch/XLA and NxDT's NeMo/Hydra variables; TorchNeuron (native PyTorch, no XLA)
  // reads none of them (see backend_command.h for its sources).
  const bool nxdt = p.backend == Backend::kNxdt;
  if (nxdt) {
    // As train_setup.sh exports them (README D4, withdrawn: nothing in NxDT reads them).
    b.set_default("CREATE_TB_LOGGER", "True");
    b.set_default("CHECKPOINT_CALLBACK", "True");
    b.set_default("NEMO_EXPM_VERSION", p.job_id);
  }
  const config::NeuronKnobs& knobs = training.neuron;
  if (knobs.fuse_softmax) b.set_default("NEURON_FUSE_SOFTMAX", "1");
  if (knobs.compress_rg) b.set_default("NEURON_EXPERIMENTAL_COMPRESS_RG", *knobs.compress_rg ? "1" : "0");
  auto export_text = [&](const char* name, const std::string& v) {
    if (!v.empty()) b.set_default(name, v);
  };
  export_text("NEURON_RT_ASYNC_EXEC_MAX_INFLIGHT_REQUESTS", knobs.async_exec_max_inflight);
  export_text("BUCKET_CAP_MB", knobs.bucket_size_collectives);
  export_text("NEURON_RT_EXEC_TIMEOUT", knobs.rt_exec_timeout);
  // Neuron's own default is the same node-local /var/tmp folder: export only a real choice.
  const bool cache_chosen = !p.cache.node_local_default;
  if (cache_chosen) b.set_default("NEURON_COMPILE_CACHE_URL", p.cache.dir);
  const std::string cache = cache_chosen ? p.cache.dir : "";

  const std::string cc_extra = precision_env(training, nxdt, &b);
  compiler_flags_env(p, training, inst, cc_extra, cache, &b);
  return b.out;
}

}  // namespace trn
