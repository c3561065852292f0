// Instance types as data (conf/instances.yaml), so a new instance type is a YAML edit.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/platform.h"

namespace trn {

struct InstanceType {
  std::string name;
  Platform platform = Platform::kUnknown;
  int devices = 0;             // Neuron devices per node (0 for cpu)
  int cores_per_device = 0;    // physical NeuronCores per device
  int neuroncore_version = 0;  // NeuronCore-vN
  int neuron_cores = 0;        // devices x cores_per_device: physical NeuronCores (0 for cpu)
  int efa = 0;                 // EFA devices
  int vcpus = 0;               // for sbatch --cpus-per-task (0: leave to Slurm)
  std::vector<int> lnc_allowed;  // empty: LNC not applicable
  int lnc_default = 1;
  std::map<int, int> procs_per_lnc;           // LNC -> worker processes per node (empty for cpu)
  std::map<int, std::vector<int>> unsupported_tp;  // LNC -> TP degrees NxD cannot group on this platform
  int ultraserver_nodes = 0;   // nodes per UltraServer; 0: not part of one
  std::string alias_of;        // "" unless this entry is an `aliases:` line (the catalog name)
};

struct InstanceCatalog {
  std::string path;
  std::map<std::string, InstanceType> types;  // aliases included, under their own name
  const InstanceType* find(const std::string& name) const;
  std::string names() const;  // "a, b, c" for error messages (aliases left out)
  // Catalog names (no aliases) whose shape is devices x cores_per_device of NeuronCore-vN.
  std::vector<std::string> with_shape(int devices, int cores_per_device, int neuroncore_version) const;
};

InstanceCatalog load_instance_catalog(const std::string& path);  // throws InputError

}  // namespace trn
