// Host name -> IPv4 address through the system resolver (getaddrinfo), shared by
// the launcher (the master address) and the SPANK plugin (the step's first node).
// Exception-free: the plugin runs inside slurmstepd.
#pragma once

#include <string>

namespace trn {

// Returns false with the resolver's reason in *why when `host` has no IPv4 address.
bool lookup_ipv4(const std::string& host, std::string* ip, std::string* why);

// This host's fully qualified name, as `hostname --fqdn` prints it (the resolver's
// canonical name for gethostname()); the short name when the resolver has none.
std::string this_host_fqdn();

}  // namespace trn
