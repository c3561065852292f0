#include "common/platform.h"

#include <cstring>

namespace trn {
namespace {

// Trainium1 (trn1/trn1n), Trainium2 (trn2/trn2u), Trainium3 (Trn3 UltraServer servers).
const ChipFacts kChips[] = {
    {Platform::kTrn1, "Trainium1", 2, 2, false},
    {Platform::kTrn2, "Trainium2", 3, 8, true},
    {Platform::kTrn3, "Trainium3", 4, 8, true},
};
const ChipFacts kNone{};

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

const char* to_string(Platform p) {
  switch (p) {
    case Platform::kTrn1: return "trn1";
    case Platform::kTrn2: return "trn2";
    case Platform::kTrn3: return "trn3";
    case Platform::kCpu: return "cpu";
    case Platform::kUnknown: break;
  }
  return "";
}

Platform parse_platform(const std::string& text) {
  for (Platform p : {Platform::kTrn1, Platform::kTrn2, Platform::kTrn3, Platform::kCpu})
    if (text == to_string(p)) return p;
  return Platform::kUnknown;
}

Platform platform_of_name(const std::string& name) {
  for (const ChipFacts& c : kChips) {
    if (name == c.device_name || starts_with(name, to_string(c.platform))) return c.platform;
  }
  if (name == "Trainium") return Platform::kTrn1;  // older drivers' device_name
  // arch_type: "v3" on the device, "NCv3" per core (neuron-sysfs-user-guide.rst)
  const char* digits = starts_with(name, "NCv") ? name.c_str() + 3 : starts_with(name, "v") ? name.c_str() + 1 : nullptr;
  if (digits && std::strlen(digits) == 1 && *digits >= '0' && *digits <= '9') return platform_of_neuroncore(*digits - '0');
  return Platform::kUnknown;
}

const ChipFacts& chip_facts(Platform p) {
  for (const ChipFacts& c : kChips)
    if (c.platform == p) return c;
  return kNone;
}

Platform platform_of_neuroncore(int version) {
  for (const ChipFacts& c : kChips)
    if (c.neuroncore_version == version) return c.platform;
  return Platform::kUnknown;
}

}  // namespace trn
