// Settings of the native engine: the NxDT training keys through the one config
// library (common/config: Document + read_training_config, the same reader and
// ranges `trn-train plan` uses), plus the model shape from the HF config.json named
// by model.model_config (relative to the YAML file, or absolute) or, failing that,
// from Megatron-style keys inline under model: (hidden_size, ffn_hidden_size,
// num_layers, num_attention_heads, num_query_groups, vocab_size).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/config/document.h"
#include "common/config/training.h"
#include "common/problem.h"
#include "trainer/checkpoint/experiment_dir.h"
#include "trainer/model/llama.h"

namespace trn::native {

struct TrainSettings {
  config::TrainingConfig train;  // trainer / data / seed / model.optim / exp_manager
  ModelShape shape;
  ExperimentDir exp;           // the experiment folder (trainer/checkpoint/experiment_dir.h)
  config::Document doc;        // the effective config (overrides applied): hparams.yaml, data keys
};

// Loads `path` and applies Hydra-style `overrides`. Every problem found (file,
// override, key, model shape) is appended to *problems; never throws. The result
// is meaningful only when it returns true.
bool load_train_settings(const std::string& path, const std::vector<std::string>& overrides, TrainSettings* out,
                         Problems* problems);
// The same from a document already loaded (model.model_config is resolved against
// the folder of doc.origin()).
bool train_settings_from(const config::Document& doc, TrainSettings* out, Problems* problems);
// Pure entry point (no file I/O; the fuzz target's): the YAML text, and the text of the
// HF config.json that model.model_config would name (ignored when it names none).
bool parse_train_settings(std::string_view yaml, std::string_view hf_config, TrainSettings* out,
                          Problems* problems);

}  // namespace trn::native
