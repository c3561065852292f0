// A failed compile is remembered (its log and exit code) so that 32 ranks do
// not each burn 20 minutes rediscovering the same failure, but it is never
// retried silently: Neuron's "cached failed neff" poisons caches after an OOM
// or Ctrl-C, so a retry needs the explicit retry setting and we say which.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

namespace trn::cache {

struct FailureRecord {
  int exit_code = 0;  // >0 exit status, <0 killed by signal -N
  std::string host;
  double when = 0;
  std::string serialize() const;
};
// Parses our failure record, files::kFail (also the fuzz entry point). False when longer than kMaxRecordBytes,
// or when exit_code is not an integer in [-255, 255] (a status or a signal number) or
// `when` not a finite number.
bool parse_failure_record(std::string_view text, FailureRecord* out);

// "exit code 70 (the compiler's internal-error status ...)", "-9 (killed by SIGKILL,
// most likely the out-of-memory killer ...)". 137 (a shell's 128+9) counts as -9.
std::string describe_exit(int exit_code);

// Writes model.log (the compiler's output, where the SDK keeps it too) then our
// failure record (files::kFail, a side file) into the entry directory.
bool write_failure(const std::string& entry_dir, const std::string& log_text, const FailureRecord& rec,
                   mode_t mode, std::string* error);
// Reads our failure record, or an earlier version's model.fail, if present (entries
// the SDK failed have only model.log: exit_code 0).
FailureRecord read_failure(const std::string& entry_dir);
// Removes model.log and the failure records (before a requested retry).
void clear_failure(const std::string& entry_dir);

}  // namespace trn::cache
