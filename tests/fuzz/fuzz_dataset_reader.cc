// libFuzzer: the Megatron .idx/.bin reader and the blend over several of them, as the
// trainer opens them (GptDataset::open, then samples of every split). The input is a
// small header (weights and splits as raw doubles: NaN, inf, 0, negative, 1e308 all
// reach open(); seq_length; vocab_size) and up to three .idx/.bin pairs, written to
// temp files because the reader reads files. Any bytes must be refused with Problems or
// give samples whose ids lie below vocab_size; never a crash, a hang, a division by zero
// (UBSan) or an unbounded allocation.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "data/gpt_dataset.h"

namespace {

struct Input {
  const uint8_t* p;
  size_t left;
  template <typename T>
  T take() {
    T v{};
    const size_t n = left < sizeof(T) ? left : sizeof(T);
    std::memcpy(&v, p, n);
    p += n, left -= n;
    return v;
  }
  std::string bytes(size_t n) {
    n = n < left ? n : left;
    std::string s(reinterpret_cast<const char*>(p), n);
    p += n, left -= n;
    return s;
  }
};

const std::string& work_dir() {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/fuzz_dataset_reader.XXXXXX";
    const char* made = ::mkdtemp(tmpl);
    if (!made) std::abort();
    return std::string(made);
  }();
  return dir;
}

// A plain write (no fsync: write_file_atomic's would cap the run at a few dozen inputs a second).
void put(const std::string& path, const std::string& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || ::write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) std::abort();
  ::close(fd);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  const int prefixes = 1 + in.take<uint8_t>() % 3;
  trn::data::DatasetSpec spec;
  for (int i = 0; i < prefixes; ++i) spec.prefixes.push_back({in.take<double>(), work_dir() + "/p" + std::to_string(i)});
  for (double& s : spec.splits) s = in.take<double>();
  spec.seq_length = static_cast<int>(in.take<uint8_t>()) - 1;  // -1 .. 254
  spec.vocab_size = in.take<uint16_t>();
  spec.seed = in.take<uint8_t>();
  for (int i = 0; i < prefixes; ++i) {
    const std::string idx = in.bytes(in.take<uint16_t>()), bin = in.bytes(in.take<uint16_t>());
    put(spec.prefixes[i].path + ".idx", idx);
    put(spec.prefixes[i].path + ".bin", bin);
    ::unlink((spec.prefixes[i].path + ".vocab.json").c_str());
  }
  trn::Problems problems;
  auto g = trn::data::GptDataset::open(spec, &problems);
  if (!g) {
    if (problems.empty()) std::abort();  // refused without saying why
    return 0;
  }
  std::vector<int> tokens(static_cast<size_t>(spec.seq_length) + 1);
  for (auto split : {trn::data::Split::kTrain, trn::data::Split::kValidation, trn::data::Split::kTest}) {
    const uint64_t n = g->samples(split);
    // The first ones, an epoch's edge and, past one blend checkpoint (4096), a later one.
    for (uint64_t index : {uint64_t{0}, uint64_t{1}, n - 1, n, n + 1, uint64_t{4096} + in.take<uint8_t>() * 16u}) {
      const auto problem = g->sample(split, index, tokens.data());
      if (problem) {
        if (n > 0) std::abort();  // the files did not change: only an empty split may refuse
        continue;
      }
      for (int t : tokens)
        if (t < 0 || (spec.vocab_size > 0 && t >= spec.vocab_size)) std::abort();
    }
  }
  return 0;
}
