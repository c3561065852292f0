#include "common/node_instance.h"

#include <dirent.h>

#include <cstdio>
#include <cstring>

namespace trn {
namespace {

// First line of a small sysfs file, trailing whitespace removed; "" when unreadable.
std::string first_line(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "re");
  if (!f) return "";
  char buf[256];
  const bool ok = std::fgets(buf, sizeof buf, f) != nullptr;
  std::fclose(f);
  std::string s = ok ? buf : "";
  while (!s.empty() && std::strchr("\n\r \t", s.back())) s.pop_back();
  return s;
}

// The lowest-numbered "neuronN" entry of dir, or "" when there is none.
std::string first_device(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (!d) return "";
  std::string best;
  long best_n = -1;
  while (struct dirent* e = readdir(d)) {
    const char* digits = e->d_name + 6;
    if (std::strncmp(e->d_name, "neuron", 6) != 0 || *digits == '\0' ||
        std::strspn(digits, "0123456789") != std::strlen(digits) || std::strlen(digits) > 6)
      continue;
    const long n = std::strtol(digits, nullptr, 10);
    if (best_n < 0 || n < best_n) best_n = n, best = e->d_name;
  }
  closedir(d);
  return best;
}

std::string join(const std::string& root, const char* path) {
  std::string r = root;
  while (!r.empty() && r.back() == '/') r.pop_back();
  return r + path;
}

}  // namespace

std::string trainium_family(const std::string& name) {
  if (name.rfind("trn2", 0) == 0 || name == "Trainium2") return "trn2";
  if (name.rfind("trn1", 0) == 0 || name == "Trainium1" || name == "Trainium") return "trn1";
  return "";
}

NodeInstanceFacts read_node_instance(const std::string& root) {
  NodeInstanceFacts out;
  const std::string dmi = join(root, "/sys/class/dmi/id/product_name");
  if (std::string name = first_line(dmi); !trainium_family(name).empty()) {
    out = {name, trainium_family(name), dmi};
    return out;
  }
  for (const char* dir : {"/sys/class/neuron_device", "/sys/devices/virtual/neuron_device"}) {
    const std::string base = join(root, dir), dev = first_device(base);
    if (dev.empty()) continue;
    const std::string arch = base + "/" + dev + "/info/architecture/";
    if (std::string name = first_line(arch + "instance_type"); !trainium_family(name).empty()) {
      return {name, trainium_family(name), arch + "instance_type"};
    }
    if (std::string chip = first_line(arch + "device_name"); !trainium_family(chip).empty()) {
      return {"", trainium_family(chip), arch + "device_name"};
    }
  }
  return out;
}

}  // namespace trn
