#include "trainer/checkpoint/experiment_dir.h"

#include <cstdio>

#include "common/fs.h"

namespace trn::native {

ExperimentDir resolve_experiment_dir(const config::TrainingConfig& t, const std::string& env_version,
                                     const std::string& now) {
  ExperimentDir e;
  std::string version = !t.exp_version.empty() ? t.exp_version : env_version;
  if (!t.explicit_log_dir.empty()) {
    e.log_dir = t.explicit_log_dir;
  } else {
    if (version.empty() && !t.resume_if_exists) version = now;
    e.log_dir = (t.exp_dir.empty() ? "nemo_experiments" : t.exp_dir) + "/" +
                (t.exp_name.empty() ? "default" : t.exp_name) + (version.empty() ? "" : "/" + version);
  }
  e.checkpoint_dir = e.log_dir + "/checkpoints";
  e.version = version.empty() ? "0" : version;
  return e;
}

std::string record_experiment(const ExperimentDir& e, const std::string& effective_config,
                              const std::vector<std::string>& argv) {
  std::string error;
  if (!write_file_atomic(e.log_dir + "/hparams.yaml", effective_config, 0644, &error)) return error;
  std::string line;
  for (const std::string& a : argv) line += (line.empty() ? "" : " ") + a;
  std::FILE* f = std::fopen((e.log_dir + "/cmd-args.log").c_str(), "a");
  if (!f) return "cannot append to " + e.log_dir + "/cmd-args.log";
  std::fprintf(f, "%s\n", line.c_str());
  std::fclose(f);
  return "";
}

}  // namespace trn::native
