// TensorBoard event files, written without TensorFlow: events.out.tfevents.<time>.<host>
// in the experiment folder, which `tensorboard --logdir` reads as NxDT's are read.
//
// A file is a sequence of TFRecords: uint64 length (little endian), uint32 masked
// CRC-32C of those 8 bytes, the data, uint32 masked CRC-32C of the data. Each data is
// a serialized tensorflow.Event protobuf; the first carries file_version
// "brain.Event:2", the others one step's scalars. Only the fields used are encoded:
//   Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
//   Summary { repeated Value value = 1; }
//   Value   { string tag = 1; float simple_value = 2; }
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trainer/report/whole_records.h"

namespace trn::native {

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), and TFRecord's mask of it.
uint32_t crc32c(std::string_view data);
uint32_t masked_crc32c(std::string_view data);

using Scalars = std::vector<std::pair<std::string, float>>;

// Pure encoders (what the writer appends; tested byte for byte).
std::string tfrecord(std::string_view data);
std::string event_file_version(double wall_time);
std::string event_scalars(double wall_time, long long step, const Scalars& scalars);

class TensorBoardWriter {
 public:
  // Creates <dir>/events.out.tfevents.<unix time>.<host> with the version record.
  // "" or the error. A requeued run opens a new file beside the old ones; TensorBoard
  // merges the files of a folder by step.
  std::string open(const std::string& dir);
  // Appends one record whole or not at all (whole_records.h: a cut record would end
  // what TensorBoard reads of the file), straight to the file: a killed run loses at
  // most the current step.
  void add(long long step, const Scalars& scalars);
  const std::string& path() const { return file_.path(); }

 private:
  WholeRecordFile file_{"TensorBoard events", "records"};
};

}  // namespace trn::native
