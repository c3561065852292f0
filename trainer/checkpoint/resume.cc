#include "trainer/checkpoint/resume.h"

#include <cstdio>
#include <filesystem>

namespace trn::native {
namespace {

constexpr const char* kFromKey = "exp_manager.resume_from_checkpoint";

}  // namespace

bool read_newest_checkpoint(const std::string& from, const std::string& key, const CheckpointReader& read,
                            TrainState* state, std::string* path, Problems* problems) {
  std::error_code ec;
  if (!std::filesystem::is_directory(from, ec)) {
    *path = from;
    Problem p;
    if (read(from, state, &p)) return true;
    problems->push_back({key, from, p.value + ": " + p.fix});
    return false;
  }
  const std::vector<std::string> names = checkpoint_names(from);
  if (names.empty()) {
    problems->push_back({key, from, "holds no checkpoint-<step>.bin: name a checkpoint file or folder"});
    return false;
  }
  Problems refused;
  for (const std::string& name : names) {
    *path = from + "/" + name;
    Problem p;
    if (read(*path, state, &p)) return true;
    refused.push_back({key, *path, p.value + ": " + p.fix});
  }
  problems->insert(problems->end(), refused.begin(), refused.end());
  return false;
}

Problems load_start_state(const TrainSettings& s, const ExperimentLock& held, const CheckpointIdentity& id,
                          const CheckpointReader& read, TrainState* state, StartNotes* notes) {
  const config::TrainingConfig& t = s.train;
  const std::string& dir = s.exp.checkpoint_dir;
  if (t.weight_init_only && t.resume_from_checkpoint.empty())
    return {{"model.weight_init_only", "true",
             "names no weights to start from: set exp_manager.resume_from_checkpoint to a checkpoint"}};
  std::vector<std::string> stale;
  Problem problem;
  if (!prepare_checkpoint_dir(dir, held, checkpoint_file_bytes(id), &stale, &problem)) return {problem};
  for (const std::string& name : stale)
    notes->said.push_back("checkpoint: removed " + dir + "/" + name + ", left by a writer that was killed");

  const bool own = !checkpoint_names(dir).empty();
  if (own && !t.resume_if_exists)
    return {{"exp_manager.resume_if_exists", "false",
             dir + " already holds checkpoints of this experiment: set it true to resume them, or give the run "
                   "another exp_manager.name, version or explicit_log_dir"}};
  const int fresh_step = state->step;
  if (own || t.resume_from_checkpoint.empty()) {
    const ResumeResult r = resume_checkpoint(dir, read, state);
    if (r.kind == ResumeResult::kRefused) return r.refused;
    for (const Problem& p : r.refused)
      notes->warned.push_back(p.str() + "; falling back to the previous checkpoint " + r.path);
    if (r.kind == ResumeResult::kLoaded)
      notes->said.push_back("resumed from " + r.path + " at step " + std::to_string(state->step));
  } else {
    Problems problems;
    std::string path;
    if (!read_newest_checkpoint(t.resume_from_checkpoint, kFromKey, read, state, &path, &problems)) return problems;
    if (t.weight_init_only) {
      std::fill(state->m.begin(), state->m.end(), 0.0f);
      std::fill(state->v.begin(), state->v.end(), 0.0f);
      state->step = fresh_step, state->consumed_samples = 0;
      notes->optimizer_reset = true;
      notes->said.push_back("initialised the weights from " + path +
                            " (model.weight_init_only: optimizer state, step and data position start fresh)");
    } else {
      notes->said.push_back("resumed from " + path + " at step " + std::to_string(state->step));
    }
  }
  // Checkpoints written before the data position was recorded: the global batch was fixed then.
  if (state->consumed_samples < 0) state->consumed_samples = state->step * t.global_batch_size;
  return {};
}

}  // namespace trn::native
