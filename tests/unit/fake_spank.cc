#include "tests/unit/fake_spank.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

struct spank_handle {
  int dummy;
};

namespace fake_spank {

namespace {
World* g_world = nullptr;
spank_handle g_handle{0};

std::string vformat(const char* fmt, va_list ap) {
  char buf[4096];
  vsnprintf(buf, sizeof buf, fmt, ap);
  return buf;
}
}  // namespace

World& world() {
  if (!g_world) g_world = new World();
  return *g_world;
}

void reset() {
  delete g_world;
  g_world = new World();
}

spank_t handle() { return &g_handle; }

int give_option(const std::string& name, const char* value, int remote) {
  for (const struct spank_option& o : world().options)
    if (name == o.name) return o.cb(o.val, value, remote);
  return -12345;
}

}  // namespace fake_spank

using fake_spank::world;

extern "C" {

const char* spank_strerror(spank_err_t err) {
  static char buf[32];
  std::snprintf(buf, sizeof buf, "spank error %d", static_cast<int>(err));
  return buf;
}

spank_context_t spank_context(void) { return world().context; }

int spank_remote(spank_t) { return world().context == S_CTX_REMOTE; }

spank_err_t spank_option_register(spank_t, struct spank_option* opt) {
  if (world().context == S_CTX_SLURMD || world().context == S_CTX_JOB_SCRIPT) return static_cast<spank_err_t>(ESPANK_BAD_ARG);
  world().registered.push_back(opt->name);
  world().options.push_back(*opt);
  return static_cast<spank_err_t>(ESPANK_SUCCESS);
}

spank_err_t spank_get_item(spank_t, spank_item_t item, ...) {
  if (world().context != S_CTX_REMOTE) return static_cast<spank_err_t>(ESPANK_NOT_REMOTE);
  auto it = world().items.find(static_cast<int>(item));
  if (it == world().items.end()) return static_cast<spank_err_t>(ESPANK_NOT_AVAIL);
  va_list ap;
  va_start(ap, item);
  switch (item) {
    case S_TASK_ID:
    case S_TASK_GLOBAL_ID:
      *va_arg(ap, int*) = static_cast<int>(it->second);
      break;
    default:
      *va_arg(ap, uint32_t*) = it->second;
      break;
  }
  va_end(ap);
  return static_cast<spank_err_t>(ESPANK_SUCCESS);
}

spank_err_t spank_getenv(spank_t, const char* var, char* buf, int len) {
  if (world().context != S_CTX_REMOTE) return static_cast<spank_err_t>(ESPANK_NOT_REMOTE);
  auto it = world().env.find(var);
  if (it == world().env.end()) return static_cast<spank_err_t>(ESPANK_ENV_NOEXIST);
  if (static_cast<int>(it->second.size()) >= len) return static_cast<spank_err_t>(ESPANK_NOSPACE);
  std::strcpy(buf, it->second.c_str());
  return static_cast<spank_err_t>(ESPANK_SUCCESS);
}

spank_err_t spank_setenv(spank_t, const char* var, const char* val, int overwrite) {
  if (world().context != S_CTX_REMOTE) return static_cast<spank_err_t>(ESPANK_NOT_REMOTE);
  if (world().setenv_fail) return static_cast<spank_err_t>(ESPANK_ERROR);
  if (!overwrite && world().env.count(var)) return static_cast<spank_err_t>(ESPANK_ENV_EXISTS);
  world().env[var] = val;
  return static_cast<spank_err_t>(ESPANK_SUCCESS);
}

#define FAKE_LOG(fn, vec)                  \
  void fn(const char* fmt, ...) {          \
    va_list ap;                            \
    va_start(ap, fmt);                     \
    world().vec.push_back(fake_spank::vformat(fmt, ap)); \
    va_end(ap);                            \
  }
FAKE_LOG(slurm_error, errors)
FAKE_LOG(slurm_verbose, infos)
FAKE_LOG(slurm_debug, infos)
FAKE_LOG(slurm_spank_log, spank_logs)

}  // extern "C"
