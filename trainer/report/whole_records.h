// An append-only file of records (metrics.jsonl's lines, TensorBoard's TFRecords) that
// only ever holds whole ones (issue 18: a full disk cut a line, and later lines followed
// the cut one; a reader then stops or misreads). Each record goes out in one write with
// O_APPEND; a short write (ENOSPC, EDQUOT, EFBIG, EIO) is taken back to the length before
// it. The first failure is said once on stderr (the path and the cause) and the run goes
// on: training and its checkpoints matter more than its reports. Later records are tried
// again (each stands alone); if a cut cannot be taken back (ftruncate refused), nothing
// more is written. At the end (the destructor) a file that misses records says so again,
// with the count.
#pragma once

#include <string>
#include <string_view>

namespace trn::native {

class WholeRecordFile {
 public:
  // `what` and `unit` name the file and its records in messages ("metrics", "lines").
  WholeRecordFile(std::string what, std::string unit) : what_(std::move(what)), unit_(std::move(unit)) {}
  WholeRecordFile(const WholeRecordFile&) = delete;
  WholeRecordFile& operator=(const WholeRecordFile&) = delete;
  ~WholeRecordFile();
  std::string open(const std::string& path);  // "" or the error
  bool is_open() const { return fd_ >= 0; }
  // Appends `record` whole or not at all; `step` is for the messages.
  void append(std::string_view record, long long step);
  const std::string& path() const { return path_; }

 private:
  void failed(int err, long long step);
  std::string what_, unit_, path_;
  int fd_ = -1;
  long long records_ = 0, missing_ = 0, first_missing_step_ = 0;
  std::string first_error_;
  bool stopped_ = false;  // a cut record could not be taken back: write no more after it
};

}  // namespace trn::native
