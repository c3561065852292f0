#include "trainer/checkpoint/checkpoint.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>

#include "common/fs.h"
#include "common/size_text.h"

namespace trn::native {
namespace {

const std::string kPrefix = "checkpoint-", kSuffix = ".bin";
const std::string kProbe = "checkpoint-write-test";
const std::string kShardInfix = ".shard-";  // checkpoint-<step>.shard-<rank>-of-<ranks>.bin
constexpr const char* kRefusedSuffix = ".refused";
constexpr const char* kLegacy = "checkpoint.bin";  // format 1, before checkpoints carried a header

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }
bool ends_with(const std::string& s, const std::string& p) {
  return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

// A checkpoint file in the folder: its step from the name (-1: the legacy name or a
// step the name cannot hold), so the newest is tried first.
struct Candidate {
  long long step;
  std::string name;
};

std::vector<Candidate> candidates(const std::string& dir) {
  std::vector<Candidate> out;
  for (const std::string& name : list_dir(dir)) {
    if (name == kLegacy) {
      out.push_back({-1, name});
      continue;
    }
    if (!starts_with(name, kPrefix) || !ends_with(name, kSuffix)) continue;
    const std::string digits = name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    const long long step = digits.size() <= 10 ? std::stoll(digits) : -1;
    out.push_back({step <= kMaxCheckpointStep ? step : -1, name});
  }
  std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) { return a.step > b.step; });
  return out;
}

// Removes checkpoint `name` and, when it is a manifest, its shard files.
void remove_checkpoint(const std::string& dir, const std::string& name) {
  ::unlink((dir + "/" + name).c_str());
  const std::string shards = name.substr(0, name.size() - kSuffix.size()) + kShardInfix;
  for (const std::string& other : list_dir(dir))
    if (starts_with(other, shards)) ::unlink((dir + "/" + other).c_str());
}

// After checkpoint `step` was written: files of later steps are from a history this
// run left (refused at resume, or a run restarted from an older one), and a later
// resume must not jump back to them. Of the rest, the newest `keep` stay (the one just
// written always).
void prune(const std::string& dir, int step, long long keep) {
  long long kept = 0;
  for (const Candidate& c : candidates(dir))
    if (c.step >= 0 && (c.step > step || (keep >= 0 && ++kept > std::max(keep, 1LL)))) remove_checkpoint(dir, c.name);
}

}  // namespace

std::string checkpoint_path(const std::string& dir, int step) {
  return dir + "/" + kPrefix + std::to_string(step) + kSuffix;
}

uint64_t checkpoint_file_bytes(const CheckpointIdentity& id) {
  return kMaxCheckpointHeader + 3 * id.parameters * sizeof(float);
}

bool prepare_checkpoint_dir(const std::string& dir, const ExperimentLock&, uint64_t checkpoint_bytes,
                            std::vector<std::string>* removed, Problem* problem) {
  std::string error;
  const std::string fix = "give exp_manager.explicit_log_dir (checkpoints go to <it>/checkpoints) a folder this "
                          "user can write to, on a filesystem with room";
  if (!make_dirs(dir, 0755, &error)) {
    *problem = {dir, "(cannot be created: " + error + ")", fix};
    return false;
  }
  // Only the names our writers use (temp_name_for of a checkpoint, a shard or the probe
  // below), and shards of a save killed before its manifest (not of one set aside as refused).
  const std::vector<std::string> names = list_dir(dir);
  const auto has = [&](const std::string& name) { return std::binary_search(names.begin(), names.end(), name); };
  for (const std::string& name : names) {
    const bool temp = (starts_with(name, kPrefix) || starts_with(name, kLegacy)) &&
                      (name.find(".bin.tmp.") != std::string::npos || starts_with(name, kProbe + ".tmp."));
    const size_t shard = name.find(kShardInfix);
    const std::string manifest = name.substr(0, shard) + kSuffix;
    const bool orphan = !temp && starts_with(name, kPrefix) && ends_with(name, kSuffix) &&
                        shard != std::string::npos && !has(manifest) && !has(manifest + kRefusedSuffix);
    if ((temp || orphan) && ::unlink((dir + "/" + name).c_str()) == 0) removed->push_back(name);
  }
  // Created and removed the way a checkpoint's temporary file is, so a probe left by
  // a kill here is cleaned like one.
  const std::string probe = temp_name_for(dir + "/" + kProbe);
  if (!write_new_file(probe, "probe\n", 0644, &error)) {
    *problem = {dir, "(not writable: " + error + ")", fix};
    return false;
  }
  ::unlink(probe.c_str());
  struct statvfs fsinfo;
  if (::statvfs(dir.c_str(), &fsinfo) == 0 && fsinfo.f_frsize > 0 &&
      static_cast<uint64_t>(fsinfo.f_bavail) < checkpoint_bytes / fsinfo.f_frsize + 1) {
    *problem = {dir, format_size(static_cast<uint64_t>(fsinfo.f_bavail) * fsinfo.f_frsize) + " free",
                "a checkpoint needs " + format_size(checkpoint_bytes) + ": " + fix};
    return false;
  }
  return true;
}

std::vector<std::string> checkpoint_names(const std::string& dir) {
  std::vector<std::string> out;
  for (const Candidate& c : candidates(dir)) out.push_back(c.name);
  return out;
}

std::string save_checkpoint(const std::string& dir, const CheckpointIdentity& id, const TrainState& state,
                            long long keep) {
  std::string error;
  if (!make_dirs(dir, 0755, &error)) return error;
  const std::string path = checkpoint_path(dir, state.step);
  // Streamed to a temporary sibling (the state can be large), then published by common/fs.
  const std::string tmp = temp_name_for(path);
  error = write_checkpoint_file(tmp, id, state);
  if (!error.empty()) {
    ::unlink(tmp.c_str());
    return error;
  }
  if (!commit_file(tmp, path, 0644, &error)) {
    ::unlink(tmp.c_str());
    return error;
  }
  prune(dir, state.step, keep);
  return "";
}

std::string save_shard(const std::string& dir, int step, int rank, int ranks, Shard shard, const float* params,
                       const float* m, const float* v, ShardRecord* record) {
  std::string error;
  if (!make_dirs(dir, 0755, &error)) return error;
  return write_shard(checkpoint_path(dir, step), step, rank, ranks, shard, params, m, v, record);
}

std::string save_manifest(const std::string& dir, const CheckpointIdentity& id, int step, long long consumed_samples,
                          const std::vector<ShardRecord>& records, long long keep) {
  Manifest manifest;
  manifest.header.step = step;
  manifest.header.identity = id;
  manifest.header.consumed_samples = consumed_samples;
  manifest.shards = records;
  const std::string error = write_manifest(checkpoint_path(dir, step), manifest);
  if (error.empty()) prune(dir, step, keep);
  return error;
}

CheckpointReader whole_checkpoint_reader(const CheckpointIdentity& id) {
  return [id](const std::string& path, TrainState* state, Problem* problem) {
    return read_checkpoint(path, id, true, Shard{0, id.parameters}, state, problem);
  };
}

ResumeResult resume_checkpoint(const std::string& dir, const CheckpointReader& read, TrainState* state) {
  ResumeResult r;
  std::vector<std::string> refused_paths;  // the files refused (a Problem may name a shard of one)
  for (const Candidate& c : candidates(dir)) {
    const std::string path = dir + "/" + c.name;
    Problem problem;
    if (c.step < 0 && c.name != kLegacy) {
      problem = {path, "(step in the name out of range)", "not a checkpoint of this trainer; move it away"};
    } else if (read(path, state, &problem)) {
      if (state->step == c.step) {
        r.kind = ResumeResult::kLoaded;
        r.path = path;
        // The newer files refused are set aside (kept for inspection), so that neither
        // the next resume nor the pruning of old checkpoints prefers them to good ones.
        for (size_t i = 0; i < r.refused.size(); ++i)
          if (::rename(refused_paths[i].c_str(), (refused_paths[i] + kRefusedSuffix).c_str()) == 0)
            r.refused[i].fix += "; set aside as " + refused_paths[i] + kRefusedSuffix;
        return r;
      }
      problem = {path, "step " + std::to_string(state->step),
                 "its name says step " + std::to_string(c.step) + " (renamed?); move it away"};
    }
    r.refused.push_back(problem);
    refused_paths.push_back(path);
  }
  r.kind = r.refused.empty() ? ResumeResult::kFresh : ResumeResult::kRefused;
  return r;
}

}  // namespace trn::native
