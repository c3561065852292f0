// `trn-train submit`: a compile job (COMPILE=1), then the train job that starts only
// if it succeeded (afterok + --kill-on-invalid-dep=yes), both exclusive, sized from
// the validated Plan and the instance catalog; torchneuron has no compile job, its
// train job is submitted alone. The train job is requeueable and warned by SIGUSR1 before
// its time limit, when it requeues itself (launcher/heal/); each job's first step is
// `trn-train preflight` (launch.preflight). --dry-run prints the exact lines.
#include <cstdio>
#include <optional>

#include "common/program_output.h"
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

// Runs an sbatch command and returns its stdout, or nullopt after printing why it
// failed (sbatch's own message is on stderr above ours) unless `quiet`.
std::optional<std::string> sbatch_output(const std::vector<std::string>& argv, bool quiet) {
  const ProgramOutput r = run_program(argv, quiet);
  if (r.ok()) return r.out;
  if (!quiet) {
    const std::string why = !r.started ? "cannot start it (" + r.why + ")"
                            : r.status == 127 ? "cannot run it; is Slurm installed and on PATH?"
                                              : "failed (see its message above); nothing more was submitted";
    std::fprintf(stderr, "trn-train: error: sbatch = %s: %s\n", join_quoted(argv).c_str(), why.c_str());
  }
  return std::nullopt;
}

// Submits one job (sbatch --parsable) and returns its id, or "" after saying why.
std::string run_sbatch(const std::vector<std::string>& argv) {
  std::string out = sbatch_output(argv, false).value_or("");
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out.substr(0, out.find(';'));  // "id;cluster"
}

// The cluster's Slurm, as its sbatch says; {} (unknown: treated as too old for
// --segment, and said so) when sbatch cannot tell.
SlurmVersion cluster_slurm_version() {
  SlurmVersion v;
  if (auto text = sbatch_output({"sbatch", "--version"}, true)) parse_slurm_version(*text, &v);
  return v;
}

// Whether a backend has a compile job to chain before training: native and nxdt compile
// ahead of time (COMPILE=1); TorchNeuron compiles on first use and planning refuses
// COMPILE=1 for it, so a chained compile job would fail and --kill-on-invalid-dep
// would kill the train job with it.
bool has_compile_job(Backend b) { return b != Backend::kTorchNeuron; }

}  // namespace

SubmitJobs submit_jobs(const Plan& p, const LoadedConfig& cfg, const CommonOptions& opts, const std::string& self,
                       bool compile_only, bool train_only, const SlurmVersion& slurm) {
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
    // HyperPod: the preflight step too, or a bad node ends the job before auto-resume could replace it.
    preflight = srun + " --ntasks-per-node=1 " + join_quoted(args) + " && ";
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
  // SIGUSR1 to every step's tasks (not B:, the batch shell: under --wrap it is sh
  // waiting on srun and could act only after the step ended) signal_grace seconds
  // before the time limit: `run` on node 0 has the job requeue itself, after the native
  // trainer's checkpoint at the signal, at once for NxDT and TorchNeuron (their last
  // periodic checkpoint resumes; launcher/heal/run_healing.h). TERM stays Slurm's own
  // (scancel, the limit itself): it ends a run without requeueing it.
  if (cfg.launch.requeue && cfg.launch.signal_grace > 0)
    jobs.train_job.push_back("--signal=USR1@" + std::to_string(cfg.launch.signal_grace));
  // Whole UltraServers for the training job (its collectives span the NeuronLink
  // domain); the compile job's graphs do not depend on where its nodes are.
  InstanceType inst;
  inst.name = p.instance;
  inst.ultraserver_nodes = p.ultraserver_nodes;
  const UltraServerAllocation us = ultraserver_allocation(inst, p.nodes, slurm);
  jobs.train_job.insert(jobs.train_job.end(), us.sbatch_flags.begin(), us.sbatch_flags.end());
  jobs.notes.insert(jobs.notes.end(), us.notes.begin(), us.notes.end());
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
  const SlurmVersion slurm = p.ultraserver_nodes > 1 ? cluster_slurm_version() : SlurmVersion{};
  SubmitJobs jobs = submit_jobs(p, cfg, opts, self_bindir() + "/trn-train", compile_only, train_only, slurm);
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
