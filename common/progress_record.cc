#include "common/progress_record.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "common/fs.h"

namespace trn {

const char* to_string(ProgressPhase p) {
  switch (p) {
    case ProgressPhase::kStarting: return "starting";
    case ProgressPhase::kCompute: return "compute";
    case ProgressPhase::kCollective: return "collective";
  }
  return "?";
}

std::string progress_file_name(int rank) { return "rank." + std::to_string(rank); }

std::vector<ProgressRecord> read_progress_records(const std::string& dir) {
  std::vector<ProgressRecord> out;
  for (const auto& name : list_dir(dir)) {
    if (name.rfind("rank.", 0) != 0) continue;
    struct stat st;
    std::string why;
    const int fd = open_regular(AT_FDCWD, dir + "/" + name, &st, &why);
    if (fd < 0) continue;
    ProgressRecord r;
    const bool whole = st.st_uid == ::geteuid() && ::pread(fd, &r, sizeof r, 0) == static_cast<ssize_t>(sizeof r);
    ::close(fd);
    if (whole && r.magic == kProgressMagic && r.version == kProgressVersion && r.pid > 0) out.push_back(r);
  }
  std::sort(out.begin(), out.end(), [](const ProgressRecord& a, const ProgressRecord& b) { return a.rank < b.rank; });
  return out;
}

}  // namespace trn
