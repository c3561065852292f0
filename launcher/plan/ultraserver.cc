#include "launcher/plan/ultraserver.h"

#include <cctype>
#include <cstdio>

namespace trn {

bool parse_slurm_version(const std::string& text, SlurmVersion* out) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i])) || (i > 0 && std::isdigit(static_cast<unsigned char>(text[i - 1]))))
      continue;
    size_t j = i;
    int major = 0, minor = 0;
    while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j])) && major < 1000) major = major * 10 + (text[j++] - '0');
    if (j + 1 >= text.size() || text[j] != '.' || !std::isdigit(static_cast<unsigned char>(text[j + 1]))) continue;
    ++j;
    while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j])) && minor < 1000) minor = minor * 10 + (text[j++] - '0');
    *out = {major, minor};
    return true;
  }
  return false;
}

UltraServerAllocation ultraserver_allocation(const InstanceType& inst, int nodes, const SlurmVersion& slurm) {
  UltraServerAllocation out;
  const int u = inst.ultraserver_nodes;
  if (u <= 1 || nodes <= 1) return out;
  const std::string n = std::to_string(nodes), us = std::to_string(u);
  int segment = 0;
  if (nodes % u == 0) {
    segment = u;
  } else if (nodes < u) {
    segment = nodes;
  } else {
    const int below = nodes / u * u;
    out.notes.push_back(n + " nodes of " + inst.name + " are not a multiple of its UltraServer (" + us +
                        " nodes): no --segment is asked, so the job may share UltraServers with others; use " +
                        std::to_string(below) + " or " + std::to_string(below + u) + " nodes to keep it in whole "
                        "UltraServers");
    return out;
  }
  const std::string flag = "--segment=" + std::to_string(segment);
  const bool has_segment = slurm.major > kSegmentSince.major ||
                           (slurm.major == kSegmentSince.major && slurm.minor >= kSegmentSince.minor);
  if (has_segment) {
    out.sbatch_flags.push_back(flag);
  } else {
    char version[32];
    std::snprintf(version, sizeof version, "%d.%02d", slurm.major, slurm.minor);
    out.notes.push_back(std::string("Slurm ") + (slurm.major ? version : "(version unknown)") +
                        " has no --segment (Slurm 24.05 added it for topology/block): on Slurm >= 24.05 with "
                        "topology/block (BlockSizes=" + us + "), trn-train would add " + flag +
                        " to keep the job's " + n + " nodes in whole UltraServers of " + us);
  }
  return out;
}

}  // namespace trn
