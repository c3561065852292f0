#include "launcher/preflight/preflight_probe.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

#include "cache/permissions.h"
#include "common/fs.h"
#include "common/node_instance.h"
#include "common/node_sysfs.h"

namespace trn {
namespace {

// Neuron devices as the plugin's discovery reads them (common/node_sysfs.h), and,
// separately, /dev/neuronN: a device the driver lists but no process can open is
// what a preflight is for.
void probe_devices(const std::string& root, NodeFacts* f) {
  const NeuronDevices devices = read_neuron_devices(root);
  f->sysfs_devices = devices.devices;
  f->sysfs_cores = devices.cores;
  f->dev_nodes = devices.dev_nodes;
  f->driver_version = sysfs_line(under_root(root, "/sys/module/neuron/version"));
  const NodeInstanceFacts node = read_node_instance(root);
  f->node_instance = node.instance_type;
  f->node_platform = node.platform;
}

// The first line a command prints, "" when it fails or prints nothing. `timeout` keeps a
// wedged tool (a hung NFS mount under the venv) from hanging the whole preflight.
std::string first_output_line(const std::string& command, int* status = nullptr) {
  FILE* p = popen(("timeout 60 " + command + " 2>&1").c_str(), "r");
  if (!p) return "";
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) {
    if (out.empty()) out = buf;
  }
  const int rc = pclose(p);
  if (status) *status = rc;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string rest = path ? path : "";
  while (!rest.empty()) {
    const auto colon = rest.find(':');
    const std::string dir = rest.substr(0, colon);
    if (!dir.empty() && access((dir + "/" + program).c_str(), X_OK) == 0) return true;
    rest = colon == std::string::npos ? "" : rest.substr(colon + 1);
  }
  return false;
}

void probe_efa(const std::string& root, const Expectation& want, NodeFacts* f) {
  f->efa_sysfs = count_efa_devices(root);
  // libfabric knows nothing of a fake tree: ask it only about the real node (as the plugin does).
  if (want.efa == 0) return;
  if (under_root(root, "") != "") {
    f->efa_note = "the devices are a fake tree (TRN_TRAIN_NODE_ROOT), so libfabric was not asked";
    return;
  }
  if (!on_path("fi_info")) {
    f->efa_note = "fi_info not on PATH (EFA installs it under /opt/amazon/efa/bin)";
    return;
  }
  f->efa_provider_checked = true;
  int status = 0;
  const std::string line = first_output_line("fi_info -p efa", &status);
  f->efa_provider = status == 0 && line.find("efa") != std::string::npos;
  if (!f->efa_provider) f->efa_note = line.empty() ? "no output" : line;
}

}  // namespace

void probe_cache(const CacheSettings& cache, NodeFacts* f) {
  f->cache_dir = cache.dir;
  f->cache_node_local_default = cache.node_local_default;
  const std::string& dir = cache.dir;
  // A cache that does not exist yet is made by the first compile: then its nearest
  // existing parent must take it, and that is where the free space is.
  const std::string existing = nearest_existing_path(dir);
  struct stat st {};
  if (::stat(existing.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    f->cache_error = existing + " (for " + dir + ") is not a reachable directory: mount the shared filesystem or "
                     "set cache_root";
    return;
  }
  if (existing == dir) {
    std::string why;
    const auto policy = cache::TrustPolicy::for_current_user(cache.group, &why);
    if (!why.empty() || !cache::is_trusted(dir, policy, &why)) {
      f->cache_error = why;
      return;
    }
  }
  // A real write, not access(): a read-only mount or a full quota answers only to one.
  const std::string probe = existing + "/.trn-train-preflight." + f->node + "." + std::to_string(getpid());
  std::string why;
  if (!write_new_file(probe, "preflight\n", 0600, &why)) {
    f->cache_error = "cannot write in " + existing + ": " + why;
    return;
  }
  ::unlink(probe.c_str());
  struct statvfs vfs {};
  if (::statvfs(existing.c_str(), &vfs) == 0) f->cache_free = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
}

namespace {

// Free means no listener: SO_REUSEADDR lets the probe bind next to sockets in
// TIME_WAIT and next to the same probe of another task on this host, but not next to
// a process listening on the port (a stale TCPStore, another job's rendezvous).
int bind_errno(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  const int err = rc == 0 ? 0 : errno;
  ::close(fd);
  return err;
}

}  // namespace

Expectation instance_expectation(const InstanceCatalog& catalog, const std::string& instance) {
  Expectation w;
  w.instance = instance;
  if (const InstanceType* t = catalog.find(instance)) {
    w.neuron = t->neuron_cores > 0;
    w.neuron_cores = t->neuron_cores;
    w.efa = t->efa;
    w.platform = t->platform;
    const std::string base = t->alias_of.empty() ? t->name : t->alias_of;
    for (const auto& [name, other] : catalog.types) {
      w.catalog_names.push_back(name);
      if (name == base || other.alias_of == base) w.names.push_back(name);
    }
  }
  return w;
}

void probe_hardware(const std::string& root, const Expectation& want, NodeFacts* f) {
  probe_devices(root, f);
  probe_efa(root, want, f);
  struct rlimit lim {};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0) f->nofile_soft = lim.rlim_cur, f->nofile_hard = lim.rlim_max;
}

NodeFacts probe_node(const Plan& p, const Expectation& want, const std::string& root, const EnvMap& env) {
  NodeFacts f;
  f.node = p.hosts.empty() ? "localhost" : p.hosts.at(static_cast<size_t>(p.node_rank));
  f.rank = p.node_rank;
  probe_hardware(root, want, &f);
  f.lnc_env = lookup(env, "NEURON_LOGICAL_NC_CONFIG").value_or("");
  if (on_path("neuronx-cc")) f.sdk_version = first_output_line("neuronx-cc --version");
  probe_cache(p.cache, &f);
  f.ports = {{"master", p.master_port, bind_errno(p.master_port)},
             {"root-comm", p.root_comm_port, bind_errno(p.root_comm_port)}};
  std::string range, reserved;
  if (read_file("/proc/sys/net/ipv4/ip_local_port_range", &range)) {
    read_file("/proc/sys/net/ipv4/ip_local_reserved_ports", &reserved);
    if (!parse_ephemeral_ports(range, reserved, &f.ephemeral)) f.ephemeral = EphemeralPorts{};
  }
  f.master_host = p.master_host;
  f.master_ipv4 = p.master_addr;
  return f;
}

}  // namespace trn
