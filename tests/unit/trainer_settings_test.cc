// Settings loading and checkpoints of the native engine.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "trainer/checkpoint.h"
#include "trainer/train_settings.h"

namespace {

namespace fs = std::filesystem;
using namespace trn::native;

const std::string kFixture = std::string(TRN_TOP_DIR) + "/tests/fixtures/tiny_native.yaml";

bool any_contains(const std::vector<std::string>& v, const std::string& needle) {
  for (const auto& s : v)
    if (s.find(needle) != std::string::npos) return true;
  return false;
}

TEST(TrainSettings, LoadsFixtureWithShapeFromConfigJson) {
  std::vector<std::string> errors;
  const TrainSettings s = load_train_settings(kFixture, {}, &errors);
  ASSERT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(s.shape.hidden_size, 64);
  EXPECT_EQ(s.shape.num_kv_heads, 2);
  EXPECT_EQ(s.shape.seq_length, 32);
  EXPECT_EQ(s.global_batch, 8);
  EXPECT_FLOAT_EQ(s.beta2, 0.95f);
  EXPECT_EQ(s.checkpoint_dir, "checkpoints");
}

TEST(TrainSettings, OverridesWinAndCreateKeys) {
  std::vector<std::string> errors;
  const TrainSettings s = load_train_settings(
      kFixture, {"trainer.max_steps=7", "model.num_layers=1", "exp_manager.explicit_log_dir=/x"}, &errors);
  ASSERT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(s.max_steps, 7);
  EXPECT_EQ(s.shape.num_layers, 1);
  EXPECT_EQ(s.checkpoint_dir, "/x/checkpoints");
}

TEST(TrainSettings, ReportsEveryProblemWithKeyAndValue) {
  std::vector<std::string> errors;
  load_train_settings(kFixture, {"trainer.max_steps=abc", "data.train_dir=/fsx/data", "nonsense"}, &errors);
  EXPECT_TRUE(any_contains(errors, "trainer.max_steps = 'abc'"));
  EXPECT_TRUE(any_contains(errors, "data.train_dir = '/fsx/data'"));
  EXPECT_TRUE(any_contains(errors, "override 'nonsense'"));
}

TEST(TrainSettings, MissingModelConfigNamesTheKey) {
  std::vector<std::string> errors;
  load_train_settings(kFixture, {"model.model_config=missing.json"}, &errors);
  EXPECT_TRUE(any_contains(errors, "model.model_config = 'missing.json'"));
}

TEST(Checkpoint, RoundTripsAndRejectsForeignOrTruncatedFiles) {
  const fs::path dir = fs::temp_directory_path() / ("trn-ckpt-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  TrainState a{5, {1, 2, 3}, {4, 5, 6}, {7, 8, 9}};
  ASSERT_EQ(save_checkpoint(dir.string(), a), "");
  TrainState b{0, std::vector<float>(3), std::vector<float>(3), std::vector<float>(3)};
  bool found = false;
  ASSERT_EQ(load_checkpoint(dir.string(), &b, &found), "");
  EXPECT_TRUE(found);
  EXPECT_EQ(b.step, 5);
  EXPECT_EQ(b.v, a.v);
  // no temp files left behind
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);

  TrainState other{0, std::vector<float>(4), std::vector<float>(4), std::vector<float>(4)};
  EXPECT_NE(load_checkpoint(dir.string(), &other, &found).find("another model shape"), std::string::npos);

  fs::resize_file(dir / "checkpoint.bin", 30);
  EXPECT_NE(load_checkpoint(dir.string(), &b, &found).find("truncated"), std::string::npos);

  TrainState fresh{0, std::vector<float>(3), std::vector<float>(3), std::vector<float>(3)};
  fs::remove_all(dir);
  EXPECT_EQ(load_checkpoint(dir.string(), &fresh, &found), "");
  EXPECT_FALSE(found);
}

}  // namespace
