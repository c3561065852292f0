// The one config library (common/config): documents, overrides, typed getters,
// strict keys, the site file and the compile-cache location resolver.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include <sys/stat.h>
#include <unistd.h>

#include "common/config/cache_location.h"
#include "common/config/config_paths.h"
#include "common/config/document.h"
#include "common/config/site_file.h"
#include "config_test_util.h"

namespace trn::config {
namespace {

std::string temp_file(const std::string& text) {
  char name[] = "/tmp/trn-config-test-XXXXXX";
  const int fd = mkstemp(name);
  EXPECT_GE(fd, 0);
  ::close(fd);
  std::ofstream(name) << text;
  return name;
}

TEST(Document, MalformedYamlNamesFileAndLine) {
  Document d;
  Problems p;
  EXPECT_FALSE(Document::parse("a: 1\nb: [1, 2\n", "conf/x.yaml", &d, &p));
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].key.rfind("conf/x.yaml:", 0), 0u) << p[0].str();
  EXPECT_FALSE(Document::parse("- a\n- b\n", "list.yaml", &d, &p));  // top level must be a mapping
  EXPECT_FALSE(Document::load("/nonexistent/x.yaml", &d, &p));
}

TEST(Document, TypedGettersReportKeyValueAndFix) {
  const Document d = doc_of("trainer: {max_steps: ten, lr: 1e-3, flag: maybe, n: 5, list: [a, b], nums: [0.9, x]}");
  Problems p;
  EXPECT_FALSE(d.get_int("trainer.max_steps", 1, 100, &p));
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].key, "trainer.max_steps");
  EXPECT_EQ(p[0].value, "ten");
  EXPECT_NE(p[0].fix.find("whole number"), std::string::npos);
  EXPECT_DOUBLE_EQ(*d.get_number("trainer.lr", &p), 1e-3);
  EXPECT_FALSE(d.get_bool("trainer.flag", &p));
  EXPECT_EQ(*d.get_int("trainer.n", 1, 10, &p), 5);
  EXPECT_FALSE(d.get_int("trainer.n", 6, 10, &p));  // out of range
  EXPECT_EQ(d.get_string_list("trainer.list", &p)->size(), 2u);
  EXPECT_FALSE(d.get_number_list("trainer.nums", &p));
  EXPECT_FALSE(d.get_string("trainer", &p));  // a mapping is not a string
  EXPECT_EQ(p.size(), 5u);
  EXPECT_FALSE(d.get_int("trainer.absent", 1, 2, &p));  // absent: not set, no problem
  EXPECT_EQ(p.size(), 5u);
}

TEST(Document, HugeIntegersDoNotWrap) {
  const Document d = doc_of("tp: 4294967298\nbig: 99999999999999999999999\n");
  Problems p;
  EXPECT_FALSE(d.get_int("tp", 1, 1 << 20, &p));
  EXPECT_FALSE(d.get_int("big", 1, 1LL << 40, &p));
  EXPECT_EQ(p.size(), 2u);
}

TEST(Document, OverridesSetAddDeleteAndKeepTypes) {
  Document d = doc_of("trainer: {max_steps: 10}\nmodel: {name: x}\n");
  Problems p;
  EXPECT_TRUE(d.apply_overrides({"trainer.max_steps=20", "+model.optim.betas=[0.9,0.99]", "~model.name",
                                 "++data.flag=true"},
                                &p));
  EXPECT_EQ(*d.get_int("trainer.max_steps", 1, 100, &p), 20);
  EXPECT_EQ(d.get_number_list("model.optim.betas", &p)->at(1), 0.99);
  EXPECT_FALSE(d.has("model.name"));
  EXPECT_TRUE(*d.get_bool("data.flag", &p));
  EXPECT_TRUE(p.empty());
}

// Bug A of issue 8: a malformed override value was an uncaught yaml-cpp exception
// in the trainer and silently a string in the launcher; it is one Problem for both.
TEST(Document, MalformedOverrideIsAProblemNotAnException) {
  Document d = doc_of("trainer: {max_steps: 10}\n");
  Problems p;
  EXPECT_FALSE(d.apply_overrides({"trainer.foo=[", "nokey", "a..b=1", "++trainer.max_steps.x=1"}, &p));
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0].key, "trainer.foo");
  EXPECT_EQ(p[0].value, "[");
  EXPECT_EQ(p[1].key, "override");
  EXPECT_NE(p[3].fix.find("not a mapping"), std::string::npos);
  EXPECT_TRUE(d.apply_overrides({"+trainer.s='['"}, &p));
  EXPECT_EQ(*d.get_string("trainer.s", &p), "[");
}

TEST(Document, StrictKeysAndDottedEntries) {
  const Document d = doc_of("launch: {backend: native, bogus: 1}\ninstances: {trn1.32xlarge: {efa: 8}}\n");
  Problems p;
  d.check_keys("launch", {"backend"}, &p);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].key, "launch.bogus");
  EXPECT_NE(p[0].fix.find("known keys are: backend"), std::string::npos);
  const auto entries = d.entries("instances");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].first, "trn1.32xlarge");
  EXPECT_EQ(*entries[0].second.get_int("efa", 0, 64, &p), 8);
}

TEST(Document, CloneIsDeepAndDumpRoundTrips) {
  Document d = doc_of("a: {b: 1}\n");
  Document c = d.clone();
  c.set_string("a.b", "two \"quoted\"");
  Problems p;
  EXPECT_EQ(*d.get_int("a.b", 0, 9, &p), 1);
  Document back;
  ASSERT_TRUE(Document::parse(c.dump(), "dump", &back, &p));
  EXPECT_EQ(*back.get_string("a.b", &p), "two \"quoted\"");
}

TEST(SiteFile, ReadsKeysAndRefusesUnknownOnes) {
  const std::string good = temp_file("cache_root: /fsx/cache\nports: {master: 42000-42999}\nhost_addresses: {head.x: 10.0.0.1}\n");
  SiteConfig s;
  Problems p;
  ASSERT_TRUE(load_site_config_file(good, &s, &p)) << p[0].str();
  EXPECT_EQ(s.cache_root, "/fsx/cache");
  EXPECT_EQ(s.master_ports, "42000-42999");
  EXPECT_EQ(s.host_addresses.at("head.x"), "10.0.0.1");
  const std::string old = temp_file("ports: {root_comm: 46000-46999}\n");
  EXPECT_FALSE(load_site_config_file(old, &s, &p));
  ASSERT_FALSE(p.empty());
  EXPECT_NE(p.back().fix.find("root_comm_port_range"), std::string::npos) << p.back().str();
  EXPECT_FALSE(load_site_config({{"TRN_TRAIN_SITE_CONF", "/nonexistent.yaml"}}, &s, &p));
  std::remove(good.c_str());
  std::remove(old.c_str());
}

TEST(CacheLocation, PrecedenceFirstMatchWins) {
  CacheSources src;
  Problems p;
  EXPECT_EQ(resolve_cache_settings(src, {}, &p).dir, "/var/tmp/neuron-compile-cache");
  EXPECT_TRUE(resolve_cache_settings(src, {}, &p).node_local_default);
  src.config_url = "file:///config/";
  EXPECT_EQ(resolve_cache_settings(src, {}, &p).dir, "/config");
  src.site_root = "/site";
  EXPECT_EQ(resolve_cache_settings(src, {}, &p).dir, "/site");  // the admin's cache beats an example path
  src.launch_dir = "/launch";
  EXPECT_EQ(resolve_cache_settings(src, {}, &p).dir, "/launch");  // a user's deliberate private cache
  EnvMap env{{"NEURON_COMPILE_CACHE_URL", "/url"}};
  EXPECT_EQ(resolve_cache_settings(src, env, &p).dir, "/url");
  env["NEURON_CC_FLAGS"] = "--model-type transformer --cache_dir=/flags --retry_failed_compilation";
  EXPECT_EQ(resolve_cache_settings(src, env, &p).dir, "/flags");
  EXPECT_TRUE(resolve_cache_settings(src, env, &p).retry_failed);
  env["TRN_TRAIN_CACHE_DIR"] = "/env";
  EXPECT_EQ(resolve_cache_settings(src, env, &p).dir, "/env");
  src.explicit_dir = "/option";
  const CacheSettings s = resolve_cache_settings(src, env, &p);
  EXPECT_EQ(s.dir, "/option");
  EXPECT_EQ(s.dir_source, "--dir");
  EXPECT_FALSE(s.node_local_default);
  EXPECT_TRUE(p.empty());
}

// Issue 20 (defect 4): a config's relative cache folder means the config's folder, the rule
// of every path in a config; the environment's and --dir's are not config paths.
TEST(CacheLocation, RelativeConfigValuesMeanTheConfigFolder) {
  CacheSources src;
  Problems p;
  src.config_dir = "/work/conf";
  src.config_url = "neuron_cache";
  EXPECT_EQ(resolve_cache_settings(src, {}, &p).dir, "/work/conf/neuron_cache");
  src.config_url = "file://../cache/";
  EXPECT_EQ(resolve_cache_settings(src, {}, &p).dir, "/work/cache");
  src.config_url = "s3://bucket/prefix";
  EXPECT_EQ(resolve_cache_settings(src, {}, &p).dir, "s3://bucket/prefix");
  src.launch_dir = "./mine";
  EXPECT_EQ(resolve_cache_settings(src, {}, &p).dir, "/work/conf/mine");
  EXPECT_EQ(resolve_cache_settings(src, {{"TRN_TRAIN_CACHE_DIR", "rel"}}, &p).dir, "rel");
  src.config_dir.clear();  // no config behind the values (the cache test driver)
  EXPECT_EQ(resolve_cache_settings(src, {}, &p).dir, "./mine");
  EXPECT_TRUE(p.empty());
}

// NxDT's orchestrator exports compiler_cache_url as written, so `run` hands it over absolute.
TEST(ConfigPaths, CompilerCacheUrlIsAPathUnlessAUrl) {
  Document d;
  Problems p;
  ASSERT_TRUE(Document::parse("compiler_cache_url: neuron_cache\n", "x.yaml", &d, &p));
  EXPECT_EQ(make_paths_absolute(&d, "/work/conf"), std::vector<std::string>{"compiler_cache_url"});
  EXPECT_EQ(d.value("compiler_cache_url").Scalar(), "/work/conf/neuron_cache");
  for (const char* url : {"s3://bucket/x", "file://neuron_cache", "/abs/cache"}) {
    ASSERT_TRUE(Document::parse(std::string("compiler_cache_url: ") + url + "\n", "x.yaml", &d, &p));
    EXPECT_TRUE(make_paths_absolute(&d, "/work/conf").empty()) << url;
    EXPECT_EQ(d.value("compiler_cache_url").Scalar(), url);
  }
}

TEST(CacheLocation, BadSizesAndTimingsAreProblems) {
  CacheSources src;
  Problems p;
  resolve_cache_settings(src, {{"TRN_CACHE_MAX_SIZE", "1e30"}, {"TRN_CACHE_STALE_S", "-1"}}, &p);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].key, "TRN_CACHE_MAX_SIZE");
  EXPECT_EQ(p[1].key, "TRN_CACHE_STALE_S");
  src.site_max_size = "200G";
  EXPECT_EQ(resolve_cache_settings(src, {}, &p).max_bytes, 200ULL << 30);
}

}  // namespace
}  // namespace trn::config

namespace trn::config {
namespace {

// Issue 10: a world- or group-writable site file (it steers sbatch, the master
// address and the cache for everyone) is refused with the chmod fix.
TEST(SiteFile, UntrustedSiteFileIsRefused) {
  const std::string path = temp_file("partition: x\n");
  SiteConfig s;
  Problems p;
  ::chmod(path.c_str(), 0666);
  EXPECT_FALSE(load_site_config_file(path, &s, &p));
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].fix.find("chmod o-w"), std::string::npos) << p[0].str();
  p.clear();
  // Group-writable by a group other than root's (as root, give the file such a group).
  if (::getegid() == 0) {
    ASSERT_EQ(::chown(path.c_str(), static_cast<uid_t>(-1), 4242), 0);
  }
  ::chmod(path.c_str(), 0620);
  EXPECT_FALSE(load_site_config_file(path, &s, &p));
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NE(p[0].fix.find("chmod g-w"), std::string::npos) << p[0].str();
  ::chmod(path.c_str(), 0644);
  p.clear();
  EXPECT_TRUE(load_site_config_file(path, &s, &p));
  std::remove(path.c_str());
}

// A FIFO or device named as a config must not hang or flood the reader.
TEST(Document, RefusesNonRegularFiles) {
  const std::string fifo = "/tmp/trn-config-fifo-" + std::to_string(::getpid());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  Document d;
  Problems p;
  EXPECT_FALSE(Document::load(fifo, &d, &p));
  EXPECT_FALSE(Document::load("/dev/zero", &d, &p));
  ASSERT_EQ(p.size(), 2u);
  EXPECT_NE(p[0].fix.find("regular"), std::string::npos);
  std::remove(fifo.c_str());
}

}  // namespace
}  // namespace trn::config
