#!/usr/bin/env python3
"""The PyTorch peer of trn-train-native for bench/trainer_bench.sh: the same Llama as
trainer/model/llama.h, written the way a user would in eager PyTorch (no compile, no fused
kernels), trained with AdamW on random tokens, fp32 on the CPU with the given threads.

Same architecture and parameter count: token embedding; per layer RMSNorm -> q/k/v
projections (no bias) -> RoPE on (2i, 2i+1) pairs -> causal grouped-query attention
(query head h reads key/value head h / (heads / kv_heads)) -> output projection ->
residual, RMSNorm -> SwiGLU (w2(silu(w1 x) * w3 x)) -> residual; final RMSNorm; untied
LM head; mean cross-entropy. AdamW (betas 0.9/0.95, weight decay 0.01 except the norm
gains) with global-norm gradient clipping at 1.0, as the benchmark's config.

Prints one line: parameters and steady-state tokens/s over the steps after --warmup
(the benchmark measures the peak RSS from outside, as the engine's).
"""
import argparse
import math
import time

import torch
import torch.nn.functional as F
from torch import nn


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope(x, cos, sin):
    """x: [B, T, H, HS]; rotates each (2i, 2i+1) pair by t * theta^(-2i/HS)."""
    x0, x1 = x.unflatten(-1, (-1, 2)).unbind(-1)
    return torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), -1).flatten(-2)


class Block(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.heads, self.kv_heads, self.hs = a.heads, a.kv_heads, a.hidden // a.heads
        kv = a.kv_heads * self.hs
        self.attn_norm = RMSNorm(a.hidden, a.eps)
        self.wq = nn.Linear(a.hidden, a.hidden, bias=False)
        self.wk = nn.Linear(a.hidden, kv, bias=False)
        self.wv = nn.Linear(a.hidden, kv, bias=False)
        self.wo = nn.Linear(a.hidden, a.hidden, bias=False)
        self.ffn_norm = RMSNorm(a.hidden, a.eps)
        self.w1 = nn.Linear(a.hidden, a.ffn, bias=False)
        self.w3 = nn.Linear(a.hidden, a.ffn, bias=False)
        self.w2 = nn.Linear(a.ffn, a.hidden, bias=False)

    def forward(self, x, cos, sin, mask):
        B, T, _ = x.shape
        h = self.attn_norm(x)
        q = rope(self.wq(h).view(B, T, self.heads, self.hs), cos, sin).transpose(1, 2)
        k = rope(self.wk(h).view(B, T, self.kv_heads, self.hs), cos, sin).transpose(1, 2)
        v = self.wv(h).view(B, T, self.kv_heads, self.hs).transpose(1, 2)
        group = self.heads // self.kv_heads
        k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(self.hs)
        att = torch.softmax(att.masked_fill(mask, float("-inf")), dim=-1)
        x = x + self.wo((att @ v).transpose(1, 2).reshape(B, T, -1))
        h = self.ffn_norm(x)
        return x + self.w2(F.silu(self.w1(h)) * self.w3(h))


class Llama(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.tok_emb = nn.Embedding(a.vocab, a.hidden)
        self.layers = nn.ModuleList(Block(a) for _ in range(a.layers))
        self.final_norm = RMSNorm(a.hidden, a.eps)
        self.lm_head = nn.Linear(a.hidden, a.vocab, bias=False)
        hs = a.hidden // a.heads
        angle = torch.outer(torch.arange(a.seq, dtype=torch.float32),
                            a.rope_theta ** (-2.0 * torch.arange(hs // 2, dtype=torch.float32) / hs))
        # [T, 1, HS/2]: broadcast over the heads of [B, T, H, HS/2].
        self.register_buffer("cos", angle.cos()[:, None, :])
        self.register_buffer("sin", angle.sin()[:, None, :])
        self.register_buffer("mask", torch.ones(a.seq, a.seq, dtype=torch.bool).triu(1))
        for name, p in self.named_parameters():
            if not name.endswith("norm.weight"):
                nn.init.normal_(p, 0.0, 0.02)

    def forward(self, tokens, targets):
        x = self.tok_emb(tokens)
        for layer in self.layers:
            x = layer(x, self.cos, self.sin, self.mask)
        logits = self.lm_head(self.final_norm(x))
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, default in [("hidden", 512), ("layers", 8), ("heads", 8), ("kv-heads", 4), ("ffn", 1408),
                          ("vocab", 8192), ("seq", 512), ("micro-batch", 4), ("threads", 2), ("steps", 10),
                          ("warmup", 2)]:
        p.add_argument("--" + name, type=int, default=default)
    p.add_argument("--eps", type=float, default=1e-5)
    p.add_argument("--rope-theta", type=float, default=10000.0)
    a = p.parse_args()
    if not 1 <= a.warmup < a.steps:
        p.error("need 1 <= --warmup < --steps")
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(1234)
    model = Llama(a)
    decay = [p for n, p in model.named_parameters() if not n.endswith("norm.weight")]
    no_decay = [p for n, p in model.named_parameters() if n.endswith("norm.weight")]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=3e-4, betas=(0.9, 0.95), eps=1e-8)
    tokens_per_step = a.micro_batch * a.seq
    for step in range(1, a.steps + 1):
        batch = torch.randint(a.vocab, (a.micro_batch, a.seq + 1))
        loss = model(batch[:, :-1], batch[:, 1:])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        loss.item()  # the step's result is read, as a training loop logging it does
        if step == a.warmup:
            start = time.perf_counter()
    secs = time.perf_counter() - start
    params = sum(p.numel() for p in model.parameters())
    print(f"pytorch peer: torch {torch.__version__}, {params} parameters, "
          f"{(a.steps - a.warmup) * tokens_per_step / secs:.1f} tokens/s")


if __name__ == "__main__":
    main()
