// This node's name and the step's first node (and its IPv4 address, for
// NEURON_RT_ROOT_COMM_ID), from the step's node list.
#pragma once

#include <cstdint>
#include <string>

#include "common/problem.h"

namespace neuron {

// Host `node_id` (this node, Slurm's S_JOB_NODEID) and host 0 of the Slurm hostlist
// SLURM_STEP_NODELIST ("trn1-st-trn1-[3-4]", 1 -> "trn1-st-trn1-4", "trn1-st-trn1-3"),
// parsed without expanding it. False with *problem when malformed or too short.
bool step_hosts(const std::string& nodelist, uint32_t node_id, std::string* node, std::string* first,
                trn::Problem* problem);

// IPv4 address of host. When root is not "/" (a test tree), ROOT/etc/hosts is
// read first (localslurm's nodes are not in DNS); then getaddrinfo(AF_INET).
bool resolve_ipv4(const std::string& host, const std::string& root, std::string* ip, std::string* error);

}  // namespace neuron
