#include "spank/plugin_args.h"

#include "common/platform.h"

namespace neuron {

namespace {
const char kKeys[] = "root, instance, cores_per_node, lnc, efa, cache_dir, root_comm_port_range";
const char kWhere[] = " (spank_neuron.so argument in plugstack.conf)";
}  // namespace

std::string shown_value(const std::string& value) { return value.empty() ? "(empty)" : value; }

bool parse_int(const std::string& text, int lo, int hi, int* out) {
  if (text.empty() || text.size() > 9) return false;
  long value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (value < lo || value > hi) return false;
  *out = static_cast<int>(value);
  return true;
}

bool parse_plugin_args(const std::vector<std::string>& args, PluginConfig* config, trn::Problem* problem) {
  PluginConfig c;
  for (const std::string& token : args) {
    size_t eq = token.find('=');
    if (eq == std::string::npos || eq == 0) {
      *problem = {token, "(absent)", std::string("expected key=value with a key of ") + kKeys + kWhere};
      return false;
    }
    const std::string key = token.substr(0, eq), value = token.substr(eq + 1);
    auto bad = [&](const std::string& fix) {
      *problem = {key, shown_value(value), fix + kWhere};
      return false;
    };
    if (key == "root") {
      if (value.empty() || value[0] != '/') return bad("must be an absolute directory");
      c.root = value;
    } else if (key == "instance") {
      if (trn::platform_of_name(value) == trn::Platform::kUnknown || value.rfind("trn", 0) != 0)
        return bad("must be trn1, trn1n, trn2, trn2u, trn3 or a type such as trn2.48xlarge");
      c.instance = value;
    } else if (key == "cores_per_node") {
      if (!parse_int(value, 1, 4096, &c.cores_per_node))
        return bad("must be a number of physical NeuronCores from 1 to 4096");
    } else if (key == "lnc") {
      if (value != "1" && value != "2") return bad("must be 1 or 2");
      c.lnc = value[0] - '0';
    } else if (key == "efa") {
      if (value == "auto") c.efa = EfaMode::kAuto;
      else if (value == "required") c.efa = EfaMode::kRequired;
      else if (value == "off") c.efa = EfaMode::kOff;
      else return bad("must be required, auto or off");
    } else if (key == "cache_dir") {
      if (value.empty()) return bad("must be a directory or URL");
      c.cache_dir = value;
    } else if (key == "root_comm_port_range") {
      std::string fix;  // parse_port_range's error is only the fix
      if (!trn::parse_port_range(value, &c.root_comm_ports, &fix)) return bad(fix);
    } else {
      return bad(std::string("unknown key; the keys are ") + kKeys);
    }
  }
  *config = c;
  return true;
}

std::string expand_node_pattern(const std::string& pattern, const std::string& node_name) {
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '%' && i + 1 < pattern.size() && (pattern[i + 1] == 'n' || pattern[i + 1] == '%')) {
      out += pattern[i + 1] == 'n' ? node_name : std::string("%");
      ++i;
    } else {
      out += pattern[i];
    }
  }
  return out;
}

}  // namespace neuron
