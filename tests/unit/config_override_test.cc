// Issue 17: command-line overrides read exactly as Hydra's basic override grammar
// reads them (common/config/override.h), and YAML files with a duplicated key refused
// (common/config/duplicate_keys.h), as OmegaConf refuses them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "common/config/document.h"
#include "common/config/override.h"
#include "common/nearest.h"
#include "config_test_util.h"

namespace trn::config {
namespace {

const char* kConfig = "trainer: {max_steps: 10, devices: 32}\nmodel: {name: x}\nexp_manager: {explicit_log_dir: null}\n";

// Defect 1: a mistyped key was created silently and the config's value trained.
TEST(Override, MistypedKeyIsRefusedWithTheNearestKeys) {
  Document d = doc_of(kConfig);
  Problems p;
  EXPECT_FALSE(d.apply_overrides({"trainer.max_step=3", "tranier.max_steps=10"}, &p));
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].key, "trainer.max_step");
  EXPECT_NE(p[0].fix.find("did you mean trainer.max_steps"), std::string::npos) << p[0].fix;
  EXPECT_NE(p[0].fix.find("+trainer.max_step=3"), std::string::npos) << p[0].fix;
  EXPECT_NE(p[1].fix.find("trainer.max_steps"), std::string::npos) << p[1].fix;
  EXPECT_EQ(*d.get_int("trainer.max_steps", 1, 100, &p), 10);
  EXPECT_FALSE(d.has("trainer.max_step"));
}

// Defect 2: `+` on an existing key and `~` on a missing one passed; `++` made a literal "+trainer".
TEST(Override, PrefixesMeanWhatTheyMeanInHydra) {
  Document d = doc_of(kConfig);
  Problems p;
  EXPECT_FALSE(d.apply_overrides({"+trainer.max_steps=2"}, &p));
  EXPECT_FALSE(d.apply_overrides({"~trainer.missing"}, &p));
  EXPECT_FALSE(d.apply_overrides({"~trainer.max_steps=11"}, &p));  // holds 10
  ASSERT_EQ(p.size(), 3u);
  EXPECT_NE(p[0].fix.find("already set"), std::string::npos);
  EXPECT_NE(p[2].fix.find("holds 10"), std::string::npos);
  p.clear();
  EXPECT_TRUE(d.apply_overrides({"++trainer.max_steps=2", "++trainer.new_key=1", "+model.hidden=4",
                                 "~trainer.devices=32", "~model.name", "exp_manager.explicit_log_dir=/x"},
                                &p))
      << p[0].str();
  EXPECT_EQ(*d.get_int("trainer.max_steps", 1, 100, &p), 2);
  EXPECT_EQ(*d.get_int("trainer.new_key", 1, 100, &p), 1);
  EXPECT_EQ(*d.get_int("model.hidden", 1, 100, &p), 4);
  EXPECT_FALSE(d.has("trainer.devices"));
  EXPECT_FALSE(d.has("model.name"));
  EXPECT_EQ(*d.get_string("exp_manager.explicit_log_dir", &p), "/x");  // a null key exists
  const std::vector<std::string> top = d.keys("");
  EXPECT_TRUE(std::find(top.begin(), top.end(), "+trainer") == top.end());
  EXPECT_TRUE(p.empty());
}

TEST(Override, LaunchKeysAreOursAndNeedNoPlus) {
  Document d = doc_of(kConfig);
  Problems p;
  EXPECT_TRUE(d.apply_overrides({"launch.backend=native", "launch.ports.master=4000-4100"}, &p));
  EXPECT_EQ(*d.get_string("launch.backend", &p), "native");
  EXPECT_EQ(*d.get_string("launch.ports.master", &p), "4000-4100");
}

TEST(Override, ValuesAsHydraReadsThem) {
  Problems p;
  auto value = [&](const std::string& text) {
    auto o = parse_override("k=" + text, &p);
    return o ? *o->value : YAML::Node(YAML::NodeType::Undefined);
  };
  EXPECT_EQ(value("'a,b'").Scalar(), "a,b");
  EXPECT_EQ(value("\"it's\"").Scalar(), "it's");
  EXPECT_EQ(value("'it\\'s'").Scalar(), "it's");
  EXPECT_EQ(value("1_000").as<long long>(), 1000);
  EXPECT_EQ(value("3e-4").as<double>(), 3e-4);
  EXPECT_TRUE(std::isinf(value("-inf").as<double>()));
  EXPECT_TRUE(value("NULL").IsNull());
  EXPECT_EQ(value("True").Scalar(), "true");
  EXPECT_EQ(value("").Scalar(), "");
  EXPECT_EQ(value("  spaced text ").Scalar(), "spaced text");
  EXPECT_EQ(value("${trainer.max_steps}").Scalar(), "${trainer.max_steps}");
  EXPECT_EQ(value("/data/a\\,b").Scalar(), "/data/a,b");
  const YAML::Node list = value("[1.0, /data/x, 'y z', [2]]");
  ASSERT_TRUE(list.IsSequence());
  ASSERT_EQ(list.size(), 4u);
  EXPECT_EQ(list[1].Scalar(), "/data/x");
  EXPECT_EQ(list[2].Scalar(), "y z");
  EXPECT_EQ(list[3][0].as<int>(), 2);
  const YAML::Node dict = value("{a: 1, b: [x], c: {d: null}}");
  ASSERT_TRUE(dict.IsMap());
  EXPECT_EQ(dict["a"].as<int>(), 1);
  EXPECT_EQ(dict["b"][0].Scalar(), "x");
  EXPECT_TRUE(dict["c"]["d"].IsNull());
  EXPECT_TRUE(value("[]").IsSequence());
  EXPECT_TRUE(p.empty()) << p[0].str();
}

// Hydra's INT and FLOAT tokens: a number loses its underscores (and inf/nan take YAML's
// spelling); text that is no such token stays as written.
TEST(Override, NumbersAreHydrasTokens) {
  Problems p;
  auto scalar = [&](const std::string& text) {
    auto o = parse_override("k=" + text, &p);
    return o && o->value->IsScalar() ? o->value->Scalar() : std::string("(not a scalar)");
  };
  EXPECT_EQ(scalar("-1_000"), "-1000");
  EXPECT_EQ(scalar("1_0.2_5"), "10.25");
  EXPECT_EQ(scalar("2_0e1_0"), "20e10");
  EXPECT_EQ(scalar("+.5"), "+.5");
  EXPECT_EQ(scalar("5."), "5.");
  EXPECT_EQ(scalar("1.e-3"), "1.e-3");
  EXPECT_EQ(scalar("NaN"), ".nan");
  EXPECT_EQ(scalar("-Inf"), "-.inf");
  // No number: a leading zero, an underscore not between digits, an exponent without digits.
  EXPECT_EQ(scalar("0_7"), "0_7");
  EXPECT_EQ(scalar("1_e5"), "1_e5");
  EXPECT_EQ(scalar("1e5_"), "1e5_");
  EXPECT_EQ(scalar("1e"), "1e");
  EXPECT_TRUE(p.empty()) << p[0].str();
}

TEST(Override, WhatHydraRefusesIsRefused) {
  for (const char* bad : {"k=1,2", "k=choice(1,2)", "k=[1,2", "k={a 1}", "k='open", "k=a=b", "k=<x>", "db/x=1",
                          "k@pkg=1", "a..b=1", "=1", "nokey", "k=${open"}) {
    Problems p;
    EXPECT_FALSE(parse_override(bad, &p)) << bad;
    ASSERT_EQ(p.size(), 1u) << bad;
  }
  Problems p;
  parse_override("k=1,2", &p);
  EXPECT_NE(p[0].fix.find("--multirun"), std::string::npos);
}

// Defect 3: yaml-cpp kept one value of a key written twice; OmegaConf refuses the file.
TEST(DuplicateKeys, AreRefusedNamingBothLines) {
  Document d;
  Problems p;
  EXPECT_FALSE(Document::parse("a: 1\ntrainer:\n  max_steps: 10\n  devices: 2\n  max_steps: 20\n", "c.yaml", &d, &p));
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].key, "c.yaml:5: trainer.max_steps");
  EXPECT_NE(p[0].fix.find("line 3"), std::string::npos);
  p.clear();
  EXPECT_FALSE(Document::parse("a: 1\nb: {x: 1, x: 2}\na: 3\n", "c.yaml", &d, &p));
  EXPECT_EQ(p.size(), 2u);
  p.clear();
  // The same key in different mappings, and list items, are fine.
  EXPECT_TRUE(Document::parse("a: {x: 1}\nb: {x: 2}\nl:\n  - {x: 1}\n  - {x: 2}\n  - [x, x]\n", "c.yaml", &d, &p));
  EXPECT_TRUE(p.empty());
}

TEST(Nearest, FindsTyposAndTranspositions) {
  const std::vector<std::string> keys{"trainer", "trainer.max_steps", "trainer.devices", "data.seq_length"};
  EXPECT_EQ(nearest("tranier", keys), std::vector<std::string>{"trainer"});
  EXPECT_EQ(nearest("trainer.max_step", keys).front(), "trainer.max_steps");
  EXPECT_TRUE(nearest("zzz", keys).empty());
  EXPECT_EQ(did_you_mean("trainer.device", keys), " (did you mean trainer.devices?)");
  EXPECT_EQ(did_you_mean("qqqqqqq", keys), "");
}

}  // namespace
}  // namespace trn::config
