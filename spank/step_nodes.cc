#include "spank/step_nodes.h"

#include <arpa/inet.h>

#include <cstdio>
#include <cstring>
#include <vector>

#include "common/hostlist.h"
#include "common/ipv4.h"
#include "spank/device_discovery.h"

namespace neuron {

bool step_hosts(const std::string& nodelist, uint32_t node_id, std::string* node, std::string* first,
                trn::Problem* problem) {
  trn::HostList hosts;  // two names are needed: parse, do not expand
  std::string why;
  if (!hosts.parse(nodelist, &why) || hosts.empty() || node_id >= hosts.size()) {
    if (why.empty())
      why = "names " + std::to_string(hosts.size()) + " nodes, but Slurm says this is node " + std::to_string(node_id);
    *problem = {"SLURM_STEP_NODELIST", nodelist, why};
    return false;
  }
  *node = hosts.at(node_id);
  *first = hosts.front();
  return true;
}

namespace {
bool lookup_hosts_file(const std::string& path, const std::string& host, std::string* ip) {
  FILE* f = std::fopen(path.c_str(), "re");
  if (!f) return false;
  char line[1024];
  bool found = false;
  while (!found && std::fgets(line, sizeof line, f)) {
    if (char* hash = std::strchr(line, '#')) *hash = '\0';
    char* save = nullptr;
    char* addr = strtok_r(line, " \t\r\n", &save);
    struct in_addr probe;
    if (!addr || inet_pton(AF_INET, addr, &probe) != 1) continue;
    while (char* name = strtok_r(nullptr, " \t\r\n", &save)) {
      if (host == name) {
        *ip = addr;
        found = true;
        break;
      }
    }
  }
  std::fclose(f);
  return found;
}
}  // namespace

bool resolve_ipv4(const std::string& host, const std::string& root, std::string* ip, std::string* error) {
  if (under_root(root, "/") != "/" && lookup_hosts_file(under_root(root, "/etc/hosts"), host, ip)) return true;
  std::string why;
  if (trn::lookup_ipv4(host, ip, &why)) return true;
  *error = "cannot resolve the step's first node '" + host + "' to an IPv4 address: " + why;
  return false;
}

}  // namespace neuron
