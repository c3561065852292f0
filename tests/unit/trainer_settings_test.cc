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

// The problem at `key`, or nullptr.
const trn::Problem* at(const trn::Problems& problems, const std::string& key) {
  for (const auto& p : problems)
    if (p.key == key) return &p;
  return nullptr;
}

TEST(TrainSettings, LoadsFixtureWithShapeFromConfigJson) {
  trn::Problems problems;
  TrainSettings s;
  ASSERT_TRUE(load_train_settings(kFixture, {}, &s, &problems)) << problems.front().str();
  EXPECT_EQ(s.shape.hidden_size, 64);
  EXPECT_EQ(s.shape.num_kv_heads, 2);
  EXPECT_EQ(s.shape.seq_length, 32);
  EXPECT_EQ(s.train.global_batch_size, 8);
  EXPECT_DOUBLE_EQ(s.train.optim.beta2, 0.95);
  EXPECT_EQ(s.train.optim.decay_steps, 40);  // trainer.max_steps
  EXPECT_EQ(s.checkpoint_dir, "checkpoints");
}

TEST(TrainSettings, ShippedNativeConfigLoads) {
  trn::Problems problems;
  TrainSettings s;
  ASSERT_TRUE(load_train_settings(std::string(TRN_TOP_DIR) + "/conf/tiny_llama_native.yaml", {}, &s, &problems))
      << problems.front().str();
  EXPECT_EQ(s.shape.vocab_size, 256);
  EXPECT_EQ(s.train.checkpoint_every_n_steps, 10);
}

TEST(TrainSettings, OverridesWinAndCreateKeys) {
  trn::Problems problems;
  TrainSettings s;
  ASSERT_TRUE(load_train_settings(
      kFixture, {"trainer.max_steps=7", "model.num_layers=1", "exp_manager.explicit_log_dir=/x"}, &s, &problems))
      << problems.front().str();
  EXPECT_EQ(s.train.max_steps, 7);
  EXPECT_EQ(s.shape.num_layers, 1);
  EXPECT_EQ(s.checkpoint_dir, "/x/checkpoints");
}

TEST(TrainSettings, ReportsEveryProblemWithKeyAndValue) {
  trn::Problems problems;
  TrainSettings s;
  EXPECT_FALSE(load_train_settings(kFixture, {"trainer.max_steps=abc", "data.train_dir=/fsx/data"}, &s, &problems));
  ASSERT_NE(at(problems, "trainer.max_steps"), nullptr);
  EXPECT_EQ(at(problems, "trainer.max_steps")->value, "abc");
  ASSERT_NE(at(problems, "data.train_dir"), nullptr);
  EXPECT_EQ(at(problems, "data.train_dir")->value, "/fsx/data");
}

// Regression: `trainer.foo=[` made the trainer abort with an uncaught YAML::ParserException.
TEST(TrainSettings, MalformedOverrideIsAProblemNotAnException) {
  for (const std::string arg : {"trainer.foo=[", "nonsense", "model.optim.betas=[0.9"}) {
    trn::Problems problems;
    TrainSettings s;
    EXPECT_NO_THROW(EXPECT_FALSE(load_train_settings(kFixture, {arg}, &s, &problems)) << arg);
    ASSERT_EQ(problems.size(), 1u) << arg;
  }
  trn::Problems problems;
  TrainSettings s;
  load_train_settings(kFixture, {"trainer.foo=["}, &s, &problems);
  EXPECT_EQ(problems[0].key, "trainer.foo");
  EXPECT_EQ(problems[0].value, "[");
}

TEST(TrainSettings, UnreadableConfigIsAProblem) {
  trn::Problems problems;
  TrainSettings s;
  EXPECT_FALSE(load_train_settings("/nonexistent/x.yaml", {}, &s, &problems));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].key, "/nonexistent/x.yaml");
}

TEST(TrainSettings, MissingModelConfigNamesTheKey) {
  trn::Problems problems;
  TrainSettings s;
  EXPECT_FALSE(load_train_settings(kFixture, {"model.model_config=missing.json"}, &s, &problems));
  ASSERT_NE(at(problems, "model.model_config"), nullptr);
  EXPECT_EQ(at(problems, "model.model_config")->value, "missing.json");
}

TEST(TrainSettings, ShapeProblemsNameWhereTheValueCameFrom) {
  trn::Problems problems;
  TrainSettings s;
  // Megatron-style inline shape: 10 is not divisible by 4 heads.
  EXPECT_FALSE(load_train_settings(kFixture,
                                   {"~model.model_config", "+model.vocab_size=64", "+model.hidden_size=10",
                                    "+model.ffn_hidden_size=32", "+model.num_layers=2",
                                    "+model.num_attention_heads=4"},
                                   &s, &problems));
  ASSERT_EQ(problems.size(), 1u) << problems.front().str();
  EXPECT_EQ(problems[0].key, "model.hidden_size");
  EXPECT_EQ(problems[0].value, "10");

  problems.clear();
  EXPECT_FALSE(load_train_settings(kFixture, {"~data.seq_length"}, &s, &problems));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].str(), "data.seq_length = (absent): must be a positive integer");

  // A bad value in the HF config.json names the file and the key.
  const fs::path dir = fs::temp_directory_path() / ("trn-settings-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "config.json") << R"({"vocab_size": 64, "hidden_size": "wide", "intermediate_size": 32,
      "num_hidden_layers": 2, "num_attention_heads": 4})";
  problems.clear();
  EXPECT_FALSE(load_train_settings(kFixture, {"model.model_config=" + (dir / "config.json").string()}, &s, &problems));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].key, (dir / "config.json").string() + ": hidden_size");
  EXPECT_EQ(problems[0].value, "wide");
  fs::remove_all(dir);
}

TEST(Checkpoint, RoundTripsAndRejectsForeignOrTruncatedFiles) {
  const fs::path dir = fs::temp_directory_path() / ("trn-ckpt-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  TrainState a{5, {1, 2, 3}, {4, 5, 6}, {7, 8, 9}};
  ASSERT_EQ(save_checkpoint(dir.string(), a), "");
  TrainState b{0, std::vector<float>(3), std::vector<float>(3), std::vector<float>(3)};
  bool found = false;
  trn::Problem problem;
  ASSERT_TRUE(load_checkpoint(dir.string(), &b, &found, &problem));
  EXPECT_TRUE(found);
  EXPECT_EQ(b.step, 5);
  EXPECT_EQ(b.v, a.v);
  // no temp files left behind
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);

  // A writer killed mid-write leaves only its temporary sibling: the published checkpoint is untouched,
  // and the next save replaces it whole.
  std::ofstream(dir / "checkpoint.bin.tmp.killed") << "partial";
  ASSERT_TRUE(load_checkpoint(dir.string(), &b, &found, &problem));
  EXPECT_EQ(b.step, 5);
  ASSERT_EQ(save_checkpoint(dir.string(), {6, a.params, a.m, a.v}), "");
  ASSERT_TRUE(load_checkpoint(dir.string(), &b, &found, &problem));
  EXPECT_EQ(b.step, 6);
  fs::remove(dir / "checkpoint.bin.tmp.killed");

  TrainState other{0, std::vector<float>(4), std::vector<float>(4), std::vector<float>(4)};
  EXPECT_FALSE(load_checkpoint(dir.string(), &other, &found, &problem));
  EXPECT_EQ(problem.key, (dir / "checkpoint.bin").string());
  EXPECT_NE(problem.fix.find("another model shape"), std::string::npos);

  fs::resize_file(dir / "checkpoint.bin", 30);
  EXPECT_FALSE(load_checkpoint(dir.string(), &b, &found, &problem));
  EXPECT_EQ(problem.value, "(truncated)");

  TrainState fresh{0, std::vector<float>(3), std::vector<float>(3), std::vector<float>(3)};
  fs::remove_all(dir);
  EXPECT_TRUE(load_checkpoint(dir.string(), &fresh, &found, &problem));
  EXPECT_FALSE(found);
}

}  // namespace
