// libFuzzer: what trn-train-native reads before step 1: its settings (the YAML and
// the HF config.json; the input's first NUL byte separates them), a checkpoint's
// header and a sharded checkpoint's manifest, which come from a shared folder and
// are untrusted until checked; a manifest that reads back is written back alike. Every
// input ends in settings or Problems, a header or a Problem; never a crash, a hang
// or an allocation sized by the input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "trainer/checkpoint/checkpoint_format.h"
#include "trainer/checkpoint/checkpoint_shards.h"
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
  trn::native::Manifest manifest, again;
  problem = {};
  if (trn::native::read_manifest_text(bytes, &manifest, &problem)) {
    // What was accepted is what gets written: the text of the fields reads back the same.
    const std::string text = trn::native::manifest_text(manifest);
    if (!trn::native::read_manifest_text(text, &again, &problem) || trn::native::manifest_text(again) != text)
      __builtin_trap();
  } else if (problem.fix.empty()) {
    __builtin_trap();
  }
  return 0;
}
