#include "launcher/health/health_probe.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "common/node_sysfs.h"
#include "common/program_output.h"

namespace trn {
namespace {

constexpr const char* kRuntimePackage = "aws-neuronx-runtime-lib";

// A counter's count: `total` inside its folder, or the file itself; false when neither
// holds a number (a counter this driver does not have).
bool read_counter(const std::string& path, uint64_t* value) {
  std::string text = sysfs_line(path + "/total");
  if (text.empty()) text = sysfs_line(path);
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

bool numbered(const std::string& name, const std::string& prefix) {
  return name.size() > prefix.size() && name.rfind(prefix, 0) == 0 &&
         name.find_first_not_of("0123456789", prefix.size()) == std::string::npos;
}

void read_device_counters(const std::string& dir, const std::string& device, ErrorCounters* out) {
  uint64_t v = 0;
  for (const char* name : {"mem_ecc_uncorrected", "sram_ecc_uncorrected"}) {
    const std::string rel = device + "/stats/hardware/" + name;
    if (read_counter(dir + "/" + rel, &v)) (*out)[rel] = v;
  }
  for (const auto& core : list_dir(dir + "/" + device)) {
    if (!numbered(core, "neuron_core")) continue;
    for (const char* folder : {"/stats/status/hw_error", "/status/hw_error"}) {
      const std::string rel = device + "/" + core + folder;
      if (read_counter(dir + "/" + rel, &v)) {
        (*out)[rel] = v;
        break;
      }
    }
  }
}

// The Version of `package` in a dpkg status file when it is installed; "" otherwise.
std::string dpkg_version(const std::string& status, const std::string& package) {
  size_t start = 0;
  while (start < status.size()) {
    size_t end = status.find("\n\n", start);
    if (end == std::string::npos) end = status.size();
    const std::string para = "\n" + status.substr(start, end - start) + "\n";
    start = end + 2;
    if (para.find("\nPackage: " + package + "\n") == std::string::npos) continue;
    if (para.find("\nStatus: install ok installed\n") == std::string::npos) return "";
    const auto v = para.find("\nVersion: ");
    return v == std::string::npos ? "" : para.substr(v + 10, para.find('\n', v + 10) - v - 10);
  }
  return "";
}

// The state folder must be ours and closed to others: anyone who could write there could
// replace the baseline and hide a rising count.
bool trusted_dir(const std::string& dir, std::string* error) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) return errno == ENOENT;
  if (S_ISDIR(st.st_mode) && st.st_uid == ::geteuid() && (st.st_mode & 022) == 0) return true;
  *error = dir + " is not a folder owned by uid " + std::to_string(::geteuid()) +
           " and closed to others: fix its owner and mode (0755) or name another with --state-dir";
  return false;
}

std::string folder_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

ErrorCounters read_error_counters(const std::string& root) {
  ErrorCounters out;
  const NeuronDevices devices = read_neuron_devices(root);
  if (devices.dir.empty()) return out;
  for (const auto& name : list_dir(devices.dir))
    if (numbered(name, "neuron")) read_device_counters(devices.dir, name, &out);
  return out;
}

std::string read_runtime_version(const std::string& root) {
  std::string status;
  if (read_file(under_root(root, "/var/lib/dpkg/status"), &status)) return dpkg_version(status, kRuntimePackage);
  if (under_root(root, "") != "") return "";
  // merged: "not installed" and a missing rpm (Debian) are answers here, not messages
  const ProgramOutput rpm = run_program({"rpm", "-q", "--qf", "%{VERSION}-%{RELEASE}", kRuntimePackage}, true);
  return rpm.ok() ? rpm.out : "";
}

std::string health_state_path(const std::string& state_dir, const std::string& node) {
  return state_dir + "/health." + node + ".json";
}

bool load_health_state(const std::string& path, ErrorCounters* counters, std::string* error) {
  std::string text;
  struct stat st {};
  if (!trusted_dir(folder_of(path), error)) return false;
  if (::lstat(path.c_str(), &st) != 0 && errno == ENOENT) return false;
  if (!read_regular_file(path, 1 << 20, &text, error, &st)) return false;
  if (st.st_uid != ::geteuid() || (st.st_mode & 022) != 0) {
    *error = path + " is not owned by uid " + std::to_string(::geteuid()) +
             " or is writable by others: remove it (the next run starts a new baseline)";
    return false;
  }
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("counters") || !j["counters"].is_object()) {
    *error = path + ": not a health state file: remove it (the next run starts a new baseline)";
    return false;
  }
  for (const auto& [name, value] : j["counters"].items())
    if (value.is_number_unsigned()) (*counters)[name] = value.get<uint64_t>();
  return true;
}

bool save_health_state(const std::string& path, const std::string& node, const ErrorCounters& counters,
                       std::string* error) {
  nlohmann::ordered_json j;
  j["node"] = node;
  j["counters"] = counters;
  if (!make_dirs(folder_of(path), 0755, error) || !trusted_dir(folder_of(path), error)) return false;
  return write_file_atomic(path, j.dump(1) + "\n", 0644, error);
}

}  // namespace trn
