// `trn-train submit`: a compile job (COMPILE=1), then the train job that starts only
// if it succeeded (afterok + --kill-on-invalid-dep=yes), both exclusive, sized from
// the validated Plan and the instance catalog; torchneuron has no compile job, its
// train job is submitted alone. The train job is requeueable; the native one is warned
// by SIGTERM before its time limit; each job's first step is `trn-train preflight`
// (launch.preflight). --dry-run prints the exact lines.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/child_exec.h"
#include "launcher/commands/submit_command.h"
#include "launcher/errors.h"
#include "launcher/plan/instance_catalog.h"

namespace trn {
namespace {

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%") ==
                        std::string::npos) {
    return s;
  }
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string join_quoted(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + shell_quote(a);
  return s;
}

// Runs sbatch --parsable and returns the job id, or "" after printing why it failed
// (sbatch's own message is on stderr above ours).
std::string run_sbatch(const std::vector<std::string>& argv) {
  int fds[2];
  if (pipe(fds) != 0) {
    std::fprintf(stderr, "trn-train: error: sbatch = %s: cannot start it (%s)\n", argv[0].c_str(), std::strerror(errno));
    return "";
  }
  const ChildExec exec(argv, "trn-train: error: sbatch = " + argv[0] + ": cannot run it (",
                       "); is Slurm installed and on PATH?");
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    exec.exec_or_exit();
  }
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    std::fprintf(stderr, "trn-train: error: sbatch = %s: cannot start it (fork: %s)\n", argv[0].c_str(),
                 std::strerror(errno));
    return "";
  }
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "trn-train: error: sbatch = %s: failed (see its message above); nothing more was submitted\n",
                 join_quoted(argv).c_str());
    return "";
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out.substr(0, out.find(';'));  // "id;cluster"
}

// Whether a backend has a compile job to chain before training: native and nxdt compile
// ahead of time (COMPILE=1); TorchNeuron compiles on first use and planning refuses
// COMPILE=1 for it, so a chained compile job would fail and --kill-on-invalid-dep
// would kill the train job with it.
bool has_compile_job(Backend b) { return b != Backend::kTorchNeuron; }

}  // namespace

SubmitJobs submit_jobs(const Plan& p, const LoadedConfig& cfg, const CommonOptions& opts, const std::string& self,
                       bool compile_only, bool train_only) {
  SubmitJobs jobs;
  const bool compile_job = has_compile_job(p.backend);
  if (!compile_job) {
    if (compile_only) {
      throw InputError({{"--compile-only", to_string(p.backend),
                         "the torchneuron backend has no compile job: TorchNeuron compiles each graph on first use; "
                         "submit the training job (a first short run fills the compile cache)"}});
    }
    jobs.notes.push_back(std::string("no compile job for launch.backend = ") + to_string(p.backend) +
                         ": TorchNeuron compiles each graph on first use, so the training job is submitted alone "
                         "(its first steps fill the compile cache)");
  }
  std::vector<std::string> run_args{self, "run", "--conf", cfg.path};
  run_args.insert(run_args.end(), opts.overrides.begin(), opts.overrides.end());
  if (!opts.instance.empty()) run_args.insert(run_args.end(), {"--instance", opts.instance});

  // HyperPod's auto-resume is an srun option (`srun --auto-resume=1`) of its Slurm
  // plugin: given among the sbatch flags (site or launch.sbatch_flags), it moves to
  // the srun inside the job, where HyperPod reads it.
  std::vector<std::string> sbatch_flags, srun_flags;
  for (const auto& f : cfg.launch.sbatch_flags)
    (f.rfind("--auto-resume", 0) == 0 ? srun_flags : sbatch_flags).push_back(f);
  const std::string srun = srun_flags.empty() ? "srun" : "srun " + join_quoted(srun_flags);
  // launch.preflight: each job first checks its own nodes (one task per node), so a bad
  // node fails the job in seconds, named, instead of hanging or crashing the run.
  std::string preflight;
  if (cfg.launch.preflight) {
    std::vector<std::string> args{self, "preflight", "--conf", cfg.path};
    args.insert(args.end(), opts.overrides.begin(), opts.overrides.end());
    if (!opts.instance.empty()) args.insert(args.end(), {"--instance", opts.instance});
    preflight = "srun --ntasks-per-node=1 " + join_quoted(args) + " && ";
  }

  // cpus-per-task from the instance catalog (all vCPUs to the one task per node).
  const int vcpus = p.vcpus;
  auto base = [&](const std::string& suffix, bool compile) {
    std::vector<std::string> a{"sbatch", "--parsable", "--exclusive", "--nodes", std::to_string(p.nodes),
                               "--job-name", cfg.launch.job_name + suffix};
    if (vcpus > 0) a.insert(a.end(), {"--cpus-per-task", std::to_string(vcpus)});
    if (!cfg.launch.partition.empty()) a.insert(a.end(), {"--partition", cfg.launch.partition});
    if (!cfg.launch.time.empty()) a.insert(a.end(), {"--time", cfg.launch.time});
    a.insert(a.end(), sbatch_flags.begin(), sbatch_flags.end());
    a.push_back(std::string("--export=ALL,COMPILE=") + (compile ? "1" : "0"));
    return a;
  };
  if (compile_job && !train_only) {
    jobs.compile_job = base("-compile", true);
    jobs.compile_job.insert(jobs.compile_job.end(), {"--wrap", preflight + srun + " " + join_quoted(run_args)});
  }
  if (compile_only) return jobs;
  jobs.train_job = base("", false);
  if (cfg.launch.requeue) jobs.train_job.insert(jobs.train_job.end(), {"--requeue", "--open-mode=append"});
  // SIGTERM to every step signal_grace seconds before the time limit: `run` forwards it,
  // and the native trainer checkpoints before Slurm kills the job (a requeue resumes it).
  // Only the native trainer does: NxDT has no preemption callback (exp_manager.py names
  // one only in a docstring) and TorchNeuron's recipes none we know of, so for them the
  // signal would only end the workers grace seconds early, with no checkpoint.
  if (p.backend == Backend::kNative && cfg.launch.signal_grace > 0)
    jobs.train_job.push_back("--signal=TERM@" + std::to_string(cfg.launch.signal_grace));
  jobs.chained = !jobs.compile_job.empty();
  if (jobs.chained)
    jobs.train_job.insert(jobs.train_job.end(), {"--dependency=afterok:${COMPILE_JOB_ID}", "--kill-on-invalid-dep=yes"});
  jobs.train_job.insert(jobs.train_job.end(),
                        {"--wrap", preflight + srun + " --kill-on-bad-exit=1 " + join_quoted(run_args)});
  return jobs;
}

std::vector<std::string> dry_run_lines(const SubmitJobs& jobs) {
  std::vector<std::string> lines;
  for (const auto& n : jobs.notes) lines.push_back("# " + n);
  if (!jobs.compile_job.empty())
    lines.push_back(jobs.chained ? "COMPILE_JOB_ID=$(" + join_quoted(jobs.compile_job) + ")" : join_quoted(jobs.compile_job));
  if (!jobs.train_job.empty()) {
    std::string line = join_quoted(jobs.train_job);
    // keep the shell variable expandable in the printed line
    const std::string quoted = "'--dependency=afterok:${COMPILE_JOB_ID}'";
    if (auto pos = line.find(quoted); pos != std::string::npos)
      line.replace(pos, quoted.size(), "--dependency=afterok:$COMPILE_JOB_ID");
    lines.push_back(line);
  }
  return lines;
}

int submit_command(const CommonOptions& opts, bool dry_run, bool compile_only, bool train_only) {
  // Plan as the job will see it (outside a step: standalone for N nodes), so every
  // rule is checked before the allocation.
  EnvMap env = current_environment();
  for (auto it = env.begin(); it != env.end();) {
    it = it->first.rfind("SLURM_", 0) == 0 ? env.erase(it) : std::next(it);
  }
  LoadedConfig cfg;
  CommonOptions o = opts;
  o.compile = false;
  const Plan p = build_plan(o, env, &cfg);
  SubmitJobs jobs = submit_jobs(p, cfg, opts, self_bindir() + "/trn-train", compile_only, train_only);
  if (dry_run) {
    for (const auto& line : dry_run_lines(jobs)) std::printf("%s\n", line.c_str());
    return 0;
  }
  for (const auto& n : jobs.notes) std::printf("trn-train: %s\n", n.c_str());
  std::string compile_id;
  if (!jobs.compile_job.empty()) {
    compile_id = run_sbatch(jobs.compile_job);
    if (compile_id.empty()) return 1;
    std::printf("compile job %s\n", compile_id.c_str());
  }
  if (!jobs.train_job.empty()) {
    for (auto& a : jobs.train_job) {
      if (a == "--dependency=afterok:${COMPILE_JOB_ID}") a = "--dependency=afterok:" + compile_id;
    }
    const std::string train_id = run_sbatch(jobs.train_job);
    if (train_id.empty()) return 1;
    std::printf("train job %s\n", train_id.c_str());
  }
  return 0;
}

}  // namespace trn
