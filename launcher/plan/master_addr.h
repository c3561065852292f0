// Master address as an IPv4 literal. Names are resolved with getaddrinfo because on
// trn1 (8 ENIs) /etc/hosts may map the hostname to the wrong interface; a static map
// from the site file is consulted first.
#pragma once

#include <map>
#include <string>

namespace trn {

// Returns the IPv4 address for `host` (an AWS Batch main node's own address comes from
// its interface instead: common/net_interfaces.h). Throws
// InputError naming the host and the fix when it cannot be resolved.
std::string resolve_ipv4(const std::string& host, const std::map<std::string, std::string>& static_map);

}  // namespace trn
