"""What the PyTorch reference scripts share: their own GGUF reader and ggml
dequantizer, GPT-2's byte-to-character table, and the forward passes of
llama, qwen2, gpt2 and bert as llama.cpp's graphs run them, in float64.

Written from the file format and llama.cpp's graphs, with no code shared
with the Go package, so the numbers the tests compare against are
independent of it. Used by torch_arch_ref.py, torch_model_ref.py,
quant_ref.py, bench_model.py and train_induction.py (Debian's
python3-torch and python3-numpy).
"""
import hashlib
import math
import struct

import numpy as np
import torch


# --- GGUF ------------------------------------------------------------------------
class Reader:
    def __init__(self, b):
        self.b, self.o = b, 0

    def take(self, fmt):
        v = struct.unpack_from("<" + fmt, self.b, self.o)
        self.o += struct.calcsize("<" + fmt)
        return v[0]

    def string(self):
        n = self.take("Q")
        s = self.b[self.o:self.o + n].decode("utf-8")
        self.o += n
        return s


SCALAR = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}


def value(r, t):
    if t in SCALAR:
        return r.take(SCALAR[t])
    if t == 8:
        return r.string()
    if t == 9:
        et, n = r.take("I"), r.take("Q")
        return [value(r, et) for _ in range(n)]
    raise ValueError("bad gguf value type %d" % t)


# ggml block types: (elements per block, bytes per block)
BLOCKS = {2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34),
          10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210)}


def dequant(typ, raw, n):
    """ggml's reference dequantization (ggml-quants.c dequantize_row_*),
    written from the block layouts, numpy float64."""
    qk, size = BLOCKS[typ]
    nb = n // qk
    b = np.frombuffer(raw, dtype=np.uint8, count=nb * size).reshape(nb, size)

    def f16(cols):
        return b[:, cols].copy().view("<f2").astype(np.float64)

    if typ == 8:  # Q8_0: d f16, qs int8[32]
        d = f16(slice(0, 2))
        q = b[:, 2:34].view(np.int8).astype(np.float64)
        return (d * q).reshape(-1)
    if typ in (2, 3, 6, 7):
        if typ in (2, 6):  # Q4_0, Q5_0: d
            d, m, off = f16(slice(0, 2)), None, 2
        else:  # Q4_1, Q5_1: d, m
            d, m, off = f16(slice(0, 2)), f16(slice(2, 4)), 4
        qh = None
        if typ in (6, 7):
            qh = b[:, off:off + 4].copy().view("<u4")[:, 0].astype(np.uint64)
            off += 4
        qs = b[:, off:off + 16]
        lo = (qs & 0x0F).astype(np.int64)
        hi = (qs >> 4).astype(np.int64)
        if qh is not None:
            j = np.arange(16, dtype=np.uint64)
            lo |= (((qh[:, None] >> j) & 1) << 4).astype(np.int64)
            hi |= (((qh[:, None] >> (j + 12 + 4)) & 1) << 4).astype(np.int64)
        q = np.concatenate([lo, hi], axis=1).astype(np.float64)
        if m is None:
            q -= 16 if typ == 6 else 8
            return (d * q).reshape(-1)
        return (d * q + m).reshape(-1)
    out = np.zeros((nb, 256))
    if typ == 10:  # Q2_K: scales[16], qs[64], d, dmin
        sc = b[:, 0:16]
        qs = b[:, 16:80]
        d, dmin = f16(slice(80, 82)), f16(slice(82, 84))
        for blk in range(nb):
            y, isc = 0, 0
            for half in range(2):
                q = qs[blk, half * 32:(half + 1) * 32]
                for shift in (0, 2, 4, 6):
                    for part in range(2):
                        s = sc[blk, isc]
                        isc += 1
                        dl, ml = d[blk, 0] * (s & 0xF), dmin[blk, 0] * (s >> 4)
                        vals = (q[part * 16:(part + 1) * 16] >> shift) & 3
                        out[blk, y:y + 16] = dl * vals - ml
                        y += 16
        return out.reshape(-1)
    if typ == 11:  # Q3_K: hmask[32], qs[64], scales[12], d
        hm = b[:, 0:32]
        qs = b[:, 32:96]
        sraw = b[:, 96:108]
        d = f16(slice(108, 110))
        for blk in range(nb):
            a = [int(x) for x in sraw[blk]]
            aux = [a[0] | a[1] << 8 | a[2] << 16 | a[3] << 24, a[4] | a[5] << 8 | a[6] << 16 | a[7] << 24,
                   a[8] | a[9] << 8 | a[10] << 16 | a[11] << 24]
            k1, k2 = 0x03030303, 0x0f0f0f0f
            tmp = aux[2]
            aux2 = (aux[0] >> 4) & k2 | ((tmp >> 4) & k1) << 4
            aux3 = (aux[1] >> 4) & k2 | ((tmp >> 6) & k1) << 4
            aux0 = aux[0] & k2 | ((tmp >> 0) & k1) << 4
            aux1 = aux[1] & k2 | ((tmp >> 2) & k1) << 4
            scales = []
            for w in (aux0, aux1, aux2, aux3):
                for i in range(4):
                    v = (w >> (8 * i)) & 0xFF
                    scales.append(v - 256 if v > 127 else v)
            y, isc, m = 0, 0, 1
            for half in range(2):
                q = qs[blk, half * 32:(half + 1) * 32]
                for shift in (0, 2, 4, 6):
                    for part in range(2):
                        dl = d[blk, 0] * (scales[isc] - 32)
                        isc += 1
                        for l in range(16):
                            qv = (int(q[part * 16 + l]) >> shift) & 3
                            if not (hm[blk, part * 16 + l] & m):
                                qv -= 4
                            out[blk, y + l] = dl * qv
                        y += 16
                    m <<= 1
        return out.reshape(-1)

    def scale_min_k4(j, s):
        if j < 4:
            return s[j] & 63, s[j + 4] & 63
        return (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4), (s[j + 4] >> 4) | ((s[j] >> 6) << 4)

    if typ in (12, 13):  # Q4_K: d, dmin, scales[12], qs[128]; Q5_K adds qh[32] before qs
        d, dmin = f16(slice(0, 2)), f16(slice(2, 4))
        s12 = b[:, 4:16]
        if typ == 12:
            qh, qs = None, b[:, 16:144]
        else:
            qh, qs = b[:, 16:48], b[:, 48:176]
        for blk in range(nb):
            s = [int(x) for x in s12[blk]]
            y, isc, u1, u2 = 0, 0, 1, 2
            for j in range(4):
                q = qs[blk, j * 32:(j + 1) * 32].astype(np.int64)
                sc, mn = scale_min_k4(isc, s)
                d1, m1 = d[blk, 0] * sc, dmin[blk, 0] * mn
                sc, mn = scale_min_k4(isc + 1, s)
                d2, m2 = d[blk, 0] * sc, dmin[blk, 0] * mn
                lo, hi = q & 0xF, q >> 4
                if qh is not None:
                    h = qh[blk].astype(np.int64)
                    lo = lo + np.where(h & u1, 16, 0)
                    hi = hi + np.where(h & u2, 16, 0)
                    u1 <<= 2
                    u2 <<= 2
                out[blk, y:y + 32] = d1 * lo - m1
                out[blk, y + 32:y + 64] = d2 * hi - m2
                y += 64
                isc += 2
        return out.reshape(-1)
    if typ == 14:  # Q6_K: ql[128], qh[64], scales int8[16], d
        ql, qh = b[:, 0:128], b[:, 128:192]
        sc = b[:, 192:208].view(np.int8)
        d = f16(slice(208, 210))
        for blk in range(nb):
            for half in range(2):
                L = ql[blk, half * 64:(half + 1) * 64].astype(np.int64)
                H = qh[blk, half * 32:(half + 1) * 32].astype(np.int64)
                S = sc[blk, half * 8:(half + 1) * 8].astype(np.float64)
                base = half * 128
                for l in range(32):
                    i = l // 16
                    q1 = ((L[l] & 0xF) | (((H[l] >> 0) & 3) << 4)) - 32
                    q2 = ((L[l + 32] & 0xF) | (((H[l] >> 2) & 3) << 4)) - 32
                    q3 = ((L[l] >> 4) | (((H[l] >> 4) & 3) << 4)) - 32
                    q4 = ((L[l + 32] >> 4) | (((H[l] >> 6) & 3) << 4)) - 32
                    out[blk, base + l] = d[blk, 0] * S[i + 0] * q1
                    out[blk, base + l + 32] = d[blk, 0] * S[i + 2] * q2
                    out[blk, base + l + 64] = d[blk, 0] * S[i + 4] * q3
                    out[blk, base + l + 96] = d[blk, 0] * S[i + 6] * q4
        return out.reshape(-1)
    raise ValueError("ggml type %d" % typ)


def read_gguf(path):
    """A GGUF file's metadata, its tensors (float64, dequantized, in
    PyTorch's order: the reverse of GGUF's dims) and its sha256."""
    b = open(path, "rb").read()
    r = Reader(b)
    assert b[:4] == b"GGUF", "not a GGUF file"
    r.o = 4
    assert r.take("I") in (2, 3)
    n_tensors, n_kv = r.take("Q"), r.take("Q")
    meta = {}
    for _ in range(n_kv):
        k = r.string()
        meta[k] = value(r, r.take("I"))
    infos = []
    for _ in range(n_tensors):
        name = r.string()
        dims = [r.take("Q") for _ in range(r.take("I"))]
        infos.append((name, dims, r.take("I"), r.take("Q")))
    align = meta.get("general.alignment", 32)
    start = (r.o + align - 1) // align * align
    W = {}
    for name, dims, typ, off in infos:
        n = int(np.prod(dims))
        at = start + off
        if typ == 0:
            a = np.frombuffer(b, dtype="<f4", count=n, offset=at).astype(np.float64)
        elif typ == 1:
            a = np.frombuffer(b, dtype="<f2", count=n, offset=at).astype(np.float64)
        elif typ in BLOCKS:
            qk, size = BLOCKS[typ]
            a = dequant(typ, b[at:at + n // qk * size], n)
        else:
            raise ValueError("tensor %s has ggml type %d" % (name, typ))
        W[name] = torch.from_numpy(a.reshape(list(reversed(dims))).copy())
    return meta, W, hashlib.sha256(b).hexdigest()


# --- GPT-2's byte-level vocabulary --------------------------------------------------
def gpt2_bytes():
    """The 256 byte values in GPT-2's token order and the printable
    character each one stands for (bytes_to_unicode)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for c in range(256):
        if c not in bs:
            bs.append(c)
            cs.append(256 + n)
            n += 1
    return bs, [chr(c) for c in cs]


# --- forward passes ---------------------------------------------------------------
def rmsnorm(x, w, eps):
    return x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps) * w


def layernorm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, eps)


def gelu_tanh(x):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def rope(x, base, neox=False, factors=None, scale=1.0):
    # x [H, T, d]; llama.cpp: theta_i = pos * scale * base^(-2i/d) / factor_i
    H, T, d = x.shape
    i = torch.arange(0, d // 2, dtype=torch.float64)
    theta = scale * base ** (-2 * i / d)
    if factors is not None:
        theta = theta / factors
    ang = torch.arange(T, dtype=torch.float64)[:, None] * theta[None, :]
    return rotate(x, torch.cos(ang), torch.sin(ang), neox)


def rotate(x, c, s, neox=False):
    """Rotates x [H, T, d] by the angles whose cos and sin are c, s [T, d/2]:
    pairs (2i, 2i+1) (llama.cpp's NORM rope, llama2.c, GGUF's llama) or,
    with neox, pairs (i, i + d/2) (NEOX: qwen2)."""
    d = x.shape[-1]
    if neox:
        x0, x1 = x[..., : d // 2], x[..., d // 2:]
        return torch.cat([x0 * c - x1 * s, x0 * s + x1 * c], dim=-1)
    out = torch.empty_like(x)
    x0, x1 = x[..., 0::2], x[..., 1::2]
    out[..., 0::2] = x0 * c - x1 * s
    out[..., 1::2] = x0 * s + x1 * c
    return out


def attend(q, k, v, causal):
    H, T, d = q.shape
    rep = H // k.shape[0]
    k, v = k.repeat_interleave(rep, 0), v.repeat_interleave(rep, 0)
    s = q @ k.transpose(1, 2) / math.sqrt(d)
    if causal:
        s = s.masked_fill(~torch.tril(torch.ones(T, T, dtype=torch.bool)), float("-inf"))
    a = torch.softmax(s, -1)
    return a, (a @ v).transpose(0, 1).reshape(T, H * d)


def lin(W, x, name, bias=True):
    y = x @ W[name + ".weight"].T
    if bias and name + ".bias" in W:
        y = y + W[name + ".bias"]
    return y


def forward(meta, W, ids, types=None):
    """The forward pass of meta's architecture (llama, qwen2, gpt2, bert)
    on the token ids (types: bert's token types): the logits [T, V] (None
    for bert), the last hidden state [T, D] and the attention [L, H, T, T].
    W holds float64 tensors (read_gguf)."""
    arch = meta["general.architecture"]
    g = lambda k, d=None: meta.get(arch + "." + k, d)
    L, D, H = g("block_count"), g("embedding_length"), g("attention.head_count")
    Hkv = g("attention.head_count_kv", H)
    hd = D // H
    T = len(ids)
    causal = g("attention.causal", arch != "bert")
    x = W["token_embd.weight"][ids]
    if arch in ("gpt2", "bert"):
        x = x + W["position_embd.weight"][:T]
    atts = []
    if arch == "bert":
        eps = g("attention.layer_norm_epsilon")
        x = x + W["token_types.weight"][types if types is not None else [0] * T]
        x = layernorm(x, W["token_embd_norm.weight"], W["token_embd_norm.bias"], eps)
        for l in range(L):
            p = "blk.%d." % l
            q = lin(W, x, p + "attn_q").view(T, H, hd).transpose(0, 1)
            k = lin(W, x, p + "attn_k").view(T, H, hd).transpose(0, 1)
            v = lin(W, x, p + "attn_v").view(T, H, hd).transpose(0, 1)
            a, o = attend(q, k, v, causal)
            atts.append(a)
            x = layernorm(x + lin(W, o, p + "attn_output"), W[p + "attn_output_norm.weight"], W[p + "attn_output_norm.bias"], eps)
            f = lin(W, torch.nn.functional.gelu(lin(W, x, p + "ffn_up")), p + "ffn_down")
            x = layernorm(x + f, W[p + "layer_output_norm.weight"], W[p + "layer_output_norm.bias"], eps)
        return None, x, torch.stack(atts)
    if arch == "gpt2":
        eps = g("attention.layer_norm_epsilon")
        for l in range(L):
            p = "blk.%d." % l
            h = layernorm(x, W[p + "attn_norm.weight"], W[p + "attn_norm.bias"], eps)
            qkv = lin(W, h, p + "attn_qkv")
            q, k, v = (qkv[:, i * D:(i + 1) * D].view(T, H, hd).transpose(0, 1) for i in range(3))
            a, o = attend(q, k, v, causal)
            atts.append(a)
            x = x + lin(W, o, p + "attn_output")
            h = layernorm(x, W[p + "ffn_norm.weight"], W[p + "ffn_norm.bias"], eps)
            x = x + lin(W, gelu_tanh(lin(W, h, p + "ffn_up")), p + "ffn_down")
        hid = x
        x = layernorm(x, W["output_norm.weight"], W["output_norm.bias"], eps)
        out = W.get("output.weight", W["token_embd.weight"])
        return x @ out.T, hid, torch.stack(atts)
    # llama, qwen2
    eps = g("attention.layer_norm_rms_epsilon", 1e-5 if arch == "llama" else 1e-6)
    base = g("rope.freq_base", 10000.0)
    neox = arch == "qwen2"  # llama.cpp rope type: llama NORM, qwen2 NEOX
    factors = W.get("rope_freqs.weight")
    scale = 1.0
    if g("rope.scaling.type") == "linear":
        scale = 1.0 / g("rope.scaling.factor")
    for l in range(L):
        p = "blk.%d." % l
        h = rmsnorm(x, W[p + "attn_norm.weight"], eps)
        q = lin(W, h, p + "attn_q").view(T, H, hd).transpose(0, 1)
        k = lin(W, h, p + "attn_k").view(T, Hkv, hd).transpose(0, 1)
        v = lin(W, h, p + "attn_v").view(T, Hkv, hd).transpose(0, 1)
        q, k = rope(q, base, neox, factors, scale), rope(k, base, neox, factors, scale)
        a, o = attend(q, k, v, causal)
        atts.append(a)
        x = x + lin(W, o, p + "attn_output")
        h = rmsnorm(x, W[p + "ffn_norm.weight"], eps)
        x = x + lin(W, torch.nn.functional.silu(lin(W, h, p + "ffn_gate")) * lin(W, h, p + "ffn_up"), p + "ffn_down")
    hid = x
    x = rmsnorm(x, W["output_norm.weight"], eps)
    out = W.get("output.weight", W["token_embd.weight"])
    return x @ out.T, hid, torch.stack(atts)
