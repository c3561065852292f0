#include "cache/advisory_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "common/fs.h"

namespace trn::cache {

bool replace_advisory_file(const std::string& path, const std::string& data, mode_t mode) {
  const std::string tmp = temp_name_for(path);
  if (!write_new_file(tmp, data, 0600, nullptr)) return false;
  if (::chmod(tmp.c_str(), mode) == 0 && std::rename(tmp.c_str(), path.c_str()) == 0) return true;
  ::unlink(tmp.c_str());
  return false;
}

}  // namespace trn::cache
