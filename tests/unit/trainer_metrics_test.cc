// The trainer's reports (issue 12): CRC-32C against published vectors, the TFRecord
// framing and Event encoding byte for byte, the NxDT progress line, the JSONL
// object, the experiment folder NeMo's exp_manager would pick, and token picking.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "trainer/checkpoint/experiment_dir.h"
#include "trainer/generate.h"
#include "trainer/report/metrics_jsonl.h"
#include "trainer/report/progress_line.h"
#include "trainer/report/tensorboard_events.h"

namespace {

using namespace trn::native;

TEST(Crc32c, KnownVectors) {
  EXPECT_EQ(crc32c(""), 0x00000000u);
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);             // the CRC catalogue's check value
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);   // RFC 3720 B.4
  EXPECT_EQ(crc32c(std::string(32, '\xff')), 0x62A8AB43u);  // RFC 3720 B.4
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  EXPECT_EQ(crc32c(ascending), 0x46DD794Eu);  // RFC 3720 B.4
  // TFRecord's mask: rotate right by 15, add a constant.
  const uint32_t c = crc32c("123456789");
  EXPECT_EQ(masked_crc32c("123456789"), ((c >> 15) | (c << 17)) + 0xa282ead8u);
}

uint64_t le64(const std::string& s, size_t at) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(s[at + i]);
  return v;
}
uint32_t le32(const std::string& s, size_t at) { return static_cast<uint32_t>(le64(s + std::string(4, '\0'), at)); }

TEST(TensorBoard, RecordFramingAndEventBytes) {
  const std::string data = event_scalars(1.5, 300, {{"lr", 0.25f}});
  const std::string rec = tfrecord(data);
  ASSERT_EQ(rec.size(), 8 + 4 + data.size() + 4);
  EXPECT_EQ(le64(rec, 0), data.size());
  EXPECT_EQ(le32(rec, 8), masked_crc32c(rec.substr(0, 8)));
  EXPECT_EQ(rec.substr(12, data.size()), data);
  EXPECT_EQ(le32(rec, 12 + data.size()), masked_crc32c(data));
  // wall_time (field 1, double 1.5), step (field 2, varint 300 = ac 02),
  // summary (field 5) { value (field 1) { tag "lr", simple_value (field 2, float 0.25) } }
  const std::string expected("\x09\x00\x00\x00\x00\x00\x00\xf8\x3f"
                             "\x10\xac\x02"
                             "\x2a\x0b\x0a\x09\x0a\x02lr\x15\x00\x00\x80\x3e",
                             25);
  EXPECT_EQ(data, expected);
  const std::string version = event_file_version(0);
  EXPECT_NE(version.find("\x1a\x0d" "brain.Event:2"), std::string::npos);
}

StepMetrics seed_example() {
  StepMetrics m;  // the numbers of the seed's line (parallelcluster-nxdt-llama3-70b)
  m.step = 3, m.max_steps = 91, m.epoch = 0, m.consumed_samples = 3072;
  m.elapsed_s = 965, m.seconds_per_step = 321.89;
  m.loss = 6.7, m.v_num = "2", m.reduced_train_loss = 13.4, m.lr = 7.5e-9, m.parameter_norm = 5536.0;
  m.seq_per_s = 3.18, m.tokens_per_s = 26050;
  return m;
}

TEST(ProgressLine, LooksLikeNxdts) {
  EXPECT_EQ(progress_line(seed_example()),
            "Epoch 0:   3%|▎         | 3/91 [16:05<7:52:06, 321.89s/it, loss=6.7, v_num=2, "
            "reduced_train_loss=13.40, lr=7.5e-9, parameter_norm=5536.0, global_step=3.000, "
            "consumed_samples=3072.0, throughput=3.18, tokens_per_sec=26050]");
  StepMetrics fast = seed_example();
  fast.step = 91, fast.seconds_per_step = 0.05, fast.elapsed_s = 4.55, fast.val_loss = 2.5;
  const std::string line = progress_line(fast);
  EXPECT_NE(line.find("100%|██████████| 91/91 [00:04<00:00, 20.00it/s"), std::string::npos) << line;
  EXPECT_NE(line.find("reduced_train_loss=13.40, val_loss=2.500, lr="), std::string::npos) << line;
}

TEST(ProgressLine, TqdmNumbersAndIntervals) {
  EXPECT_EQ(tqdm_number(4.47), "4.47");
  EXPECT_EQ(tqdm_number(0.834), "0.834");
  EXPECT_EQ(tqdm_number(7.5e-9), "7.5e-9");
  EXPECT_EQ(tqdm_number(0.003), "0.003");
  EXPECT_EQ(tqdm_number(4.123456), "4.12");
  EXPECT_EQ(tqdm_number(12345678.0), "1.23e+7");
  EXPECT_EQ(tqdm_interval(59), "00:59");
  EXPECT_EQ(tqdm_interval(965), "16:05");
  EXPECT_EQ(tqdm_interval(28326), "7:52:06");
}

TEST(MetricsJsonl, OneObjectWithTheTrainingKeys) {
  StepMetrics m = seed_example();
  const auto j = nlohmann::json::parse(metrics_json(m, true, 100.5));
  EXPECT_EQ(j["step"], 3);
  EXPECT_EQ(j["consumed_samples"], 3072);
  EXPECT_DOUBLE_EQ(j["reduced_train_loss"].get<double>(), 13.4);
  EXPECT_FALSE(j.contains("val_loss"));
  m.val_loss = 2.0;
  const auto v = nlohmann::json::parse(metrics_json(m, false, 100.5));
  EXPECT_EQ(v.size(), 3u);  // step, val_loss, wall_time
  EXPECT_DOUBLE_EQ(v["val_loss"].get<double>(), 2.0);
}

// Issue 21: a requeued run's first line says which restart, why, and the step it
// resumed from; it has no "step" key, so readers of the per-step lines skip it.
TEST(MetricsJsonl, ARestartLineNamesReasonNodesAndStep) {
  const auto j = nlohmann::json::parse(restart_json({2, "bad-node", "trn1-st-trn1-3", 826}, 100.5));
  EXPECT_EQ(j["restart"], 2);
  EXPECT_EQ(j["reason"], "bad-node");
  EXPECT_EQ(j["nodes"], "trn1-st-trn1-3");
  EXPECT_EQ(j["resumed_from_step"], 826);
  EXPECT_FALSE(j.contains("step"));
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Issue 18: a full disk cut a line of metrics.jsonl mid-way, without a word, and later
// lines followed the cut one. RLIMIT_FSIZE with SIGXFSZ ignored makes the file's writes
// fail at a chosen size, as a full disk does (EFBIG for ENOSPC), in a child process so
// the limit binds nothing else; its stderr comes back through a pipe (no size limit).
// Runs `body` in a child whose files may grow to `limit` bytes only (SIGXFSZ ignored, so a
// write past it fails with EFBIG, as on a full disk); `room` lifts the limit again. What
// the child said on stderr; it must exit 0.
std::string with_file_size_limit(rlim_t limit, const std::function<void(const std::function<void()>& room)>& body) {
  int err[2];
  EXPECT_EQ(::pipe(err), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    ::dup2(err[1], STDERR_FILENO);
    struct rlimit lim;
    ::getrlimit(RLIMIT_FSIZE, &lim);
    const rlim_t unlimited = lim.rlim_cur;
    lim.rlim_cur = limit;
    ::setrlimit(RLIMIT_FSIZE, &lim);
    body([&] {
      lim.rlim_cur = unlimited;
      ::setrlimit(RLIMIT_FSIZE, &lim);
    });
    std::fflush(stderr);
    ::_exit(0);
  }
  ::close(err[1]);
  int status = 0;
  EXPECT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  std::string said;
  char buf[4096];
  for (ssize_t n; (n = ::read(err[0], buf, sizeof buf)) > 0;) said.append(buf, static_cast<size_t>(n));
  ::close(err[0]);
  return said;
}

TEST(MetricsJsonl, AFullDiskLeavesWholeLinesOnlyAndSaysSoOnce) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("trn-metrics-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = (dir / "metrics.jsonl").string();
  StepMetrics m;
  const size_t line = metrics_json(m, true, 1764000000.123456).size() + 1;
  const rlim_t limit = 2 * line + line / 2;  // the third line is cut in the middle
  const std::string said = with_file_size_limit(limit, [&](const std::function<void()>& room) {
    MetricsJsonl jsonl;
    jsonl.open(path);
    for (m.step = 1; m.step <= 6; ++m.step) jsonl.add(m, true);
    room();
    jsonl.add(m, true);  // step 7
  });

  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n') << text;
  std::vector<long long> steps;
  std::istringstream lines(text);
  for (std::string l; std::getline(lines, l);) {
    const nlohmann::json j = nlohmann::json::parse(l, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "a cut line: " << l;
    steps.push_back(j["step"].get<long long>());
  }
  EXPECT_EQ(steps, (std::vector<long long>{1, 2, 7})) << text;
  EXPECT_EQ(count_of(said, "cannot write metrics"), 1u) << said;
  EXPECT_NE(said.find("cannot write metrics to " + path + ": " + std::strerror(EFBIG) + " (step 3)"),
            std::string::npos)
      << said;
  EXPECT_NE(said.find(path + " is incomplete: 4 of 7 lines could not be written, the first at step 3"),
            std::string::npos)
      << said;
  fs::remove_all(dir);
}

// The failure path where nothing can be written at all (and nothing truncated).
TEST(MetricsJsonl, ANoSpaceDeviceIsSaidOnceAndAgainAtTheEnd) {
  testing::internal::CaptureStderr();
  {
    MetricsJsonl jsonl;
    ASSERT_EQ(jsonl.open("/dev/full"), "");
    StepMetrics m;
    for (m.step = 1; m.step <= 3; ++m.step) jsonl.add(m, true);
  }
  const std::string said = testing::internal::GetCapturedStderr();
  EXPECT_EQ(count_of(said, "cannot write metrics to /dev/full: " + std::string(std::strerror(ENOSPC))), 1u) << said;
  EXPECT_NE(said.find("/dev/full is incomplete: 3 of 3 lines"), std::string::npos) << said;
}

// TensorBoard's reader stops at the first record whose framing or CRC is wrong: a record
// cut by a full disk lost every later step. Records are whole or absent.
TEST(TensorBoard, AFullDiskLeavesWholeRecordsOnly) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("trn-tfevents-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const Scalars scalars{{"reduced_train_loss", 2.5f}};
  const size_t version = tfrecord(event_file_version(1764000000.5)).size();
  const size_t record = tfrecord(event_scalars(1764000000.5, 1, scalars)).size();
  const rlim_t limit = version + 2 * record + record / 2;  // the third step's record is cut in the middle
  const std::string said = with_file_size_limit(limit, [&](const std::function<void()>& room) {
    TensorBoardWriter tb;
    if (!tb.open(dir.string()).empty()) ::_exit(3);
    for (long long step = 1; step <= 6; ++step) tb.add(step, scalars);
    room();
    tb.add(7, scalars);
  });

  std::vector<fs::path> files(fs::directory_iterator(dir), fs::directory_iterator{});
  ASSERT_EQ(files.size(), 1u);
  std::ifstream in(files[0], std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  // Walk the framing as TensorBoard does: length, its CRC, data, the data's CRC.
  size_t at = 0, records = 0;
  while (at < bytes.size()) {
    ASSERT_LE(at + 12, bytes.size()) << "a cut record header at byte " << at;
    uint64_t len = 0;
    std::memcpy(&len, bytes.data() + at, 8);
    ASSERT_LE(at + 16 + len, bytes.size()) << "a cut record at byte " << at;
    uint32_t crc = 0;
    std::memcpy(&crc, bytes.data() + at + 12 + len, 4);
    ASSERT_EQ(crc, masked_crc32c(std::string_view(bytes).substr(at + 12, len))) << "a broken record at byte " << at;
    at += 16 + len;
    ++records;
  }
  EXPECT_EQ(records, 4u);  // the version, steps 1, 2 and 7
  EXPECT_EQ(count_of(said, "cannot write TensorBoard events to"), 1u) << said;
  EXPECT_NE(said.find("is incomplete: 4 of 8 records could not be written, the first at step 3"), std::string::npos)
      << said;
  fs::remove_all(dir);
}

TEST(ExperimentDir, ResolvedAsNemosExpManager) {
  trn::config::TrainingConfig t;
  t.exp_name = "hf_llama";
  EXPECT_EQ(resolve_experiment_dir(t, "", "2026-01-01_00-00-00").log_dir, "nemo_experiments/hf_llama");
  EXPECT_EQ(resolve_experiment_dir(t, "", "x").version, "0");
  const ExperimentDir e = resolve_experiment_dir(t, "4711", "x");  // the launcher's NEMO_EXPM_VERSION
  EXPECT_EQ(e.log_dir, "nemo_experiments/hf_llama/4711");
  EXPECT_EQ(e.checkpoint_dir, "nemo_experiments/hf_llama/4711/checkpoints");
  EXPECT_EQ(e.version, "4711");
  t.exp_dir = "/fsx/exp", t.resume_if_exists = false;
  EXPECT_EQ(resolve_experiment_dir(t, "", "2026-01-01_00-00-00").log_dir,
            "/fsx/exp/hf_llama/2026-01-01_00-00-00");
  t.exp_version = "v3";
  EXPECT_EQ(resolve_experiment_dir(t, "4711", "x").log_dir, "/fsx/exp/hf_llama/v3");
  t.explicit_log_dir = "/fsx/run1";
  EXPECT_EQ(resolve_experiment_dir(t, "4711", "x").checkpoint_dir, "/fsx/run1/checkpoints");
}

TEST(Generate, PicksGreedyOrFromTheTopK) {
  const float probs[] = {0.1f, 0.5f, 0.15f, 0.25f};
  EXPECT_EQ(pick_token(probs, 4, 0, 1.0, 0.99), 1);
  EXPECT_EQ(pick_token(probs, 4, 1, 1.0, 0.99), 1);
  // top 2 = {1: 0.5, 3: 0.25}: the first two thirds of [0, 1) pick 1, the rest 3.
  EXPECT_EQ(pick_token(probs, 4, 2, 1.0, 0.6), 1);
  EXPECT_EQ(pick_token(probs, 4, 2, 1.0, 0.7), 3);
  EXPECT_EQ(pick_token(probs, 4, 4, 1.0, 0.999), 0);  // token 0 (the least likely) is last
}

// Before --min-new-tokens are added the end of sequence is banned, however likely it is:
// greedy takes the next likeliest, top-k draws from the others at their relative odds.
TEST(Generate, NeverPicksTheBannedToken) {
  const float probs[] = {0.1f, 0.5f, 0.15f, 0.25f};
  EXPECT_EQ(pick_token_except(probs, 4, 1, 0, 1.0, 0.5), 3);
  EXPECT_EQ(pick_token_except(probs, 4, 3, 0, 1.0, 0.5), 1);
  EXPECT_EQ(pick_token_except(probs, 4, -1, 0, 1.0, 0.5), 1);  // -1: nothing banned
  // Without 1, the top 2 = {3: 0.25, 2: 0.15}: the first 0.625 of [0, 1) picks 3, the rest 2.
  EXPECT_EQ(pick_token_except(probs, 4, 1, 2, 1.0, 0.6), 3);
  EXPECT_EQ(pick_token_except(probs, 4, 1, 2, 1.0, 0.65), 2);
  // Ids on both sides of the banned one come back as themselves.
  EXPECT_EQ(pick_token_except(probs, 4, 1, 4, 1.0, 0.999), 0);
  EXPECT_EQ(pick_token_except(probs, 4, 0, 0, 1.0, 0.5), 1);
  for (int i = 0; i < 100; ++i) EXPECT_NE(pick_token_except(probs, 4, 1, 4, 1.0, i / 100.0), 1) << i;
}

}  // namespace
