// The NxDT training keys that both the launcher (`trn-train plan` validates them for
// every backend) and the native trainer read: one reader, one set of ranges, one
// set of messages. Plain data; read_training_config does no file I/O (the HF
// config.json named by model.model_config is left to the trainer), so it accepts
// every config in conf/ on any machine.
//
//   key                                                     range            default
//   trainer.max_steps                                       1 .. 1e9         10
//   trainer.log_every_n_steps                               1 .. 1e9         1
//   trainer.gradient_clip_val                               0 .. 1e6 (0 off) 1.0
//   data.micro_batch_size                                   1 .. 1e6         1
//   data.global_batch_size                                  1 .. 1e9         micro_batch_size
//   data.seq_length, else model.encoder_seq_length          1 .. 1e7         (unset: 0)
//   data.train_dir                                          text             ""
//   seed                                                    0 .. 2^32-1      1234
//   model.model_config                                      text (a path)    ""
//   model.optim.lr                                          > 0 .. 1         3e-4
//   model.optim.weight_decay                                0 .. 1           0.01
//   model.optim.betas                                       [b1, b2] in [0,1) [0.9, 0.95]
//   model.optim.eps                                         > 0 .. 1         1e-8
//   model.optim.sched.warmup_steps                          0 .. 1e9         0
//   model.optim.sched.min_lr                                0 .. lr          lr / 10
//   model.optim.sched.max_steps                             1 .. 1e9         trainer.max_steps
//   exp_manager.explicit_log_dir, exp_manager.exp_dir       text             ""
//   exp_manager.checkpoint_callback_params.every_n_train_steps  0 .. 1e9 (0: at the end only)  0
//   exp_manager.checkpoint_callback_params.save_top_k       -1 .. 1e9 (-1: all; 0 as 1) 2
//   exp_manager.name, else name                             text             "default"
//   exp_manager.version, else $NEMO_EXPM_VERSION (the trainer) text          ""
//   exp_manager.resume_if_exists                            bool             true
//   exp_manager.resume_from_checkpoint                      text (a path)    ""
//   exp_manager.create_tensorboard_logger                   bool             true
//   model.weight_init_only                                  bool             false
//   trainer.val_check_interval                              0 .. 1e9 (0 off; < 1: x max_steps) 0
//   trainer.limit_val_batches                               0 .. 1e9 (< 1: fraction) 1
//   compiler_cache_url                                      text             ""
//   precision.type        bf16SR | mixed_precision | mixed_precision_SR | fp32 | autocast | manual  (unset)
//   precision.xla_use_bf16, .xla_downcast_bf16, .neuron_rt_stochastic_rounding_en (manual)  0/1 or bool  0
//   model_source                                            hf | megatron    (unset)
//   trainer.lnc                                             1 .. 8           (unset: the instance's)
//   trainer.devices                                         1 .. 4096        (unset)
//   trainer.num_nodes                                       1 .. 65536       (unset)
//   distributed_strategy.{tensor,pipeline,virtual_pipeline,context,expert}_model_parallel_size
//     (context_parallel_size)                               1 .. 2^20        1
//   distributed_strategy.kv_replicator                      1 .. 2^20        (unset)
//   model.num_layers                                        1 .. 1e8         (unset)
//   model.fusions.ring_attention, model.fusions.softmax     bool             (unset), false
//   neuron_experimental_compress_rg                         bool             (unset)
//   aync_exec_max_inflight_requests (NxDT's spelling), bucket_size_collectives,
//   neuron_rt_exec_timeout, compiler_flags                  text             ""
//
// An enum value that is not one of its names is a Problem listing them (a typo must
// not quietly select nothing).
//
// Each block above (trainer, data, model, model.optim, model.optim.sched, exp_manager,
// exp_manager.checkpoint_callback_params), when present, must be a mapping.
// A value that is exactly an OmegaConf reference to another key, `${trainer.max_steps}`
// as NxDT's configs write sched.max_steps, reads as that key's value.
#pragma once

#include <optional>
#include <string>

#include "common/config/document.h"
#include "common/problem.h"

namespace trn::config {

// NxDT's precision.type (training_orchestrator.py's table).
enum class Precision { kUnset, kBf16SR, kMixedPrecision, kMixedPrecisionSR, kFp32, kAutocast, kManual };
const char* to_string(Precision p);  // the config's spelling; "" for kUnset

enum class ModelSource { kUnset, kHf, kMegatron };
const char* to_string(ModelSource m);  // "hf" | "megatron"; "" for kUnset

// precision.type: manual's three switches.
struct ManualPrecision {
  bool xla_use_bf16 = false, xla_downcast_bf16 = false, stochastic_rounding = false;
};

// distributed_strategy.*: the parallel degrees.
struct ParallelConfig {
  long long tp = 1, pp = 1, vpp = 1, cp = 1, ep = 1;
  std::optional<long long> kv_replicator;
};

// The Neuron runtime and compiler settings NxDT's configs carry (they become
// environment variables and NEURON_CC_FLAGS; "" / unset: not exported).
struct NeuronKnobs {
  bool fuse_softmax = false;       // model.fusions.softmax
  std::optional<bool> compress_rg;  // neuron_experimental_compress_rg
  std::string async_exec_max_inflight;
  std::string bucket_size_collectives;
  std::string rt_exec_timeout;
  std::string compiler_flags;
};

struct OptimConfig {
  double lr = 3e-4;
  double weight_decay = 0.01;
  double beta1 = 0.9, beta2 = 0.95;
  double eps = 1e-8;
  long long warmup_steps = 0;
  double min_lr = 3e-5;
  long long decay_steps = 10;  // cosine horizon: sched.max_steps, else trainer.max_steps
};

struct TrainingConfig {
  long long max_steps = 10;
  long long log_every_n_steps = 1;
  double gradient_clip_val = 1.0;
  long long micro_batch_size = 1;
  long long global_batch_size = 1;
  long long seq_length = 0;  // 0: not given
  std::string train_dir;
  long long seed = 1234;
  std::string model_config;  // as written; relative to the config file's folder
  OptimConfig optim;
  std::string explicit_log_dir;
  std::string exp_dir;
  long long checkpoint_every_n_steps = 0;
  long long save_top_k = 2;
  std::string exp_name = "default";
  std::string exp_version;
  bool resume_if_exists = true;
  std::string resume_from_checkpoint;
  bool create_tensorboard_logger = true;
  bool weight_init_only = false;
  double val_check_interval = 0;  // whole: every N steps; a fraction: of max_steps; 0: never
  double limit_val_batches = 1;   // whole: micro-batches per rank; a fraction: of the held-out split
  std::string compiler_cache_url;
  Precision precision = Precision::kUnset;
  ManualPrecision manual_precision;
  ModelSource model_source = ModelSource::kUnset;
  std::optional<long long> lnc, devices, num_nodes, num_layers;
  std::optional<bool> ring_attention;
  bool explicit_log_dir_written = false;  // the key is in the config, even as null (Hydra: `key=` works)
  ParallelConfig parallel;
  NeuronKnobs neuron;
};

// Fills *out from `doc`; every bad value is a Problem naming the key, the value
// and the fix (and leaves that field at its default). False if any was found.
bool read_training_config(const Document& doc, TrainingConfig* out, Problems* problems);

}  // namespace trn::config
