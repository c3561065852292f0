// Settings loading and checkpoints of the native engine.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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
  EXPECT_EQ(s.exp.checkpoint_dir, "nemo_experiments/tiny_native_fixture/checkpoints");  // NeMo's default
}

TEST(TrainSettings, ShippedNativeConfigLoads) {
  trn::Problems problems;
  TrainSettings s;
  ASSERT_TRUE(load_train_settings(std::string(TRN_TOP_DIR) + "/conf/tiny_llama_native.yaml", {}, &s, &problems))
      << problems.front().str();
  EXPECT_EQ(s.shape.vocab_size, 256);
  EXPECT_EQ(s.train.checkpoint_every_n_steps, 10);
}

// Hydra's grammar: `key=` sets an existing key, `++key=` creates one (issue 17).
TEST(TrainSettings, OverridesWinAndCreateKeys) {
  trn::Problems problems;
  TrainSettings s;
  ASSERT_TRUE(load_train_settings(
      kFixture, {"trainer.max_steps=7", "++model.num_layers=1", "++exp_manager.explicit_log_dir=/x"}, &s, &problems))
      << problems.front().str();
  EXPECT_EQ(s.train.max_steps, 7);
  EXPECT_EQ(s.shape.num_layers, 1);
  EXPECT_EQ(s.exp.checkpoint_dir, "/x/checkpoints");
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

// Regression (issue 10): these aborted the trainer with a yaml-cpp exception before
// issue 8's config library; each is one Problem naming the key.
TEST(TrainSettings, HostileOverridesAreOneProblemEach) {
  const std::pair<std::string, std::string> cases[] = {
      {"trainer.max_steps=[1", "trainer.max_steps"}, {"seed.x=1", "seed.x"},
      {"model.optim.betas=[0.9, abc]", "model.optim.betas"}, {"model.optim.betas={a: 1}", "model.optim.betas"},
      {"model.optim.betas=fast", "model.optim.betas"}, {"trainer=5", "trainer"}};
  for (const auto& [arg, key] : cases) {
    trn::Problems problems;
    TrainSettings s;
    EXPECT_NO_THROW(EXPECT_FALSE(load_train_settings(kFixture, {arg}, &s, &problems)) << arg);
    ASSERT_EQ(problems.size(), 1u) << arg;
    EXPECT_EQ(problems[0].key, key) << problems[0].str();
  }
}

// Regression (issue 10): `model.optim: 3` read every optimizer key as unset and trained
// with the defaults.
TEST(TrainSettings, ABlockThatIsASingleValueIsAProblem) {
  trn::Problems problems;
  TrainSettings s;
  EXPECT_FALSE(load_train_settings(kFixture, {"model.optim=3"}, &s, &problems));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].str(), "model.optim = 3: must be a block of keys (e.g. model.optim: {...}), not a single value");
}

// Regression (issue 10): these trained to NaN (or to nothing) and exited 0.
TEST(TrainSettings, NumericallyInvalidShapesAreRefusedWhereTheyWereSet) {
  const fs::path dir = fs::temp_directory_path() / ("trn-numeric-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string json = (dir / "config.json").string(), at = json + ": ";
  struct Case {
    std::string vocab, extra;  // config.json's vocab_size and further fields
    std::vector<std::string> args;
    std::string key, value;
  } cases[] = {
      {"64", R"(, "rms_norm_eps": 0)", {}, at + "rms_norm_eps", "0"},
      {"64", R"(, "rms_norm_eps": -1e-5)", {}, at + "rms_norm_eps", "-1e-5"},
      {"64", R"(, "rope_theta": 0)", {}, at + "rope_theta", "0"},
      {"64", "", {"+model.rope_theta=-10000"}, "model.rope_theta", "-10000"},
      {"64", "", {"+model.rope_theta=1e-45"}, "model.rope_theta", "1e-45"},
      {"64", "", {"+model.rope_theta=1e300"}, "model.rope_theta", "1e300"},
      {"1", "", {}, at + "vocab_size", "1"},
      {"64", "", {"~model.model_config", "+model.vocab_size=64", "+model.hidden_size=64", "+model.ffn_hidden_size=32",
                  "+model.num_layers=2", "+model.num_attention_heads=4", "+model.num_query_groups=3"},
       "model.num_query_groups", "3"},
  };
  for (Case& c : cases) {
    std::ofstream(json) << R"({"vocab_size": )" << c.vocab << R"(, "hidden_size": 64, "intermediate_size": 32,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2)" << c.extra << "}";
    c.args.insert(c.args.begin(), "model.model_config=" + json);
    trn::Problems problems;
    TrainSettings s;
    EXPECT_FALSE(load_train_settings(kFixture, c.args, &s, &problems)) << c.key << " " << c.value;
    ASSERT_EQ(problems.size(), 1u) << c.key << " " << c.value;
    EXPECT_EQ(problems[0].key, c.key);
    EXPECT_EQ(problems[0].value, c.value);
  }
  fs::remove_all(dir);
}

// The fuzz target's entry point: text in, Problems out, no file read.
TEST(TrainSettings, ParsesFromTextWithoutFiles) {
  trn::Problems problems;
  TrainSettings s;
  ASSERT_TRUE(parse_train_settings("data: {seq_length: 16}\nmodel: {model_config: any.json}\n",
                                   R"({"vocab_size": 32, "hidden_size": 32, "intermediate_size": 64,
                                       "num_hidden_layers": 1, "num_attention_heads": 2})",
                                   &s, &problems))
      << problems.front().str();
  EXPECT_EQ(s.shape.num_kv_heads, 2);
  for (const char* junk : {"", "[", "{a: [}", "model: {model_config: x}", "\t\x01", "data: {seq_length: 1e999}"}) {
    problems.clear();
    EXPECT_NO_THROW(parse_train_settings(junk, junk, &s, &problems)) << junk;
  }
}

}  // namespace

// The exp_manager and validation keys of issue 12, as NxDT's configs write them.
TEST(TrainSettings, ExperimentAndValidationKeys) {
  trn::Problems problems;
  TrainSettings s;
  ASSERT_TRUE(load_train_settings(kFixture,
                                  {"exp_manager.exp_dir=/fsx/exp", "exp_manager.name=hf_llama",
                                   "exp_manager.version=v2", "exp_manager.checkpoint_callback_params.save_top_k=1",
                                   "exp_manager.resume_if_exists=False", "exp_manager.resume_from_checkpoint=/ck",
                                   "model.weight_init_only=true", "trainer.val_check_interval=0.25",
                                   "trainer.limit_val_batches=0.0"},
                                  &s, &problems))
      << problems.front().str();
  EXPECT_EQ(s.exp.log_dir, "/fsx/exp/hf_llama/v2");
  EXPECT_EQ(s.exp.version, "v2");
  EXPECT_EQ(s.train.save_top_k, 1);
  EXPECT_FALSE(s.train.resume_if_exists);
  EXPECT_EQ(s.train.resume_from_checkpoint, "/ck");
  EXPECT_TRUE(s.train.weight_init_only);
  EXPECT_DOUBLE_EQ(s.train.val_check_interval, 0.25);
  EXPECT_DOUBLE_EQ(s.train.limit_val_batches, 0.0);
  EXPECT_NE(s.doc.dump().find("hf_llama"), std::string::npos);  // the effective config, for hparams.yaml

  problems.clear();
  EXPECT_FALSE(load_train_settings(kFixture,
                                   {"exp_manager.checkpoint_callback_params.save_top_k=-2",
                                    "exp_manager.resume_if_exists=maybe", "trainer.val_check_interval=-1"},
                                   &s, &problems));
  EXPECT_NE(at(problems, "exp_manager.checkpoint_callback_params.save_top_k"), nullptr);
  EXPECT_NE(at(problems, "exp_manager.resume_if_exists"), nullptr);
  EXPECT_NE(at(problems, "trainer.val_check_interval"), nullptr);
}
