// Checkpoints of the native engine: identity, integrity, fallback, pruning, the
// folder checks before step 1 (issue 10), and the pure header reader.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "trainer/checkpoint/checkpoint.h"

namespace {

namespace fs = std::filesystem;
using namespace trn::native;

ModelShape tiny(int heads = 4, int kv_heads = 2) {
  ModelShape s;
  s.vocab_size = 16, s.hidden_size = 16, s.intermediate_size = 24, s.num_layers = 1;
  s.num_heads = heads, s.num_kv_heads = kv_heads, s.seq_length = 8;
  return s;
}

TrainState state_for(const CheckpointIdentity& id, int step, float base) {
  TrainState s{step, std::vector<float>(id.parameters), std::vector<float>(id.parameters),
               std::vector<float>(id.parameters)};
  for (size_t i = 0; i < id.parameters; ++i) s.params[i] = base + i, s.m[i] = -base, s.v[i] = base;
  return s;
}

TrainState empty_for(const CheckpointIdentity& id) { return state_for(id, 0, 0); }

class CheckpointDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("trn-ckpt-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override {
    if (locked_.lock) locked_ = {};  // released before its folder goes
    fs::remove_all(dir_);
    fs::remove_all(dir() + "-experiment");
  }
  std::string dir() const { return dir_.string(); }
  // The experiment lock that prepare_checkpoint_dir takes as proof (in a folder of its own).
  const ExperimentLock& held() {
    if (!locked_.lock) locked_ = lock_experiment(dir() + "-experiment");
    EXPECT_TRUE(locked_.problems.empty()) << locked_.problems.at(0).str();
    return *locked_.lock;
  }
  LockedExperiment locked_;
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
  fs::path dir_;
};

TEST_F(CheckpointDir, RoundTripsKeepsTheNewestTwoAndLeavesNoTemporaryFile) {
  const CheckpointIdentity id = CheckpointIdentity::of(tiny());
  for (int step : {5, 10, 15}) ASSERT_EQ(save_checkpoint(dir(), id, state_for(id, step, step), 2), "");
  EXPECT_EQ(names(), (std::vector<std::string>{"checkpoint-10.bin", "checkpoint-15.bin"}));
  TrainState got = empty_for(id);
  const ResumeResult r = resume_checkpoint(dir(), id, &got);
  ASSERT_EQ(r.kind, ResumeResult::kLoaded);
  EXPECT_TRUE(r.refused.empty());
  EXPECT_EQ(r.path, dir() + "/checkpoint-15.bin");
  EXPECT_EQ(got.step, 15);
  EXPECT_EQ(got.params, state_for(id, 15, 15).params);
  EXPECT_EQ(got.v, state_for(id, 15, 15).v);
}

TEST_F(CheckpointDir, NoFileIsAFreshStart) {
  const CheckpointIdentity id = CheckpointIdentity::of(tiny());
  TrainState got = empty_for(id);
  EXPECT_EQ(resume_checkpoint(dir(), id, &got).kind, ResumeResult::kFresh);
}

// Regression: only the parameter count was compared, so heads 2/1 resumed a 4/2 checkpoint.
TEST_F(CheckpointDir, AnotherShapeWithTheSameParameterCountIsRefused) {
  const CheckpointIdentity a = CheckpointIdentity::of(tiny(4, 2)), b = CheckpointIdentity::of(tiny(2, 1));
  ASSERT_EQ(a.parameters, b.parameters);
  ASSERT_EQ(save_checkpoint(dir(), a, state_for(a, 5, 1), 2), "");
  TrainState got = empty_for(b);
  const ResumeResult r = resume_checkpoint(dir(), b, &got);
  ASSERT_EQ(r.kind, ResumeResult::kRefused);
  ASSERT_EQ(r.refused.size(), 1u);
  EXPECT_EQ(r.refused[0].key, dir() + "/checkpoint-5.bin");
  EXPECT_NE(r.refused[0].value.find("num_attention_heads 4"), std::string::npos) << r.refused[0].str();
  EXPECT_NE(r.refused[0].fix.find("another model shape"), std::string::npos);
}

// Regression: a flipped byte resumed silently. Now the newest is refused, set aside, and
// the previous good one is loaded.
TEST_F(CheckpointDir, AFlippedByteFallsBackToThePreviousCheckpoint) {
  const CheckpointIdentity id = CheckpointIdentity::of(tiny());
  ASSERT_EQ(save_checkpoint(dir(), id, state_for(id, 5, 1), 2), "");
  ASSERT_EQ(save_checkpoint(dir(), id, state_for(id, 10, 2), 2), "");
  {
    std::fstream f(dir_ / "checkpoint-10.bin", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-7, std::ios::end);
    f.put('\x55');
  }
  TrainState got = empty_for(id);
  const ResumeResult r = resume_checkpoint(dir(), id, &got);
  ASSERT_EQ(r.kind, ResumeResult::kLoaded);
  EXPECT_EQ(got.step, 5);
  ASSERT_EQ(r.refused.size(), 1u);
  EXPECT_EQ(r.refused[0].value, "(checksum mismatch)");
  EXPECT_TRUE(fs::exists(dir_ / "checkpoint-10.bin.refused"));
  // The next checkpoint after the fallback keeps the good one, not the damaged one.
  ASSERT_EQ(save_checkpoint(dir(), id, state_for(id, 6, 3), 2), "");
  EXPECT_EQ(names(), (std::vector<std::string>{"checkpoint-10.bin.refused", "checkpoint-5.bin", "checkpoint-6.bin"}));
}

TEST_F(CheckpointDir, NanWeightsNegativeMomentsTruncationAndLegacyFilesAreRefused) {
  const CheckpointIdentity id = CheckpointIdentity::of(tiny());
  TrainState nan = state_for(id, 7, 1);
  nan.params[3] = std::nanf("");
  ASSERT_EQ(save_checkpoint(dir(), id, nan, 2), "");  // a valid checksum over bad values
  TrainState got = empty_for(id);
  ResumeResult r = resume_checkpoint(dir(), id, &got);
  ASSERT_EQ(r.kind, ResumeResult::kRefused);
  EXPECT_EQ(r.refused[0].value, "parameters hold nan at index 3");

  fs::remove_all(dir_);
  TrainState negative = state_for(id, 7, 1);
  negative.v[0] = -1;
  ASSERT_EQ(save_checkpoint(dir(), id, negative, 2), "");
  r = resume_checkpoint(dir(), id, &got);
  ASSERT_EQ(r.kind, ResumeResult::kRefused);
  EXPECT_NE(r.refused[0].value.find("AdamW v"), std::string::npos);

  fs::remove_all(dir_);
  ASSERT_EQ(save_checkpoint(dir(), id, state_for(id, 7, 1), 2), "");
  fs::resize_file(dir_ / "checkpoint-7.bin", fs::file_size(dir_ / "checkpoint-7.bin") - 4);
  r = resume_checkpoint(dir(), id, &got);
  ASSERT_EQ(r.kind, ResumeResult::kRefused);
  EXPECT_NE(r.refused[0].fix.find("truncated"), std::string::npos) << r.refused[0].str();

  fs::remove_all(dir_);
  fs::create_directories(dir_);
  std::ofstream(dir_ / "checkpoint.bin") << "TRNCKPT1" << std::string(64, '\0');
  r = resume_checkpoint(dir(), id, &got);
  ASSERT_EQ(r.kind, ResumeResult::kRefused);
  EXPECT_EQ(r.refused[0].value, "(format 1)");
}

// Regression: the step field was cast to int unchecked (2^32 + 5 resumed at step 5).
TEST_F(CheckpointDir, AnAbsurdStepOrARenamedFileIsRefused) {
  const CheckpointIdentity id = CheckpointIdentity::of(tiny());
  ASSERT_EQ(save_checkpoint(dir(), id, state_for(id, 5, 1), 2), "");
  std::string bytes;
  {
    std::ifstream in(dir_ / "checkpoint-5.bin", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const size_t at = bytes.find("step=5\n");
  ASSERT_NE(at, std::string::npos);
  std::ofstream(dir_ / "checkpoint-5.bin", std::ios::binary) << bytes.replace(at, 7, "step=4294967301\n");
  TrainState got = empty_for(id);
  ResumeResult r = resume_checkpoint(dir(), id, &got);
  ASSERT_EQ(r.kind, ResumeResult::kRefused);
  EXPECT_EQ(r.refused[0].value, "step=4294967301");

  fs::remove_all(dir_);
  ASSERT_EQ(save_checkpoint(dir(), id, state_for(id, 5, 1), 2), "");
  fs::rename(dir_ / "checkpoint-5.bin", dir_ / "checkpoint-9.bin");
  r = resume_checkpoint(dir(), id, &got);
  ASSERT_EQ(r.kind, ResumeResult::kRefused);
  EXPECT_NE(r.refused[0].fix.find("renamed"), std::string::npos);
}

// Regression: a SIGKILL during a write left a full-size temporary file forever, and
// a read-only or full folder was found only when the first checkpoint was written.
TEST_F(CheckpointDir, PreparingRemovesStaleTemporaryFilesAndChecksWritabilityAndRoom) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "checkpoint-5.bin.tmp.0123456789abcdef.1") << std::string(1000, 'x');
  std::ofstream(dir_ / "checkpoint-write-test.tmp.0123456789abcdef.2") << "probe";
  std::ofstream(dir_ / "checkpoint-notes.tmp.txt") << "not ours";
  std::vector<std::string> removed;
  trn::Problem problem;
  ASSERT_TRUE(prepare_checkpoint_dir(dir(), held(), 1000, &removed, &problem)) << problem.str();
  EXPECT_EQ(removed, (std::vector<std::string>{"checkpoint-5.bin.tmp.0123456789abcdef.1",
                                               "checkpoint-write-test.tmp.0123456789abcdef.2"}));
  EXPECT_EQ(names(), std::vector<std::string>{"checkpoint-notes.tmp.txt"});

  EXPECT_FALSE(prepare_checkpoint_dir(dir(), held(), uint64_t{1} << 62, &removed, &problem));
  EXPECT_EQ(problem.key, dir());
  EXPECT_NE(problem.fix.find("a checkpoint needs"), std::string::npos) << problem.str();

  // Not creatable even by root: /proc takes no new folders.
  EXPECT_FALSE(prepare_checkpoint_dir("/proc/trn-no-such/checkpoints", held(), 1000, &removed, &problem));
  EXPECT_EQ(problem.key, "/proc/trn-no-such/checkpoints");
  if (::geteuid() != 0) {  // root writes through permission bits
    fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
    EXPECT_FALSE(prepare_checkpoint_dir(dir(), held(), 1000, &removed, &problem));
    EXPECT_NE(problem.value.find("not writable"), std::string::npos) << problem.str();
    fs::permissions(dir_, fs::perms::owner_all);
  }
}

TEST(CheckpointHeader, ReadsWhatIsWrittenAndRefusesEveryTruncationAndDamage) {
  CheckpointHeader h;
  h.step = 40;
  h.identity = CheckpointIdentity::of(tiny());
  h.payload_bytes = h.identity.parameters * 12;
  h.payload_sha256 = std::string(64, 'a');
  const std::string text = checkpoint_header_text(h);
  CheckpointHeader got;
  trn::Problem problem;
  ASSERT_TRUE(read_checkpoint_header(text + "payload", &got, &problem)) << problem.str();
  EXPECT_EQ(got.step, 40);
  EXPECT_EQ(got.identity.shape, h.identity.shape);
  EXPECT_EQ(got.header_bytes, text.size());
  for (size_t n = 0; n < text.size(); ++n)
    EXPECT_FALSE(read_checkpoint_header(text.substr(0, n), &got, &problem)) << n;
  auto damaged = [&](const std::string& from, const std::string& to) {
    std::string t = text;
    t.replace(t.find(from), from.size(), to);
    return !read_checkpoint_header(t, &got, &problem);
  };
  EXPECT_TRUE(damaged("step=40", "step=0"));
  EXPECT_TRUE(damaged("step=40", "step=-1"));
  EXPECT_TRUE(damaged("step=40", "step=040"));
  EXPECT_TRUE(damaged("step=40", "step=99999999999999999999999"));
  EXPECT_TRUE(damaged("step=40\n", "step=40\nstep=41\n"));
  EXPECT_TRUE(damaged("step=40\n", "extra=1\nstep=40\n"));
  EXPECT_TRUE(damaged("payload_bytes=", "payload_bytes=1"));
  EXPECT_TRUE(damaged("parameters=", "parameters=9"));
  EXPECT_TRUE(damaged(std::string(64, 'a'), std::string(64, 'A')));
}

}  // namespace

// The data position travels with the state (issue 12), and files written before it
// was recorded read as "not recorded" (-1), not as sample 0.
TEST_F(CheckpointDir, ConsumedSamplesRoundTripAndSaveTopK) {
  const CheckpointIdentity id = CheckpointIdentity::of(tiny());
  for (int step : {1, 2, 3, 4}) {
    TrainState s = state_for(id, step, 1);
    s.consumed_samples = 8LL * step + 3;
    ASSERT_EQ(save_checkpoint(dir(), id, s, 3), "");
  }
  EXPECT_EQ(names(), (std::vector<std::string>{"checkpoint-2.bin", "checkpoint-3.bin", "checkpoint-4.bin"}));
  EXPECT_EQ(checkpoint_names(dir()), (std::vector<std::string>{"checkpoint-4.bin", "checkpoint-3.bin", "checkpoint-2.bin"}));
  TrainState got = empty_for(id);
  ASSERT_EQ(resume_checkpoint(dir(), id, &got).kind, ResumeResult::kLoaded);
  EXPECT_EQ(got.consumed_samples, 35);
  ASSERT_EQ(save_checkpoint(dir(), id, state_for(id, 5, 1), -1), "");  // -1 keeps all
  EXPECT_EQ(names().size(), 4u);

  CheckpointHeader h;
  h.step = 3, h.identity = id, h.payload_bytes = 12 * id.parameters, h.payload_sha256 = std::string(64, 'a');
  trn::Problem problem;
  CheckpointHeader back;
  ASSERT_TRUE(read_checkpoint_header(checkpoint_header_text(h), &back, &problem)) << problem.str();
  EXPECT_EQ(back.consumed_samples, -1);
  h.consumed_samples = 24;
  ASSERT_TRUE(read_checkpoint_header(checkpoint_header_text(h), &back, &problem)) << problem.str();
  EXPECT_EQ(back.consumed_samples, 24);
}
