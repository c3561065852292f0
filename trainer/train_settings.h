// Training settings for the native engine, read from the same NxDT-schema YAML the
// launcher reads (trainer / data / model / model.optim / exp_manager / seed), with
// the model shape from the HF config.json named by model.model_config or, failing
// that, from Megatron-style keys inline under model:.
#pragma once

#include <string>
#include <vector>

#include "trainer/llama.h"

namespace trn::native {

struct TrainSettings {
  ModelShape shape;
  int micro_batch = 1;
  int global_batch = 1;
  int max_steps = 10;
  int log_every = 1;
  int checkpoint_every = 0;  // 0: only at the end
  float lr = 3e-4f, min_lr = 3e-5f, weight_decay = 0.01f, beta1 = 0.9f, beta2 = 0.95f, adam_eps = 1e-8f;
  int warmup_steps = 0;
  int decay_steps = 0;  // cosine decay horizon; defaults to max_steps
  float grad_clip = 1.0f;  // 0: off
  unsigned long long seed = 1234;
  std::string data;            // "synthetic" (the demo) -- the only source implemented so far
  std::string checkpoint_dir;  // where checkpoint.bin is written and resumed from
};

// Loads `path` and applies `overrides` ("key.sub=value", Hydra style). Every problem
// found is appended to *errors (naming key, value and fix); the result is only
// meaningful when *errors is empty.
TrainSettings load_train_settings(const std::string& path, const std::vector<std::string>& overrides,
                                  std::vector<std::string>* errors);

}  // namespace trn::native
