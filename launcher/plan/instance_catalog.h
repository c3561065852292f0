// Instance types as data (conf/instances.yaml), so a new instance type is a YAML edit.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace trn {

struct InstanceType {
  std::string name;
  std::string platform;        // trn1 | trn2 | cpu
  int neuron_cores = 0;        // physical NeuronCores (0 for cpu)
  int efa = 0;                 // EFA devices
  int vcpus = 0;               // for sbatch --cpus-per-task (0: leave to Slurm)
  std::vector<int> lnc_allowed;  // empty: LNC not applicable
  int lnc_default = 1;
  std::map<int, int> procs_per_lnc;           // LNC -> worker processes per node (empty for cpu)
  std::map<int, std::vector<int>> unsupported_tp;  // LNC -> TP degrees NxD cannot group on this platform
};

struct InstanceCatalog {
  std::string path;
  std::map<std::string, InstanceType> types;
  const InstanceType* find(const std::string& name) const;
  std::string names() const;  // "a, b, c" for error messages
};

InstanceCatalog load_instance_catalog(const std::string& path);  // throws InputError

}  // namespace trn
