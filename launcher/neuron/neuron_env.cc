#include "launcher/neuron/neuron_env.h"

#include "common/cc_flags.h"


namespace trn {
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

std::map<std::string, std::string> derive_env(const Plan& p, const config::TrainingConfig& training,
                                              const InstanceType& inst, const EnvMap& user_env) {
  EnvBuilder b{user_env, {}};
  rendezvous_env(p, user_env, &b);
  if (inst.efa > 0) {
    b.set_default("FI_EFA_USE_DEVICE_RDMA", "1");
    b.set_default("FI_PROVIDER", "efa");
    b.set_default("FI_EFA_FORK_SAFE", "1");
  }
  b.set_default("MALLOC_ARENA_MAX", "128");
  if (p.backend == Backend::kNative) return b.out;

  // PyTorch/XLA and NxDT's NeMo/Hydra variables; TorchNeuron (native PyTorch, no XLA)
  // reads none of them (see backend_command.h for its sources).
  const bool nxdt = p.backend == Backend::kNxdt;
  if (nxdt) {
    b.set_default("XLA_DISABLE_FUNCTIONALIZATION", "0");
    b.set_default("HYDRA_FULL_ERROR", "1");
    b.set_default("CREATE_TB_LOGGER", p.compile ? "False" : "True");
    b.set_default("CHECKPOINT_CALLBACK", p.compile ? "False" : "True");
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
