// The instruction-set level of the native graphs (trainer/model/graph_isa.h): chosen
// from the CPU, held lower by TRN_NATIVE_ISA, and part of every graph's cache key, so
// that on a cluster of mixed CPUs a node never loads a graph built for a level it
// lacks and compiles its own instead. The levels here are faked (passed in): the
// test never runs a graph, so it needs no particular CPU.
#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/unit/temp_dir.h"
#include "tests/unit/trainer_kernels_fixture.h"
#include "trainer/model/graph_isa.h"
#include "trainer/model/native_graphs.h"

namespace {

using namespace trn::native;

std::string chosen(int host, const std::string& requested) {
  std::string isa, err;
  return choose_graph_isa(host, requested, &isa, &err) ? isa : "error: " + err;
}

TEST(GraphIsa, TheHostsLevelUnlessHeldLower) {
  EXPECT_EQ(chosen(4, ""), "x86-64-v4");
  EXPECT_EQ(chosen(3, ""), "x86-64-v3");
  EXPECT_EQ(chosen(1, ""), "x86-64");
  EXPECT_EQ(chosen(0, ""), "");  // not x86-64: no -march, the compiler's default
  EXPECT_EQ(chosen(4, "x86-64-v3"), "x86-64-v3");
  EXPECT_EQ(chosen(4, "x86-64"), "x86-64");
  EXPECT_EQ(chosen(3, "x86-64-v4"),
            "error: TRN_NATIVE_ISA = x86-64-v4: this CPU supports at most x86-64-v3: name that or a lower level, "
            "or unset it");
  EXPECT_EQ(chosen(4, "avx2"),
            "error: TRN_NATIVE_ISA = avx2: not an instruction-set level: give x86-64, x86-64-v2, x86-64-v3 or "
            "x86-64-v4 (at most this CPU's), or unset it for this CPU's own");
}

TEST(GraphIsa, GraphsOfAnotherLevelAreNeverLoaded) {
  const trn::test::TempDir dir;
  trn::Problems problems;
  const trn::CacheSettings cache = graph_cache_settings("", {{"TRN_TRAIN_CACHE_DIR", dir.path}}, &problems);
  const ModelShape s = test_support::tiny_shape();
  const int n = static_cast<int>(graph_list(s).size());
  std::string err;
  // A node of level v2 compiles the job's graphs into the shared cache ...
  ASSERT_EQ(compile_graphs(s, cache, 0, &err, std::string("x86-64-v2")), 0) << err;
  KernelTable k;
  // ... a baseline node finds none of them under its keys and compiles its own ...
  auto origins = load_graphs(s, cache, &k, &err, std::string("x86-64"));
  ASSERT_TRUE(origins) << err;
  EXPECT_EQ(origins->compiled, n);
  EXPECT_EQ(origins->from_cache, 0);
  // ... and each level then loads its own from the cache.
  for (const char* isa : {"x86-64", "x86-64-v2"}) {
    origins = load_graphs(s, cache, &k, &err, std::string(isa));
    ASSERT_TRUE(origins) << err;
    EXPECT_EQ(origins->from_cache, n) << isa;
    EXPECT_EQ(origins->compiled, 0) << isa;
  }
}

TEST(GraphIsa, ALevelAboveTheCpusIsRefused) {
  const trn::test::TempDir dir;
  trn::Problems problems;
  const trn::CacheSettings cache = graph_cache_settings("", {{"TRN_TRAIN_CACHE_DIR", dir.path}}, &problems);
  ::setenv("TRN_NATIVE_ISA", "x86-64-v5", 1);
  KernelTable k;
  std::string err;
  EXPECT_FALSE(load_graphs(test_support::tiny_shape(), cache, &k, &err));
  ::unsetenv("TRN_NATIVE_ISA");
  EXPECT_EQ(err.rfind("TRN_NATIVE_ISA = x86-64-v5: not an instruction-set level", 0), 0u) << err;
}

}  // namespace
