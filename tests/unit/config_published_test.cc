// Every shipped NxDT config carries the published values (issue 9, B9): conf/<name>.yaml,
// less trn-train's own `launch:` block, must equal the record in
// tests/fixtures/published/<name>.yaml, taken from NxDT's examples/conf/ (SDK 2.26).
// A shipped config that drifts (the 8B config once carried the 70B's steps,
// checkpoint name, recompute list, optimizer and schedule) fails here, key by key.
#include <gtest/gtest.h>

#include <dirent.h>

#include <string>
#include <vector>

#include "common/config/document.h"

namespace trn::config {
namespace {

std::vector<std::string> published_names() {
  std::vector<std::string> names;
  if (DIR* d = ::opendir("tests/fixtures/published")) {
    while (dirent* e = ::readdir(d)) {
      const std::string n = e->d_name;
      if (n.size() > 5 && n.compare(n.size() - 5, 5, ".yaml") == 0) names.push_back(n.substr(0, n.size() - 5));
    }
    ::closedir(d);
  }
  return names;
}

// "a.b.c = value" for every leaf, so a difference names its key.
void flatten(const Document& doc, const std::string& prefix, std::vector<std::string>* out) {
  for (const auto& [key, entry] : doc.entries(prefix)) {
    const std::string full = prefix.empty() ? key : prefix + "." + key;
    if (doc.keys(full).empty()) {
      out->push_back(full + " = " + doc.text(full));
    } else {
      flatten(doc, full, out);
    }
  }
}

TEST(PublishedConfigs, ShippedConfigsCarryThePublishedValues) {
  const auto names = published_names();
  ASSERT_GE(names.size(), 9u) << "run from the repository root";
  for (const auto& name : names) {
    Problems problems;
    Document published, shipped;
    ASSERT_TRUE(Document::load("tests/fixtures/published/" + name + ".yaml", &published, &problems)) << name;
    ASSERT_TRUE(Document::load("conf/" + name + ".yaml", &shipped, &problems)) << name;
    shipped.apply_overrides({"~launch"}, &problems);
    std::vector<std::string> want, got;
    flatten(published, "", &want);
    flatten(shipped, "", &got);
    EXPECT_EQ(got, want) << "conf/" << name << ".yaml drifted from the published NxDT values";
  }
}

}  // namespace
}  // namespace trn::config
