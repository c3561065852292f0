#include "common/config/config_paths.h"

#include <filesystem>

namespace trn::config {
namespace {

// `path` made absolute against `base_dir`; true if it changed. URLs (compiler_cache_url's
// s3://, file://) are not paths of the config and stay as written.
bool absolute(YAML::Node& scalar, const std::string& base_dir) {
  if (!scalar.IsScalar() || scalar.Scalar().empty() || scalar.Scalar()[0] == '/' ||
      scalar.Scalar().find("://") != std::string::npos)
    return false;
  scalar = (std::filesystem::path(base_dir) / scalar.Scalar()).lexically_normal().string();
  return true;
}

// [PREFIX] or [weight, PREFIX, weight, PREFIX, ...]: the index of the first prefix.
size_t first_prefix(const YAML::Node& list) { return list.size() == 1 ? 0 : 1; }

// compiler_cache_url: NxDT's training_orchestrator.py exports it as NEURON_COMPILE_CACHE_URL
// as written (when unset), so a relative one would follow the workers' working folder.
const char* const kPathKeys[] = {"model.model_config", "data.data_prefix", "compiler_cache_url"};

}  // namespace

std::vector<std::string> data_prefix_paths(const YAML::Node& value) {
  std::vector<std::string> out;
  if (value.IsScalar() && !value.Scalar().empty()) out.push_back(value.Scalar());
  if (value.IsSequence())
    for (size_t i = first_prefix(value); i < value.size(); i += 2)
      if (value[i].IsScalar() && !value[i].Scalar().empty()) out.push_back(value[i].Scalar());
  return out;
}

std::vector<std::string> make_paths_absolute(Document* doc, const std::string& base_dir) {
  std::vector<std::string> changed;
  for (const char* key : kPathKeys) {
    YAML::Node value = doc->value(key);
    bool any = false;
    if (value.IsScalar()) {
      any = absolute(value, base_dir);
    } else if (value.IsSequence()) {
      for (size_t i = first_prefix(value); i < value.size(); i += 2) {
        YAML::Node item = value[i];
        any = absolute(item, base_dir) || any;
      }
    }
    if (!any) continue;
    doc->set(key, value);
    changed.push_back(key);
  }
  return changed;
}

}  // namespace trn::config
