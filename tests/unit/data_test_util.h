// Shared by the data_* unit tests: a temp folder and a small dataset writer.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>
#include <vector>

#include "common/fs.h"
#include "data/indexed_dataset.h"
#include "tests/unit/temp_dir.h"

namespace trn::data::testing {

using trn::test::TempDir;

// Writes documents (each a list of ids) as PREFIX.bin/.idx.
inline void write_dataset(const std::string& prefix, const std::vector<std::vector<int>>& docs,
                          DType dtype = DType::kU16) {
  IndexedDatasetWriter w(prefix, dtype);
  std::string error;
  ASSERT_TRUE(w.start(&error)) << error;
  for (const auto& d : docs) ASSERT_TRUE(w.add_document(d.data(), d.size(), &error)) << error;
  ASSERT_TRUE(w.finish(&error)) << error;
}

}  // namespace trn::data::testing
