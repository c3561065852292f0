#include "trainer/model/memory_estimate.h"

#include <unistd.h>

#include <climits>
#include <fstream>
#include <string>

#include "common/size_text.h"

namespace trn::native {
namespace {

// Overflow-checked sums and products: a shape of 1e8-wide layers overflows 64 bits,
// and a wrapped figure would pass any comparison.
struct Checked {
  uint64_t v;
  bool bad;
};
Checked n(uint64_t v) { return {v, false}; }
Checked operator*(Checked a, Checked b) {
  Checked r{0, a.bad || b.bad};
  r.bad = __builtin_mul_overflow(a.v, b.v, &r.v) || r.bad;
  return r;
}
Checked operator+(Checked a, Checked b) {
  Checked r{0, a.bad || b.bad};
  r.bad = __builtin_add_overflow(a.v, b.v, &r.v) || r.bad;
  return r;
}

Checked parameters(const ModelShape& s) {
  const Checked C = n(s.hidden_size), F = n(s.intermediate_size), V = n(s.vocab_size), L = n(s.num_layers);
  const Checked KV = n(s.num_kv_heads) * n(s.hidden_size / (s.num_heads > 0 ? s.num_heads : 1));
  const Checked layer = n(2) * C + n(2) * C * C + n(2) * C * KV + n(3) * C * F;
  return n(2) * V * C + L * layer + C;
}

}  // namespace

std::optional<uint64_t> training_bytes(const ModelShape& s, long long micro_batch, int zero1_ranks) {
  const Checked P = parameters(s), B = n(micro_batch), T = n(s.seq_length), N = B * T;
  const Checked C = n(s.hidden_size), F = n(s.intermediate_size), V = n(s.vocab_size), L = n(s.num_layers);
  const Checked HS = n(s.hidden_size / (s.num_heads > 0 ? s.num_heads : 1)), KV = n(s.num_kv_heads) * HS;
  // The optimizer shard: the largest slice of shard_of (trainer/model/zero1.h).
  const uint64_t ranks = static_cast<uint64_t>(zero1_ranks > 1 ? zero1_ranks : 1);
  const Checked shard = n(P.v / ranks + (P.v % ranks ? 1 : 0));
  // Llama's buffers, as its constructor sizes them (floats): per layer 6 [N,C], 2 [N,KV],
  // 2 [N], 3 [N,F] and the attention's saved log-sum-exp [B,NH,T] (the flash-style
  // kernel recomputes the probabilities in backward instead of keeping [B,NH,T,T]);
  // then the final norm and the logits [N,V] (softmax, then d(logits) in place), the
  // RoPE tables [T,HS]; then the backward scratch (5 [N,C], 2 [N,KV], 3 [N,F], the row
  // losses [N]). The attention's per-thread tiles (tens of KB) are left out.
  const Checked per_layer = n(6) * N * C + n(2) * N * KV + n(2) * N + n(3) * N * F + B * n(s.num_heads) * T;
  const Checked final_and_scratch = n(7) * N * C + n(2) * N * KV + N * V + n(3) * N * F + n(2) * N + T * HS;
  const Checked floats = n(2) * P + n(2) * shard + L * per_layer + final_and_scratch;
  // ints: the model's and the loop's token/target copies, the corpus' two successor tables.
  const Checked ints = n(4) * N + n(2) * V;
  const Checked bytes = n(sizeof(float)) * floats + n(sizeof(int)) * ints + shard;  // + the weight-decay mask
  if (bytes.bad || P.bad) return std::nullopt;
  return bytes.v;
}

uint64_t available_memory_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  unsigned long long kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit)
    if (key == "MemAvailable:") return static_cast<uint64_t>(kib) * 1024;
  const long pages = ::sysconf(_SC_AVPHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : 0;
}

Problems memory_problems(const ModelShape& s, long long micro_batch, int ranks_here, uint64_t available,
                         int zero1_ranks) {
  Problems out;
  const std::string batch = "micro batch " + std::to_string(micro_batch) + " x seq_length " +
                            std::to_string(s.seq_length);
  const Checked tokens = n(micro_batch) * n(s.seq_length);
  if (tokens.bad || tokens.v > static_cast<uint64_t>(INT_MAX))
    out.push_back({"data.micro_batch_size", std::to_string(micro_batch),
                   batch + " tokens is more than the engine's 32-bit row count (2147483647): lower "
                           "data.micro_batch_size or data.seq_length"});
  const std::string shrink = ": lower data.micro_batch_size or data.seq_length, or pick a smaller model";
  const auto one = training_bytes(s, micro_batch, zero1_ranks);
  const Checked all = n(one ? *one : 0) * n(ranks_here > 0 ? ranks_here : 1);
  if (!one || all.bad) {
    out.push_back({"memory", "more than 16 EiB (" + batch + ")", "this model shape cannot be trained" + shrink});
    return out;
  }
  if (available > 0 && all.v > available)
    out.push_back({"memory", format_size(all.v) + " (" + format_size(*one) + " per rank x " +
                                 std::to_string(ranks_here) + " rank(s) on this node; parameters " +
                                 std::to_string(parameters(s).v) + " x 8 bytes for weights and gradients, " +
                                 (zero1_ranks > 1 ? "1/" + std::to_string(zero1_ranks) + " of " : "") +
                                 "8 bytes each for AdamW moments, plus activations for " + batch + ")",
                   "this machine has " + format_size(available) + " available (MemAvailable)" + shrink +
                       ", or run fewer ranks per node"});
  return out;
}

}  // namespace trn::native
