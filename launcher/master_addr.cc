#include "launcher/master_addr.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include "launcher/errors.h"

namespace trn {

std::string resolve_ipv4(const std::string& name, const std::map<std::string, std::string>& static_map) {
  std::string host = name;
  if (host == "self") {
    char buf[256] = {0};
    gethostname(buf, sizeof buf - 1);
    host = buf;
  }
  if (auto it = static_map.find(host); it != static_map.end()) return it->second;
  in_addr literal{};
  if (inet_pton(AF_INET, host.c_str(), &literal) == 1) return host;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || !res) {
    throw InputError({{"master_addr", host,
                       std::string("cannot be resolved to an IPv4 address (") + gai_strerror(rc) +
                           "); fix DNS for the compute nodes or map it under host_addresses in the site file"}});
  }
  char out[INET_ADDRSTRLEN] = {0};
  inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr, out, sizeof out);
  freeaddrinfo(res);
  return out;
}

}  // namespace trn
