#include "trainer/train_settings.h"

#include <filesystem>
#include <map>
#include <set>

namespace trn::native {
namespace {

namespace fs = std::filesystem;
using config::Document;

constexpr long long kMaxDim = 100'000'000;

// The integer shape fields: their HF config.json name (also the key ModelShape's
// problems use) and the Megatron-style key inline under model:.
struct ShapeKey {
  const char* hf;
  const char* megatron;
  int ModelShape::*field;
};
constexpr ShapeKey kShapeKeys[] = {
    {"vocab_size", "model.vocab_size", &ModelShape::vocab_size},
    {"hidden_size", "model.hidden_size", &ModelShape::hidden_size},
    {"intermediate_size", "model.ffn_hidden_size", &ModelShape::intermediate_size},
    {"num_hidden_layers", "model.num_layers", &ModelShape::num_layers},
    {"num_attention_heads", "model.num_attention_heads", &ModelShape::num_heads},
    {"num_key_value_heads", "model.num_query_groups", &ModelShape::num_kv_heads},
};

// Reads the model shape and remembers where each field came from, so a shape
// problem names the key (or file and key) to change.
class ShapeReader {
 public:
  ShapeReader(ModelShape* m, Problems* problems) : m_(m), problems_(problems) {}

  // Integer fields from `doc`, named as `prefix + key` in problems.
  void ints(const Document& doc, bool hf, const std::string& prefix) {
    for (const ShapeKey& k : kShapeKeys) read_int(doc, hf ? k.hf : k.megatron, prefix, k.hf, &(m_->*k.field));
  }
  void read_int(const Document& doc, const std::string& key, const std::string& prefix, const char* field, int* out) {
    where_.emplace(field, prefix + key);  // the first source named is where to set a missing value
    Problems p;
    if (const auto v = doc.get_int(key, 1, kMaxDim, &p)) {
      *out = static_cast<int>(*v);
      set_.insert(field);
      where_[field] = prefix + key;
    }
    add(p, prefix);
  }
  void read_float(const Document& doc, const std::string& key, const std::string& prefix, float* out) {
    Problems p;
    if (const auto v = doc.get_number(key, &p)) {
      if (*v > 0) *out = static_cast<float>(*v);
      else p.push_back({key, doc.text(key), "must be greater than 0"});
    }
    add(p, prefix);
  }
  void seq_length(const Document& doc, long long value) {
    m_->seq_length = static_cast<int>(value);
    where_["seq_length"] = doc.has("data.seq_length") || !doc.has("model.encoder_seq_length")
                               ? "data.seq_length" : "model.encoder_seq_length";
    if (value > 0) set_.insert("seq_length");
  }
  ModelShape& shape() { return *m_; }
  // ModelShape's own checks, with each key renamed to where its value came from.
  void check() {
    for (Problem p : m_->problems()) {
      if (!set_.count(p.key)) p.value = "(absent)";
      if (where_.count(p.key)) p.key = where_[p.key];
      problems_->push_back(p);
    }
  }

 private:
  void add(Problems& p, const std::string& prefix) {
    for (Problem& q : p) q.key = prefix + q.key, problems_->push_back(q);
  }
  ModelShape* m_;
  Problems* problems_;
  std::map<std::string, std::string> where_;
  std::set<std::string> set_;
};

// The HF config.json named by model.model_config, relative to the YAML's folder.
bool read_hf_shape(const Document& doc, const std::string& model_config, ShapeReader* shape, Problems* problems) {
  fs::path path(model_config);
  if (path.is_relative()) path = fs::path(doc.origin()).parent_path() / path;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    problems->push_back({"model.model_config", model_config,
                         "no file " + path.string() +
                             ": give the path of an HF config.json, relative to the YAML file or absolute"});
    return false;
  }
  Document hf;
  if (!Document::load(path.string(), &hf, problems)) return false;
  const std::string prefix = path.string() + ": ";
  shape->ints(hf, true, prefix);
  shape->read_float(hf, "rms_norm_eps", prefix, &shape->shape().rms_norm_eps);
  shape->read_float(hf, "rope_theta", prefix, &shape->shape().rope_theta);
  return true;
}

}  // namespace

bool train_settings_from(const Document& doc, TrainSettings* s, Problems* problems) {
  const size_t before = problems->size();
  *s = TrainSettings{};
  config::read_training_config(doc, &s->train, problems);
  const config::TrainingConfig& t = s->train;

  ModelShape& m = s->shape;
  ShapeReader shape(&m, problems);
  if (!t.model_config.empty()) {
    if (!read_hf_shape(doc, t.model_config, &shape, problems)) return false;
  } else {
    shape.ints(doc, false, "");
  }
  if (m.num_kv_heads == 0) m.num_kv_heads = m.num_heads;  // no GQA given: one KV head per head
  // NxDT sets these two under model: as well; there they win over config.json.
  if (!t.model_config.empty()) shape.read_int(doc, "model.num_layers", "", "num_hidden_layers", &m.num_layers);
  shape.read_float(doc, "model.rope_theta", "", &m.rope_theta);
  shape.seq_length(doc, t.seq_length);
  if (problems->size() == before) shape.check();  // consistency, once every value could be read

  if (!t.train_dir.empty() && t.train_dir != "synthetic")
    problems->push_back({"data.train_dir", t.train_dir,
                         "the native engine reads only its built-in synthetic corpus so far; set data.train_dir: "
                         "synthetic"});
  const std::string& log_dir = !t.explicit_log_dir.empty() ? t.explicit_log_dir : t.exp_dir;
  s->checkpoint_dir = log_dir.empty() ? "checkpoints" : log_dir + "/checkpoints";
  return problems->size() == before;
}

bool load_train_settings(const std::string& path, const std::vector<std::string>& overrides, TrainSettings* s,
                         Problems* problems) {
  Document doc;
  if (!Document::load(path, &doc, problems)) return false;
  if (!doc.apply_overrides(overrides, problems)) return false;
  return train_settings_from(doc, s, problems);
}

}  // namespace trn::native
