#include "launcher/preflight/collective_run.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "common/fs.h"
#include "common/program_output.h"
#include "launcher/errors.h"
#include "launcher/plan/master_addr.h"

namespace trn {
namespace {

// `test`: "nccom" or "mpi", so the two tests of one step keep apart.
std::string result_file(const CollectiveSetup& s, const char* test, size_t round, const NodePair& p) {
  return s.dir + "/collective-" + test + "." + std::to_string(round) + "." + s.hosts.at(static_cast<size_t>(p.a)) +
         ".txt";
}

// The last line a failed program printed (or why it did not start), for its pairs' files.
std::string failure(const ProgramOutput& r) {
  std::string last = r.started ? r.out : r.why;
  while (!last.empty() && (last.back() == '\n' || last.back() == ' ')) last.pop_back();
  last = last.substr(last.rfind('\n') == std::string::npos ? 0 : last.rfind('\n') + 1);
  return "error exit " + std::to_string(r.status) + ": " + last + "\n";
}

// nccom-test on this node (the pair's root) for this node and its partner: all-reduce of
// 64 MB fp32, the workers split over the two nodes. `timeout` bounds a hung test.
std::string run_pair(const CollectiveSetup& s, const NodePair& p) {
  const std::string& a = s.hosts.at(static_cast<size_t>(p.a));
  const std::string& b = s.hosts.at(static_cast<size_t>(p.b));
  std::string ip;
  try {
    ip = resolve_ipv4(a, s.host_addresses);
  } catch (const InputError& e) {
    return "error " + e.problems().front().str() + "\n";
  }
  ::setenv("NEURON_RT_ROOT_COMM_ID", (ip + ":" + std::to_string(s.port)).c_str(), 1);
  const ProgramOutput r =
      run_program({"timeout", std::to_string(s.timeout_s), "nccom-test", "-r", std::to_string(2 * s.workers_per_node),
                   "-N", "2", "-d", "fp32", "-b", "64MB", "-e", "64MB", "allr", "--hosts", a, b},
                  true);
  double busbw = 0;
  if (r.ok() && parse_nccom_busbw(r.out, &busbw)) return "busbw " + std::to_string(busbw) + "\n";
  return failure(r);
}

void leave_result(const std::string& file, const std::string& text) {
  std::string why;
  if (!write_file_atomic(file, text, 0644, &why))
    std::fprintf(stderr, "trn-train: preflight: cannot leave the collective result: %s\n", why.c_str());
}

PairResult read_result(const std::string& file, const NodePair& p) {
  PairResult r;
  r.pair = p;
  std::string text;
  if (!read_file(file, &text)) return r;
  r.ran = true;
  if (text.rfind("busbw ", 0) == 0) {
    r.busbw = std::strtod(text.c_str() + 6, nullptr);
    r.one_machine = text.find(" one-machine") != std::string::npos;
  } else {
    r.error = text.substr(text.find(' ') + 1, text.find('\n') - text.find(' ') - 1);
  }
  return r;
}

void wait_for(const std::vector<std::string>& files, int timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  for (;;) {
    size_t present = 0;
    for (const auto& f : files) present += access(f.c_str(), F_OK) == 0;
    if (present == files.size() || std::chrono::steady_clock::now() >= deadline) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace

std::vector<PairResult> run_collective_rounds(const CollectiveSetup& s) {
  std::vector<PairResult> results;
  const auto rounds = pair_rounds(static_cast<int>(s.hosts.size()));
  for (size_t r = 0; r < rounds.size(); ++r) {
    std::vector<std::string> files;
    for (const NodePair& p : rounds[r]) {
      files.push_back(result_file(s, "nccom", r, p));
      if (p.a == s.rank) leave_result(files.back(), run_pair(s, p));
    }
    wait_for(files, s.timeout_s + 30);
    for (size_t i = 0; i < rounds[r].size(); ++i) results.push_back(read_result(files[i], rounds[r][i]));
  }
  return results;
}

std::vector<PairResult> run_mpi_pairs(const CollectiveSetup& s, const std::string& native_program, int tasks) {
  const int nodes = static_cast<int>(s.hosts.size());
  const auto rounds = pair_rounds(nodes);
  std::map<std::string, std::string> mine;  // this node's files -> their text
  for (size_t r = 0; r < rounds.size(); ++r)
    for (const NodePair& p : rounds[r])
      if (p.a == s.rank) mine[result_file(s, "mpi", r, p)] = "error the test did not report this pair\n";
  if (tasks != nodes) {
    for (auto& [file, text] : mine)
      text = "error the MPI test needs one task per node (srun --ntasks-per-node=1), not " + std::to_string(tasks) +
             " tasks on " + std::to_string(nodes) + " nodes\n";
  } else {
    // trn-train-native checks that MPI gave it this world (a step without PMIx gives
    // each task a world of one): the rank and size it must have.
    ::setenv("WORLD_SIZE", std::to_string(nodes).c_str(), 1);
    ::setenv("RANK", std::to_string(s.rank).c_str(), 1);
    const ProgramOutput r = run_program(
        {"timeout", std::to_string(s.timeout_s * static_cast<int>(rounds.size())), native_program, "--collective-test"},
        true);
    if (!r.ok())
      for (auto& [file, text] : mine) {
        text = failure(r);
        text.insert(text.size() - 1, " (does the step start MPI? srun --mpi=pmix, or MpiDefault=pmix in slurm.conf)");
      }
    size_t from = 0;
    for (size_t to; r.ok() && (to = r.out.find('\n', from)) != std::string::npos; from = to + 1) {
      PairLine line;
      if (!parse_pair_result_line(r.out.substr(from, to - from), &line) || line.round >= rounds.size()) continue;
      // Only the pairs this node leads: another line (a pair it is not in) is not this node's to report.
      if (auto it = mine.find(result_file(s, "mpi", line.round, line.pair)); it != mine.end() && line.pair.a == s.rank)
        it->second = "busbw " + std::to_string(line.busbw) + (line.one_machine ? " one-machine" : "") + "\n";
    }
  }
  for (const auto& [file, text] : mine) leave_result(file, text);
  std::vector<PairResult> results;
  for (size_t r = 0; r < rounds.size(); ++r) {
    std::vector<std::string> files;
    for (const NodePair& p : rounds[r]) files.push_back(result_file(s, "mpi", r, p));
    wait_for(files, s.timeout_s + 30);
    for (size_t i = 0; i < rounds[r].size(); ++i) results.push_back(read_result(files[i], rounds[r][i]));
  }
  return results;
}

}  // namespace trn
