#include "cache/failure_record.h"

#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "common/fs.h"
#include "cache/entry_layout.h"

namespace trn::cache {

FailureRecord FailureRecord::parse(const std::string& text) {
  FailureRecord r;
  for_each_key_value(text, [&r](const std::string& k, const std::string& v) {
    if (k == "exit_code") r.exit_code = std::atoi(v.c_str());
    else if (k == "host") r.host = v;
    else if (k == "when") r.when = std::atof(v.c_str());
  });
  return r;
}

std::string FailureRecord::serialize() const {
  std::ostringstream o;
  o << "exit_code=" << exit_code << "\nmeaning=" << describe_exit(exit_code) << "\nhost=" << host
    << "\nwhen=" << std::fixed << when << "\n";
  return o.str();
}

std::string describe_exit(int code) {
  if (code == -9 || code == 137)
    return "exit code -9 (killed by SIGKILL, most likely the out-of-memory killer; lower the per-node "
           "compile parallelism)";
  if (code == 70)
    return "exit code 70 (the compiler's internal-error status; on Neuron often memory pressure on large "
           "graphs, see model.log)";
  if (code < 0) return "killed by signal " + std::to_string(-code);
  if (code == 0) return "unknown exit code (failure recorded without one)";
  return "exit code " + std::to_string(code);
}

bool write_failure(const std::string& entry_dir, const std::string& log_text, const FailureRecord& rec,
                   mode_t mode, std::string* error) {
  return write_file_atomic(entry_dir + "/" + files::kLog, log_text, mode, error) &&
         write_file_atomic(entry_dir + "/" + files::kFail, rec.serialize(), mode, error);
}

FailureRecord read_failure(const std::string& entry_dir) {
  std::string text;
  if (!read_file(entry_dir + "/" + files::kFail, &text)) return FailureRecord{};
  return FailureRecord::parse(text);
}

void clear_failure(const std::string& entry_dir) {
  ::unlink((entry_dir + "/" + files::kFail).c_str());
  ::unlink((entry_dir + "/" + files::kLog).c_str());
}

}  // namespace trn::cache
