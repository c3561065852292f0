#include "spank/options.h"

#include "spank/plugin_args.h"

namespace neuron {

namespace {
std::string str(const char* value) { return value ? value : ""; }
bool bad(trn::Problem* problem, const char* option, const std::string& value, const char* fix) {
  *problem = {std::string("--neuron-") + option, shown_value(value), fix};
  return false;
}
}  // namespace

bool parse_cores_option(const char* value, UserOptions* opts, trn::Problem* problem) {
  std::string v = str(value);
  if (v == "all") {
    opts->cores = UserOptions::Cores::kAll;
    opts->cores_per_task = 0;
    return true;
  }
  int n = 0;
  if (!parse_int(v, 1, 4096, &n))
    return bad(problem, "cores", v, "expected a number of NeuronCores per task (1, 2, 4, ...) or 'all'");
  opts->cores = UserOptions::Cores::kPerTask;
  opts->cores_per_task = n;
  return true;
}

bool parse_lnc_option(const char* value, UserOptions* opts, trn::Problem* problem) {
  std::string v = str(value);
  if (v != "1" && v != "2") return bad(problem, "lnc", v, "expected 1 or 2 (logical NeuronCore size, trn2 and trn3 only)");
  opts->lnc = v[0] - '0';
  return true;
}

bool parse_cache_option(const char* value, UserOptions* opts, trn::Problem* problem) {
  std::string v = str(value);
  if (v.empty())
    return bad(problem, "cache", v, "expected a directory or URL (e.g. /fsx/neuron-cache or s3://bucket/prefix)");
  opts->cache_url = v;
  return true;
}

bool parse_env_option(const char* value, UserOptions* opts, trn::Problem* problem) {
  std::string v = str(value);
  if (v == "on") opts->env = true;
  else if (v == "off") opts->env = false;
  else return bad(problem, "env", v, "expected on or off");
  return true;
}

}  // namespace neuron
