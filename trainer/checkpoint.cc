#include "trainer/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace trn::native {
namespace {

constexpr char kMagic[8] = {'T', 'R', 'N', 'C', 'K', 'P', 'T', '1'};

bool fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

std::string save_checkpoint(const std::string& dir, const TrainState& state) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return "cannot create checkpoint folder " + dir + ": " + ec.message();
  const std::string final_path = dir + "/checkpoint.bin";
  const std::string tmp = final_path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    const uint64_t header[2] = {static_cast<uint64_t>(state.step), state.params.size()};
    out.write(kMagic, sizeof kMagic);
    out.write(reinterpret_cast<const char*>(header), sizeof header);
    for (const auto* v : {&state.params, &state.m, &state.v})
      out.write(reinterpret_cast<const char*>(v->data()), static_cast<std::streamsize>(v->size() * sizeof(float)));
    out.flush();
    if (!out) {
      std::filesystem::remove(tmp, ec);
      return "cannot write " + tmp + " (disk full or not writable?)";
    }
  }
  if (!fsync_path(tmp, O_RDONLY) || ::rename(tmp.c_str(), final_path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::filesystem::remove(tmp, ec);
    return "cannot publish " + final_path + ": " + why;
  }
  fsync_path(dir, O_RDONLY | O_DIRECTORY);  // make the rename itself durable
  return "";
}

std::string load_checkpoint(const std::string& dir, TrainState* state, bool* found) {
  const std::string path = dir + "/checkpoint.bin";
  std::ifstream in(path, std::ios::binary);
  *found = static_cast<bool>(in);
  if (!in) return "";
  char magic[8];
  uint64_t header[2];
  in.read(magic, sizeof magic);
  in.read(reinterpret_cast<char*>(header), sizeof header);
  if (!in || std::memcmp(magic, kMagic, sizeof magic) != 0) return path + " is not a trn-train native checkpoint";
  if (header[1] != state->params.size())
    return path + " holds " + std::to_string(header[1]) + " parameters but the model has " +
           std::to_string(state->params.size()) + ": it belongs to another model shape; move it away to start fresh";
  for (auto* v : {&state->params, &state->m, &state->v})
    in.read(reinterpret_cast<char*>(v->data()), static_cast<std::streamsize>(v->size() * sizeof(float)));
  if (!in) return path + " is truncated: move it away to start fresh";
  state->step = static_cast<int>(header[0]);
  return "";
}

}  // namespace trn::native
