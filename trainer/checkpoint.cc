#include "trainer/checkpoint.h"

#include <cstdint>
#include <cstring>
#include <fstream>

#include "common/fs.h"

namespace trn::native {
namespace {

constexpr char kMagic[8] = {'T', 'R', 'N', 'C', 'K', 'P', 'T', '1'};
constexpr const char* kStartFresh = "move it away to start fresh";

}  // namespace

std::string save_checkpoint(const std::string& dir, const TrainState& state) {
  std::string error;
  if (!make_dirs(dir, 0755, &error)) return error;
  const std::string final_path = dir + "/checkpoint.bin";
  // Streamed to a temporary sibling (the state can be large), then published by common/fs.
  const std::string tmp = temp_name_for(final_path);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    const uint64_t header[2] = {static_cast<uint64_t>(state.step), state.params.size()};
    out.write(kMagic, sizeof kMagic);
    out.write(reinterpret_cast<const char*>(header), sizeof header);
    for (const auto* v : {&state.params, &state.m, &state.v})
      out.write(reinterpret_cast<const char*>(v->data()), static_cast<std::streamsize>(v->size() * sizeof(float)));
    out.close();
    if (!out) {
      remove_tree(tmp);
      return "cannot write " + final_path + " (disk full or not writable?)";
    }
  }
  return commit_file(tmp, final_path, 0644, &error) ? "" : error;
}

bool load_checkpoint(const std::string& dir, TrainState* state, bool* found, Problem* problem) {
  const std::string path = dir + "/checkpoint.bin";
  std::ifstream in(path, std::ios::binary);
  *found = static_cast<bool>(in);
  if (!in) return true;
  char magic[8];
  uint64_t header[2];
  in.read(magic, sizeof magic);
  in.read(reinterpret_cast<char*>(header), sizeof header);
  if (!in || std::memcmp(magic, kMagic, sizeof magic) != 0) {
    *problem = {path, "(not a trn-train native checkpoint)", kStartFresh};
    return false;
  }
  if (header[1] != state->params.size()) {
    *problem = {path, std::to_string(header[1]) + " parameters",
                "the model has " + std::to_string(state->params.size()) +
                    ": it belongs to another model shape; " + kStartFresh};
    return false;
  }
  for (auto* v : {&state->params, &state->m, &state->v})
    in.read(reinterpret_cast<char*>(v->data()), static_cast<std::streamsize>(v->size() * sizeof(float)));
  if (!in) {
    *problem = {path, "(truncated)", kStartFresh};
    return false;
  }
  state->step = static_cast<int>(header[0]);
  return true;
}

}  // namespace trn::native
