#include "common/standard_fds.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace trn {

bool open_standard_fds(std::string* error) {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    // The lowest free descriptor is `fd` itself: the ones below it are open by now.
    const int null = ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (null == fd) continue;
    const int saved = errno;
    if (null >= 0) ::close(null);
    if (error) *error = "/dev/null: " + std::string(null < 0 ? std::strerror(saved) : "opened as the wrong descriptor");
    return false;
  }
  return true;
}

}  // namespace trn
