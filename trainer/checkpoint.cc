#include "trainer/checkpoint.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>

#include "common/fs.h"
#include "common/size_text.h"

namespace trn::native {
namespace {

const std::string kPrefix = "checkpoint-", kSuffix = ".bin";
const std::string kProbe = "checkpoint-write-test";
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

}  // namespace

std::string checkpoint_path(const std::string& dir, int step) {
  return dir + "/" + kPrefix + std::to_string(step) + kSuffix;
}

uint64_t checkpoint_file_bytes(const CheckpointIdentity& id) {
  return kMaxCheckpointHeader + 3 * id.parameters * sizeof(float);
}

bool prepare_checkpoint_dir(const std::string& dir, uint64_t checkpoint_bytes, std::vector<std::string>* removed,
                            Problem* problem) {
  std::string error;
  const std::string fix = "give exp_manager.explicit_log_dir (checkpoints go to <it>/checkpoints) a folder this "
                          "user can write to, on a filesystem with room";
  if (!make_dirs(dir, 0755, &error)) {
    *problem = {dir, "(cannot be created: " + error + ")", fix};
    return false;
  }
  // Only the names our writers use (temp_name_for of a checkpoint or of the probe below).
  for (const std::string& name : list_dir(dir))
    if ((starts_with(name, kPrefix) || starts_with(name, kLegacy)) &&
        (name.find(".bin.tmp.") != std::string::npos || starts_with(name, kProbe + ".tmp.")) &&
        ::unlink((dir + "/" + name).c_str()) == 0)
      removed->push_back(name);
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
  // Files of later steps are from a history this run left (refused at resume, or a
  // run restarted from an older one): a later resume must not jump back to them.
  // Of the rest, the newest `keep` stay (the one just written always).
  long long kept = 0;
  for (const Candidate& c : candidates(dir))
    if (c.step >= 0 && (c.step > state.step || (keep >= 0 && ++kept > std::max(keep, 1LL))))
      ::unlink((dir + "/" + c.name).c_str());
  return "";
}

ResumeResult resume_checkpoint(const std::string& dir, const CheckpointIdentity& id, TrainState* state) {
  ResumeResult r;
  for (const Candidate& c : candidates(dir)) {
    const std::string path = dir + "/" + c.name;
    Problem problem;
    if (c.step < 0 && c.name != kLegacy) {
      problem = {path, "(step in the name out of range)", "not a checkpoint of this trainer; move it away"};
    } else if (read_checkpoint_file(path, id, state, &problem)) {
      if (state->step == c.step) {
        r.kind = ResumeResult::kLoaded;
        r.path = path;
        // The newer files refused are set aside (kept for inspection), so that neither
        // the next resume nor the pruning of old checkpoints prefers them to good ones.
        for (Problem& p : r.refused)
          if (::rename(p.key.c_str(), (p.key + kRefusedSuffix).c_str()) == 0)
            p.fix += "; set aside as " + p.key + kRefusedSuffix;
        return r;
      }
      problem = {path, "step " + std::to_string(state->step),
                 "its name says step " + std::to_string(c.step) + " (renamed?); move it away"};
    }
    r.refused.push_back(problem);
  }
  r.kind = r.refused.empty() ? ResumeResult::kFresh : ResumeResult::kRefused;
  return r;
}

}  // namespace trn::native
