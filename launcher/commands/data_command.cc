// `trn-train data`: Megatron's preprocess_data.py in the launcher, flags as there where
// they overlap (--input, --output-prefix, --json-keys, --workers, --append-eod,
// --tokenizer-model), plus the built-in byte tokenizer and --train-tokenizer. Unlike
// preprocess_data.py it appends the end-of-document id by default (samples cross document
// boundaries, so the model needs to see them); --no-append-eod leaves it out.
#include "launcher/commands/data_command.h"

#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "data/preprocess.h"
#include "data/tokenizer.h"

namespace trn {
namespace {

constexpr const char* kTool = "trn-train";

struct DataOptions {
  data::PreprocessOptions pre;
  std::vector<std::string> json_keys;
  std::string tokenizer_model, tokenizer;
  bool train_tokenizer = false;
  int vocab_size = 0;
  std::string model_prefix;
};

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The options that go together, checked before any file is read.
void check_options(DataOptions* o, Problems* problems) {
  if (o->pre.input.empty()) problems->push_back({"--input", "(unset)", "give the text or JSONL file to tokenize"});
  if (o->pre.output_prefix.empty())
    problems->push_back({"--output-prefix", "(unset)", "give the path prefix of the dataset to write"});
  if (o->json_keys.size() > 1)
    problems->push_back({"--json-keys", CLI::detail::join(o->json_keys, " "), "give one key per run"});
  const bool jsonl = !o->json_keys.empty() || ends_with(o->pre.input, ".json") || ends_with(o->pre.input, ".jsonl");
  o->pre.format = jsonl ? data::InputFormat::kJsonl : data::InputFormat::kText;
  if (!o->json_keys.empty()) o->pre.json_key = o->json_keys[0];
  const int sources = !o->tokenizer_model.empty() + !o->tokenizer.empty() + o->train_tokenizer;
  if (sources != 1)
    problems->push_back({"--tokenizer-model", sources == 0 ? "(unset)" : "given with another tokenizer option",
                         "give exactly one of --tokenizer-model FILE, --tokenizer byte, --train-tokenizer"});
  if (!o->tokenizer.empty() && o->tokenizer != "byte")
    problems->push_back({"--tokenizer", o->tokenizer, "the built-in tokenizer is `byte`; a SentencePiece model "
                                                      "file goes to --tokenizer-model"});
  if (o->train_tokenizer && (o->vocab_size < 1 || o->model_prefix.empty()))
    problems->push_back({"--train-tokenizer", o->model_prefix.empty() ? "no --model-prefix" : "no --vocab-size",
                         "give --vocab-size N and --model-prefix P (writes P.model and P.vocab)"});
  else if (o->train_tokenizer && o->vocab_size > data::kMaxTrainedVocab)
    problems->push_back({"--vocab-size", std::to_string(o->vocab_size), data::kVocabSizeFix});
  if (o->pre.workers < 1 || o->pre.workers > data::kMaxWorkers)
    problems->push_back({"--workers", std::to_string(o->pre.workers),
                         "must be from 1 to " + std::to_string(data::kMaxWorkers) + " (default: all cores)"});
}

// No output may be an input: --output-prefix's files or the trained model's against
// --input and --tokenizer-model (the trained model becomes an input only once written).
void check_outputs(const DataOptions& o, Problems* problems) {
  std::vector<data::NamedFile> inputs{{"--input", o.pre.input}}, outputs;
  if (!o.tokenizer_model.empty()) inputs.push_back({"--tokenizer-model", o.tokenizer_model});
  for (const auto& f : data::output_files(o.pre)) outputs.push_back({"--output-prefix", f});
  if (o.train_tokenizer)
    for (const char* ext : {".model", ".vocab"}) outputs.push_back({"--model-prefix", o.model_prefix + ext});
  data::check_outputs_are_not_inputs(inputs, outputs, problems);
}

// "\r 12.3/45.6 MB  1234 docs  567890 tokens  23.4 MB/s" on a terminal, nothing otherwise.
data::ProgressFn progress_line(uint64_t total_bytes) {
  if (!::isatty(STDERR_FILENO)) return nullptr;
  const auto t0 = std::chrono::steady_clock::now();
  auto last = std::make_shared<double>(-1);
  return [=](uint64_t bytes, uint64_t docs, uint64_t tokens) {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s - *last < 0.25 && bytes < total_bytes) return;
    *last = s;
    std::fprintf(stderr, "\r%8.1f/%.1f MB  %llu documents  %llu tokens  %.1f MB/s ", bytes / 1e6, total_bytes / 1e6,
                 static_cast<unsigned long long>(docs), static_cast<unsigned long long>(tokens),
                 s > 0 ? bytes / 1e6 / s : 0.0);
    if (bytes >= total_bytes) std::fprintf(stderr, "\n");
  };
}

int run_data(DataOptions& o) {
  Problems problems;
  check_options(&o, &problems);
  if (problems.empty()) check_outputs(o, &problems);
  if (!problems.empty()) return report_problems(kTool, problems);
  std::string model = o.tokenizer_model.empty() ? o.tokenizer : o.tokenizer_model;
  if (o.train_tokenizer) {
    std::vector<std::string> docs;
    if (!data::read_documents(o.pre, [&](std::string_view d) { docs.emplace_back(d); }, &problems))
      return report_problems(kTool, problems);
    const std::vector<std::string_view> views(docs.begin(), docs.end());
    if (!data::train_sentencepiece(views, o.vocab_size, o.model_prefix, &problems))
      return report_problems(kTool, problems);
    model = o.model_prefix + ".model";
    std::printf("trained SentencePiece tokenizer %s on %zu documents\n", model.c_str(), docs.size());
  }
  const auto tokenizer = data::Tokenizer::open(
      model, o.tokenizer_model.empty() ? (o.train_tokenizer ? "--model-prefix" : "--tokenizer") : "--tokenizer-model",
      &problems);
  if (!tokenizer) return report_problems(kTool, problems);
  struct stat st {};
  const uint64_t total = ::stat(o.pre.input.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  data::PreprocessSummary s;
  if (!data::preprocess(o.pre, *tokenizer, progress_line(total), &s, &problems))
    return report_problems(kTool, problems);
  for (const auto& [path, bytes] : s.removed_leftovers)
    std::fprintf(stderr, "%s: removed %s (%.1f MB), left by a killed run\n", kTool, path.c_str(), bytes / 1e6);
  const double mb = s.input_bytes / 1e6, secs = std::max(s.seconds, 1e-9);
  std::printf("wrote %s.bin/.idx: %llu documents, %llu tokens (vocabulary %d, %s) from %.1f MB in %.2f s: "
              "%.1f MB/s, %.0f tokens/s\n",
              s.dataset_prefix.c_str(), static_cast<unsigned long long>(s.documents),
              static_cast<unsigned long long>(s.tokens), tokenizer->vocab_size(), tokenizer->name().c_str(), mb,
              s.seconds, mb / secs, s.tokens / secs);
  // Absolute: a relative data_prefix is taken from the config file's folder, not from here.
  std::printf("train on it with: data.data_prefix=[1.0,%s] and a model vocab_size >= %d\n",
              std::filesystem::absolute(s.dataset_prefix).lexically_normal().c_str(), tokenizer->vocab_size());
  return 0;
}

}  // namespace

void add_data_command(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<DataOptions>();
  o->pre.workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  auto* cmd = app.add_subcommand("data", "Tokenize text or JSONL into a Megatron indexed dataset (.bin + .idx)");
  cmd->add_option("--input", o->pre.input,
                  "Plain text (one document per blank-line-separated paragraph) or JSONL (one object per line)");
  cmd->add_option("--output-prefix", o->pre.output_prefix, "Writes PREFIX_<key>_document.bin/.idx/.vocab.json");
  cmd->add_option("--json-keys", o->json_keys, "JSONL key holding the text (default text; implies JSONL input)");
  cmd->add_option("--workers", o->pre.workers, "Tokenizing threads, 1 to 1024 (default: all cores)");
  cmd->add_flag("--append-eod,!--no-append-eod", o->pre.append_eod,
                "Append the end-of-document id to every document (default on)");
  cmd->add_option("--tokenizer-model", o->tokenizer_model, "SentencePiece model file (e.g. Llama-2's tokenizer.model)");
  cmd->add_option("--tokenizer", o->tokenizer, "`byte`: the built-in byte tokenizer (ids 0-255, <eos> 256)");
  cmd->add_flag("--train-tokenizer", o->train_tokenizer, "Train a SentencePiece model on --input first, then use it");
  cmd->add_option("--vocab-size", o->vocab_size, "Vocabulary of the trained tokenizer, at most 1000000");
  cmd->add_option("--model-prefix", o->model_prefix, "Trained tokenizer files: PREFIX.model, PREFIX.vocab");
  cmd->callback([o, exit_code] { *exit_code = run_data(*o); });
}

}  // namespace trn
