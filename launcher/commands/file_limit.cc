#include "launcher/commands/file_limit.h"

#include <cerrno>
#include <cstring>

namespace trn {

FileLimitChange plan_file_limit(rlim_t soft, rlim_t hard, rlim_t needed) {
  FileLimitChange c;
  c.soft = hard == RLIM_INFINITY || hard > soft ? hard : soft;
  if (hard != RLIM_INFINITY && hard < needed) {
    c.warning = "open-file limit: the hard limit is " + std::to_string(hard) + ", below the " +
                std::to_string(needed) +
                " that NxDT's train_setup.sh asks for; fix (admin): raise nofile in /etc/security/limits.conf or the "
                "slurmd unit's LimitNOFILE, and PropagateResourceLimits in slurm.conf";
  }
  return c;
}

std::string raise_file_limit() {
  struct rlimit lim;
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return std::string("open-file limit: getrlimit: ") + std::strerror(errno);
  FileLimitChange c = plan_file_limit(lim.rlim_cur, lim.rlim_max);
  if (c.soft != lim.rlim_cur) {
    lim.rlim_cur = c.soft;
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) {
      const std::string why = std::strerror(errno);
      return "open-file limit: could not raise the soft limit to " + std::to_string(c.soft) + ": " + why +
             (c.warning.empty() ? "" : "; " + c.warning);
    }
  }
  return c.warning;
}

}  // namespace trn
