#include "common/config/training.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <vector>

#include "common/nearest.h"

namespace trn::config {
namespace {

constexpr long long kMaxSteps = 1'000'000'000;
// The native engine's bound on every model dimension (its memory check refuses what
// does not fit); the same range wherever model.num_layers is read.
constexpr long long kMaxModelDim = 100'000'000;

// The key a value really lives at: `${a.b}` (an OmegaConf reference, as NxDT writes
// sched.max_steps: ${trainer.max_steps}) is followed, a few hops at most.
std::string target(const Document& doc, std::string key) {
  for (int hop = 0; hop < 4; ++hop) {
    const std::string t = doc.text(key);
    if (t.size() < 4 || t.compare(0, 2, "${") != 0 || t.back() != '}') break;
    const std::string ref = t.substr(2, t.size() - 3);
    if (!std::all_of(ref.begin(), ref.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; }))
      break;
    key = ref;
  }
  return key;
}

std::string show(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

template <typename T>
void set(const std::optional<T>& v, T* out) {
  if (v) *out = *v;
}

void read_int(const Document& d, const std::string& key, long long lo, long long hi, long long* out, Problems* p) {
  set(d.get_int(target(d, key), lo, hi, p), out);
}

// A number in [lo, hi], or (lo, hi] when lo_open.
std::optional<double> number_in(const Document& d, const std::string& key, double lo, double hi, bool lo_open,
                                Problems* p) {
  const std::string at = target(d, key);
  const auto v = d.get_number(at, p);
  if (!v || ((lo_open ? *v > lo : *v >= lo) && *v <= hi)) return v;
  p->push_back({at, d.text(at),
                lo_open ? "must be greater than " + show(lo) + " and at most " + show(hi)
                        : "must be from " + show(lo) + " to " + show(hi)});
  return std::nullopt;
}

void read_string(const Document& d, const std::string& key, std::string* out, Problems* p) {
  set(d.get_string(target(d, key), p), out);
}

// `key` as one of `values` (named by to_string), or a Problem listing them.
template <typename E, size_t N>
void read_enum(const Document& d, const std::string& key, const E (&values)[N], E* out, Problems* p) {
  const auto v = d.get_string(target(d, key), p);
  if (!v) return;
  std::vector<std::string> names;
  for (E e : values) {
    if (*v == to_string(e)) {
      *out = e;
      return;
    }
    names.push_back(to_string(e));
  }
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  p->push_back({key, *v, "unknown value" + did_you_mean(*v, names) + "; must be one of " + list});
}

void read_precision(const Document& d, TrainingConfig* c, Problems* p) {
  read_enum(d, "precision.type",
            {Precision::kBf16SR, Precision::kMixedPrecision, Precision::kMixedPrecisionSR, Precision::kFp32,
             Precision::kAutocast, Precision::kManual},
            &c->precision, p);
  // NxDT's configs write these switches as 0/1 (they become environment variables).
  auto on_off = [&](const char* key, bool* out) {
    const std::string at = target(d, key);
    const YAML::Node n = d.value(at);
    if (n.IsScalar() && (n.Scalar() == "0" || n.Scalar() == "1")) {
      *out = n.Scalar() == "1";
    } else {
      set(d.get_bool(at, p), out);  // absent or null: not set
    }
  };
  ManualPrecision& m = c->manual_precision;
  on_off("precision.xla_use_bf16", &m.xla_use_bf16);
  on_off("precision.xla_downcast_bf16", &m.xla_downcast_bf16);
  on_off("precision.neuron_rt_stochastic_rounding_en", &m.stochastic_rounding);
  read_enum(d, "model_source", {ModelSource::kHf, ModelSource::kMegatron}, &c->model_source, p);
}

void read_launch_shape(const Document& d, TrainingConfig* c, Problems* p) {
  constexpr long long kMaxDegree = 1 << 20;
  auto opt_int = [&](const char* key, long long lo, long long hi) { return d.get_int(target(d, key), lo, hi, p); };
  c->lnc = opt_int("trainer.lnc", 1, 8);
  c->devices = opt_int("trainer.devices", 1, 4096);
  c->num_nodes = opt_int("trainer.num_nodes", 1, 65536);
  c->num_layers = opt_int("model.num_layers", 1, kMaxModelDim);
  ParallelConfig& par = c->parallel;
  read_int(d, "distributed_strategy.tensor_model_parallel_size", 1, kMaxDegree, &par.tp, p);
  read_int(d, "distributed_strategy.pipeline_model_parallel_size", 1, kMaxDegree, &par.pp, p);
  read_int(d, "distributed_strategy.virtual_pipeline_model_parallel_size", 1, kMaxDegree, &par.vpp, p);
  read_int(d, "distributed_strategy.context_parallel_size", 1, kMaxDegree, &par.cp, p);
  read_int(d, "distributed_strategy.expert_model_parallel_size", 1, kMaxDegree, &par.ep, p);
  par.kv_replicator = opt_int("distributed_strategy.kv_replicator", 1, kMaxDegree);
  c->ring_attention = d.get_bool(target(d, "model.fusions.ring_attention"), p);
  c->explicit_log_dir_written = d.value("exp_manager.explicit_log_dir").IsDefined();
}

void read_neuron_knobs(const Document& d, NeuronKnobs* n, Problems* p) {
  set(d.get_bool(target(d, "model.fusions.softmax"), p), &n->fuse_softmax);
  n->compress_rg = d.get_bool(target(d, "neuron_experimental_compress_rg"), p);
  read_string(d, "aync_exec_max_inflight_requests", &n->async_exec_max_inflight, p);  // NxDT's spelling
  read_string(d, "bucket_size_collectives", &n->bucket_size_collectives, p);
  read_string(d, "neuron_rt_exec_timeout", &n->rt_exec_timeout, p);
  read_string(d, "compiler_flags", &n->compiler_flags, p);
}

// The blocks the keys above live in. One present but not a mapping (`model.optim: 3`,
// `trainer=5` as an override) would make every key under it read as unset, so the
// run would silently train with the defaults: it is a Problem instead.
void require_blocks(const Document& d, Problems* p) {
  const char* blocks[] = {"trainer", "data", "model", "model.optim", "model.optim.sched", "exp_manager",
                          "exp_manager.checkpoint_callback_params", "distributed_strategy", "model.fusions",
                          "precision"};
  for (const std::string block : blocks) {
    const size_t dot = block.rfind('.');
    const std::string parent = dot == std::string::npos ? "" : block.substr(0, dot), name = block.substr(dot + 1);
    for (const auto& [key, sub] : d.entries(parent))
      if (key == name && !sub.root().IsMap() && !sub.root().IsNull())
        p->push_back({block, d.text(block), "must be a block of keys (e.g. " + block + ": {...}), not a single value"});
  }
}

void read_optim(const Document& d, TrainingConfig* c, Problems* p) {
  OptimConfig& o = c->optim;
  set(number_in(d, "model.optim.lr", 0, 1, true, p), &o.lr);
  set(number_in(d, "model.optim.weight_decay", 0, 1, false, p), &o.weight_decay);
  set(number_in(d, "model.optim.eps", 0, 1, true, p), &o.eps);
  const std::string betas = target(d, "model.optim.betas");
  if (const auto b = d.get_number_list(betas, p)) {
    if (b->size() == 2 && std::all_of(b->begin(), b->end(), [](double x) { return x >= 0 && x < 1; }))
      o.beta1 = (*b)[0], o.beta2 = (*b)[1];
    else
      p->push_back({betas, d.text(betas), "must be two numbers from 0 up to (not including) 1, e.g. [0.9, 0.95]"});
  }
  read_int(d, "model.optim.sched.warmup_steps", 0, kMaxSteps, &o.warmup_steps, p);
  o.min_lr = o.lr / 10;
  set(number_in(d, "model.optim.sched.min_lr", 0, o.lr, false, p), &o.min_lr);
  o.decay_steps = c->max_steps;
  read_int(d, "model.optim.sched.max_steps", 1, kMaxSteps, &o.decay_steps, p);
}

}  // namespace

const char* to_string(Precision p) {
  switch (p) {
    case Precision::kUnset: return "";
    case Precision::kBf16SR: return "bf16SR";
    case Precision::kMixedPrecision: return "mixed_precision";
    case Precision::kMixedPrecisionSR: return "mixed_precision_SR";
    case Precision::kFp32: return "fp32";
    case Precision::kAutocast: return "autocast";
    case Precision::kManual: return "manual";
  }
  return "";
}

const char* to_string(ModelSource m) {
  switch (m) {
    case ModelSource::kUnset: return "";
    case ModelSource::kHf: return "hf";
    case ModelSource::kMegatron: return "megatron";
  }
  return "";
}

bool read_training_config(const Document& d, TrainingConfig* c, Problems* problems) {
  Problems p;
  require_blocks(d, &p);
  read_int(d, "trainer.max_steps", 1, kMaxSteps, &c->max_steps, &p);
  read_int(d, "trainer.log_every_n_steps", 1, kMaxSteps, &c->log_every_n_steps, &p);
  set(number_in(d, "trainer.gradient_clip_val", 0, 1e6, false, &p), &c->gradient_clip_val);

  read_int(d, "data.micro_batch_size", 1, 1'000'000, &c->micro_batch_size, &p);
  c->global_batch_size = c->micro_batch_size;
  read_int(d, "data.global_batch_size", 1, kMaxSteps, &c->global_batch_size, &p);
  read_int(d, "model.encoder_seq_length", 1, 10'000'000, &c->seq_length, &p);
  read_int(d, "data.seq_length", 1, 10'000'000, &c->seq_length, &p);  // the data block wins
  read_string(d, "data.train_dir", &c->train_dir, &p);
  read_int(d, "seed", 0, 4'294'967'295LL, &c->seed, &p);

  read_string(d, "model.model_config", &c->model_config, &p);
  read_optim(d, c, &p);

  read_string(d, "exp_manager.explicit_log_dir", &c->explicit_log_dir, &p);
  read_string(d, "exp_manager.exp_dir", &c->exp_dir, &p);
  read_int(d, "exp_manager.checkpoint_callback_params.every_n_train_steps", 0, kMaxSteps,
           &c->checkpoint_every_n_steps, &p);
  read_int(d, "exp_manager.checkpoint_callback_params.save_top_k", -1, kMaxSteps, &c->save_top_k, &p);
  read_string(d, "name", &c->exp_name, &p);
  read_string(d, "exp_manager.name", &c->exp_name, &p);  // NeMo's: the block wins
  read_string(d, "exp_manager.version", &c->exp_version, &p);
  set(d.get_bool(target(d, "exp_manager.resume_if_exists"), &p), &c->resume_if_exists);
  read_string(d, "exp_manager.resume_from_checkpoint", &c->resume_from_checkpoint, &p);
  set(d.get_bool(target(d, "exp_manager.create_tensorboard_logger"), &p), &c->create_tensorboard_logger);
  set(d.get_bool(target(d, "model.weight_init_only"), &p), &c->weight_init_only);
  set(number_in(d, "trainer.val_check_interval", 0, kMaxSteps, false, &p), &c->val_check_interval);
  set(number_in(d, "trainer.limit_val_batches", 0, kMaxSteps, false, &p), &c->limit_val_batches);
  read_string(d, "compiler_cache_url", &c->compiler_cache_url, &p);
  read_precision(d, c, &p);
  read_launch_shape(d, c, &p);
  read_neuron_knobs(d, &c->neuron, &p);

  // A key read twice through a reference (sched.max_steps: ${trainer.max_steps}) is reported once.
  for (const Problem& q : p)
    if (std::none_of(problems->begin(), problems->end(),
                     [&](const Problem& r) { return r.key == q.key && r.value == q.value && r.fix == q.fix; }))
      problems->push_back(q);
  return p.empty();
}

}  // namespace trn::config
