// Issue 17, defect 10: one NEURON_CC_FLAGS tokenizer (common/cc_flags.h) for the
// launcher's environment, the cache's location and the compile step, on words, never
// on substrings.
#include <gtest/gtest.h>

#include "common/cc_flags.h"

namespace trn {
namespace {

TEST(CcFlags, SplitAsShlexDoes) {
  EXPECT_EQ(split_cc_flags(" --a  'b c' \"d\\\"e\" f\\ g "),
            (std::vector<std::string>{"--a", "b c", "d\"e", "f g"}));
  EXPECT_TRUE(split_cc_flags("").empty());
}

TEST(CcFlags, FlagsAreWordsNotSubstrings) {
  EXPECT_TRUE(has_cc_flag("--model-type transformer --lnc=2", "--lnc"));
  EXPECT_TRUE(has_cc_flag("--lnc 2", "--lnc"));
  // A substring search took --lnc-extra (or a path holding "--lnc") for the LNC flag.
  EXPECT_FALSE(has_cc_flag("--lnc-extra=1", "--lnc"));
  EXPECT_FALSE(has_cc_flag("--cache_dir='/fsx/a --lnc b'", "--lnc"));
  EXPECT_EQ(cc_flag_value("--x --cache_dir='/fsx/my cache' --y", "--cache_dir"), "/fsx/my cache");
  EXPECT_EQ(cc_flag_value("--cache_dir /c", "--cache_dir"), "/c");
  EXPECT_EQ(cc_flag_value("--cache_dirx=/c", "--cache_dir"), "");
  EXPECT_TRUE(has_cc_words("-O1 --model-type transformer", "--model-type transformer"));
  EXPECT_FALSE(has_cc_words("--model-type transformer", "--model-type transformer -O1"));
}

}  // namespace
}  // namespace trn
