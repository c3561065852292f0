#include "launcher/plan/validate.h"

#include <algorithm>

#include "common/ports.h"
#include "launcher/plan/count_math.h"

namespace trn {
namespace {
std::string s(long long v) { return std::to_string(v); }
constexpr const char* kTpKey = "distributed_strategy.tensor_model_parallel_size";
constexpr const char* kPpKey = "distributed_strategy.pipeline_model_parallel_size";
}  // namespace

namespace {

// The degrees and the batch are positive (the divisibility rules need it).
void check_positive(const Plan& p, Problems* out) {
  for (auto [key, v] : {std::pair{kTpKey, p.tp}, {kPpKey, p.pp}, {"distributed_strategy.context_parallel_size", p.cp},
                        {"distributed_strategy.expert_model_parallel_size", p.ep},
                        {"distributed_strategy.virtual_pipeline_model_parallel_size", p.vpp}}) {
    if (v < 1) out->push_back({key, s(v), "must be at least 1"});
  }
  if (p.micro_batch_size < 1) out->push_back({"data.micro_batch_size", s(p.micro_batch_size), "must be at least 1"});
}

// The degrees and the batch divide the world as NxD needs.
void check_divisible(const Plan& p, Problems* out) {
  const long long world = p.world_size;
  // A product that overflows (count_math.h) cannot divide the world: say so with the factors.
  auto shown = [](std::optional<long long> v) { return v ? " = " + s(*v) : std::string(" (too large)"); };
  const auto tp_pp_cp = product({p.tp, p.pp, p.cp}), tp_pp_ep = product({p.tp, p.pp, p.ep});
  if (!tp_pp_cp || world % *tp_pp_cp != 0) {
    out->push_back({"distributed_strategy (TP*PP*CP)", s(p.tp) + "*" + s(p.pp) + "*" + s(p.cp) + shown(tp_pp_cp),
                    "must divide the world size " + s(world) + " (" + s(p.nodes) + " nodes x " + s(p.procs_per_node) +
                        " per node); change TP/PP/CP or the node count"});
  }
  if (!tp_pp_ep || world % *tp_pp_ep != 0) {
    out->push_back({"distributed_strategy (TP*PP*EP)", s(p.tp) + "*" + s(p.pp) + "*" + s(p.ep) + shown(tp_pp_ep),
                    "must divide the world size " + s(world) + "; change expert_model_parallel_size or the node count"});
  }
  const auto batch_unit = product({p.micro_batch_size, p.dp});
  if (p.dp >= 1 && batch_unit && p.global_batch_size % *batch_unit != 0) {
    const long long unit = *batch_unit;
    out->push_back({"data.global_batch_size", s(p.global_batch_size),
                    "must be a multiple of micro_batch_size*DP = " + s(p.micro_batch_size) + "*" + s(p.dp) + " = " +
                        s(unit) + " (NxDT would silently truncate it); use " +
                        s(std::max(unit, p.global_batch_size / unit * unit)) + " or " +
                        s((p.global_batch_size / unit + 1) * unit)});
  }
  if (p.vpp > 1 && p.num_microbatches % p.pp != 0) {
    out->push_back({"distributed_strategy.virtual_pipeline_model_parallel_size", s(p.vpp),
                    "interleaved pipelining needs num_microbatches (" + s(p.num_microbatches) +
                        ") to be a multiple of PP (" + s(p.pp) + "); change global_batch_size or PP"});
  }
}

// The model against the degrees: KV heads, layers per stage, ring attention.
void check_model(const Plan& p, const config::TrainingConfig& t, Problems* out) {
  if (const auto kv = t.parallel.kv_replicator; kv && p.tp % *kv != 0) {
    out->push_back({"distributed_strategy.kv_replicator", s(*kv),
                    "TP (" + s(p.tp) + ") must be a multiple of it; use a divisor of TP"});
  }
  // Megatron-style models need equal pipeline stages; NxD's HF path spreads the
  // remainder over the later stages (hf_llama3.1_405B: 126 layers on PP 32), so there
  // every stage only needs one layer.
  if (const auto layers = t.num_layers) {
    const bool hf = t.model_source == config::ModelSource::kHf;
    if (!hf && *layers % p.pp != 0) {
      out->push_back({"model.num_layers", s(*layers),
                      "must be a multiple of pipeline_model_parallel_size (" + s(p.pp) +
                          ") for model_source megatron; change PP or the layer count"});
    } else if (hf && *layers < p.pp) {
      out->push_back({"model.num_layers", s(*layers),
                      "is fewer than the pipeline stages (" + s(p.pp) + "); every stage needs a layer: lower PP"});
    }
  }
  if (p.cp > 1 && !t.ring_attention.value_or(false)) {
    out->push_back({"model.fusions.ring_attention", t.ring_attention ? "false" : "(absent)",
                    "context_parallel_size " + s(p.cp) + " needs ring attention; set model.fusions.ring_attention: true"});
  }
}

// What the instance allows: TP per LNC, LNC itself, workers per node.
void check_instance(const Plan& p, const config::TrainingConfig& t, const InstanceType& inst, bool allow_mismatch,
                    Problems* out) {
  // NxD's replica grouping (neuronx-distributed parallel_state.py): a rule of NxD's, not
  // of the chip, so it binds the nxdt backend only (TorchNeuron's DTensor has its own).
  if (auto it = inst.unsupported_tp.find(p.lnc); p.backend == Backend::kNxdt && it != inst.unsupported_tp.end()) {
    const auto& bad = it->second;
    if (std::find(bad.begin(), bad.end(), p.tp) != bad.end() && p.world_size >= p.procs_per_node) {
      out->push_back({kTpKey, s(p.tp),
                      "is not supported by NxD on " + inst.name + " with LNC=" + s(p.lnc) +
                          " (no replica grouping for it); use TP " + (p.lnc == 2 ? "16 or 32" : "32 or 64")});
    }
  }
  // LNC exists only where the catalog lists it (trn2, trn3).
  if (const auto lnc = t.lnc;
      lnc && std::find(inst.lnc_allowed.begin(), inst.lnc_allowed.end(), *lnc) == inst.lnc_allowed.end()) {
    std::string allowed;
    for (int v : inst.lnc_allowed) allowed += (allowed.empty() ? "" : " or ") + s(v);
    out->push_back({"trainer.lnc", s(*lnc),
                    inst.lnc_allowed.size() > 1 ? "must be " + allowed + " on " + inst.name
                                                : "LNC is configurable only on trn2 and trn3; remove trainer.lnc for " + inst.name});
  }
  const long long devices = t.devices.value_or(0);
  if (!inst.procs_per_lnc.empty() && !allow_mismatch && devices > 0 && devices != p.procs_per_node) {
    out->push_back({"trainer.devices", s(devices),
                    "must equal the worker processes per node of " + inst.name + " at LNC=" + s(p.lnc) + " (" +
                        s(p.procs_per_node) + "); set it to " + s(p.procs_per_node) +
                        " or set launch.allow_devices_mismatch: true on purpose"});
  }
}

// TorchNeuron runs on Trn2 and Trn3 only (aws-neuron-sdk frameworks/torch/about/index.rst,
// pytorch-native-overview.rst: "Trn2 and Trn3"; compilation too). The one place that
// compares the catalog's platform for it.
bool torchneuron_runs_on(const InstanceType& inst) { return inst.platform == Platform::kTrn2 || inst.platform == Platform::kTrn3; }

// The torchneuron backend: where it runs, and TorchTitan's degrees against the world.
void check_torchneuron(const Plan& p, const InstanceType& inst, const TorchTitanConfig* torchtitan, Problems* out) {
  if (p.backend != Backend::kTorchNeuron) return;
  if (!torchneuron_runs_on(inst)) {
    out->push_back({"launch.backend", "torchneuron (instance " + inst.name + ", platform " + std::string(to_string(inst.platform)) + ")",
                    "TorchNeuron runs on Trn2 and Trn3 only; use a trn2/trn3 instance, or launch.backend: nxdt "
                    "(Neuron SDK <= 2.31) on " + inst.name});
  }
  if (torchtitan) check_torchtitan_world(*torchtitan, p.nodes, p.procs_per_node, out);
}

// The backend and the ports.
void check_launch(const Plan& p, Problems* out) {
  // TorchNeuron compiles just in time (torch.compile(backend="neuron") on the first call
  // of each input signature, on Trainium itself); its docs name no ahead-of-time
  // collector like neuron_parallel_compile (backend_command.h).
  if (p.backend == Backend::kTorchNeuron && p.compile) {
    out->push_back({"COMPILE", "1",
                    "the torchneuron backend has no ahead-of-time compile step: TorchNeuron compiles each graph on "
                    "first use and caches it; run with COMPILE=0 (a first short training run fills the cache: few "
                    "trainer.max_steps, or training.steps in TorchTitan's TOML)"});
  }
  if (p.master_port == p.root_comm_port) {
    out->push_back({"launch.ports.master", s(p.master_port),
                    "MASTER_PORT and the Neuron root-comm port must differ; choose a master range disjoint from the "
                    "root-comm range (plugstack root_comm_port_range, default " +
                        s(kDefaultRootCommPorts.lo) + "-" + s(kDefaultRootCommPorts.hi) + ")"});
  }
}

}  // namespace

Problems validate_plan(const Plan& p, const config::TrainingConfig& training, const InstanceType& inst,
                       bool allow_mismatch, const TorchTitanConfig* torchtitan) {
  Problems out;
  check_positive(p, &out);
  if (!out.empty()) return out;
  // A TorchTitan run takes its degrees and batch from its TOML (check_torchneuron), not
  // from the YAML's NxDT keys, which it never reads.
  if (!torchtitan) {
    check_divisible(p, &out);
    check_model(p, training, &out);
  }
  check_instance(p, training, inst, allow_mismatch, &out);
  check_launch(p, &out);
  check_torchneuron(p, inst, torchtitan, &out);
  return out;
}

}  // namespace trn
