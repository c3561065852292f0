#include "launcher/preflight/preflight_checks.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "common/size_text.h"
#include "launcher/commands/file_limit.h"

namespace trn {

const char* to_string(CheckStatus s) {
  switch (s) {
    case CheckStatus::kOk: return "ok";
    case CheckStatus::kWarn: return "warn";
    case CheckStatus::kFail: return "FAIL";
    case CheckStatus::kNa: return "n/a";
  }
  return "?";
}

bool parse_check_status(const std::string& text, CheckStatus* out) {
  for (CheckStatus s : {CheckStatus::kOk, CheckStatus::kWarn, CheckStatus::kFail, CheckStatus::kNa}) {
    if (text == to_string(s)) {
      *out = s;
      return true;
    }
  }
  return false;
}

const char* to_string(Check c) {
  static const char* const names[] = {"plan", "devices", "driver", "instance", "efa",
                                      "sdk",  "cache",   "ports",  "files",    "master"};
  static_assert(sizeof names / sizeof names[0] == kCheckCount, "one name per column");
  return c == Check::kCount ? "?" : names[static_cast<size_t>(c)];
}

bool NodeRow::bad() const {
  for (const auto& c : cells)
    if (c.status == CheckStatus::kFail) return true;
  return false;
}

namespace {

CheckCell ok(std::string value) { return {CheckStatus::kOk, std::move(value), ""}; }
CheckCell warn(std::string value, std::string detail) { return {CheckStatus::kWarn, std::move(value), std::move(detail)}; }
CheckCell fail(std::string value, std::string detail) { return {CheckStatus::kFail, std::move(value), std::move(detail)}; }
CheckCell na(std::string value = "-") { return {CheckStatus::kNa, std::move(value), ""}; }

CheckCell devices(const NodeFacts& f, const Expectation& w) {
  if (!w.neuron) return na();
  const int count = f.sysfs_devices > 0 ? f.sysfs_devices : f.dev_nodes;
  const std::string n = std::to_string(count);
  if (count == 0) {
    return fail("0", "no Neuron devices (/dev/neuron*, /sys/class/neuron_device): load the driver (modprobe neuron) "
                     "or drain the node");
  }
  if (f.sysfs_devices > 0 && f.dev_nodes != f.sysfs_devices) {
    return fail(n, "sysfs lists " + n + " Neuron devices but /dev has " + std::to_string(f.dev_nodes) +
                       ": reload the driver or drain the node");
  }
  if (f.sysfs_cores < 0) return warn(n, n + " devices; their core_count is not in sysfs (driver >= 2.31 layout)");
  if (f.sysfs_cores != w.neuron_cores) {
    return fail(n, n + " devices with " + std::to_string(f.sysfs_cores) + " NeuronCores, " + w.instance + " has " +
                       std::to_string(w.neuron_cores) + ": a device is missing or failed; drain the node");
  }
  return ok(n);
}

CheckCell driver(const NodeFacts& f, const Expectation& w) {
  if (!w.neuron) return na();
  if (f.driver_version.empty()) {
    return warn("?", "the Neuron driver's version is unknown (/sys/module/neuron/version): is aws-neuronx-dkms installed?");
  }
  return ok(f.driver_version);
}

CheckCell instance(const NodeFacts& f, const Expectation& w) {
  const std::string value = w.instance + (w.neuron ? "/lnc" + std::to_string(w.lnc) : "");
  if (!w.neuron) return na(w.instance);
  const std::string fix = ": plan for the right type (--instance, launch.instance) or submit to the right partition";
  auto listed = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  const bool same_name = f.node_instance == w.instance || listed(w.names, f.node_instance);
  if (!f.node_instance.empty() && !same_name && listed(w.catalog_names, f.node_instance))
    return fail(f.node_instance, "the node is " + f.node_instance + ", the plan is for " + w.instance + fix);
  // No name, or an EC2 name the catalog lacks (a Trn3 server): the devices' chip decides,
  // and the devices check compares the cores.
  if (!same_name) {
    const std::string chip = to_string(f.node_platform);
    if (f.node_platform == Platform::kUnknown)
      return fail("?", "the node does not say it is " + w.instance + " (DMI product_name, Neuron device info)" + fix);
    if (f.node_platform != w.platform)
      return fail(chip, "the node's devices are " + chip + ", the plan is for " + w.instance + fix);
  }
  if (!f.lnc_env.empty() && f.lnc_env != std::to_string(w.lnc)) {
    return fail(value, "NEURON_LOGICAL_NC_CONFIG=" + f.lnc_env + " here but the plan uses LNC " + std::to_string(w.lnc) +
                           ": set trainer.lnc or srun --neuron-lnc to agree");
  }
  return ok(value);
}

CheckCell efa(const NodeFacts& f, const Expectation& w) {
  if (w.efa == 0) return na("0");
  const std::string n = std::to_string(f.efa_sysfs);
  if (f.efa_sysfs < w.efa) {
    return fail(n, n + " of the " + std::to_string(w.efa) + " EFA devices of " + w.instance +
                       " (/sys/class/infiniband, driver efa): check the EFA driver or drain the node");
  }
  if (!f.efa_provider_checked) return warn(n, "libfabric's efa provider not checked: " + f.efa_note);
  if (!f.efa_provider) {
    return fail(n, "libfabric has no efa provider (fi_info -p efa: " + f.efa_note +
                       "): install the EFA software (/opt/amazon/efa) and put its fi_info first on PATH");
  }
  return ok(n);
}

CheckCell sdk(const NodeFacts& f, const Expectation& w) {
  if (f.sdk_version.empty()) {
    if (!w.needs_neuron_sdk) return na();
    return fail("-", "neuronx-cc not found on PATH: activate the Neuron SDK's virtual environment in the job");
  }
  // "NeuronX Compiler version 2.15.128.0+56dc5a86" -> the version, the last word
  const auto space = f.sdk_version.find_last_of(" \t");
  return ok(space == std::string::npos ? f.sdk_version : f.sdk_version.substr(space + 1));
}

CheckCell cache(const NodeFacts& f, const Expectation& w) {
  if (!f.cache_error.empty()) return fail("-", f.cache_error);
  const std::string free = format_size(f.cache_free);
  if (f.cache_free < w.min_cache_free) {
    return fail(free, "only " + free + " free under " + f.cache_dir +
                          ": free space (trn-train cache clean --max-size ...) or move cache_root");
  }
  if (f.cache_free < w.warn_cache_free) return warn(free, "only " + free + " free under " + f.cache_dir);
  if (f.cache_node_local_default && w.multi_node) {
    return warn(free, f.cache_dir + " is the node-local default: every node compiles alone; set cache_root in the "
                      "site file to a shared filesystem");
  }
  return ok(free);
}

CheckCell ports(const NodeFacts& f) {
  std::string value, detail;
  CheckStatus status = CheckStatus::kOk;
  for (const auto& p : f.ports) {
    const std::string port = std::to_string(p.port);
    value += (value.empty() ? "" : ",") + port;
    std::string why;
    if (p.bind_errno != 0) {
      status = CheckStatus::kFail;
      why = p.what + " port " + port + " is taken on this node (" + std::strerror(p.bind_errno) +
            "): find the listener with `ss -ltnp sport = :" + port + "`";
    } else if (p.port > 0 && p.port <= 65535 &&
               unreserved_ephemeral_overlap({static_cast<uint16_t>(p.port), static_cast<uint16_t>(p.port)},
                                            f.ephemeral) > 0) {
      if (status == CheckStatus::kOk) status = CheckStatus::kWarn;
      why = p.what + " port " + port + " lies in the ephemeral range " + std::to_string(f.ephemeral.range.lo) + "-" +
            std::to_string(f.ephemeral.range.hi) + ": add it to net.ipv4.ip_local_reserved_ports";
    }
    if (!why.empty()) detail += (detail.empty() ? "" : "; ") + why;
  }
  if (f.ports.empty()) return na();
  return {status, value, detail};
}

CheckCell files(const NodeFacts& f) {
  const FileLimitChange c = plan_file_limit(f.nofile_soft, f.nofile_hard);
  const std::string value = f.nofile_hard == RLIM_INFINITY ? "unlimited" : std::to_string(f.nofile_hard);
  return c.warning.empty() ? ok(value) : warn(value, c.warning);
}

CheckCell master(const NodeFacts& f) {
  if (f.master_host.empty()) return na();
  if (f.master_ipv4.empty()) return fail("-", f.master_host + " does not resolve to an IPv4 address here");
  return ok(f.master_ipv4);
}

}  // namespace

NodeRow check_node(const NodeFacts& f, const Expectation& w) {
  NodeRow row;
  row.node = f.node;
  row.rank = f.rank;
  for (auto& c : row.cells) c = na();
  if (!f.plan_error.empty()) {
    row.at(Check::kPlan) = fail("-", f.plan_error);
    return row;
  }
  row.at(Check::kPlan) = ok("");
  row.at(Check::kDevices) = devices(f, w);
  row.at(Check::kDriver) = driver(f, w);
  row.at(Check::kInstance) = instance(f, w);
  row.at(Check::kEfa) = efa(f, w);
  row.at(Check::kSdk) = sdk(f, w);
  row.at(Check::kCache) = cache(f, w);
  row.at(Check::kPorts) = ports(f);
  row.at(Check::kFiles) = files(f);
  row.at(Check::kMaster) = master(f);
  return row;
}

NodeRow missing_row(const std::string& node, int rank, const std::string& why) {
  NodeRow row;
  row.node = node;
  row.rank = rank;
  for (auto& c : row.cells) c = na();
  row.at(Check::kPlan) = fail("-", why);
  return row;
}

void compare_rows(std::vector<NodeRow>* rows) {
  const std::map<Check, std::string> what{{Check::kDriver, "Neuron driver"},
                                          {Check::kSdk, "Neuron compiler (neuronx-cc)"},
                                          {Check::kMaster, "master address"}};
  for (const auto& [check, name] : what) {
    // votes per value; the first row (lowest rank) showing a value breaks ties
    std::map<std::string, std::pair<int, int>> votes;  // value -> (count, -first rank)
    for (const auto& r : *rows) {
      const CheckCell& c = r.at(check);
      if (c.status == CheckStatus::kFail || c.status == CheckStatus::kNa || c.value == "?") continue;
      auto [it, added] = votes.try_emplace(c.value, 0, -r.rank);
      ++it->second.first;
      if (!added && -r.rank > it->second.second) it->second.second = -r.rank;
    }
    if (votes.size() < 2) continue;
    auto best = votes.begin();
    for (auto it = votes.begin(); it != votes.end(); ++it)
      if (it->second > best->second) best = it;
    const std::string others = std::to_string(best->second.first);
    for (auto& r : *rows) {
      CheckCell& c = r.at(check);
      if (c.status == CheckStatus::kFail || c.status == CheckStatus::kNa || c.value == "?" || c.value == best->first)
        continue;
      c.status = CheckStatus::kFail;
      c.detail = name + " " + c.value + " here, " + best->first + " on " + others +
                 " other node(s): every node must run the same";
    }
  }
}

}  // namespace trn
