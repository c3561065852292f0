// Shared by the config library's unit tests.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "common/config/document.h"

namespace trn::config {

// `text` parsed as a document; a parse failure fails the calling test.
inline Document doc_of(const std::string& text) {
  Document d;
  Problems p;
  EXPECT_TRUE(Document::parse(text, "test.yaml", &d, &p)) << (p.empty() ? "" : p[0].str());
  return d;
}

}  // namespace trn::config
