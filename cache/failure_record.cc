#include "cache/failure_record.h"

#include <unistd.h>

#include <sstream>

#include "common/fs.h"
#include "cache/entry_layout.h"
#include "cache/record_fields.h"

namespace trn::cache {

bool parse_failure_record(std::string_view text, FailureRecord* out) {
  if (text.size() > kMaxRecordBytes) return false;
  FailureRecord r;
  bool ok = true;
  for_each_key_value(text, [&](const std::string& k, const std::string& v) {
    long long code = 0;
    if (k == "exit_code") {
      ok = ok && parse_int_field(v, -255, 255, &code);
      r.exit_code = int(code);
    } else if (k == "host") {
      r.host = v;
    } else if (k == "when") {
      ok = ok && parse_finite_field(v, &r.when);
    }
  });
  if (ok) *out = std::move(r);
  return ok;
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
  if (code < 0) return "killed by signal " + std::to_string(-static_cast<long long>(code));
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
  FailureRecord r;
  // Not a regular file, too large or malformed: a failure with an unknown exit code.
  for (const char* name : {files::kFail, files::kOldFail})
    if (read_regular_file(entry_dir + "/" + name, kMaxRecordBytes, &text)) return parse_failure_record(text, &r) ? r : FailureRecord{};
  return FailureRecord{};
}

void clear_failure(const std::string& entry_dir) {
  ::unlink((entry_dir + "/" + files::kFail).c_str());
  ::unlink((entry_dir + "/" + files::kOldFail).c_str());
  ::unlink((entry_dir + "/" + files::kLog).c_str());
}

}  // namespace trn::cache
