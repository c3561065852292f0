#include "trainer/generate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <sstream>

#include "data/gpt_dataset.h"
#include "data/tokenizer.h"
#include "data/vocab_sidecar.h"
#include "trainer/checkpoint/resume.h"

namespace trn::native {
namespace {

constexpr const char* kTool = "trn-train-native";

// The tokenizer name the dataset was written with ("" when there is no record).
std::string dataset_tokenizer(const TrainSettings& s) {
  data::DatasetSpec spec;
  if (!data::read_dataset_spec(s.doc, s.shape.seq_length, s.shape.vocab_size, 0, &spec).empty() ||
      !spec.configured())
    return "";
  data::VocabRecord record;
  if (!data::read_vocab_sidecar(spec.prefixes.front().path, &record)) return "";
  const std::string sp = "sentencepiece:";
  return record.tokenizer.compare(0, sp.size(), sp) == 0 ? record.tokenizer.substr(sp.size()) : record.tokenizer;
}

// Token ids as text: "12 7 40".
bool parse_ids(const std::string& text, int vocab, std::vector<int>* ids) {
  std::istringstream in(text);
  long long id;
  while (in >> id) {
    if (id < 0 || id >= vocab) return false;
    ids->push_back(static_cast<int>(id));
  }
  return in.eof();
}

}  // namespace

int pick_token(const float* probs, int vocab, int top_k, double temperature, double uniform) {
  if (top_k <= 0 || temperature <= 0) return static_cast<int>(std::max_element(probs, probs + vocab) - probs);
  std::vector<int> order(vocab);
  for (int i = 0; i < vocab; ++i) order[i] = i;
  const int k = std::min(top_k, vocab);
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int a, int b) {
    return probs[a] > probs[b] || (probs[a] == probs[b] && a < b);
  });
  // softmax(logits / T) restricted to the top k = p^(1/T), renormalised.
  std::vector<double> w(k);
  double sum = 0;
  for (int i = 0; i < k; ++i) sum += (w[i] = std::pow(std::max<double>(probs[order[i]], 1e-30), 1.0 / temperature));
  double at = uniform * sum;
  for (int i = 0; i < k; ++i)
    if ((at -= w[i]) < 0) return order[i];
  return order[k - 1];
}

int pick_token_except(const float* probs, int vocab, int banned, int top_k, double temperature, double uniform) {
  if (banned < 0 || banned >= vocab) return pick_token(probs, vocab, top_k, temperature, uniform);
  // The vocabulary without `banned`: the ids above it move down one, and back up after.
  std::vector<float> rest(probs, probs + banned);
  rest.insert(rest.end(), probs + banned + 1, probs + vocab);
  const int picked = pick_token(rest.data(), vocab - 1, top_k, temperature, uniform);
  return picked < banned ? picked : picked + 1;
}

int generate(const TrainSettings& s, const GenerateOptions& o) {
  Problems problems;
  if (o.min_new_tokens < 0 || o.min_new_tokens > o.max_new_tokens)
    problems.push_back({"--min-new-tokens", std::to_string(o.min_new_tokens),
                        "must be from 0 to --max-new-tokens (" + std::to_string(o.max_new_tokens) + ")"});
  std::string name = !o.tokenizer.empty() ? o.tokenizer : dataset_tokenizer(s);
  std::unique_ptr<data::Tokenizer> tok;
  if (!name.empty()) {
    tok = data::Tokenizer::open(name, o.tokenizer.empty() ? "data.data_prefix (its vocab.json)" : "--tokenizer",
                                &problems);
    if (tok && tok->vocab_size() > s.shape.vocab_size)
      problems.push_back({"--tokenizer", name,
                          "has " + std::to_string(tok->vocab_size()) + " ids, the model's vocab_size is " +
                              std::to_string(s.shape.vocab_size) + ": give the tokenizer the model was trained with"});
  }
  std::vector<int> ids;
  if (tok) {
    tok->encode(o.prompt, &ids);
  } else if (!parse_ids(o.prompt, s.shape.vocab_size, &ids)) {
    problems.push_back({"--prompt", o.prompt,
                        "without a tokenizer (--tokenizer byte or a SentencePiece model, or a dataset made by "
                        "trn-train data) the prompt is token ids below vocab_size " +
                            std::to_string(s.shape.vocab_size) + ", separated by spaces"});
  }
  const CheckpointIdentity id = CheckpointIdentity::of(s.shape);
  TrainState state{0, std::vector<float>(id.parameters), std::vector<float>(id.parameters),
                   std::vector<float>(id.parameters), 0};
  std::string path;
  const bool own = !checkpoint_names(s.exp.checkpoint_dir).empty();
  if (!own && s.train.resume_from_checkpoint.empty())
    problems.push_back({"checkpoint", s.exp.checkpoint_dir + " (none)",
                        "train the experiment first, or set exp_manager.resume_from_checkpoint"});
  else if (problems.empty())
    read_newest_checkpoint(own ? s.exp.checkpoint_dir : s.train.resume_from_checkpoint,
                           own ? "checkpoint" : "exp_manager.resume_from_checkpoint", id, &state, &path, &problems);
  if (!problems.empty()) {
    report_problems(kTool, problems);
    return kExitBadInput;
  }
  std::fprintf(stderr, "generate: %s (step %d), tokenizer %s, %s\n", path.c_str(), state.step,
               tok ? tok->name().c_str() : "none (token ids)",
               o.top_k > 0 ? ("top-k " + std::to_string(o.top_k) + ", temperature " + std::to_string(o.temperature)).c_str()
                           : "greedy");

  Llama model(s.shape, 1);
  model.params() = std::move(state.params);
  const int T = s.shape.seq_length;
  if (ids.empty()) ids.push_back(tok ? tok->eos_id() : 0);
  std::vector<int> window(T, 0), targets(T, 0), out;
  std::mt19937_64 rng(static_cast<unsigned long long>(s.train.seed));
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (int n = 0; n < o.max_new_tokens; ++n) {
    // The last T tokens; positions after them are ignored by the causal mask.
    const size_t len = std::min<size_t>(ids.size(), static_cast<size_t>(T));
    std::copy(ids.end() - static_cast<long>(len), ids.end(), window.begin());
    model.forward(window.data(), targets.data());
    // A model may end the text at once: the end of sequence waits for --min-new-tokens.
    const int banned = tok && n < o.min_new_tokens ? tok->eos_id() : -1;
    const int next = pick_token_except(model.next_token_probs(0, static_cast<int>(len) - 1), s.shape.vocab_size,
                                       banned, o.top_k, o.temperature, uniform(rng));
    if (tok && next == tok->eos_id()) break;
    ids.push_back(next);
    out.push_back(next);
  }
  // Before the text: callers that read both streams take the text as the last line.
  std::fprintf(stderr, "generate: added %zu tokens\n", out.size());
  if (tok) {
    // Decoded as one sequence: SentencePiece drops a piece's leading space when it
    // starts the text, so the continuation alone would lose the space after the prompt.
    std::printf("%s\n", tok->decode(o.prompt.empty() ? out : ids).c_str());
  } else {
    std::string text = o.prompt;
    for (int t : out) text += " " + std::to_string(t);
    std::printf("%s\n", text.c_str());
  }
  return 0;
}

}  // namespace trn::native
