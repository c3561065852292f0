#include "spank/device_discovery.h"

#include <dirent.h>

#include <cstdio>
#include <cstring>

namespace neuron {

namespace {

bool read_line(const std::string& path, std::string* out) {
  FILE* f = std::fopen(path.c_str(), "re");
  if (!f) return false;
  char buf[256];
  bool ok = std::fgets(buf, sizeof buf, f) != nullptr;
  std::fclose(f);
  if (!ok) return false;
  std::string s(buf);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  *out = s;
  return true;
}

// Indices N of entries named "<prefix>N" in dir; -1 when the folder is absent.
int count_numbered(const std::string& dir, const char* prefix, std::string* first_name) {
  DIR* d = opendir(dir.c_str());
  if (!d) return -1;
  int n = 0;
  size_t plen = std::strlen(prefix);
  while (struct dirent* e = readdir(d)) {
    const char* name = e->d_name;
    if (std::strncmp(name, prefix, plen) != 0 || name[plen] == '\0') continue;
    bool digits = true;
    for (const char* p = name + plen; *p; ++p) digits = digits && *p >= '0' && *p <= '9';
    if (!digits) continue;
    if (first_name && (first_name->empty() || std::strcmp(name, first_name->c_str()) < 0)) *first_name = name;
    ++n;
  }
  closedir(d);
  return n;
}

// "trn2.48xlarge" / "trn2" / "Trainium2" -> "trn2"; "" when not a Trainium name.
std::string family_of(const std::string& name) {
  if (name.rfind("trn2", 0) == 0 || name == "Trainium2") return "trn2";
  if (name.rfind("trn1", 0) == 0 || name == "Trainium1" || name == "Trainium") return "trn1";
  return "";
}

int catalog_cores_per_device(const std::string& family) {
  if (family == "trn2") return 8;
  if (family == "trn1") return 2;
  return 0;
}

}  // namespace

std::string under_root(const std::string& root, const std::string& path) {
  std::string r = root;
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  if (r == "/") return path;
  return r + path;
}

void discover_neuron(const std::string& root, const PluginConfig& config, NodeInventory* inv) {
  NodeInventory out;
  // Device list: class dir, then the driver's virtual dir, then /dev/neuronN.
  std::string sysdir = under_root(root, "/sys/class/neuron_device"), first;
  int n = count_numbered(sysdir, "neuron", &first);
  if (n <= 0) {
    sysdir = under_root(root, "/sys/devices/virtual/neuron_device");
    first.clear();
    n = count_numbered(sysdir, "neuron", &first);
  }
  bool have_sysfs = n > 0;
  if (!have_sysfs) n = count_numbered(under_root(root, "/dev"), "neuron", nullptr);
  out.devices = n > 0 ? n : 0;

  // Instance type / family: plugstack override, DMI product name, device info.
  std::string text;
  if (!config.instance.empty()) {
    out.instance_type = config.instance.find('.') != std::string::npos ? config.instance : "";
    out.family = family_of(config.instance);
  } else {
    if (read_line(under_root(root, "/sys/class/dmi/id/product_name"), &text) && !family_of(text).empty()) {
      out.instance_type = text;
      out.family = family_of(text);
    }
    if (out.family.empty() && have_sysfs) {
      std::string arch = sysdir + "/" + first + "/info/architecture/";
      if (read_line(arch + "instance_type", &text) && !family_of(text).empty()) {
        out.instance_type = text;
        out.family = family_of(text);
      } else if (read_line(arch + "device_name", &text)) {
        out.family = family_of(text);
      }
    }
  }

  // Cores: plugstack override, sum of core_count, catalog cores per device.
  if (config.cores_per_node > 0) {
    out.physical_cores = config.cores_per_node;
    out.cores_source = "plugstack";
  } else if (out.devices > 0) {
    int sum = 0;
    bool all_read = have_sysfs;
    if (have_sysfs) {
      DIR* d = opendir(sysdir.c_str());
      while (d && all_read) {
        struct dirent* e = readdir(d);
        if (!e) break;
        std::string name = e->d_name;
        if (name.rfind("neuron", 0) != 0 || name.size() == 6 || name.find_first_not_of("0123456789", 6) != std::string::npos)
          continue;
        int c = 0;
        if (read_line(sysdir + "/" + name + "/core_count", &text) && parse_int(text, 1, 64, &c)) sum += c;
        else all_read = false;  // newer driver layout: fall back to the catalog
      }
      if (d) closedir(d);
    }
    if (all_read && sum > 0) {
      out.physical_cores = sum;
      out.cores_source = "sysfs";
    } else {
      out.physical_cores = out.devices * catalog_cores_per_device(out.family);
      out.cores_source = "catalog";
    }
  }
  *inv = out;
}

}  // namespace neuron
