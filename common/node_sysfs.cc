#include "common/node_sysfs.h"

#include <dirent.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace trn {
namespace {

// Calls f(name, n) for each entry "<prefix>N" of dir (N decimal, at most 6 digits);
// false when dir cannot be opened.
template <typename F>
bool for_each_numbered(const std::string& dir, const char* prefix, F f) {
  DIR* d = opendir(dir.c_str());
  if (!d) return false;
  const size_t plen = std::strlen(prefix);
  while (struct dirent* e = readdir(d)) {
    const char* digits = e->d_name + plen;
    if (std::strncmp(e->d_name, prefix, plen) != 0 || *digits == '\0' ||
        std::strspn(digits, "0123456789") != std::strlen(digits) || std::strlen(digits) > 6)
      continue;
    f(std::string(e->d_name), std::strtol(digits, nullptr, 10));
  }
  closedir(d);
  return true;
}

}  // namespace

std::string under_root(const std::string& root, const std::string& path) {
  std::string r = root;
  while (!r.empty() && r.back() == '/') r.pop_back();
  return r + path;
}

std::string sysfs_line(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "re");
  if (!f) return "";
  char buf[256];
  const bool ok = std::fgets(buf, sizeof buf, f) != nullptr;
  std::fclose(f);
  std::string s = ok ? buf : "";
  while (!s.empty() && std::strchr("\n\r \t", s.back())) s.pop_back();
  return s;
}

NeuronDevices read_neuron_devices(const std::string& root) {
  NeuronDevices out;
  for (const char* dir : {"/sys/class/neuron_device", "/sys/devices/virtual/neuron_device"}) {
    const std::string base = under_root(root, dir);
    long lowest = -1;
    int cores = 0, devices = 0;
    for_each_numbered(base, "neuron", [&](const std::string& name, long n) {
      ++devices;
      if (lowest < 0 || n < lowest) lowest = n, out.first = name;
      const std::string text = sysfs_line(base + "/" + name + "/core_count");
      char* end = nullptr;
      const long c = std::strtol(text.c_str(), &end, 10);
      cores = cores >= 0 && !text.empty() && *end == '\0' && c >= 1 && c <= 64 ? cores + static_cast<int>(c) : -1;
    });
    if (devices == 0) continue;
    out.dir = base, out.devices = devices, out.cores = cores;
    break;
  }
  for_each_numbered(under_root(root, "/dev"), "neuron", [&](const std::string&, long) { ++out.dev_nodes; });
  return out;
}

int count_efa_devices(const std::string& root) {
  const std::string dir = under_root(root, "/sys/class/infiniband");
  DIR* d = opendir(dir.c_str());
  if (!d) return 0;
  int n = 0;
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    char target[PATH_MAX];
    const std::string link = dir + "/" + e->d_name + "/device/driver";
    const ssize_t len = readlink(link.c_str(), target, sizeof target - 1);
    if (len <= 0) continue;
    target[len] = '\0';
    const char* base = std::strrchr(target, '/');
    if (std::strcmp(base ? base + 1 : target, "efa") == 0) ++n;
  }
  closedir(d);
  return n;
}

}  // namespace trn
