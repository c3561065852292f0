#include "launcher/heal/slurm_job.h"

#include <cstdlib>
#include <sstream>

#include "common/program_output.h"

namespace trn {

SlurmJob parse_slurm_job(const std::string& text) {
  SlurmJob job;
  std::istringstream words(text);
  std::string word;
  while (words >> word) {
    const auto eq = word.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = word.substr(0, eq), value = word.substr(eq + 1);
    if (key == "JobId") job.found = true;
    else if (key == "BatchFlag") job.batch = value == "1";
    else if (key == "Requeue") job.requeue = value == "1";
    else if (key == "Restarts") job.restarts = std::atoi(value.c_str());
    else if (key == "JobState") job.state = value;
    else if (key == "ExcNodeList") job.exc_nodes = value == "(null)" ? "" : value;
  }
  return job;
}

SlurmJob show_slurm_job(const std::string& job_id, std::string* why) {
  const ProgramOutput r = run_program({"scontrol", "show", "job", "-o", job_id}, true);
  if (!r.ok()) {
    *why = "scontrol show job " + job_id + " failed: " + (r.started ? r.out : r.why);
    return {};
  }
  SlurmJob job = parse_slurm_job(r.out);
  if (!job.found) *why = "scontrol show job " + job_id + " printed no job";
  return job;
}

}  // namespace trn
