// libFuzzer: PREFIX.vocab.json as the trainer reads it (data/vocab_sidecar.h): any
// text is a record or not one; never an exception (nlohmann's get<> on a field of the
// wrong type throws), a crash or a record with a negative vocabulary.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "data/vocab_sidecar.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto record = trn::data::parse_vocab_sidecar(text);
  if (record && record->vocab_size < 0) std::abort();
  return 0;
}
