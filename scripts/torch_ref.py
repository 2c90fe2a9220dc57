#!/usr/bin/python3
"""Write PyTorch reference cases for the tensor ops to tensor/testdata/ref/.

Run from the repository root with Debian's torch:

    /usr/bin/python3 scripts/torch_ref.py

(apt-get install -y python3-torch python3-numpy if missing). The output is
deterministic (fixed seeds) and small; the Go tests read it with
encoding/json and never need torch.

File format (one JSON file per group of ops):

    {"cases": [
      {"name": "add/broadcast_row", "op": "add",
       "params": {"dim": -1, ...},             # op-specific scalars
       "inputs":  {"a": {"shape": [2, 3], "data": [...]}, ...},
       "outputs": {"out": {"shape": [2, 3], "data": [...]}, ...}}]}

data is the tensor in row-major order; non-finite values are the strings
"inf", "-inf" and "nan" (JSON has no numbers for them).

References are computed in float64 from float32 inputs and rounded to
float32 once, so they are the exact answers the Go float32 code
approximates. Where attnviz documents a different result from torch (a
softmax row that is all -inf: torch gives NaN, attnviz gives zeros), the
script computes torch's answer and applies the documented rule explicitly,
so the difference is visible here.
"""
import json
import math
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tensor", "testdata", "ref")

gen = torch.Generator().manual_seed(1234)


def randn(*shape):
    return torch.randn(*shape, generator=gen, dtype=torch.float32)


def enc(t):
    t = torch.as_tensor(t)
    t32 = t.detach().to(torch.float32).contiguous()
    data = []
    for v in t32.reshape(-1).tolist():
        if math.isnan(v):
            data.append("nan")
        elif math.isinf(v):
            data.append("inf" if v > 0 else "-inf")
        else:
            # shortest repr that round-trips through float32
            data.append(float("%.9g" % v))
    return {"shape": list(t32.shape), "data": data}


def encp(v):
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def case(name, op, inputs, outputs, **params):
    return {
        "name": name,
        "op": op,
        "params": {k: encp(v) for k, v in params.items()},
        "inputs": {k: enc(v) for k, v in inputs.items()},
        "outputs": {k: enc(v) for k, v in outputs.items()},
    }


def d(t):
    return t.to(torch.float64)


def write(fname, cases):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, fname)
    with open(path, "w") as f:
        json.dump({"cases": cases}, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print(f"wrote {path}: {len(cases)} cases, {os.path.getsize(path)} bytes")


def softmax_attnviz(x64, dim=-1):
    """torch.softmax with attnviz's documented rule for all -inf rows (zeros)."""
    y = torch.softmax(x64, dim=dim)
    allneg = torch.isneginf(x64).all(dim=dim, keepdim=True).expand_as(y)
    return torch.where(allneg, torch.zeros_like(y), y)


# --- elementwise and reductions ---------------------------------------------

def elementwise():
    cs = []
    pairs = [
        ("same", (2, 3), (2, 3)),
        ("row", (2, 3, 4), (4,)),
        ("col", (2, 3, 4), (3, 1)),
        ("outer", (2, 1, 3), (1, 5, 1)),
        ("lead", (4,), (2, 1, 4)),
        ("scalar", (2, 3), (1,)),
    ]
    for op, f in [("add", torch.add), ("sub", torch.sub), ("mul", torch.mul), ("div", torch.div)]:
        for name, sa, sb in pairs:
            a = randn(*sa)
            b = randn(*sb)
            if op == "div":
                b = b.sign() * (b.abs() + 0.5)
            cs.append(case(f"{op}/{name}", op, {"a": a, "b": b}, {"out": f(d(a), d(b))}))
    x = randn(3, 5) * 2
    cs.append(case("scale", "scale", {"x": x}, {"out": d(x) * d(torch.tensor(0.37))}, s=0.37))
    cs.append(case("add_scalar", "add_scalar", {"x": x}, {"out": d(x) + d(torch.tensor(1.5))}, s=1.5))
    cs.append(case("neg", "neg", {"x": x}, {"out": -d(x)}))
    cs.append(case("exp", "exp", {"x": x}, {"out": torch.exp(d(x))}))
    cs.append(case("silu", "silu", {"x": x}, {"out": torch.nn.functional.silu(d(x))}))
    r = randn(3, 4, 5)
    for dim in (0, 1, 2, -1, -2):
        cs.append(case(f"sum/dim{dim}", "sum", {"x": r}, {"out": d(r).sum(dim)}, dim=dim))
        cs.append(case(f"mean/dim{dim}", "mean", {"x": r}, {"out": d(r).mean(dim)}, dim=dim))
        mx, am = torch.max(r, dim)
        cs.append(case(f"max/dim{dim}", "max", {"x": r}, {"out": mx}, dim=dim))
        cs.append(case(f"argmax/dim{dim}", "argmax", {"x": r}, {"out": am.to(torch.float64)}, dim=dim))
    # ties: torch.max returns the first maximal index
    t = torch.tensor([[1.0, 3.0, 3.0, 2.0], [0.0, 0.0, 0.0, 0.0]])
    cs.append(case("argmax/ties", "argmax", {"x": t}, {"out": torch.max(t, -1)[1].to(torch.float64)}, dim=-1))
    # RMSNorm (Llama): x / sqrt(mean(x^2) + eps) * w
    x = randn(3, 8)
    w = randn(8)
    eps = 1e-5
    ref = d(x) / torch.sqrt((d(x) ** 2).mean(-1, keepdim=True) + eps) * d(w)
    cs.append(case("rmsnorm", "rmsnorm", {"x": x, "w": w}, {"out": ref}, eps=eps))
    write("elementwise.json", cs)


# --- matmul ----------------------------------------------------------------------

def matmul():
    cs = []
    shapes = [
        ("2d", (3, 4), (4, 5)),
        ("batched", (2, 3, 4), (2, 4, 5)),
        ("broadcast", (2, 1, 3, 4), (5, 4, 6)),
        ("bcast_rhs2d", (3, 5, 4), (4, 2)),
        ("vec_left", (4,), (4, 5)),
        ("vec_right", (3, 4), (4,)),
        ("big_edges", (13, 37), (37, 19)),
        ("deep_k", (5, 260), (260, 9)),
    ]
    for name, sa, sb in shapes:
        a, b = randn(*sa), randn(*sb)
        cs.append(case(f"matmul/{name}", "matmul", {"a": a, "b": b}, {"out": torch.matmul(d(a), d(b))}))
    a, b = randn(2, 5, 8), randn(2, 7, 8)
    cs.append(case("matmul/transposed", "matmul_bt", {"a": a, "b": b}, {"out": d(a) @ d(b).transpose(-2, -1)}))
    write("matmul.json", cs)


# --- softmax and masks ---------------------------------------------------------------

def softmax():
    cs = []
    x = randn(3, 5) * 3
    for dim in (-1, 0):
        cs.append(case(f"softmax/dim{dim}", "softmax", {"x": x}, {"out": torch.softmax(d(x), dim)}, dim=dim))
    x3 = randn(2, 3, 4)
    cs.append(case("softmax/3d_dim1", "softmax", {"x": x3}, {"out": torch.softmax(d(x3), 1)}, dim=1))
    big = randn(2, 37) * 30  # large scores: the stable form matters
    cs.append(case("softmax/large", "softmax", {"x": big}, {"out": torch.softmax(d(big), -1)}, dim=-1))
    inf = float("inf")
    rows = torch.tensor([
        [1.0, -inf, 2.0, -inf, 0.5],
        [-inf, -inf, -inf, -inf, -inf],  # torch: NaN; attnviz: zeros (documented)
        [-inf, -inf, 3.0, -inf, -inf],
        [0.0, 0.0, 0.0, 0.0, 0.0],
    ])
    torch_says = torch.softmax(d(rows), -1)
    assert torch.isnan(torch_says[1]).all(), "torch changed its all -inf softmax"
    cs.append(case("softmax/neg_inf_rows", "softmax", {"x": rows}, {"out": softmax_attnviz(d(rows))}, dim=-1))
    # long rows exercise the vector path and its tail
    long = randn(3, 70) * 4
    long[1, 5:40] = -inf
    cs.append(case("softmax/long_masked", "softmax", {"x": long}, {"out": softmax_attnviz(d(long))}, dim=-1))
    for temp in (0.5, 2.0):
        cs.append(case(f"softmax_temp/{temp}", "softmax_temp", {"x": x}, {"out": torch.softmax(d(x) / temp, -1)}, dim=-1, temperature=temp))
    # MaskedFill: fills where mask != 0 (torch.masked_fill)
    x = randn(2, 3, 4)
    m = (torch.rand(3, 4, generator=gen) > 0.5).to(torch.float32)
    cs.append(case("masked_fill/value", "masked_fill", {"x": x, "mask": m}, {"out": d(x).masked_fill(m.bool(), -1e9)}, value=-1e9))
    cs.append(case("masked_fill/neg_inf", "masked_fill", {"x": x, "mask": m[0]}, {"out": d(x).masked_fill(m[0].bool(), -inf)}, value=-inf))
    # masks
    cs.append(case("causal_mask/5", "causal_mask", {}, {"out": torch.tril(torch.ones(5, 5))}, n=5))
    cs.append(case("causal_mask/1", "causal_mask", {}, {"out": torch.ones(1, 1)}, n=1))
    lengths = [3, 5, 0]
    pm = (torch.arange(5)[None, None, :] < torch.tensor(lengths)[:, None, None]).to(torch.float32)
    cs.append(case("padding_mask", "padding_mask", {}, {"out": pm}, lengths=lengths, n=5))
    write("softmax.json", cs)


# --- attention --------------------------------------------------------------------------

def sdpa_ref(q, k, v, mask=None):
    """Every intermediate of softmax(Q Kᵀ/√d) V, in float64; mask: 1 = may attend."""
    scale = 1 / math.sqrt(q.shape[-1])
    scores = d(q) @ d(k).transpose(-2, -1)
    scaled = scores * d(torch.tensor(scale, dtype=torch.float32))
    masked = scaled
    if mask is not None:
        masked = scaled.masked_fill(~mask.bool().expand_as(scaled), float("-inf"))
    weights = softmax_attnviz(masked)
    out = weights @ d(v)
    return {"scores": scores, "scaled": scaled, "masked": masked, "weights": weights, "output": out}


def attention():
    cs = []
    q, k, v = randn(2, 5, 8), randn(2, 7, 8), randn(2, 7, 6)
    r = sdpa_ref(q, k, v)
    # cross-check the float64 reference against torch's own float32 path
    w32 = torch.softmax((q @ k.transpose(-2, -1)) / math.sqrt(8), -1)
    assert torch.allclose(w32.double(), r["weights"], atol=1e-6)
    cs.append(case("sdpa/plain", "sdpa", {"q": q, "k": k, "v": v}, r))
    q, k, v = randn(3, 6, 8), randn(3, 6, 8), randn(3, 6, 8)
    cm = torch.tril(torch.ones(6, 6))
    cs.append(case("sdpa/causal", "sdpa", {"q": q, "k": k, "v": v, "mask": cm}, sdpa_ref(q, k, v, cm)))
    # batch x heads with a padding mask [B,1,1,Tk], including a sequence of length 0
    q, k, v = randn(3, 2, 4, 8), randn(3, 2, 5, 8), randn(3, 2, 5, 4)
    pm = (torch.arange(5)[None, None, :] < torch.tensor([5, 2, 0])[:, None, None]).to(torch.float32).unsqueeze(1)
    cs.append(case("sdpa/padding", "sdpa", {"q": q, "k": k, "v": v, "mask": pm}, sdpa_ref(q, k, v, pm)))
    # longer rows (vector path + tails), causal, 2 heads, d=64
    q, k, v = randn(2, 33, 32), randn(2, 33, 32), randn(2, 33, 32)
    cm = torch.tril(torch.ones(33, 33))
    r = sdpa_ref(q, k, v, cm)
    cs.append(case("sdpa/causal_long", "sdpa", {"q": q, "k": k, "v": v, "mask": cm}, {"weights": r["weights"], "output": r["output"]}))
    # grouped-query attention: 4 query heads share 2 KV heads (head h uses h // 2)
    q, k, v = randn(4, 5, 8), randn(2, 5, 8), randn(2, 5, 8)
    cm = torch.tril(torch.ones(5, 5))
    kr, vr = k.repeat_interleave(2, dim=0), v.repeat_interleave(2, dim=0)
    r = sdpa_ref(q, kr, vr, cm)
    cs.append(case("gqa/causal", "gqa", {"q": q, "k": k, "v": v, "mask": cm}, {"weights": r["weights"], "output": r["output"], "krep": kr}))
    # heads
    x = randn(5, 12)
    cs.append(case("split_heads/2d", "split_heads", {"x": x}, {"out": x.view(5, 3, 4).transpose(0, 1)}, h=3))
    xb = randn(2, 5, 12)
    sh = xb.view(2, 5, 4, 3).transpose(1, 2)
    cs.append(case("split_heads/3d", "split_heads", {"x": xb}, {"out": sh}, h=4))
    cs.append(case("merge_heads/4d", "merge_heads", {"x": sh.contiguous()}, {"out": xb}))
    write("attention.json", cs)


# --- positions -------------------------------------------------------------------------------

def sinusoidal(n, dd):
    pe = torch.zeros(n, dd, dtype=torch.float64)
    pos = torch.arange(n, dtype=torch.float64)[:, None]
    for j in range(dd):
        i2 = j - (j % 2)
        a = pos[:, 0] / (10000.0 ** (i2 / dd))
        pe[:, j] = torch.sin(a) if j % 2 == 0 else torch.cos(a)
    return pe


def rope_interleaved_llama2c(x, base, offset):
    """llama2.c / Meta reference: pairs (2i, 2i+1) as complex numbers."""
    T, dd = x.shape[-2], x.shape[-1]
    freqs = 1.0 / (base ** (torch.arange(0, dd, 2, dtype=torch.float64) / dd))
    t = torch.arange(offset, offset + T, dtype=torch.float64)
    angles = torch.outer(t, freqs)
    rot = torch.polar(torch.ones_like(angles), angles)  # e^{i p θ}
    xc = torch.view_as_complex(d(x).reshape(*x.shape[:-1], dd // 2, 2).contiguous())
    return torch.view_as_real(xc * rot).reshape(x.shape)


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rope_half_hf(x, base, offset, dtype=torch.float64):
    """Hugging Face LlamaRotaryEmbedding + apply_rotary_pos_emb."""
    T, dd = x.shape[-2], x.shape[-1]
    inv_freq = 1.0 / (base ** (torch.arange(0, dd, 2, dtype=dtype) / dd))
    t = torch.arange(offset, offset + T, dtype=dtype)
    freqs = torch.outer(t, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    xx = x.to(dtype)
    return xx * emb.cos() + rotate_half(xx) * emb.sin()


def positions():
    cs = []
    cs.append(case("sinusoidal/6x8", "sinusoidal", {}, {"out": sinusoidal(6, 8)}, n=6, d=8))
    cs.append(case("sinusoidal/4x7", "sinusoidal", {}, {"out": sinusoidal(4, 7)}, n=4, d=7))
    x = randn(2, 5, 8)
    for base, off in ((10000.0, 0), (10000.0, 3), (500000.0, 7)):
        ri = rope_interleaved_llama2c(x, base, off)
        rh = rope_half_hf(x, base, off)
        # HF's float32 path agrees with the float64 reference
        assert torch.allclose(rope_half_hf(x, base, off, torch.float32).double(), rh, atol=1e-5)
        cs.append(case(f"rope_interleaved/b{int(base)}_o{off}", "rope_interleaved", {"x": x}, {"out": ri}, base=base, offset=off))
        cs.append(case(f"rope_half/b{int(base)}_o{off}", "rope_half", {"x": x}, {"out": rh}, base=base, offset=off))
    # The two conventions are the same rotation on permuted features:
    # interleaved(x)[perm] == half(x[perm]) with perm = (0,2,4,..,1,3,5,..).
    perm = torch.cat((torch.arange(0, 8, 2), torch.arange(1, 8, 2)))
    assert torch.allclose(rope_interleaved_llama2c(x, 10000.0, 3)[..., perm], rope_half_hf(x[..., perm], 10000.0, 3), atol=1e-12)
    write("positions.json", cs)


if __name__ == "__main__":
    elementwise()
    matmul()
    softmax()
    attention()
    positions()
