// Runs an external compiler for one graph. The command is an argv template
// whose "{in}" and "{out}" words are replaced by the graph path and the temp
// output path; stdout+stderr go to a log file (kept only if the compile fails).
// The child dies with its parent (PR_SET_PDEATHSIG): a rank killed mid-compile
// must not leave an orphan compiler eating a node's memory.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace trn::cache {

struct CompileRequest {
  std::string input_path;   // the graph file (may be empty for in-memory graphs)
  std::string output_path;  // where the artifact must be written
  std::string log_path;     // where compiler output goes
};

// Returns the exit code: 0 success, >0 exit status, <0 killed by signal.
using CompileFn = std::function<int(const CompileRequest&)>;

CompileFn command_compiler(std::vector<std::string> argv_template);

}  // namespace trn::cache
