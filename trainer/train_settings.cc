#include "trainer/train_settings.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>

namespace trn::native {
namespace {

namespace fs = std::filesystem;

// Walks "a.b.c" from root, creating maps as needed (for overrides). Nodes are
// rebound with reset(): yaml-cpp's operator= would overwrite the node it refers to.
YAML::Node walk_create(YAML::Node root, const std::string& dotted) {
  YAML::Node node = root;
  size_t start = 0;
  while (true) {
    const size_t dot = dotted.find('.', start);
    const std::string key = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (dot == std::string::npos) return node[key];
    node.reset(node[key]);
    start = dot + 1;
  }
}

// Looks "a.b.c" up without creating anything (const operator[] only; recursion
// instead of rebinding, since a missing key yields a node that cannot be rebound).
YAML::Node find(const YAML::Node& node, const std::string& dotted) {
  if (!node.IsDefined() || !node.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  const size_t dot = dotted.find('.');
  const YAML::Node child = node[dotted.substr(0, dot)];
  if (!child.IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
  return dot == std::string::npos ? child : find(child, dotted.substr(dot + 1));
}

// Reads an optional scalar; a present value of the wrong type is an error.
template <typename T>
void read(const YAML::Node& root, const std::string& key, T* out, std::vector<std::string>* errors,
          const std::string& where) {
  const YAML::Node n = find(root, key);
  if (!n.IsDefined() || n.IsNull()) return;
  try {
    *out = n.as<T>();
  } catch (const YAML::Exception&) {
    errors->push_back(where + ": " + key + " = '" + YAML::Dump(n) + "' has the wrong type: expected a " +
                      (std::is_same_v<T, std::string> ? "string" : "number"));
  }
}

}  // namespace

TrainSettings load_train_settings(const std::string& path, const std::vector<std::string>& overrides,
                                  std::vector<std::string>* errors) {
  TrainSettings s;
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    errors->push_back(path + ": cannot read the config: " + e.what());
    return s;
  }
  for (const auto& o : overrides) {
    const auto eq = o.find('=');
    if (eq == std::string::npos || eq == 0) {
      errors->push_back("override '" + o + "' is not key.sub=value (e.g. trainer.max_steps=20)");
      continue;
    }
    walk_create(root, o.substr(0, eq)) = YAML::Load(o.substr(eq + 1));
  }

  // Model shape: HF config.json (JSON is YAML) or Megatron-style keys under model:.
  std::string model_config;
  read(root, "model.model_config", &model_config, errors, path);
  ModelShape& m = s.shape;
  if (!model_config.empty()) {
    fs::path mc(model_config);
    if (mc.is_relative()) mc = fs::path(path).parent_path() / mc;
    YAML::Node hf;
    try {
      hf = YAML::LoadFile(mc.string());
    } catch (const YAML::Exception& e) {
      errors->push_back(path + ": model.model_config = '" + model_config + "': cannot read " + mc.string() + ": " +
                        e.what() + " (give a path to an HF config.json, relative to the YAML file or absolute)");
      return s;
    }
    const std::string where = mc.string();
    read(hf, "vocab_size", &m.vocab_size, errors, where);
    read(hf, "hidden_size", &m.hidden_size, errors, where);
    read(hf, "intermediate_size", &m.intermediate_size, errors, where);
    read(hf, "num_hidden_layers", &m.num_layers, errors, where);
    read(hf, "num_attention_heads", &m.num_heads, errors, where);
    m.num_kv_heads = m.num_heads;
    read(hf, "num_key_value_heads", &m.num_kv_heads, errors, where);
    read(hf, "rms_norm_eps", &m.rms_norm_eps, errors, where);
    read(hf, "rope_theta", &m.rope_theta, errors, where);
  } else {
    read(root, "model.vocab_size", &m.vocab_size, errors, path);
    read(root, "model.hidden_size", &m.hidden_size, errors, path);
    read(root, "model.ffn_hidden_size", &m.intermediate_size, errors, path);
    read(root, "model.num_layers", &m.num_layers, errors, path);
    read(root, "model.num_attention_heads", &m.num_heads, errors, path);
    m.num_kv_heads = m.num_heads;
    read(root, "model.num_query_groups", &m.num_kv_heads, errors, path);
  }
  // Overrides under model.* win over config.json for the two keys NxDT also sets there.
  read(root, "model.num_layers", &m.num_layers, errors, path);
  read(root, "model.rope_theta", &m.rope_theta, errors, path);
  read(root, "model.encoder_seq_length", &m.seq_length, errors, path);
  read(root, "data.seq_length", &m.seq_length, errors, path);
  for (const auto& p : m.problems()) errors->push_back(path + ": model shape: " + p);

  read(root, "data.micro_batch_size", &s.micro_batch, errors, path);
  read(root, "data.global_batch_size", &s.global_batch, errors, path);
  read(root, "trainer.max_steps", &s.max_steps, errors, path);
  read(root, "trainer.log_every_n_steps", &s.log_every, errors, path);
  read(root, "trainer.gradient_clip_val", &s.grad_clip, errors, path);
  read(root, "seed", &s.seed, errors, path);
  read(root, "model.optim.lr", &s.lr, errors, path);
  read(root, "model.optim.weight_decay", &s.weight_decay, errors, path);
  read(root, "model.optim.sched.warmup_steps", &s.warmup_steps, errors, path);
  read(root, "model.optim.sched.min_lr", &s.min_lr, errors, path);
  read(root, "model.optim.sched.max_steps", &s.decay_steps, errors, path);
  const YAML::Node betas = find(root, "model.optim.betas");
  if (betas.IsSequence() && betas.size() == 2) {
    s.beta1 = betas[0].as<float>();
    s.beta2 = betas[1].as<float>();
  }
  read(root, "exp_manager.checkpoint_callback_params.every_n_train_steps", &s.checkpoint_every, errors, path);
  s.data = "synthetic";
  read(root, "data.train_dir", &s.data, errors, path);
  std::string log_dir;
  read(root, "exp_manager.explicit_log_dir", &log_dir, errors, path);
  if (log_dir.empty() || log_dir == "null") read(root, "exp_manager.exp_dir", &log_dir, errors, path);
  s.checkpoint_dir = (log_dir.empty() || log_dir == "null") ? "checkpoints" : log_dir + "/checkpoints";

  if (s.micro_batch <= 0) errors->push_back(path + ": data.micro_batch_size = " + std::to_string(s.micro_batch) + ": must be >= 1");
  if (s.max_steps <= 0) errors->push_back(path + ": trainer.max_steps = " + std::to_string(s.max_steps) + ": must be >= 1");
  if (s.data != "synthetic")
    errors->push_back(path + ": data.train_dir = '" + s.data +
                      "': the native engine reads only the built-in synthetic corpus so far; set data.train_dir: synthetic");
  if (s.decay_steps <= 0) s.decay_steps = s.max_steps;
  return s;
}

}  // namespace trn::native
