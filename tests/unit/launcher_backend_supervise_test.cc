// `run`'s supervision of the backend (launcher/commands/supervise.h), its compile-summary
// verdict (launcher/neuron/compile_summary.h) and the check that the backend's programs
// exist before any rank starts (launcher/commands/backend_programs.h).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <sstream>
#include <thread>

#include "common/fs.h"
#include "launcher/commands/backend_programs.h"
#include "launcher/neuron/compile_summary.h"
#include "launcher/commands/supervise.h"
#include "tests/unit/temp_dir.h"

namespace trn {
namespace {

using test::slurp;
using test::TempDir;

TEST(CompileSummary, BothPrefixesAndBare) {
  for (const char* prefix : {"2024-11-07 09:57:13.000144:  39810  INFO ||NEURON_PARALLEL_COMPILE||: ",
                             "INFO ||PARALLEL_COMPILE||: ", ""}) {
    const std::string p = prefix;
    const CompileSummary s = parse_compile_summary(p + "Total graphs: 36\n" + p + "Total successful compilations: 34\n" +
                                                   p + "Total failed compilations: 2\n");
    EXPECT_EQ(s.total.value_or(-1), 36) << prefix;
    EXPECT_EQ(s.succeeded.value_or(-1), 34) << prefix;
    EXPECT_EQ(s.failed.value_or(-1), 2) << prefix;
    EXPECT_TRUE(s.failed_compilations()) << prefix;
  }
  EXPECT_FALSE(parse_compile_summary("Total failed compilations: 0\r\n").failed_compilations());
  EXPECT_FALSE(parse_compile_summary("no summary at all\n").failed.has_value());
}

TEST(CompileSummary, LinesSplitAcrossChunksAndLastLineWithoutNewline) {
  CompileSummaryParser p;
  for (const char* chunk : {"INFO ||NEURON_PARALLEL_COMPILE||: Total fai", "led compilat", "ions: 1", "2"}) p.feed(chunk);
  EXPECT_FALSE(p.summary().failed.has_value());
  p.finish();
  EXPECT_EQ(p.summary().failed.value_or(-1), 12);
}

TEST(CompileSummary, NamesTheFailedGraphsLogs) {
  const CompileSummary s = parse_compile_summary(
      "INFO ||NEURON_CC_WRAPPER||: Using a cached neff at /c/neuronxcc-2/MODULE_a+b/model.neff.\n"
      "ERROR ||NEURON_CC_WRAPPER||: Compilation failed for /c/MODULE_1+f/model.hlo_module.pb; see /c/MODULE_1+f/model.log\n"
      "graph /c/MODULE_2+f failed to compile before (exit code 70); its log is /c/MODULE_2+f/model.log. Not retrying\n"
      "ERROR: compiler said: check '/tmp/w/log-neuron-cc.txt'\n"
      "ERROR again: /c/MODULE_1+f/model.log\n"
      "Total failed compilations: 3\n");
  EXPECT_EQ(s.failed_logs,
            (std::vector<std::string>{"/c/MODULE_1+f/model.log", "/c/MODULE_2+f/model.log", "/tmp/w/log-neuron-cc.txt"}));
  const std::string verdict = describe_failed_compile(s);
  EXPECT_NE(verdict.find("3 graphs failed"), std::string::npos) << verdict;
  EXPECT_NE(verdict.find("/c/MODULE_2+f/model.log"), std::string::npos) << verdict;
  // A log mentioned on a line that reports no failure is not a failed graph's log.
  EXPECT_TRUE(parse_compile_summary("writing /var/log/app.log\n").failed_logs.empty());
}

SuperviseResult run_sh(const std::string& script, const std::string& log, std::string* seen = nullptr) {
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  SuperviseHooks hooks;
  hooks.on_output = [seen](std::string_view c) {
    if (seen) seen->append(c);
  };
  SuperviseResult r = supervise({"sh", "-c", script}, fd, hooks);
  ::close(fd);
  return r;
}

TEST(Supervise, TeesBothStreamsAndReturnsTheExitStatus) {
  TempDir d;
  std::string seen;
  testing::internal::CaptureStdout();
  const SuperviseResult r = run_sh("echo to-stdout; echo to-stderr >&2; exit 3", d.path + "/log", &seen);
  const std::string console = testing::internal::GetCapturedStdout();
  EXPECT_EQ(r.status, 3);
  EXPECT_EQ(r.signal, 0);
  const std::string log = slurp(d.path + "/log");
  EXPECT_NE(log.find("to-stdout"), std::string::npos);
  EXPECT_NE(log.find("to-stderr"), std::string::npos);
  EXPECT_NE(seen.find("to-stderr"), std::string::npos);
  EXPECT_NE(console.find("to-stdout"), std::string::npos);  // the console keeps its copy
  // Appended, like tee -a: a second run keeps the first one's lines.
  run_sh("echo second", d.path + "/log");
  EXPECT_NE(slurp(d.path + "/log").find("to-stdout"), std::string::npos);
}

TEST(Supervise, KilledBackendGives128PlusSignal) {
  TempDir d;
  const SuperviseResult r = run_sh("kill -KILL $$", d.path + "/log");
  EXPECT_EQ(r.status, 128 + SIGKILL);
  EXPECT_EQ(r.signal, SIGKILL);
}

// SIGUSR1 and SIGTERM sent to trn-train reach the backend's whole process group
// (here the shell and its sleep), which then exits as it chooses.
TEST(Supervise, ForwardsSignalsToTheBackendsGroup) {
  TempDir d;
  for (int sig : {SIGUSR1, SIGTERM}) {
    std::thread sender([sig] {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      ::kill(::getpid(), sig);
    });
    const SuperviseResult r =
        run_sh("trap 'echo got it; exit 42' USR1 TERM; echo ready; while :; do sleep 0.05; done", d.path + "/log");
    sender.join();
    EXPECT_EQ(r.status, 42) << "signal " << sig;
  }
  EXPECT_NE(slurp(d.path + "/log").find("got it"), std::string::npos);
}

// Waits (bounded) until `marker` is in the file: the backend has set its traps.
bool wait_for_text(const std::string& path, const std::string& marker) {
  for (int i = 0; i < 1000; ++i) {
    if (slurp(path).find(marker) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// A closed terminal or ssh session (SIGHUP) and Ctrl-\ (SIGQUIT) reach the backend, which
// can then checkpoint; trn-train itself neither dies of them nor leaves the backend
// without its console.
TEST(Supervise, ForwardsHangupAndQuit) {
  TempDir d;
  for (int sig : {SIGHUP, SIGQUIT}) {
    const std::string log = d.path + "/log." + std::to_string(sig), marker = d.path + "/got." + std::to_string(sig);
    std::thread sender([&] {
      if (wait_for_text(log, "ready")) ::kill(::getpid(), sig);
    });
    const SuperviseResult r = run_sh("trap 'echo got > " + marker + "; exit 42' HUP QUIT; echo ready; "
                                     "while :; do sleep 0.05; done", log);
    sender.join();
    EXPECT_EQ(r.status, 42) << "signal " << sig;
    EXPECT_EQ(slurp(marker), "got\n") << "signal " << sig;
  }
}

// The pid a backend script printed as "child <pid>".
pid_t child_pid(const std::string& output) {
  const size_t at = output.find("child ");
  return at == std::string::npos ? 0 : static_cast<pid_t>(std::stol(output.substr(at + 6)));
}

// Running (not ended, not a zombie waiting for init to reap it).
bool running(pid_t pid) {
  std::string stat;
  if (pid <= 0 || !read_file("/proc/" + std::to_string(pid) + "/stat", &stat)) return false;
  const size_t close = stat.rfind(')');
  return close != std::string::npos && stat.size() > close + 2 && stat[close + 2] != 'Z';
}

bool gone_within_5s(pid_t pid) {
  for (int i = 0; i < 500 && running(pid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return !running(pid);
}

// The backend (an OOM-killed torchrun, here a shell) ends and leaves a worker of its
// group running: run stops it, says so, and still reports the backend's status.
TEST(Supervise, StopsWhatIsLeftOfTheBackendsGroup) {
  TempDir d;
  for (const char* end : {"exit 3", "kill -KILL $$"}) {
    std::string seen;
    const SuperviseResult r = run_sh(std::string("sleep 300 & echo child $!; ") + end, d.path + "/log", &seen);
    const pid_t worker = child_pid(seen);
    ASSERT_GT(worker, 0) << seen;
    const bool gone = gone_within_5s(worker);
    if (!gone) ::kill(worker, SIGKILL);
    EXPECT_TRUE(gone) << end << ": the worker " << worker << " still runs";
    EXPECT_EQ(r.status, std::string(end) == "exit 3" ? 3 : 128 + SIGKILL) << end;
  }
  const std::string log = slurp(d.path + "/log");
  EXPECT_NE(log.find("1 process of the backend's process group was still running after the backend ended; "
                     "stopped (SIGTERM)"),
            std::string::npos)
      << log;
}

// A leftover that ignores SIGTERM is killed after the grace period.
TEST(Supervise, KillsALeftoverThatIgnoresSigterm) {
  TempDir d;
  std::string seen;
  const std::string log = d.path + "/log";
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  SuperviseHooks hooks;
  hooks.on_output = [&seen](std::string_view c) { seen.append(c); };
  const SuperviseResult r = supervise({"sh", "-c", "trap '' TERM; sleep 300 & echo child $!; exit 0"}, fd, hooks,
                                      std::chrono::milliseconds(200));
  ::close(fd);
  const pid_t worker = child_pid(seen);
  ASSERT_GT(worker, 0) << seen;
  const bool gone = gone_within_5s(worker);
  if (!gone) ::kill(worker, SIGKILL);
  EXPECT_TRUE(gone);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.leftover, 1);
  EXPECT_NE(slurp(log).find("1 ignored it for 200 ms and was killed (SIGKILL)"), std::string::npos) << slurp(log);
}

// Nothing left over, nothing said.
TEST(Supervise, NoLeftoverNoReport) {
  TempDir d;
  const SuperviseResult r = run_sh("echo done", d.path + "/log");
  EXPECT_EQ(r.leftover, 0);
  EXPECT_EQ(slurp(d.path + "/log"), "done\n");
}

void make_exe(const std::string& path) {
  write_file_atomic(path, "#!/bin/sh\n", 0755, nullptr);
}

Plan nxdt_plan(bool compile) {
  Plan p;
  p.backend = Backend::kNxdt;
  p.compile = compile;
  if (compile) p.command.push_back("neuron_parallel_compile");
  p.command.insert(p.command.end(), {"torchrun", "--nproc_per_node", "32", "training_orchestrator.py"});
  return p;
}

TEST(BackendPrograms, OneProblemPerMissingProgram) {
  TempDir d;
  const std::string bin = d.path + "/bin";
  make_dirs(bin, 0755, nullptr);
  Problems none = check_backend_programs(nxdt_plan(true), bin);
  ASSERT_EQ(none.size(), 2u);
  EXPECT_EQ(none[0].key, "neuron_parallel_compile");
  EXPECT_EQ(none[0].value, "(not on PATH)");
  EXPECT_EQ(none[1].key, "torchrun");
  make_exe(bin + "/torchrun");
  EXPECT_TRUE(check_backend_programs(nxdt_plan(false), "/nonexistent:" + bin).empty());
  const Problems compile = check_backend_programs(nxdt_plan(true), bin);
  ASSERT_EQ(compile.size(), 1u);
  EXPECT_EQ(compile[0].key, "neuron_parallel_compile");
  make_exe(bin + "/neuron_parallel_compile");
  EXPECT_TRUE(check_backend_programs(nxdt_plan(true), bin).empty());
  // Not executable is not there.
  write_file_atomic(bin + "/torchrun", "x", 0644, nullptr);
  EXPECT_EQ(check_backend_programs(nxdt_plan(false), bin).size(), 1u);
}

TEST(BackendPrograms, NativeTrainerByPath) {
  TempDir d;
  Plan p;
  p.backend = Backend::kNative;
  p.command = {d.path + "/trn-train-native", "--config", "x", "--train"};
  const Problems missing = check_backend_programs(p, "/usr/bin");
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].key, "launch.backend");
  make_exe(p.command[0]);
  EXPECT_TRUE(check_backend_programs(p, "").empty());
}

}  // namespace
}  // namespace trn
