#include "launcher/validate.h"

#include <algorithm>

#include "common/ports.h"
#include "launcher/count_math.h"

namespace trn {
namespace {
std::string s(long long v) { return std::to_string(v); }
}  // namespace

Problems validate_plan(const Plan& p, const config::Document& doc, const config::TrainingConfig& training,
                       const InstanceType& inst, long long devices, bool allow_mismatch) {
  Problems out;
  Problems ignored;  // types were checked while planning
  const long long world = p.world_size;
  const char* tp_key = "distributed_strategy.tensor_model_parallel_size";
  const char* pp_key = "distributed_strategy.pipeline_model_parallel_size";
  for (auto [key, v] : {std::pair{tp_key, p.tp}, {pp_key, p.pp}, {"distributed_strategy.context_parallel_size", p.cp},
                        {"distributed_strategy.expert_model_parallel_size", p.ep},
                        {"distributed_strategy.virtual_pipeline_model_parallel_size", p.vpp}}) {
    if (v < 1) out.push_back({key, s(v), "must be at least 1"});
  }
  if (p.micro_batch_size < 1) out.push_back({"data.micro_batch_size", s(p.micro_batch_size), "must be at least 1"});
  if (!out.empty()) return out;  // the divisibility rules below need positive degrees

  // A product that overflows (count_math.h) cannot divide the world: say so with the factors.
  auto shown = [](std::optional<long long> v) { return v ? " = " + s(*v) : std::string(" (too large)"); };
  const auto tp_pp_cp = product({p.tp, p.pp, p.cp}), tp_pp_ep = product({p.tp, p.pp, p.ep});
  if (!tp_pp_cp || world % *tp_pp_cp != 0) {
    out.push_back({"distributed_strategy (TP*PP*CP)", s(p.tp) + "*" + s(p.pp) + "*" + s(p.cp) + shown(tp_pp_cp),
                   "must divide the world size " + s(world) + " (" + s(p.nodes) + " nodes x " + s(p.procs_per_node) +
                       " per node); change TP/PP/CP or the node count"});
  }
  if (!tp_pp_ep || world % *tp_pp_ep != 0) {
    out.push_back({"distributed_strategy (TP*PP*EP)", s(p.tp) + "*" + s(p.pp) + "*" + s(p.ep) + shown(tp_pp_ep),
                   "must divide the world size " + s(world) + "; change expert_model_parallel_size or the node count"});
  }
  const auto batch_unit = product({p.micro_batch_size, p.dp});
  if (p.dp >= 1 && batch_unit && p.global_batch_size % *batch_unit != 0) {
    const long long unit = *batch_unit;
    out.push_back({"data.global_batch_size", s(p.global_batch_size),
                   "must be a multiple of micro_batch_size*DP = " + s(p.micro_batch_size) + "*" + s(p.dp) + " = " +
                       s(unit) + " (NxDT would silently truncate it); use " +
                       s(std::max(unit, p.global_batch_size / unit * unit)) + " or " +
                       s((p.global_batch_size / unit + 1) * unit)});
  }
  if (p.vpp > 1 && p.num_microbatches % p.pp != 0) {
    out.push_back({"distributed_strategy.virtual_pipeline_model_parallel_size", s(p.vpp),
                   "interleaved pipelining needs num_microbatches (" + s(p.num_microbatches) +
                       ") to be a multiple of PP (" + s(p.pp) + "); change global_batch_size or PP"});
  }
  if (auto kv = doc.get_int("distributed_strategy.kv_replicator", 1, 1 << 20, &out); kv) {
    if (*kv < 1 || p.tp % *kv != 0) {
      out.push_back({"distributed_strategy.kv_replicator", s(*kv),
                     "TP (" + s(p.tp) + ") must be a multiple of it; use a divisor of TP"});
    }
  }
  // Megatron-style models need equal pipeline stages; NxD's HF path spreads the
  // remainder over the later stages (hf_llama3.1_405B: 126 layers on PP 32), so there
  // every stage only needs one layer.
  if (auto layers = doc.get_int("model.num_layers", 1, 1 << 20, &out); layers) {
    const bool hf = training.model_source == config::ModelSource::kHf;
    if (!hf && *layers % p.pp != 0) {
      out.push_back({"model.num_layers", s(*layers),
                     "must be a multiple of pipeline_model_parallel_size (" + s(p.pp) +
                         ") for model_source megatron; change PP or the layer count"});
    } else if (hf && *layers < p.pp) {
      out.push_back({"model.num_layers", s(*layers),
                     "is fewer than the pipeline stages (" + s(p.pp) + "); every stage needs a layer: lower PP"});
    }
  }
  if (p.cp > 1) {
    auto ring = doc.get_bool("model.fusions.ring_attention", &out);
    if (!ring || !*ring) {
      out.push_back({"model.fusions.ring_attention", ring ? "false" : "(absent)",
                     "context_parallel_size " + s(p.cp) + " needs ring attention; set model.fusions.ring_attention: true"});
    }
  }
  if (auto it = inst.unsupported_tp.find(p.lnc); it != inst.unsupported_tp.end()) {
    const auto& bad = it->second;
    if (std::find(bad.begin(), bad.end(), p.tp) != bad.end() && world >= p.procs_per_node) {
      out.push_back({tp_key, s(p.tp),
                     "is not supported by NxD on " + inst.name + " with LNC=" + s(p.lnc) +
                         " (no replica grouping for it); use TP " + (p.lnc == 2 ? "16 or 32" : "32 or 64")});
    }
  }
  // LNC exists only where the catalog lists it (trn2).
  if (auto lnc = doc.get_int("trainer.lnc", 1, 8, &ignored); lnc) {
    if (std::find(inst.lnc_allowed.begin(), inst.lnc_allowed.end(), *lnc) == inst.lnc_allowed.end()) {
      std::string allowed;
      for (int v : inst.lnc_allowed) allowed += (allowed.empty() ? "" : " or ") + s(v);
      out.push_back({"trainer.lnc", s(*lnc),
                     inst.lnc_allowed.size() > 1 ? "must be " + allowed + " on " + inst.name
                                                 : "LNC is configurable only on trn2; remove trainer.lnc for " + inst.name});
    }
  }
  if (!inst.procs_per_lnc.empty() && !allow_mismatch && devices > 0 && devices != p.procs_per_node) {
    out.push_back({"trainer.devices", s(devices),
                   "must equal the worker processes per node of " + inst.name + " at LNC=" + s(p.lnc) + " (" +
                       s(p.procs_per_node) + "); set it to " + s(p.procs_per_node) +
                       " or set launch.allow_devices_mismatch: true on purpose"});
  }
  // TorchNeuron compiles just in time (torch.compile(backend="neuron") on the first call
  // of each input signature, on Trainium itself); its docs name no ahead-of-time
  // collector like neuron_parallel_compile (backend_command.h).
  if (p.backend == Backend::kTorchNeuron && p.compile) {
    out.push_back({"COMPILE", "1",
                   "the torchneuron backend has no ahead-of-time compile step: TorchNeuron compiles each graph on "
                   "first use and caches it; run with COMPILE=0 (a short run with trainer.max_steps fills the cache)"});
  }
  if (p.master_port == p.root_comm_port) {
    out.push_back({"launch.ports.master", s(p.master_port),
                   "MASTER_PORT and the Neuron root-comm port must differ; choose a master range disjoint from the "
                   "root-comm range (plugstack root_comm_port_range, default " +
                       s(kDefaultRootCommPorts.lo) + "-" + s(kDefaultRootCommPorts.hi) + ")"});
  }
  return out;
}

}  // namespace trn
