// libFuzzer: what trn-train-native reads before step 1: its settings (the YAML and
// the HF config.json; the input's first NUL byte separates them) and a checkpoint's
// header, which comes from a shared folder and is untrusted until checked. Every
// input ends in settings or Problems, a header or a Problem; never a crash, a hang
// or an allocation sized by the input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "trainer/checkpoint_format.h"
#include "trainer/train_settings.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const size_t nul = bytes.find('\0');
  const std::string_view yaml = bytes.substr(0, nul);
  const std::string_view json = nul == std::string_view::npos ? std::string_view() : bytes.substr(nul + 1);
  trn::native::TrainSettings settings;
  trn::Problems problems;
  if (!trn::native::parse_train_settings(yaml, json, &settings, &problems) && problems.empty()) __builtin_trap();
  trn::native::CheckpointHeader header;
  trn::Problem problem;
  if (!trn::native::read_checkpoint_header(bytes, &header, &problem) && problem.fix.empty()) __builtin_trap();
  return 0;
}
