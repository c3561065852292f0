#include "trainer/train_settings.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>

#include "trainer/data/synthetic_corpus.h"

namespace trn::native {
namespace {

// NeMo's datetime version, for an experiment that neither names one nor resumes.
std::string start_stamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d_%H-%M-%S", &tm);
  return buf;
}

namespace fs = std::filesystem;
using config::Document;

constexpr long long kMaxDim = 100'000'000;  // as common/config/training.cc's kMaxModelDim

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
      text_[field] = doc.text(key);
    }
    add(p, prefix);
  }
  // A float field; its range is ModelShape's to check (check()), named as `prefix + key`.
  void read_float(const Document& doc, const std::string& key, const std::string& prefix, const char* field,
                  float* out) {
    where_.emplace(field, prefix + key);
    Problems p;
    if (const auto v = doc.get_number(key, &p)) {
      // Clamped into fp32 range (converting beyond it is undefined); check() refuses it by range.
      *out = static_cast<float>(std::max(-1e38, std::min(1e38, *v)));
      set_.insert(field);
      where_[field] = prefix + key;
      text_[field] = doc.text(key);
    }
    add(p, prefix);
  }
  void seq_length(const Document& doc, long long value) {
    m_->seq_length = static_cast<int>(value);
    where_["seq_length"] = doc.has("data.seq_length") || !doc.has("model.encoder_seq_length")
                               ? "data.seq_length" : "model.encoder_seq_length";
    if (value > 0) set_.insert("seq_length");
  }
  // A shape value the data needs to be at least `min` (once check() found the shape usable).
  void require_at_least(const char* field, int value, int min, const std::string& fix) {
    if (value >= min) return;
    problems_->push_back({where_.count(field) ? where_[field] : field,
                          text_.count(field) ? text_[field] : std::to_string(value), fix});
  }
  ModelShape& shape() { return *m_; }
  // ModelShape's own checks, with each key renamed to where its value came from.
  void check() {
    for (Problem p : m_->problems()) {
      if (!set_.count(p.key)) p.value = "(absent)";
      else if (text_.count(p.key)) p.value = text_[p.key];  // as written, not as converted
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
  std::map<std::string, std::string> where_, text_;
  std::set<std::string> set_;
};

// The HF config.json named by model.model_config, relative to the YAML's folder.
bool load_hf_config(const Document& doc, const std::string& model_config, Document* hf, Problems* problems) {
  fs::path path(model_config);
  if (path.is_relative()) path = fs::path(doc.origin()).parent_path() / path;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    problems->push_back({"model.model_config", model_config,
                         "no file " + path.string() +
                             ": give the path of an HF config.json, relative to the YAML file or absolute"});
    return false;
  }
  return Document::load(path.string(), hf, problems);
}

// Everything but file I/O: `hf` is the HF config.json when model.model_config names one.
// Problems past index `before` (the training keys' among them) hold back the shape's
// consistency checks, which would only repeat them.
bool settings_from(const Document& doc, const Document* hf, size_t before, TrainSettings* s, Problems* problems) {
  const config::TrainingConfig& t = s->train;
  ModelShape& m = s->shape;
  ShapeReader shape(&m, problems);
  if (hf) {
    const std::string prefix = hf->origin() + ": ";
    shape.ints(*hf, true, prefix);
    shape.read_float(*hf, "rms_norm_eps", prefix, "rms_norm_eps", &m.rms_norm_eps);
    shape.read_float(*hf, "rope_theta", prefix, "rope_theta", &m.rope_theta);
  } else {
    shape.ints(doc, false, "");
  }
  if (m.num_kv_heads == 0) m.num_kv_heads = m.num_heads;  // no GQA given: one KV head per head
  // NxDT sets these two under model: as well; there they win over config.json.
  if (hf) shape.read_int(doc, "model.num_layers", "", "num_hidden_layers", &m.num_layers);
  shape.read_float(doc, "model.rope_theta", "", "rope_theta", &m.rope_theta);
  shape.seq_length(doc, t.seq_length);
  if (problems->size() == before) shape.check();  // consistency, once every value could be read

  // data.data_prefix (a Megatron dataset, trainer/data/batch_source.h) makes data.train_dir moot.
  const bool synthetic = !doc.has("data.data_prefix");
  if (synthetic && !t.train_dir.empty() && t.train_dir != "synthetic")
    problems->push_back({"data.train_dir", t.train_dir,
                         "the native engine reads Megatron datasets named by data.data_prefix (see trn-train data) "
                         "or its built-in synthetic corpus (data.train_dir: synthetic)"});
  else if (synthetic && problems->size() == before)
    shape.require_at_least("vocab_size", m.vocab_size, SyntheticCorpus::kMinVocab,
                           "the synthetic corpus has " + std::to_string(SyntheticCorpus::kMinVocab) +
                               " or more token ids (each token has two distinct likely successors): use a vocab_size "
                               "of at least " + std::to_string(SyntheticCorpus::kMinVocab));
  const char* env_version = std::getenv("NEMO_EXPM_VERSION");
  s->exp = resolve_experiment_dir(t, env_version ? env_version : "", start_stamp());
  s->doc = doc;
  // model.num_layers is a training key (read_training_config) and a shape key: one
  // bad value is one line.
  std::vector<Problem> mine(problems->begin() + static_cast<long>(before), problems->end());
  problems->resize(before);
  for (const Problem& q : mine)
    if (std::none_of(problems->begin() + static_cast<long>(before), problems->end(),
                     [&](const Problem& r) { return r.str() == q.str(); }))
      problems->push_back(q);
  return problems->size() == before;
}

}  // namespace

bool train_settings_from(const Document& doc, TrainSettings* s, Problems* problems) {
  const size_t before = problems->size();
  *s = TrainSettings{};
  config::read_training_config(doc, &s->train, problems);
  Document hf;
  if (!s->train.model_config.empty() && !load_hf_config(doc, s->train.model_config, &hf, problems)) return false;
  return settings_from(doc, s->train.model_config.empty() ? nullptr : &hf, before, s, problems);
}

bool parse_train_settings(std::string_view yaml, std::string_view hf_config, TrainSettings* s, Problems* problems) {
  const size_t before = problems->size();
  *s = TrainSettings{};
  Document doc, hf;
  if (!Document::parse(std::string(yaml), "config.yaml", &doc, problems)) return false;
  config::read_training_config(doc, &s->train, problems);
  if (!s->train.model_config.empty() && !Document::parse(std::string(hf_config), "config.json", &hf, problems))
    return false;
  return settings_from(doc, s->train.model_config.empty() ? nullptr : &hf, before, s, problems);
}

bool load_train_settings(const std::string& path, const std::vector<std::string>& overrides, TrainSettings* s,
                         Problems* problems) {
  Document doc;
  if (!Document::load(path, &doc, problems)) return false;
  if (!doc.apply_overrides(overrides, problems)) return false;
  return train_settings_from(doc, s, problems);
}

}  // namespace trn::native
