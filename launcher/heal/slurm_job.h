// What Slurm says about a job, as far as healing it needs (`scontrol show job -o`):
// whether it may be requeued at all (a batch job submitted requeueable), how often it
// was, and which nodes it already excludes.
#pragma once

#include <string>

namespace trn {

struct SlurmJob {
  bool found = false;
  bool batch = false;      // BatchFlag=1: only a batch job can be requeued
  bool requeue = false;    // Requeue=1: --requeue, or the cluster's JobRequeue=1 default
  int restarts = 0;        // Restarts=
  std::string state;       // JobState=
  std::string exc_nodes;   // ExcNodeList= ("" for "(null)")
};

// Pure: reads the one-line form of `scontrol show job -o ID`.
SlurmJob parse_slurm_job(const std::string& text);

// Asks scontrol; found = false (and *why says so) when it cannot tell.
SlurmJob show_slurm_job(const std::string& job_id, std::string* why);

}  // namespace trn
