#include "launcher/commands/status_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "common/fs.h"
#include "common/owned_fd.h"
#include "launcher/commands/commands.h"
#include "launcher/errors.h"
#include "launcher/heal/heal.h"
#include "launcher/heal/run_summary.h"

namespace trn {
namespace {

// Enough of a console log's end for its last progress line.
constexpr off_t kLogTail = 256 * 1024;

bool numeric(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

std::vector<int> numeric_entries(const std::string& dir) {
  std::vector<int> out;
  for (const auto& name : list_dir(dir))
    if (numeric(name) && name.size() < 10) out.push_back(std::atoi(name.c_str()));
  std::sort(out.begin(), out.end());
  return out;
}

// The end of a log, read without following a link (a log folder may be shared).
std::string log_tail(const std::string& path) {
  struct stat st {};
  std::string why;
  const OwnedFd fd(open_regular(AT_FDCWD, path, &st, &why));
  if (!fd) return "";
  const off_t from = std::max<off_t>(0, st.st_size - kLogTail);
  std::string text(static_cast<size_t>(st.st_size - from), '\0');
  const ssize_t n = ::pread(fd.get(), text.data(), text.size(), from);
  text.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return text;
}

std::vector<RunFacts> read_runs(const std::string& job_dir) {
  std::vector<RunFacts> runs;
  for (int restart : numeric_entries(job_dir)) {
    RunFacts r;
    r.restart = restart;
    const std::string run_dir = job_dir + "/" + std::to_string(restart);
    r.nodes = static_cast<int>(numeric_entries(run_dir).size());
    r.progress = last_progress(log_tail(run_dir + "/0/log"));
    r.decision = read_decision(job_dir, restart);
    runs.push_back(r);
  }
  return runs;
}

int status_command(std::string log_dir, std::string job, bool json) {
  if (log_dir.empty()) {
    const config::SiteConfig site = load_site(current_environment());
    log_dir = site.log_dir.empty() ? "logs" : site.log_dir;
  }
  if (job.empty()) {
    const char* env_job = std::getenv("SLURM_JOB_ID");
    const std::vector<int> jobs = numeric_entries(log_dir);
    if (env_job && *env_job) job = env_job;
    else if (!jobs.empty()) job = std::to_string(jobs.back());
    else
      throw InputError({{"--log-dir", log_dir, "holds no job folder (logs/<job>/); give the job id, or --log-dir "
                                               "where its runs wrote (launch.log_dir)"}});
  }
  if (!numeric(job)) throw InputError({{"JOB", job, "must be a Slurm job id (a number)"}});
  const std::vector<RunFacts> runs = read_runs(log_dir + "/" + job);
  if (runs.empty())
    throw InputError({{"JOB", job, "no runs in " + log_dir + "/" + job + "/; is --log-dir (launch.log_dir) right?"}});
  const std::string text = json ? summary_json(job, runs) : summary_table(job, runs);
  std::fputs(text.c_str(), stdout);
  return 0;
}

}  // namespace

void add_status_command(CLI::App& app, int* exit_code) {
  struct Options {
    std::string log_dir, job;
    bool json = false;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("status", "One job across its restarts: steps, loss, tokens/s, why each run ended, "
                                           "drained nodes (from launch.log_dir/<job>/)");
  cmd->add_option("JOB", opts->job, "Slurm job id (default: $SLURM_JOB_ID, else the newest job folder)");
  cmd->add_option("--log-dir", opts->log_dir, "The runs' log folder (default: the site file's log_dir, else ./logs)");
  cmd->add_flag("--json", opts->json, "Print it as JSON");
  cmd->callback([opts, exit_code] {
    try {
      *exit_code = status_command(opts->log_dir, opts->job, opts->json);
    } catch (const InputError& e) {
      *exit_code = report_problems("trn-train", e.problems());
    }
  });
}

}  // namespace trn
