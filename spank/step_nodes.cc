#include "spank/step_nodes.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstring>
#include <vector>

#include "common/hostlist.h"
#include "spank/device_discovery.h"

namespace neuron {

bool first_host(const std::string& nodelist, std::string* host, std::string* error) {
  std::vector<std::string> hosts;
  std::string why;
  if (!trn::expand_hostlist(nodelist, &hosts, &why) || hosts.empty()) {
    *error = "cannot read the step's node list '" + nodelist + "'" + (why.empty() ? "" : ": " + why);
    return false;
  }
  *host = hosts.front();
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
  struct addrinfo hints;
  std::memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  struct addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || !res) {
    *error = "cannot resolve the step's first node '" + host + "' to an IPv4 address: " + gai_strerror(rc);
    return false;
  }
  char buf[INET_ADDRSTRLEN] = {0};
  const struct sockaddr_in* sin = reinterpret_cast<const struct sockaddr_in*>(res->ai_addr);
  bool ok = inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf) != nullptr;
  freeaddrinfo(res);
  if (!ok) {
    *error = "cannot format the address of '" + host + "'";
    return false;
  }
  *ip = buf;
  return true;
}

}  // namespace neuron
