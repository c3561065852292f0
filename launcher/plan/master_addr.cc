#include "launcher/plan/master_addr.h"

#include <arpa/inet.h>

#include "common/ipv4.h"
#include "launcher/errors.h"

namespace trn {

std::string resolve_ipv4(const std::string& name, const std::map<std::string, std::string>& static_map) {
  const std::string& host = name;
  if (auto it = static_map.find(host); it != static_map.end()) return it->second;
  in_addr literal{};
  if (inet_pton(AF_INET, host.c_str(), &literal) == 1) return host;
  std::string ip, why;
  if (!lookup_ipv4(host, &ip, &why)) {
    throw InputError({{"master_addr", host,
                       "cannot be resolved to an IPv4 address (" + why +
                           "); fix DNS for the compute nodes or map it under host_addresses in the site file"}});
  }
  return ip;
}

}  // namespace trn
