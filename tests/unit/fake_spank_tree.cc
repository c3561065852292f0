#include "tests/unit/fake_spank_tree.h"

#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "common/platform.h"

namespace spank_test {

namespace {
void mkdirs(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i)
    if (i == path.size() || path[i] == '/') mkdir(path.substr(0, i).c_str(), 0755);
}
int rm_one(const char* path, const struct stat*, int, struct FTW*) { return ::remove(path); }
}  // namespace

std::string make_temp_dir() {
  char tmpl[] = "/tmp/spank-test-XXXXXX";
  char* d = mkdtemp(tmpl);
  return d ? d : "";
}

void remove_tree(const std::string& dir) { nftw(dir.c_str(), rm_one, 16, FTW_DEPTH | FTW_PHYS); }

void write_file(const std::string& path, const std::string& text) {
  mkdirs(path.substr(0, path.rfind('/')));
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return;
  std::fputs(text.c_str(), f);
  std::fclose(f);
}

void make_node(const std::string& root, const std::string& type, int devices, int cores, int efa, bool sysfs) {
  write_file(root + "/sys/class/dmi/id/product_name", type + "\n");
  for (int i = 0; i < devices; ++i) {
    std::string n = std::to_string(i);
    write_file(root + "/dev/neuron" + n, "");
    if (!sysfs) continue;
    std::string d = root + "/sys/devices/virtual/neuron_device/neuron" + n;
    write_file(d + "/core_count", std::to_string(cores) + "\n");
    write_file(d + "/info/architecture/device_name",
               std::string(trn::chip_facts(trn::platform_of_name(type)).device_name) + "\n");
    mkdirs(root + "/sys/class/neuron_device");
    symlink(("../../devices/virtual/neuron_device/neuron" + n).c_str(),
            (root + "/sys/class/neuron_device/neuron" + n).c_str());
  }
  for (int i = 0; i < efa; ++i) {
    std::string ib = root + "/sys/class/infiniband/rdmap" + std::to_string(16 + i) + "s27/device";
    mkdirs(ib);
    mkdirs(root + "/sys/bus/pci/drivers/efa");
    symlink("../../../../bus/pci/drivers/efa", (ib + "/driver").c_str());
  }
}

}  // namespace spank_test
