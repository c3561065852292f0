// The step's first node and its IPv4 address, for NEURON_RT_ROOT_COMM_ID.
#pragma once

#include <string>

namespace neuron {

// First host of a Slurm hostlist ("trn1-st-trn1-[3-4]" -> "trn1-st-trn1-3").
bool first_host(const std::string& nodelist, std::string* host, std::string* error);

// IPv4 address of host. When root is not "/" (a test tree), ROOT/etc/hosts is
// read first (localslurm's nodes are not in DNS); then getaddrinfo(AF_INET).
bool resolve_ipv4(const std::string& host, const std::string& root, std::string* ip, std::string* error);

}  // namespace neuron
