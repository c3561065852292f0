// libFuzzer: the SPANK plugin's plugstack arguments (whitespace-separated tokens)
// and its --neuron-* option values. They run inside slurmstepd: they must refuse
// anything malformed with a Problem and never crash.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "spank/options.h"
#include "spank/plugin_args.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> tokens;
  std::istringstream words(text);
  for (std::string w; words >> w;) tokens.push_back(w);
  neuron::PluginConfig config;
  trn::Problem problem;
  if (!neuron::parse_plugin_args(tokens, &config, &problem) && problem.fix.empty()) __builtin_trap();
  neuron::UserOptions opts;
  for (auto* parse : {neuron::parse_cores_option, neuron::parse_lnc_option, neuron::parse_cache_option,
                      neuron::parse_env_option}) {
    parse(text.c_str(), &opts, &problem);
    parse(nullptr, &opts, &problem);
  }
  (void)neuron::expand_node_pattern(text, "trn1-st-trn1-1");
  return 0;
}
