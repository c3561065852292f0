#include "launcher/commands/node_warnings.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "common/fs.h"
#include "common/hostlist.h"

namespace trn {

std::vector<std::string> group_node_warnings(
    const std::vector<std::pair<std::string, std::vector<std::string>>>& by_node) {
  std::vector<std::pair<std::string, std::vector<std::string>>> lines;  // line -> hosts, first seen first
  for (const auto& [host, warnings] : by_node) {
    for (const std::string& w : warnings) {
      auto it = std::find_if(lines.begin(), lines.end(), [&](const auto& l) { return l.first == w; });
      if (it == lines.end()) it = lines.insert(lines.end(), {w, {}});
      if (std::find(it->second.begin(), it->second.end(), host) == it->second.end()) it->second.push_back(host);
    }
  }
  std::vector<std::string> out;
  for (const auto& [line, hosts] : lines)
    out.push_back((hosts.size() == 1 ? "node " : "nodes ") + compress_hostlist(hosts) + ": " + line);
  return out;
}

std::vector<std::string> gather_node_warnings(const std::string& dir, int node_rank, int nodes, const std::string& host,
                                              const std::vector<std::string>& mine, int timeout_ms) {
  std::string text = host + "\n";
  for (const std::string& w : mine) text += w + "\n";
  std::string why;
  const bool shared = make_dirs(dir, 0775, &why) && write_file_atomic(dir + "/" + std::to_string(node_rank), text, 0644, &why);
  if (node_rank != 0) return {};
  if (!shared) return group_node_warnings({{host, mine}});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  auto written = [&] {
    const std::vector<std::string> names = list_dir(dir);
    return std::count_if(names.begin(), names.end(),
                         [](const std::string& n) { return n.find_first_not_of("0123456789") == std::string::npos; });
  };
  while (written() < nodes && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::vector<std::pair<std::string, std::vector<std::string>>> by_node;
  for (int n = 0; n < nodes; ++n) {
    std::string body;
    if (!read_file(dir + "/" + std::to_string(n), &body)) continue;
    std::vector<std::string> lines;
    for (size_t start = 0, end; start < body.size(); start = end + 1) {
      end = body.find('\n', start);
      if (end == std::string::npos) end = body.size();
      lines.push_back(body.substr(start, end - start));
    }
    if (lines.empty()) continue;
    const std::string node = lines.front();
    lines.erase(lines.begin());
    lines.erase(std::remove(lines.begin(), lines.end(), std::string()), lines.end());
    by_node.emplace_back(node, lines);
  }
  return group_node_warnings(by_node);
}

}  // namespace trn
