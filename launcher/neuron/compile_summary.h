// Judging a COMPILE=1 run by what it printed, not only by its exit status: older
// neuron_parallel_compile releases exit 0 after failed compilations (Neuron release
// notes, "neuron_parallel_compile returns success after compilation failure(s)").
// Pure text parsing, fed the backend's output as it streams past `run`'s tee.
//
// Recognised, anywhere in a line (so any log prefix or timestamp in front is fine):
//   Total graphs: N / Total successful compilations: N / Total failed compilations: N
// as printed after `INFO ||NEURON_PARALLEL_COMPILE||: ` (SDK 2024+), after
// `INFO ||PARALLEL_COMPILE||: ` (2023) or bare (our cache and the native engine).
// Log files of failed graphs: path-like words (containing '/') ending in ".log" or
// ".txt" (model.log in a cache entry, neuronx-cc's log-neuron-cc.txt) on lines that
// say "fail" or "error" in any case.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trn {

struct CompileSummary {
  std::optional<long long> total, succeeded, failed;  // the last value printed for each
  std::vector<std::string> failed_logs;               // in order of first mention, no repeats
  bool failed_compilations() const { return failed.value_or(0) > 0; }
};

class CompileSummaryParser {
 public:
  // Any chunk of output; lines may be split across chunks.
  void feed(std::string_view chunk);
  // Parses a last line that had no newline.
  void finish();
  const CompileSummary& summary() const { return summary_; }

 private:
  void line(std::string_view text);
  std::string partial_;
  CompileSummary summary_;
};

// Parses a whole text at once (tests, a saved log).
CompileSummary parse_compile_summary(std::string_view text);

// The verdict line for a failed compile, e.g. "3 of 36 graphs failed to compile
// (Total failed compilations: 3); logs: a/model.log, b/model.log".
std::string describe_failed_compile(const CompileSummary& s);

}  // namespace trn
