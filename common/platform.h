// The Trainium generation a node or an instance type belongs to, as one enum for the
// launcher and the SPANK plugin (exception-free: the plugin links common/), and the
// per-chip facts both need without the instance catalog (which the plugin cannot read):
// physical NeuronCores per device, NeuronCore version, whether LNC applies.
// Sources (aws-neuron/aws-neuron-sdk): about-neuron/arch/neuron-hardware/trainium.rst
// (2 NeuronCore-v2), trn2-arch.rst (8 NeuronCore-v3), trainium3.rst and trn3-arch.rst
// (8 NeuronCore-v4); logical-neuroncore-config.rst (LNC 1 or 2 on Trn2 and Trn3).
#pragma once

#include <string>

namespace trn {

enum class Platform { kUnknown, kTrn1, kTrn2, kTrn3, kCpu };

// "trn1" | "trn2" | "trn3" | "cpu"; "" for kUnknown (the text plan JSON and messages show).
const char* to_string(Platform p);
// The inverse of to_string ("" and anything else: kUnknown).
Platform parse_platform(const std::string& text);

// A Trainium name as a node or a user writes it: an EC2 type ("trn2u.48xlarge",
// "trn3..."), a family ("trn1n"), a chip (device_name "Trainium2") or a device's
// arch_type ("v3", "NCv3"). kUnknown when it names no Trainium.
Platform platform_of_name(const std::string& name);

struct ChipFacts {
  Platform platform = Platform::kUnknown;
  const char* device_name = "";  // info/architecture/device_name
  int neuroncore_version = 0;    // NeuronCore-vN
  int cores_per_device = 0;      // physical NeuronCores per device
  bool lnc_configurable = false; // NEURON_LOGICAL_NC_CONFIG 1 or 2 (default 2)
};
// The one table of chip facts; platform kUnknown (all zero) for cpu and unknown.
const ChipFacts& chip_facts(Platform p);
// The platform whose NeuronCore version is `version` (2, 3, 4), else kUnknown.
Platform platform_of_neuroncore(int version);

}  // namespace trn
