#include "launcher/neuron/neuron_compile.h"


#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "cache/compiler_runner.h"
#include "cache/entry_layout.h"
#include "common/fs.h"

namespace trn {
namespace {

// The wrapper's own options (and the value of a spaced --log_level) are not compiler flags.
std::vector<std::string> without_wrapper_options(const std::vector<std::string>& words) {
  std::vector<std::string> flags;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w == "--log_level" || w == "--cache_dir") {
      ++i;
      continue;
    }
    if (w.rfind("--cache_dir=", 0) == 0 || w.rfind("--log_level=", 0) == 0 || w == "--no_cache" ||
        w == "--retry_failed_compilation")
      continue;
    flags.push_back(w);
  }
  return flags;
}

bool regular_file(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool hex_or_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

}  // namespace

std::string parse_neuronxcc_version(std::string_view text) {
  constexpr std::string_view kLabel = "Compiler version ";
  const auto at = text.find(kLabel);
  if (at == std::string_view::npos) return "";
  std::string_view rest = text.substr(at + kLabel.size());
  const auto end = rest.find_first_of(" \t\r\n");
  return std::string(rest.substr(0, end));
}

std::optional<std::vector<std::string>> recorded_flags(const std::string& entry_dir) {
  std::string problem;
  const std::vector<std::string> words = cache::read_compile_flags(entry_dir, &problem);
  if (!problem.empty()) return std::nullopt;
  return without_wrapper_options(words);
}

std::vector<std::string> neuronx_cc_argv(const std::string& compiler, const std::string& target,
                                         const std::vector<std::string>& flags) {
  std::vector<std::string> argv{compiler, "compile"};
  const bool has_target = std::any_of(flags.begin(), flags.end(), [](const std::string& f) {
    return f == "--target" || f.rfind("--target=", 0) == 0;
  });
  if (!has_target && !target.empty()) argv.push_back("--target=" + target);
  argv.insert(argv.end(), {"--framework=XLA", "{in}", "--output", "{out}"});
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.push_back("--verbose=35");
  return argv;
}

std::string installed_neuronxcc_version(const std::string& compiler) {
  const std::string out_file = temp_name_for("/tmp/trn-train-neuronx-cc-version");
  cache::CompileRequest r;
  r.log_path = out_file;
  cache::command_compiler({compiler, "--version"})(r);
  std::string out;
  read_file(out_file, &out);
  ::unlink(out_file.c_str());
  return parse_neuronxcc_version(out);
}


std::vector<cache::GraphJob> collected_graphs(const std::string& root, const std::string& compiler_dir) {
  std::vector<cache::GraphJob> graphs;
  cache::CompilerIdentity compiler;
  const auto dash = compiler_dir.find('-');
  if (dash == std::string::npos) return graphs;
  compiler.name = compiler_dir.substr(0, dash);
  compiler.version = compiler_dir.substr(dash + 1);
  const std::string dir = root + "/" + compiler_dir;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return graphs;
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d)) names.emplace_back(e->d_name);
  ::closedir(d);
  std::sort(names.begin(), names.end());  // the same order on every node: fair shares line up
  for (const auto& name : names) {
    // MODULE_<graph hash>+<flags hash>: 20 hex (or, before 2.14, up to 20 decimal digits) + 8 hex.
    constexpr std::string_view kModule = "MODULE_";
    const auto plus = name.find('+');
    if (name.rfind(kModule, 0) != 0 || plus == std::string::npos) continue;
    cache::CacheKey key;
    key.compiler = compiler;
    key.graph_hash = name.substr(kModule.size(), plus - kModule.size());
    key.flags_hash = name.substr(plus + 1);
    if (!hex_or_digits(key.graph_hash) || !hex_or_digits(key.flags_hash) || key.module_name() != name) continue;
    for (const char* hlo : {cache::files::kGraph, cache::files::kOldGraph}) {
      const std::string entry = dir + "/" + name, path = entry + "/" + hlo;
      if (!regular_file(path)) continue;
      std::string problem;
      const std::vector<std::string> flags = without_wrapper_options(cache::read_compile_flags(entry, &problem));
      for (const auto& f : flags) key.flags += (key.flags.empty() ? "" : " ") + f;
      cache::GraphJob job{path, key};
      if (!problem.empty())
        job.unusable = "graph " + path + " is not compiled: " + problem + ", so the flags it was collected with are "
                       "unknown (compiling it with other flags would store a NEFF that does not match its key); "
                       "collect it again: run the COMPILE=1 job again";
      graphs.push_back(std::move(job));
      break;
    }
  }
  return graphs;
}

}  // namespace trn
