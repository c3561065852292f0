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
#include <sstream>
#include <thread>

#include "common/fs.h"
#include "launcher/commands/backend_programs.h"
#include "launcher/neuron/compile_summary.h"
#include "launcher/commands/supervise.h"

namespace trn {
namespace {

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

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/trn-supervise-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { remove_tree(path); }
};

std::string slurp(const std::string& path) {
  std::string out;
  read_file(path, &out);
  return out;
}

SuperviseResult run_sh(const std::string& script, const std::string& log, std::string* seen = nullptr) {
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  SuperviseResult r = supervise({"sh", "-c", script}, fd, [seen](std::string_view c) {
    if (seen) seen->append(c);
  });
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
