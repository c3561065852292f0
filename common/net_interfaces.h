// This node's IPv4 interfaces, and the one whose address other nodes reach it by.
// The AWS Batch main node has no variable naming its address (Batch gives it only to
// the children), and its host name may map to 127.0.0.1: the upstream sample
// (aws-neuron-samples torch-neuronx/training/aws-batch/llama2/docker/llama_batch_training.sh)
// takes eth0's address instead. The choice is pure (choose_reachable_ipv4, tested with
// made-up lists); read_ipv4_interfaces() is the one getifaddrs call. Exception-free.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace trn {

struct Ipv4Interface {
  std::string name;     // "eth0"
  std::string address;  // dotted quad
  bool up = false;      // IFF_UP
  bool loopback = false;  // IFF_LOOPBACK, or an address in 127.0.0.0/8
};

// eth0 when it is up with an IPv4 address (the sample's choice), else the first
// interface in the list that is up, not loopback and has an IPv4 address; nothing when
// loopback is all there is.
std::optional<Ipv4Interface> choose_reachable_ipv4(const std::vector<Ipv4Interface>& interfaces);

// Every IPv4 address of this host's interfaces, in getifaddrs order; empty when it fails.
std::vector<Ipv4Interface> read_ipv4_interfaces();

}  // namespace trn
