#!/usr/bin/env python3
"""Checks one training step of trn-train-native against PyTorch (llm.c's test_gpt2.c, for
the engine's Llama). Reads the dump tests/unit/trainer_parity_test.cc writes (the engine's
shape, weights, tokens, log-probabilities, loss, gradients, clipped norm and parameters
after AdamW), recomputes each in float64 with PyTorch and prints one line per tensor;
exit 0 when every one is within float32 tolerance, 1 when one is not, 2 on a bad dump.

The model is trainer/model/llama.h's, written out from its kernels (trainer/kernels/):
token embedding; per layer x_mid = x + Wo(attn(rope(Wq n1), rope(Wk n1), Wv n1)) with
n1 = RMSNorm(x), x_out = x_mid + W2(silu(W1 n2) * W3 n2) with n2 = RMSNorm(x_mid); final
RMSNorm; untied LM head; mean cross-entropy. Weights are [in, out] (x @ W). RoPE rotates
the pairs (2i, 2i+1) of each head by t * theta^(-2i/HS); attention is causal, scaled by
1/sqrt(HS), query head h reading key/value head h / (NH / NKV). The step: the loss of
each micro-batch divided by their number, gradients summed; global-norm clipping; AdamW
(decoupled weight decay, none on the norm gains) on the engine's own gradients, so the
optimizer is checked apart from the backward.
"""
import struct
import sys

import torch


def read_dump(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = b"TRNPARITY1\n"
    if not data.startswith(magic):
        sys.exit(f"llama_parity.py: error: {path}: not a parity dump (no {magic!r} header)")
    out, at = {}, len(magic)
    while at < len(data):
        (n,) = struct.unpack_from("<I", data, at)
        name = data[at + 4:at + 4 + n].decode()
        (count,) = struct.unpack_from("<Q", data, at + 4 + n)
        at += 12 + n
        out[name] = torch.frombuffer(bytearray(data[at:at + 4 * count]), dtype=torch.float32).clone()
        at += 4 * count
    return out


class Layout:
    """Offsets of the flat parameter buffer, in trainer/model/llama.cc's ParameterLayout order."""

    def __init__(self, V, C, F, L, KV):
        self.tensors, total = [], 0
        for name, shape in ([("tok_emb", (V, C))] +
                            [(f"layer{l}.{n}", s) for l in range(L) for n, s in
                             [("attn_norm", (C,)), ("wq", (C, C)), ("wk", (C, KV)), ("wv", (C, KV)),
                              ("wo", (C, C)), ("ffn_norm", (C,)), ("w1", (C, F)), ("w3", (C, F)),
                              ("w2", (F, C))]] +
                            [("final_norm", (C,)), ("lm_head", (C, V))]):
            size = 1
            for d in shape:
                size *= d
            self.tensors.append((name, total, shape))
            total += size
        self.total = total

    def split(self, flat):
        return {name: flat[at:at + torch.Size(shape).numel()].view(shape) for name, at, shape in self.tensors}


def rmsnorm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope(x, cos, sin):
    """x: [B, T, H, HS]; cos, sin: [T, 1, HS/2]."""
    x0, x1 = x.unflatten(-1, (-1, 2)).unbind(-1)
    return torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), -1).flatten(-2)


def log_probs(p, tokens, dims):
    V, C, F, L, NH, NKV, T, B, eps, theta = dims
    HS = C // NH
    i = torch.arange(HS // 2, dtype=torch.float64)
    angle = torch.arange(T, dtype=torch.float64)[:, None] * theta ** (-2.0 * i / HS)
    cos, sin = angle.cos()[:, None, :], angle.sin()[:, None, :]
    mask = torch.ones(T, T, dtype=torch.bool).triu(1)
    x = p["tok_emb"][tokens]
    for l in range(L):
        w = {n: p[f"layer{l}.{n}"] for n in ("attn_norm", "wq", "wk", "wv", "wo", "ffn_norm", "w1", "w3", "w2")}
        h = rmsnorm(x, w["attn_norm"], eps)
        q = rope((h @ w["wq"]).view(B, T, NH, HS), cos, sin).transpose(1, 2)
        k = rope((h @ w["wk"]).view(B, T, NKV, HS), cos, sin).transpose(1, 2)
        v = (h @ w["wv"]).view(B, T, NKV, HS).transpose(1, 2)
        k, v = k.repeat_interleave(NH // NKV, dim=1), v.repeat_interleave(NH // NKV, dim=1)
        att = torch.softmax(((q @ k.transpose(-2, -1)) / HS ** 0.5).masked_fill(mask, float("-inf")), dim=-1)
        x = x + (att @ v).transpose(1, 2).reshape(B, T, C) @ w["wo"]
        h = rmsnorm(x, w["ffn_norm"], eps)
        x = x + (torch.nn.functional.silu(h @ w["w1"]) * (h @ w["w3"])) @ w["w2"]
    return torch.log_softmax(rmsnorm(x, p["final_norm"], eps) @ p["lm_head"], dim=-1)


# float32 against float64: each value within RTOL of itself plus ATOL of its tensor's
# largest magnitude (sums of a few hundred float32 terms, some cancelling).
RTOL, ATOL = 1e-4, 1e-5


def compare(name, engine, ref):
    engine, ref = engine.double().flatten(), ref.detach().double().flatten()
    if engine.shape != ref.shape:
        print(f"NOT OK {name}: engine {tuple(engine.shape)} values, PyTorch {tuple(ref.shape)}")
        return False
    scale = ref.abs().max().item()
    err = (engine - ref).abs()
    worst = (err / (RTOL * ref.abs() + ATOL * scale + 1e-30)).max().item()
    ok = worst <= 1.0
    print(f"{'OK    ' if ok else 'NOT OK'} {name:<20} max |diff| {err.max().item():.3e}  max |ref| {scale:.3e}"
          f"  worst diff / tolerance {worst:.3f}")
    return ok


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: llama_parity.py DUMP (written by tests/unit/trainer_parity_test.cc)")
    d = read_dump(sys.argv[1])
    V, C, F, L, NH, NKV, T, B, accum = (int(x) for x in d["shape"][:9])
    dims = (V, C, F, L, NH, NKV, T, B, d["shape"][9].item(), d["shape"][10].item())
    lr, wd, beta1, beta2, eps, clip = (x.item() for x in d["optim"])
    layout = Layout(V, C, F, L, NKV * (C // NH))
    if layout.total != d["params"].numel():
        sys.exit(f"llama_parity.py: error: the dump has {d['params'].numel()} parameters, the layout {layout.total}")
    print(f"torch {torch.__version__}; V {V} C {C} F {F} L {L} NH {NH} NKV {NKV} T {T} B {B}, "
          f"{accum} micro-batches, {layout.total} parameters")

    flat = d["params"].double().requires_grad_(True)
    p = layout.split(flat)
    ok, loss = True, 0.0
    for micro in range(accum):
        tokens = d[f"tokens{micro}"].long().view(B, T)
        targets = d[f"targets{micro}"].long().view(-1)
        lp = log_probs(p, tokens, dims)
        ok &= compare(f"log-probs {micro}", d[f"logprobs{micro}"], lp)
        loss = loss + torch.nn.functional.nll_loss(lp.view(-1, V), targets) / accum
    ok &= compare("loss", d["loss"], loss.view(1))
    loss.backward()
    grads, engine_grads = layout.split(flat.grad), layout.split(d["grads"])
    for name, _, _ in layout.tensors:
        ok &= compare(f"grad {name}", engine_grads[name], grads[name])

    # The optimizer on the engine's gradients: torch's clipping and AdamW from the same start.
    params = [t.double().clone().requires_grad_(True) for t in layout.split(d["params"]).values()]
    for t, g in zip(params, layout.split(d["grads"]).values()):
        t.grad = g.double().clone()
    norm = torch.nn.utils.clip_grad_norm_(params, clip)
    ok &= compare("grad norm", d["grad_norm"], norm.view(1))
    names = [name for name, _, _ in layout.tensors]
    decay = [t for n, t in zip(names, params) if not n.endswith("norm")]
    no_decay = [t for n, t in zip(names, params) if n.endswith("norm")]
    torch.optim.AdamW([{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}],
                      lr=lr, betas=(beta1, beta2), eps=eps).step()
    after = layout.split(d["params_after"])
    for name, t in zip(names, params):
        ok &= compare(f"AdamW {name}", after[name], t)
    print("parity: OK" if ok else "parity: FAILED (NOT OK lines above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
