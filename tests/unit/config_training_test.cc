// The NxDT training keys (common/config/training.h): every shipped config reads
// clean; wrong types and out-of-range values are Problems naming key and value.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "common/config/training.h"

namespace {

namespace fs = std::filesystem;
using trn::Problems;
using trn::config::Document;
using trn::config::read_training_config;
using trn::config::TrainingConfig;

// The source tree: $TRN_TOP (tests/run exports it), else the working directory.
std::string top() {
  const char* t = std::getenv("TRN_TOP");
  return t && *t ? t : ".";
}

// The fixture with `overrides` applied as `++key=value` (add or set): these tests are
// about the values' ranges, not about which keys the fixture happens to have.
Document tiny(const std::vector<std::string>& overrides = {}) {
  Problems p;
  Document d;
  EXPECT_TRUE(Document::load(top() + "/tests/fixtures/tiny_native.yaml", &d, &p));
  std::vector<std::string> forced;
  for (const auto& o : overrides) forced.push_back(o[0] == '~' || o[0] == '+' ? o : "++" + o);
  EXPECT_TRUE(d.apply_overrides(forced, &p));
  EXPECT_TRUE(p.empty()) << p.front().str();
  return d;
}

// Problems of reading the fixture with `overrides` applied.
Problems problems_with(const std::vector<std::string>& overrides) {
  TrainingConfig c;
  Problems p;
  EXPECT_FALSE(read_training_config(tiny(overrides), &c, &p));
  return p;
}

TEST(TrainingConfig, EveryShippedConfigReadsWithoutProblems) {
  int seen = 0;
  for (const auto& e : fs::directory_iterator(top() + "/conf")) {
    if (e.path().extension() != ".yaml") continue;
    Problems p;
    Document d;
    ASSERT_TRUE(Document::load(e.path().string(), &d, &p)) << p.front().str();
    TrainingConfig c;
    EXPECT_TRUE(read_training_config(d, &c, &p)) << e.path() << ": " << p.front().str();
    ++seen;
  }
  EXPECT_GE(seen, 6);
}

TEST(TrainingConfig, ReadsNxdtValuesAndFollowsReferences) {
  Problems p;
  Document d;
  ASSERT_TRUE(Document::load(top() + "/conf/hf_llama3_70B_config.yaml", &d, &p));
  TrainingConfig c;
  ASSERT_TRUE(read_training_config(d, &c, &p));
  EXPECT_EQ(c.max_steps, 30000);
  EXPECT_EQ(c.optim.decay_steps, 30000);  // sched.max_steps: ${trainer.max_steps}
  EXPECT_EQ(c.global_batch_size, 1024);
  EXPECT_EQ(c.seq_length, 8192);  // model.encoder_seq_length
  EXPECT_DOUBLE_EQ(c.optim.min_lr, 1e-6);
  EXPECT_DOUBLE_EQ(c.optim.beta2, 0.95);
  EXPECT_EQ(c.checkpoint_every_n_steps, 10);
  EXPECT_EQ(c.explicit_log_dir, "");  // null
  EXPECT_EQ(c.model_config, "/home/ubuntu/config.json");
  EXPECT_EQ(c.compiler_cache_url, "/home/ubuntu/neuron_cache");

  d.apply_overrides({"trainer.max_steps=50"}, &p);
  ASSERT_TRUE(read_training_config(d, &c, &p));
  EXPECT_EQ(c.optim.decay_steps, 50);
}

TEST(TrainingConfig, DefaultsWhenAbsent) {
  Document d;
  Problems p;
  ASSERT_TRUE(Document::parse("data: {micro_batch_size: 4}\nmodel: {optim: {lr: 0.001}}", "test", &d, &p));
  TrainingConfig c;
  ASSERT_TRUE(read_training_config(d, &c, &p));
  EXPECT_EQ(c.max_steps, 10);
  EXPECT_EQ(c.global_batch_size, 4);  // micro_batch_size
  EXPECT_EQ(c.optim.decay_steps, 10);
  EXPECT_DOUBLE_EQ(c.optim.min_lr, 1e-4);  // lr / 10
  EXPECT_EQ(c.seq_length, 0);
  EXPECT_EQ(c.seed, 1234);
}

TEST(TrainingConfig, DataSeqLengthWinsOverEncoderSeqLength) {
  TrainingConfig c;
  Problems p;
  ASSERT_TRUE(read_training_config(tiny({"model.encoder_seq_length=64", "data.seq_length=16"}), &c, &p));
  EXPECT_EQ(c.seq_length, 16);
}

TEST(TrainingConfig, WrongTypeNamesKeyAndValueOnce) {
  const Problems p = problems_with({"trainer.max_steps=ten"});
  ASSERT_EQ(p.size(), 1u);  // not repeated through sched.max_steps
  EXPECT_EQ(p[0].key, "trainer.max_steps");
  EXPECT_EQ(p[0].value, "ten");
  EXPECT_NE(p[0].fix.find("whole number"), std::string::npos);

  for (const auto& [arg, key] : std::vector<std::pair<std::string, std::string>>{
           {"data.micro_batch_size=1.5", "data.micro_batch_size"},
           {"model.optim.lr=fast", "model.optim.lr"},
           {"data.train_dir=[a, b]", "data.train_dir"},
           {"model.optim.betas=0.9", "model.optim.betas"},
           {"seed=abc", "seed"},
           {"model.optim.sched.max_steps=${trainer.max_steps}", ""}}) {
    TrainingConfig c;
    Problems q;
    read_training_config(tiny({arg}), &c, &q);
    if (key.empty()) {
      EXPECT_TRUE(q.empty()) << arg;
    } else {
      ASSERT_EQ(q.size(), 1u) << arg;
      EXPECT_EQ(q[0].key, key) << arg;
    }
  }
}

// Regression (issue 10): `model.optim: 3` read every optimizer key as unset, so the run
// trained silently with the defaults; an empty or null block is still fine.
TEST(TrainingConfig, ABlockGivenAsASingleValueIsAProblem) {
  for (const char* block : {"trainer", "data", "model", "model.optim", "model.optim.sched", "exp_manager",
                            "exp_manager.checkpoint_callback_params"}) {
    const Problems p = problems_with({std::string(block) + "=3"});
    ASSERT_EQ(p.size(), 1u) << block;
    EXPECT_EQ(p[0].str(), std::string(block) + " = 3: must be a block of keys (e.g. " + block + ": {...}), not a "
                                                                                               "single value");
  }
  for (const char* fine : {"model.optim.sched=null", "exp_manager={}"}) {
    TrainingConfig c;
    Problems p;
    EXPECT_TRUE(read_training_config(tiny({fine}), &c, &p)) << fine << ": " << p.front().str();
  }
}

TEST(TrainingConfig, OutOfRangeValuesAreProblems) {
  for (const auto& [arg, key] : std::vector<std::pair<std::string, std::string>>{
           {"trainer.max_steps=0", "trainer.max_steps"},
           {"trainer.max_steps=2000000000", "trainer.max_steps"},
           {"trainer.log_every_n_steps=0", "trainer.log_every_n_steps"},
           {"trainer.gradient_clip_val=-1", "trainer.gradient_clip_val"},
           {"data.micro_batch_size=0", "data.micro_batch_size"},
           {"data.global_batch_size=-8", "data.global_batch_size"},
           {"data.seq_length=0", "data.seq_length"},
           {"seed=-1", "seed"},
           {"model.optim.lr=0", "model.optim.lr"},
           {"model.optim.weight_decay=2", "model.optim.weight_decay"},
           {"model.optim.betas=[0.9, 1.5]", "model.optim.betas"},
           {"model.optim.betas=[0.9]", "model.optim.betas"},
           {"model.optim.sched.min_lr=0.5", "model.optim.sched.min_lr"},  // above lr
           {"model.optim.sched.warmup_steps=-1", "model.optim.sched.warmup_steps"},
           {"exp_manager.checkpoint_callback_params.every_n_train_steps=-1",
            "exp_manager.checkpoint_callback_params.every_n_train_steps"}}) {
    const Problems p = problems_with({arg});
    ASSERT_EQ(p.size(), 1u) << arg;
    EXPECT_EQ(p[0].key, key) << arg;
    EXPECT_EQ(p[0].value, arg.substr(arg.find('=') + 1)) << arg;
  }
}

TEST(TrainingConfig, ReportsEveryProblemAtOnce) {
  const Problems p = problems_with({"trainer.max_steps=0", "data.micro_batch_size=x", "model.optim.lr=-1"});
  EXPECT_EQ(p.size(), 3u);
}

}  // namespace
