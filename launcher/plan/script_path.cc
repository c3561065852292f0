#include "launcher/plan/script_path.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace trn {

namespace {

std::string join(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

std::string parent_of(const std::string& dir) {
  std::string d = dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  const auto slash = d.rfind('/');
  if (slash == std::string::npos) return "";
  return slash == 0 ? "/" : d.substr(0, slash);
}

std::string base_of(const std::string& dir) {
  std::string d = dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  const auto slash = d.rfind('/');
  return slash == std::string::npos ? d : d.substr(slash + 1);
}

}  // namespace

std::vector<std::string> script_candidates(const std::string& script, const std::string& config_dir,
                                           const std::string& cwd) {
  if (!script.empty() && script[0] == '/') return {script};
  std::vector<std::string> out;
  auto add = [&out](const std::string& path) {
    for (const auto& p : out)
      if (p == path) return;
    out.push_back(path);
  };
  if (!config_dir.empty()) add(join(config_dir, script));
  if (base_of(config_dir) == "conf" && !parent_of(config_dir).empty()) add(join(parent_of(config_dir), script));
  if (!cwd.empty()) add(join(cwd, script));
  return out;
}

bool find_script(const std::string& script, const std::vector<std::string>& candidates,
                 const std::function<ScriptProbe(const std::string&)>& probe, std::string* found, Problem* problem) {
  std::string looked;
  for (const auto& c : candidates) {
    const ScriptProbe r = probe(c);
    if (r.ok) {
      *found = c;
      return true;
    }
    looked += (looked.empty() ? "" : "; ") + c + " (" + r.why + ")";
  }
  *problem = {"launch.script", script,
              "no readable file at " + (looked.empty() ? std::string("any place") : looked) +
                  ": give its absolute path, e.g. launch.script=<neuronx-distributed-training>/examples/"
                  "training_orchestrator.py (the package does not install it), or start the job in that examples/ "
                  "folder"};
  return false;
}

ScriptProbe probe_script_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {false, std::strerror(errno)};
  if (!S_ISREG(st.st_mode)) return {false, "not a regular file"};
  if (::access(path.c_str(), R_OK) != 0) return {false, std::string("not readable: ") + std::strerror(errno)};
  return {true, ""};
}

bool find_script_here(const std::string& script, const std::string& config_dir, std::string* found, Problem* problem) {
  char buf[4096];
  const std::string cwd = ::getcwd(buf, sizeof buf) ? buf : "";
  return find_script(script, script_candidates(script, config_dir, cwd), probe_script_file, found, problem);
}

}  // namespace trn
