#include "launcher/neuron/job_graphs.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "cache/checksum.h"
#include "common/config/config_paths.h"
#include "common/fs.h"
#include "common/owned_fd.h"

namespace trn {
namespace {

bool hex_or_digits(std::string_view s) {
  return !s.empty() && s.size() <= 40 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// MODULE_<graph hash>+<flags hash>, as collected_graphs (neuron_compile.cc) accepts them.
bool module_name(std::string_view s) {
  constexpr std::string_view kModule = "MODULE_";
  if (s.substr(0, kModule.size()) != kModule) return false;
  s.remove_prefix(kModule.size());
  const auto plus = s.find('+');
  return plus != std::string_view::npos && hex_or_digits(s.substr(0, plus)) && hex_or_digits(s.substr(plus + 1));
}

// neuronxcc-<version>: a version of digits, letters, '.', '+', '_' and '-'.
bool compiler_dir_name(std::string_view s) {
  constexpr std::string_view kPrefix = "neuronxcc-";
  if (s.size() <= kPrefix.size() || s.size() > 128 || s.substr(0, kPrefix.size()) != kPrefix) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '+' ||
           c == '_' || c == '-';
  });
}

// The graph of "<...>/<compiler dir>/<module>/<file>" when <file> is one of `files`.
std::optional<GraphRef> graph_of_path(std::string_view path, std::initializer_list<std::string_view> files) {
  std::string_view parts[3];
  for (int k = 2; k >= 0; --k) {
    const auto slash = path.rfind('/');
    if (slash == std::string_view::npos) return std::nullopt;
    parts[k] = path.substr(slash + 1);
    path = path.substr(0, slash);
  }
  if (std::find(files.begin(), files.end(), parts[2]) == files.end()) return std::nullopt;
  return parse_graph_name(std::string(parts[0]) + "/" + std::string(parts[1]));
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    out.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

// The names of a list after its header, each validated.
bool parse_names(const std::vector<std::string_view>& lines, size_t from, std::set<GraphRef>* out, std::string* why) {
  for (size_t k = from; k < lines.size(); ++k) {
    const std::string_view line = lines[k];
    if (line.empty() || line.front() == '#') continue;
    const auto g = parse_graph_name(line);
    if (!g) {
      *why = "line " + std::to_string(k + 1) + " is not a graph name (<neuronxcc-version>/MODULE_<hash>+<hash>)";
      return false;
    }
    if (out->size() >= kMaxListedGraphs) {
      *why = "names more than " + std::to_string(kMaxListedGraphs) + " graphs";
      return false;
    }
    out->insert(*g);
  }
  return true;
}

std::string names_text(const std::set<GraphRef>& graphs) {
  std::string text;
  for (const auto& g : graphs) text += g.name() + "\n";
  return text;
}

// Reads <dirfd>/<name>: a regular file, not a link, at most kMaxGraphListBytes.
bool read_list_at(int dirfd, const std::string& name, const std::string& shown, std::string* text, std::string* why) {
  struct stat st;
  OwnedFd fd(open_regular(dirfd, name, &st, why));
  if (!fd) return false;
  if (static_cast<uint64_t>(st.st_size) > kMaxGraphListBytes) {
    *why = shown + ": larger than " + std::to_string(kMaxGraphListBytes) + " bytes";
    errno = EFBIG;
    return false;
  }
  text->clear();
  return read_fd_chunks(fd.get(), static_cast<uint64_t>(st.st_size),
                        [text](const char* p, size_t n) { text->append(p, n); }, why) >= 0;
}

OwnedFd open_root(const std::string& root) {
  std::string r = root;
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  return OwnedFd(::open(r.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

}  // namespace

std::optional<GraphRef> parse_graph_name(std::string_view name) {
  const auto slash = name.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  GraphRef g{std::string(name.substr(0, slash)), std::string(name.substr(slash + 1))};
  if (!compiler_dir_name(g.compiler_dir) || !module_name(g.module)) return std::nullopt;
  return g;
}

std::optional<GraphRef> graph_in_line(std::string_view line) {
  constexpr std::string_view kExtract = "Extracting graphs (";
  constexpr std::string_view kCached = "Using a cached neff at ";
  if (const auto at = line.find(kExtract); at != std::string_view::npos) {
    std::string_view rest = line.substr(at + kExtract.size());
    const auto close = rest.find(')');
    if (close == std::string_view::npos) return std::nullopt;
    return graph_of_path(rest.substr(0, close), {"model.hlo_module.pb", "model.hlo.pb"});
  }
  if (const auto at = line.find(kCached); at != std::string_view::npos) {
    std::string_view rest = line.substr(at + kCached.size());
    rest = rest.substr(0, rest.find_first_of(" \t\r"));
    while (!rest.empty() && (rest.back() == '.' || rest.back() == ',')) rest.remove_suffix(1);
    return graph_of_path(rest, {"model.neff"});
  }
  return std::nullopt;
}

void CollectedGraphsParser::feed(std::string_view chunk) {
  for (;;) {
    const auto nl = chunk.find('\n');
    if (nl == std::string_view::npos) {
      if (partial_.size() < 65536) partial_.append(chunk);  // a line longer than that names no graph
      return;
    }
    partial_.append(chunk.substr(0, nl));
    if (auto g = graph_in_line(partial_); g && graphs_.size() < kMaxListedGraphs) graphs_.insert(*g);
    partial_.clear();
    chunk.remove_prefix(nl + 1);
  }
}

void CollectedGraphsParser::finish() {
  if (auto g = graph_in_line(partial_); g && graphs_.size() < kMaxListedGraphs) graphs_.insert(*g);
  partial_.clear();
}

std::string format_task_graphs(const TaskGraphs& t) {
  return "trn-train collect " + std::to_string(t.status) + " " + t.host + "\n" + names_text(t.graphs);
}

bool parse_task_graphs(std::string_view text, TaskGraphs* out, std::string* why) {
  const std::vector<std::string_view> lines = split_lines(text);
  constexpr std::string_view kHeader = "trn-train collect ";
  if (lines.empty() || lines[0].substr(0, kHeader.size()) != kHeader) {
    *why = "no \"trn-train collect <status> <host>\" first line";
    return false;
  }
  std::string_view rest = lines[0].substr(kHeader.size());
  const auto space = rest.find(' ');
  const std::string status(rest.substr(0, space));
  if (status.empty() || status.size() > 4 || status.find_first_not_of("0123456789") != std::string::npos) {
    *why = "the collect's exit status is not a number";
    return false;
  }
  TaskGraphs t;
  t.status = std::stoi(status);
  t.host = space == std::string_view::npos ? "" : std::string(rest.substr(space + 1, 255));
  if (!std::all_of(t.host.begin(), t.host.end(), [](char c) { return c > ' ' && c < 127; })) t.host = "?";
  if (!parse_names(lines, 1, &t.graphs, why)) return false;
  *out = std::move(t);
  return true;
}

JobGraphs merge_task_graphs(const std::vector<std::optional<std::string>>& texts) {
  JobGraphs j;
  for (size_t k = 0; k < texts.size(); ++k) {
    const std::string task = "task " + std::to_string(k);
    if (!texts[k]) {
      j.missing.push_back(static_cast<int>(k));
      continue;
    }
    TaskGraphs t;
    if (std::string why; !parse_task_graphs(*texts[k], &t, &why)) {
      j.invalid.push_back(task + ": " + why);
      continue;
    }
    if (t.status != 0) {
      j.failed.push_back(task + " (" + t.host + "): its collect exited " + std::to_string(t.status));
      continue;
    }
    j.graphs.insert(t.graphs.begin(), t.graphs.end());
  }
  return j;
}

std::string job_graphs_dir(const Plan& p) {
  return p.restart_dir + "compile-graphs." + (p.step_id.empty() ? "0" : p.step_id);
}

int job_graph_tasks(const Plan& p) {
  return p.launch_pattern == LaunchPattern::kPerWorker ? std::max(1, p.nodes * p.procs_per_node) : std::max(1, p.nodes);
}

bool write_task_graphs(const std::string& dir, int task, const TaskGraphs& t, std::string* why) {
  // The restart folder is the user's and writable by nobody else (launcher/commands/node_log.h).
  return make_dirs(dir, 0775, why) && write_file_atomic(dir + "/" + std::to_string(task), format_task_graphs(t), 0644, why);
}

JobGraphs wait_for_job_graphs(const std::string& dir, int tasks, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  // A list once read stays read: each pass opens only the ones still missing (every task
  // of every node polls this folder on a shared filesystem).
  std::vector<std::optional<std::string>> texts(static_cast<size_t>(tasks));
  for (;;) {
    std::vector<std::pair<int, std::string>> unreadable;
    const OwnedFd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    for (int k = 0; d && k < tasks; ++k) {
      if (texts[static_cast<size_t>(k)]) continue;
      std::string text, why;
      const std::string name = std::to_string(k);
      if (read_list_at(d.get(), name, dir + "/" + name, &text, &why)) {
        texts[static_cast<size_t>(k)] = std::move(text);
      } else if (errno != ENOENT) {
        unreadable.emplace_back(k, why);
      }
    }
    JobGraphs j = merge_task_graphs(texts);
    for (const auto& [k, why] : unreadable) {
      j.missing.erase(std::remove(j.missing.begin(), j.missing.end(), k), j.missing.end());
      j.invalid.push_back("task " + std::to_string(k) + ": " + why);
    }
    if (!j.invalid.empty()) return j;  // waiting longer will not make it readable
    if (j.missing.empty() || !j.failed.empty() || std::chrono::steady_clock::now() >= deadline) return j;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::string config_graph_key(const Plan& p, const LoadedConfig& cfg) {
  config::Document doc = cfg.doc.clone();
  if (doc.has("launch")) {
    Problems ignored;
    doc.apply_overrides({"~launch"}, &ignored);  // trn-train's own settings trace no graph
  }
  config::make_paths_absolute(&doc, cfg.dir);
  const auto flags = p.env.find("NEURON_CC_FLAGS");
  const std::string shape = std::string("trn-train graphs 1\nbackend ") + to_string(p.backend) +
                            "\nplatform " + to_string(p.platform) + "\nlnc " + std::to_string(p.lnc) + "\nnodes " +
                            std::to_string(p.nodes) + "\nprocs_per_node " + std::to_string(p.procs_per_node) +
                            "\nNEURON_CC_FLAGS " + (flags == p.env.end() ? "" : flags->second) + "\nconfig\n" +
                            doc.dump();
  return cache::sha256_hex(shape);
}

std::string config_graphs_path(const std::string& root, const std::string& key) { return root + "/.graphs/" + key; }

bool record_config_graphs(const std::string& root, const std::string& key, const std::string& header,
                          const std::set<GraphRef>& graphs, const cache::TrustPolicy& trust, std::string* why) {
  const OwnedFd r = open_root(root);
  if (!r) {
    *why = root + ": " + std::strerror(errno);
    return false;
  }
  const OwnedFd dir(open_dir_beneath(r.get(), ".graphs", true, cache::dir_mode(trust), cache::shared_group(trust), why));
  if (!dir) return false;
  std::string text = "# " + header + "\n" + names_text(graphs);
  return write_file_atomic_at(dir.get(), key, text, cache::file_mode(trust), config_graphs_path(root, key), why);
}

std::optional<std::set<GraphRef>> read_config_graphs(const std::string& root, const std::string& key, std::string* why) {
  why->clear();
  const OwnedFd r = open_root(root);
  if (!r) return std::nullopt;
  std::string ignored;
  const OwnedFd dir(open_dir_beneath(r.get(), ".graphs", false, 0, static_cast<gid_t>(-1), &ignored));
  if (!dir) return std::nullopt;  // no job recorded any (or .graphs is not a real folder: not ours)
  std::string text;
  const std::string shown = config_graphs_path(root, key);
  if (!read_list_at(dir.get(), key, shown, &text, why)) {
    if (errno == ENOENT) why->clear();
    return std::nullopt;
  }
  std::set<GraphRef> graphs;
  if (!parse_names(split_lines(text), 0, &graphs, why)) {
    *why = shown + ": " + *why;
    return std::nullopt;
  }
  return graphs;
}

}  // namespace trn
