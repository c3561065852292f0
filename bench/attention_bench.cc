// The attention kernels alone (trainer/kernels/attention.h), built the way a compiled
// graph is: the shape as compile-time constants (-DBENCH_T=... etc.) and -march for one
// x86-64 level (bench/attention_bench.sh builds it once per level, with
// trainer/model/graph_isa.cc). Prints the best of REPS forward and backward times and
// their GFLOP/s: forward 4 * B * NH * HS * T^2 / 2 (the causal half of q.k and p.v),
// backward 2.5 times that (five products to the forward's two). `--levels` prints the
// levels this CPU runs instead, the engine's own answer (graph_isa.h), one a line.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "trainer/kernels/attention.h"
#include "trainer/model/graph_isa.h"

namespace {
struct Shape {
  static constexpr int T = BENCH_T, NH = BENCH_NH, NKV = BENCH_NKV, HS = BENCH_HS;
};
}  // namespace

int main(int argc, char** argv) {
  using namespace trn::native::kernels;
  if (argc == 2 && std::string(argv[1]) == "--levels") {
    for (int level = 1; level <= trn::native::host_isa_level(); ++level)
      std::printf("%s\n", trn::native::isa_name(level).c_str());
    return 0;
  }
  if (argc != 4) {
    std::fprintf(stderr, "usage: attention_bench BATCH THREADS REPS | --levels\n");
    return 2;
  }
  const int B = std::atoi(argv[1]), threads = std::atoi(argv[2]), reps = std::atoi(argv[3]);
  const Shape d;
  const size_t nq = static_cast<size_t>(B) * d.T * d.NH * d.HS, nk = static_cast<size_t>(B) * d.T * d.NKV * d.HS;
  std::vector<float> q(nq), k(nk), v(nk), dout(nq), out(nq), dq(nq), dk(nk), dv(nk);
  std::vector<float> lse(static_cast<size_t>(B) * d.NH * d.T), scratch(attention_scratch_floats(d) * threads);
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (auto* x : {&q, &k, &v, &dout})
    for (float& f : *x) f = normal(rng);
  using Clock = std::chrono::steady_clock;
  double forward = 1e30, backward = 1e30;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    attention_forward(d, out.data(), lse.data(), q.data(), k.data(), v.data(), B, scratch.data(), threads);
    const auto t1 = Clock::now();
    attention_backward(d, dq.data(), dk.data(), dv.data(), dout.data(), out.data(), lse.data(), q.data(), k.data(),
                       v.data(), B, scratch.data(), threads);
    const auto t2 = Clock::now();
    forward = std::min(forward, std::chrono::duration<double>(t1 - t0).count());
    backward = std::min(backward, std::chrono::duration<double>(t2 - t1).count());
  }
  const double flops = 4.0 * B * d.NH * d.HS * d.T * d.T / 2;
  std::printf("forward %.2f ms, %.1f GFLOP/s; backward %.2f ms, %.1f GFLOP/s\n", forward * 1e3,
              flops / forward / 1e9, backward * 1e3, 2.5 * flops / backward / 1e9);
  return 0;
}
