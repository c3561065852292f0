// read_dataset_spec: data.data_prefix and data.splits_string as NxDT's megatron configs
// write them (see gpt_dataset.h). No file I/O beyond resolving relative paths.
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "data/gpt_dataset.h"

namespace trn::data {
namespace {

namespace fs = std::filesystem;

bool parse_number(const std::string& text, double* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && std::isfinite(*out);
}

// Relative prefixes are taken from the config file's folder, as model.model_config is.
std::string resolve(const trn::config::Document& doc, const std::string& prefix) {
  fs::path p(prefix);
  std::error_code ec;
  if (p.is_relative() && fs::is_regular_file(doc.origin(), ec)) p = fs::path(doc.origin()).parent_path() / p;
  return p.lexically_normal().string();
}

void read_prefixes(const trn::config::Document& doc, DatasetSpec* out, Problems* problems) {
  const std::string key = "data.data_prefix";
  const std::string fix_form = "give [weight, PREFIX, weight, PREFIX, ...], [PREFIX] or PREFIX (the path of "
                               "PREFIX.bin/.idx without the suffix)";
  bool is_map = false, is_list = false;
  for (const auto& [name, sub] : doc.entries("data"))
    if (name == "data_prefix") is_map = sub.root().IsMap(), is_list = sub.root().IsSequence();
  if (is_map) {
    problems->push_back({key, doc.text(key), "the {train: ..., validation: ...} form is not supported; " + fix_form +
                                                 " and data.splits_string for the held-out split"});
    return;
  }
  std::vector<std::string> items;
  if (auto list = is_list ? doc.get_string_list(key, problems) : std::nullopt; list) {
    items = *list;
  } else if (auto one = is_list ? std::nullopt : doc.get_string(key, problems); one) {
    items = {*one};
  } else {
    return;  // absent (synthetic corpus) or already a Problem
  }
  if (items.size() == 1) {
    out->prefixes.push_back({1.0, resolve(doc, items[0])});
  } else if (items.empty() || items.size() % 2 != 0) {
    problems->push_back({key, doc.text(key), "a list of several prefixes pairs each with a weight: " + fix_form});
    return;
  } else {
    std::vector<double> weights;
    for (size_t i = 0; i < items.size(); i += 2) {
      double w = 0;
      if (!parse_number(items[i], &w) || w <= 0) {
        problems->push_back({key + "[" + std::to_string(i) + "]", items[i],
                             "must be a positive weight (a number) before each prefix: " + fix_form});
        return;
      }
      weights.push_back(w);
      out->prefixes.push_back({w, resolve(doc, items[i + 1])});
    }
    normalise_shares(&weights);  // positive and finite, checked above
    for (size_t i = 0; i < weights.size(); ++i) {
      out->prefixes[i].weight = weights[i];
      if (weights[i] <= 0)  // 1e-300 next to 1e300: below the smallest double
        problems->push_back({key + "[" + std::to_string(2 * i) + "]", items[2 * i],
                             "is too small next to the largest weight to be sampled ever: drop that prefix or "
                             "raise its weight"});
    }
  }
  for (const auto& p : out->prefixes)
    if (p.path.empty()) problems->push_back({key, doc.text(key), "a prefix is empty: " + fix_form});
}

void read_splits(const trn::config::Document& doc, DatasetSpec* out, Problems* problems) {
  const auto text = doc.get_string("data.splits_string", problems);
  if (!text) return;
  std::vector<double> parts;
  size_t start = 0;
  bool ok = true;
  while (ok) {
    const size_t end = text->find_first_of(",/", start);
    std::string piece = text->substr(start, end == std::string::npos ? std::string::npos : end - start);
    piece.erase(0, piece.find_first_not_of(' '));
    piece.erase(piece.find_last_not_of(' ') + 1);
    double v = 0;
    ok = parse_number(piece, &v) && v >= 0;
    parts.push_back(v);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (!ok || parts.size() > 3 || !normalise_shares(&parts)) {
    problems->push_back({"data.splits_string", *text,
                         "give up to three non-negative train,validation,test proportions with a positive sum, "
                         "e.g. 980,10,10 or 0.98,0.02"});
    return;
  }
  parts.resize(3, 0.0);
  for (int i = 0; i < 3; ++i) out->splits[i] = parts[i];
}

}  // namespace

Problems read_dataset_spec(const trn::config::Document& doc, int seq_length, int vocab_size, uint64_t seed,
                           DatasetSpec* out) {
  Problems problems;
  *out = DatasetSpec{};
  out->seq_length = seq_length;
  out->vocab_size = vocab_size;
  out->seed = seed;
  read_prefixes(doc, out, &problems);
  read_splits(doc, out, &problems);
  if (out->configured() && seq_length < 1)
    problems.push_back({"data.seq_length", std::to_string(seq_length),
                        "samples of a dataset need a sequence length: set data.seq_length (or model.encoder_seq_length)"});
  return problems;
}

}  // namespace trn::data
