// Issue 21, a bad node: the shipped conf/hardware_errors.yaml and the line matcher `run`
// watches the backend's output with (launcher/heal/hardware_errors.h), on the Neuron
// runtime's and EFA's messages in the formats they are printed in.
#include <gtest/gtest.h>

#include "launcher/heal/hardware_errors.h"

namespace trn {
namespace {

// Tests run from the repository root (tests/run does): the shipped file.
HardwareErrorMatcher shipped() { return HardwareErrorMatcher(load_hardware_errors("conf", config::SiteConfig{})); }

std::string name_of(const std::string& line) {
  HardwareErrorMatcher m = shipped();
  const auto& got = m.feed(line + "\n");
  return got ? got->name : "";
}

// The runtime's "nrt_<call>: status=<code>, error message=..." form (as in
// aws-neuron-sdk issue 351) with the hardware codes of nrt_status.h, its `nrt_load
// status=` form (issue 779), its own log lines naming the code, nrt_init's missing-driver
// line as printed (guidance-for-machine-learning-inference-on-aws issue 2), and EFA's
// local queue-pair status as libfabric's log prints it.
TEST(HardwareErrors, ShippedPatternsMatchTheRuntimesMessages) {
  EXPECT_EQ(name_of("2026-Dec-07 10:01:15.502423 18506:21252 ERROR  NMGR:dlr_infer Execute failed: nrt_execute: "
                    "status=1201, error message=\"Uncorrectable memory error\"."),
            "nrt-hbm-ue");
  EXPECT_EQ(name_of("RuntimeError: INTERNAL: Nrt::Execute failed on NeuronCores 0-0(2): nrt_execute status=1202, "
                    "error message=\"...\"."),
            "nrt-nc-ue");
  EXPECT_EQ(name_of("INTERNAL: Nrt::Load failed on NeuronCores 0-0(2): nrt_load status=6, error message=\"Hardware "
                    "failure\"."),
            "nrt-hw-error");
  EXPECT_EQ(name_of("2026-Dec-07 10:01:15.503417 18506:21240 ERROR   NRT:nrt_execute  NRT_EXEC_HW_ERR_DMA_ABORT on "
                    "nc 3"),
            "nrt-dma-abort");
  EXPECT_EQ(name_of("nrt_execute: status=1200, error message=\"...\""), "nrt-hw-err-collectives");
  EXPECT_EQ(name_of("nrt_execute: status=1205, error message=\"...\""), "nrt-repairable-hbm-ue");
  EXPECT_EQ(name_of("nrt_execute: status=101, error message=\"...\""), "nrt-exec-unit-unrecoverable");
  EXPECT_EQ(name_of("nrt_execute: status=1005, error message=\"...\""), "nrt-nc-busy");
  EXPECT_EQ(name_of("2022-Mar-29 07:07:29.0082    11:11    ERROR   NRT:nrt_init                                "
                    "Unable to determine Neuron Driver version. Please check aws-neuron-dkms package is installed."),
            "neuron-driver-missing");
  EXPECT_EQ(name_of("libfabric:18506:1765101675::efa:cq:efa_rdm_cq_poll_ibv_cq():405<warn> Internal queue pair "
                    "error (local)"),
            "efa-local-qp-error");
}

// What a healthy run prints, and errors that blame the program or a peer (left out of the
// file on purpose): no match, so no node is drained for them.
TEST(HardwareErrors, NormalAndNonHardwareLinesDoNotMatch) {
  for (const char* line : {
           "Epoch 0:  17%|█▋        | 10/60 [00:03<00:15, 3.21it/s, loss=4.12, v_num=0, reduced_train_loss=4.120, "
           "lr=0.003, parameter_norm=31.4, global_step=10.000, consumed_samples=80.0, throughput=25.7, "
           "tokens_per_sec=822]",
           "resumed from /fsx/nemo_experiments/42/checkpoints/checkpoint-10.bin at step 10",
           "trn-train: node 3 of 4: status=6 of 16 devices idle",
           // The real line of aws-neuron-sdk issue 351: 1004 is logical or physical, undecided.
           "tensorflow/neuron/runtime/direct/adaptor.cc:446:Execute failed: nrt_execute: status=1004, error "
           "message=\"Execution was completed with other errors\".",
           "nrt_execute: status=1002, error message=\"Invalid input\"",
           "nrt_execute: status=60, error message=\"...\"",
           "libfabric:18506:1765101675::efa:cq:efa_rdm_cq_poll_ibv_cq():405<warn> Unreachable remote (never "
           "received a response)",
       }) {
    EXPECT_EQ(name_of(line), "") << line;
  }
}

// Whole lines only, whatever the chunks: a line is matched once its end arrives, the
// first match is kept, '\r' ends a line (a progress bar redrawn in place), and an endless
// line is matched on its first kMaxLine bytes without growing.
TEST(HardwareErrors, StreamedChunksWholeLinesFirstMatch) {
  HardwareErrorMatcher m = shipped();
  const std::string bad = "nrt_execute: status=1201, error message=\"x\"";
  EXPECT_FALSE(m.feed("step 1 ok\nnrt_execute: status=12"));
  EXPECT_FALSE(m.feed("01, error message=\"x\""));  // no line end yet
  ASSERT_TRUE(m.feed("\rnrt_execute: status=1202, error message=\"y\"\n"));
  EXPECT_EQ(m.match()->line, bad);
  EXPECT_EQ(m.match()->means, "Neuron runtime: uncorrectable HBM memory error (NRT_EXEC_HW_ERR_HBM_UE)");
  EXPECT_EQ(m.feed("nrt_load status=6\n")->name, "nrt-hbm-ue");  // the first match stays

  HardwareErrorMatcher longline = shipped();
  EXPECT_FALSE(longline.feed(std::string(HardwareErrorMatcher::kMaxLine, 'x') + bad + "\n"));
  EXPECT_FALSE(longline.feed(std::string(10 * HardwareErrorMatcher::kMaxLine, 'x')));
  ASSERT_TRUE(longline.feed("\n" + bad + "\n"));
  EXPECT_EQ(longline.match()->line, bad);
}

TEST(HardwareErrors, BadEntriesNameTheKeyAndTheFix) {
  Problems problems;
  const auto patterns = parse_hardware_errors(
      "patterns:\n"
      "  ok: {regex: 'HW', means: 'm'}\n"
      "  broken: {regex: '(', means: 'm'}\n"
      "  everything: {regex: '.*', means: 'm'}\n"
      "  silent: {regex: 'x'}\n"
      "  typo: {regex: 'x', means: 'm', mean: 'm'}\n",
      "hw.yaml", &problems);
  ASSERT_EQ(patterns.size(), 3u);  // ok, silent (no meaning is a problem, not a crash), typo
  ASSERT_EQ(problems.size(), 4u);
  EXPECT_EQ(problems[0].key, "hw.yaml: patterns.broken.regex");
  EXPECT_NE(problems[0].fix.find("not an ECMAScript regular expression"), std::string::npos);
  EXPECT_EQ(problems[1].key, "hw.yaml: patterns.everything.regex");
  EXPECT_NE(problems[1].fix.find("matches an empty line"), std::string::npos);
  EXPECT_EQ(problems[2].key, "hw.yaml: patterns.silent.means");
  EXPECT_NE(problems[3].key.find("hw.yaml: patterns.typo"), std::string::npos);

  Problems none;
  EXPECT_TRUE(parse_hardware_errors("other: 1\n", "hw.yaml", &none).empty());
  ASSERT_FALSE(none.empty());
  EXPECT_NE(none.front().key.find("hw.yaml: "), std::string::npos);
}

}  // namespace
}  // namespace trn
