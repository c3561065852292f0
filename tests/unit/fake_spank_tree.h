// Builds fake Neuron/EFA device trees (same layout as tests/cluster/localslurm)
// in a temporary folder for the spank unit tests.
#pragma once

#include <string>

namespace spank_test {

// A fresh empty folder, removed by the caller with remove_tree.
std::string make_temp_dir();
void remove_tree(const std::string& dir);
void write_file(const std::string& path, const std::string& text);  // creates parents

// devices x cores_per_device Neuron devices, efa EFA devices, DMI product name.
// sysfs=false leaves only /dev/neuronN (the newer-driver fallback path).
void make_node(const std::string& root, const std::string& type, int devices, int cores_per_device, int efa,
               bool sysfs = true);

}  // namespace spank_test
