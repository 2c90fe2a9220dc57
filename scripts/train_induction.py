#!/usr/bin/python3
"""Train a tiny 2-layer attention-only transformer until an induction head
forms, and write it as a GPT-2 architecture GGUF file for attnviz.

The model reads characters: its vocabulary is GPT-2's 256 byte tokens (no
merges, so every character is one token) and <|endoftext|>, which begins
every sequence (BOS). It trains on strings of random letters and digits in
which random spans come back later ("...kQ7mz...kQ7mz..."): the only way to
predict a repeated span is to find where the current character appeared
before and copy the character that followed it — what an induction head
does, fed by a previous-token head in the layer below.

Architecture (GPT-2, as llama.cpp's gpt2 graph runs it): learned token and
position embeddings, 2 blocks of pre-LayerNorm attention with 4 heads of 16,
no MLP (the file's feed-forward weights are zeros, so the blocks add
nothing there), a final LayerNorm and an untied output matrix.

Deterministic: seeded, one thread. It stops when the best layer-1 head's induction score on held-out repeated
sequences passes STOP_SCORE (checked every EVAL_EVERY steps), then prints the
heads' scores, the previous-token head, and the ablation evidence: zeroing
that layer-0 head's output drops the induction score.

STATUS (issue #15 item 5 is NOT met yet): no setting tried so far has
formed an induction head. Runs of 1000-4800 steps (a loaded shared machine,
5-10 % of a core each), best layer-1 induction score on held-out BOS+A+A
(uniform ≈ 0.03-0.04):
  defaults (DATA=spans, T_TRAIN=64, LR=3e-3)     900 steps  0.035, prev 0.12
  main's earlier data (70 % periodic)            1000 steps  0.03, loss 3.70
  DATA=twice                                      600 steps  0.034
  ARCH=llama DATA=twice                           700 steps  0.07 at 400, then 0.06
  DATA=periodic SHORT=0.25 (period-2 strings)    1200 steps  0.01, prev 0.15
  DATA=periodic RULE=0.3                         2400 steps  0.015, prev 0.48
  same, ARCH=llama                                800 steps  0.00, prev 0.18
  DATA=twice RULE=0.3 T_TRAIN=32 EVAL_SPAN=15    4600 steps  0.04 (layer 1 stays
                                                 uniform: a bag-of-context solution)
  same with INIT=0.08                            4200 steps  0.03, prev 0.47
  DATA=twice T_TRAIN=32 LR=1e-3 BATCH=64         1000 steps  0.04, copy acc 0.15
RULE (skip-bigram text, next = f(two back)) does make layer-0 previous-token
heads (0.45-0.48), but layer 1 then settles on attending uniformly, which
serves the unigram-in-context solution (Edelman et al. 2024: that solution
delays the induction one). Next to try, on a quiet machine: longer runs
(MAX_STEPS), data whose in-context unigram statistics do not help (so the
plateau is shorter), fewer heads.

Usage (Debian's python3-torch): /usr/bin/python3 scripts/train_induction.py [OUT.gguf]
or `make induction-model`.
"""
import math
import os
import random
import struct
import sys
import time

import torch
import torch.nn.functional as F

from reflib import gpt2_bytes

OUT = sys.argv[1] if len(sys.argv) > 1 else "notebooks/data/induction.gguf"
SEED = 20240601
ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
D, H, LAYERS, CTX, FFN = 64, 4, 2, 128, 4
HD = D // H
T_TRAIN = int(os.environ.get("T_TRAIN", "64"))
BATCH = int(os.environ.get("BATCH", "32"))
LR = float(os.environ.get("LR", "3e-3"))
POS_SCALE = float(os.environ.get("POS_SCALE", "1"))
ARCH = os.environ.get("ARCH", "gpt2")
DATA = os.environ.get("DATA", "spans")
SHORT = float(os.environ.get("SHORT", "0"))
RULE = float(os.environ.get("RULE", "0"))
INIT = float(os.environ.get("INIT", "0.02"))
ROPE_BASE = 10000.0
MAX_STEPS = 6000
EVAL_EVERY = 100
STOP_SCORE = 0.85
EVAL_SPAN = int(os.environ.get("EVAL_SPAN", "20"))


# --- vocabulary: GPT-2's byte tokens, in GPT-2's order -------------------------
BYTES, CHARS = gpt2_bytes()
TOKENS = CHARS + ["<|endoftext|>"]
BOS = 256
V = len(TOKENS)
ID = {b: i for i, b in enumerate(BYTES)}  # byte value -> token id
ALPHA_IDS = [ID[ord(c)] for c in ALPHABET]
_perm = random.Random(SEED + 2).sample(ALPHA_IDS, len(ALPHA_IDS))
SKIP = dict(zip(ALPHA_IDS, _perm))  # the skip-bigram rule


# --- data ---------------------------------------------------------------------------
def train_batch(rng):
    """Random characters in which random spans (3 to T/4 long) come back
    later, each at its own distance, so that no fixed offset predicts the
    copies — only finding where the current character occurred before
    does. (A span written again and again at one period would let the
    model predict by position instead.)"""
    seqs = []
    for _ in range(BATCH):
        s = [rng.choice(ALPHA_IDS) for _ in range(T_TRAIN - 1)]
        if RULE and rng.random() < RULE:
            # "skip-bigram" text: every character after the first two is
            # f(the character two places back), f a fixed permutation: only a
            # head that looks at the previous token can predict it
            s = [rng.choice(ALPHA_IDS), rng.choice(ALPHA_IDS)]
            while len(s) < T_TRAIN - 1:
                s.append(SKIP[s[-2]])
            seqs.append([BOS] + s)
            continue
        if DATA == "periodic":
            # random characters, then a span of distinct characters written
            # again and again: its length (the period) and where it starts vary
            n = 2 if rng.random() < SHORT else rng.randint(3, 31)
            at = rng.randint(0, 16)
            a = rng.sample(ALPHA_IDS, n)
            s[at:] = (a * (T_TRAIN // n + 1))[:T_TRAIN - 1 - at]
            seqs.append([BOS] + s)
            continue
        if DATA == "twice":
            # a random span written twice in a row, at a random place:
            # its length, hence the distance of the copy, varies
            n = rng.randint(4, (T_TRAIN - 1) // 2)
            at = rng.randint(0, T_TRAIN - 1 - 2 * n)
            s[at + n:at + 2 * n] = s[at:at + n]
            seqs.append([BOS] + s)
            continue
        for _ in range(rng.randint(1, 3)):
            n = rng.randint(3, T_TRAIN // 4)
            src = rng.randint(0, T_TRAIN - 1 - 2 * n)
            dst = rng.randint(src + n, T_TRAIN - 1 - n)
            s[dst:dst + n] = s[src:src + n]
        seqs.append([BOS] + s)
    return torch.tensor(seqs)


def eval_batch(rng, n=64):
    """BOS + A + A with A EVAL_SPAN distinct random characters."""
    return torch.tensor([[BOS] + a + a for a in (rng.sample(ALPHA_IDS, EVAL_SPAN) for _ in range(n))])


# --- model --------------------------------------------------------------------------
class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = torch.nn.Embedding(V, D)
        self.pos = torch.nn.Embedding(CTX, D)
        self.ln1 = torch.nn.ModuleList(torch.nn.LayerNorm(D) for _ in range(LAYERS))
        self.qkv = torch.nn.ModuleList(torch.nn.Linear(D, 3 * D) for _ in range(LAYERS))
        self.proj = torch.nn.ModuleList(torch.nn.Linear(D, D) for _ in range(LAYERS))
        self.lnf = torch.nn.LayerNorm(D)
        self.out = torch.nn.Linear(D, V, bias=False)
        # GPT-2's initialisation: N(0, 0.02²), the residual projections
        # scaled down by √(2·layers), biases 0
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = INIT / math.sqrt(2 * LAYERS) if name.startswith("proj") else INIT
                torch.nn.init.normal_(p, std=std)
            elif name.endswith("bias") and not name.startswith("ln"):
                torch.nn.init.zeros_(p)
        # Positions start as sinusoids (of the same size as the token
        # embeddings) rather than noise: "the position before mine" is then
        # a fixed linear map of "my position", so a previous-token head can
        # form early; they are trained like the rest.
        with torch.no_grad():
            pos = torch.arange(CTX, dtype=torch.float32)[:, None]
            freq = torch.exp(-math.log(CTX) * torch.arange(0, D, 2, dtype=torch.float32) / D)
            self.pos.weight[:, 0::2] = torch.sin(pos * freq)
            self.pos.weight[:, 1::2] = torch.cos(pos * freq)
            self.pos.weight.mul_(0.02 * math.sqrt(2) * POS_SCALE)

    def forward(self, ids, ablate=None):
        B, T = ids.shape
        x = self.tok(ids) + self.pos(torch.arange(T))
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        atts = []
        for l in range(LAYERS):
            h = self.ln1[l](x)
            q, k, v = self.qkv[l](h).view(B, T, 3, H, HD).permute(2, 0, 3, 1, 4)
            s = (q @ k.transpose(-1, -2)) / math.sqrt(HD)
            a = torch.softmax(s.masked_fill(~mask, float("-inf")), -1)
            atts.append(a)
            o = a @ v  # [B, H, T, HD]
            if ablate is not None and ablate[0] == l:
                o = o.clone()
                o[:, ablate[1]] = 0
            x = x + self.proj[l](o.transpose(1, 2).reshape(B, T, D))
        return self.out(self.lnf(x)), atts


class LlamaModel(torch.nn.Module):
    """The same attention-only model in Llama's form: RMSNorm, no biases,
    no position embeddings but RoPE on q and k (pairs (2i, 2i+1), as
    llama.cpp's "NORM" rope type and a llama GGUF expect)."""

    def __init__(self):
        super().__init__()
        self.tok = torch.nn.Embedding(V, D)
        self.n1 = torch.nn.ParameterList(torch.nn.Parameter(torch.ones(D)) for _ in range(LAYERS))
        self.wq = torch.nn.ModuleList(torch.nn.Linear(D, D, bias=False) for _ in range(LAYERS))
        self.wk = torch.nn.ModuleList(torch.nn.Linear(D, D, bias=False) for _ in range(LAYERS))
        self.wv = torch.nn.ModuleList(torch.nn.Linear(D, D, bias=False) for _ in range(LAYERS))
        self.proj = torch.nn.ModuleList(torch.nn.Linear(D, D, bias=False) for _ in range(LAYERS))
        self.nf = torch.nn.Parameter(torch.ones(D))
        self.out = torch.nn.Linear(D, V, bias=False)
        for name, p in self.named_parameters():
            if p.dim() == 2:
                torch.nn.init.normal_(p, std=0.02 / math.sqrt(2 * LAYERS) if name.startswith("proj") else 0.02)
        i = torch.arange(0, HD, 2, dtype=torch.float32)
        ang = torch.arange(CTX, dtype=torch.float32)[:, None] * ROPE_BASE ** (-i / HD)[None, :]
        self.register_buffer("cos", torch.cos(ang), persistent=False)
        self.register_buffer("sin", torch.sin(ang), persistent=False)

    @staticmethod
    def rms(x, w):
        return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + 1e-5) * w

    def rope(self, x):  # [B, H, T, HD]
        T = x.shape[2]
        c, s = self.cos[:T], self.sin[:T]
        x0, x1 = x[..., 0::2], x[..., 1::2]
        return torch.stack([x0 * c - x1 * s, x0 * s + x1 * c], dim=-1).flatten(-2)

    def forward(self, ids, ablate=None):
        B, T = ids.shape
        x = self.tok(ids)
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        atts = []
        for l in range(LAYERS):
            h = self.rms(x, self.n1[l])
            q, k, v = (w[l](h).view(B, T, H, HD).transpose(1, 2) for w in (self.wq, self.wk, self.wv))
            q, k = self.rope(q), self.rope(k)
            a = torch.softmax(((q @ k.transpose(-1, -2)) / math.sqrt(HD)).masked_fill(~mask, float("-inf")), -1)
            atts.append(a)
            o = a @ v
            if ablate is not None and ablate[0] == l:
                o = o.clone()
                o[:, ablate[1]] = 0
            x = x + self.proj[l](o.transpose(1, 2).reshape(B, T, D))
        return self.out(self.rms(x, self.nf)), atts


def scores(atts, n=EVAL_SPAN):
    """[L, H] induction scores and previous-token scores on BOS + A + A."""
    ind = torch.zeros(LAYERS, H)
    prev = torch.zeros(LAYERS, H)
    q = torch.arange(1 + n, 1 + 2 * n)  # queries in the second copy
    for l, a in enumerate(atts):
        ind[l] = a[:, :, q, q - n + 1].mean(dim=(0, 2))
        i = torch.arange(1, a.shape[-1])
        prev[l] = a[:, :, i, i - 1].mean(dim=(0, 2))
    return ind, prev


# --- GGUF ---------------------------------------------------------------------------
def gguf_bytes(model):
    kv = []

    def s(x):
        b = x.encode("utf-8")
        return struct.pack("<Q", len(b)) + b

    def add(key, typ, payload):
        kv.append(s(key) + struct.pack("<I", typ) + payload)

    u32 = lambda k, v: add(k, 4, struct.pack("<I", v))
    f32 = lambda k, v: add(k, 6, struct.pack("<f", v))
    string = lambda k, v: add(k, 8, s(v))
    boolean = lambda k, v: add(k, 7, struct.pack("<B", 1 if v else 0))

    def arr(k, elem, items):
        if elem == 8:
            body = b"".join(s(x) for x in items)
        else:
            body = b"".join(struct.pack("<i", x) for x in items)
        add(k, 9, struct.pack("<IQ", elem, len(items)) + body)

    A = ARCH
    string("general.architecture", A)
    string("general.name", "attnviz induction (2-layer attention-only)")
    string("general.description", "Trained by attnviz scripts/train_induction.py on random letters with repeated spans; "
           "attention only: the feed-forward weights are zeros.")
    u32("general.alignment", 32)
    u32(A + ".block_count", LAYERS)
    u32(A + ".context_length", CTX)
    u32(A + ".embedding_length", D)
    u32(A + ".feed_forward_length", FFN)
    u32(A + ".attention.head_count", H)
    if A == "llama":
        u32("llama.attention.head_count_kv", H)
        u32("llama.rope.dimension_count", HD)
        f32("llama.rope.freq_base", ROPE_BASE)
        f32("llama.attention.layer_norm_rms_epsilon", 1e-5)
    else:
        f32("gpt2.attention.layer_norm_epsilon", 1e-5)
    string("tokenizer.ggml.model", "gpt2")
    string("tokenizer.ggml.pre", "gpt-2")
    arr("tokenizer.ggml.tokens", 8, TOKENS)
    arr("tokenizer.ggml.token_type", 5, [1] * 256 + [3])
    arr("tokenizer.ggml.merges", 8, [])
    u32("tokenizer.ggml.bos_token_id", BOS)
    u32("tokenizer.ggml.eos_token_id", BOS)
    boolean("tokenizer.ggml.add_bos_token", True)

    st = model.state_dict()
    if A == "llama":
        tensors = [("token_embd.weight", st["tok.weight"])]
        for l in range(LAYERS):
            p = "blk.%d." % l
            tensors += [
                (p + "attn_norm.weight", st["n1.%d" % l]),
                (p + "attn_q.weight", st["wq.%d.weight" % l]), (p + "attn_k.weight", st["wk.%d.weight" % l]),
                (p + "attn_v.weight", st["wv.%d.weight" % l]), (p + "attn_output.weight", st["proj.%d.weight" % l]),
                (p + "ffn_norm.weight", torch.ones(D)), (p + "ffn_gate.weight", torch.zeros(FFN, D)),
                (p + "ffn_up.weight", torch.zeros(FFN, D)), (p + "ffn_down.weight", torch.zeros(D, FFN)),
            ]
        tensors += [("output_norm.weight", st["nf"]), ("output.weight", st["out.weight"])]
    else:
        tensors = [("token_embd.weight", st["tok.weight"]), ("position_embd.weight", st["pos.weight"])]
        for l in range(LAYERS):
            p = "blk.%d." % l
            tensors += [
                (p + "attn_norm.weight", st["ln1.%d.weight" % l]), (p + "attn_norm.bias", st["ln1.%d.bias" % l]),
                (p + "attn_qkv.weight", st["qkv.%d.weight" % l]), (p + "attn_qkv.bias", st["qkv.%d.bias" % l]),
                (p + "attn_output.weight", st["proj.%d.weight" % l]), (p + "attn_output.bias", st["proj.%d.bias" % l]),
                (p + "ffn_norm.weight", torch.ones(D)), (p + "ffn_norm.bias", torch.zeros(D)),
                (p + "ffn_up.weight", torch.zeros(FFN, D)), (p + "ffn_up.bias", torch.zeros(FFN)),
                (p + "ffn_down.weight", torch.zeros(D, FFN)), (p + "ffn_down.bias", torch.zeros(D)),
            ]
        tensors += [("output_norm.weight", st["lnf.weight"]), ("output_norm.bias", st["lnf.bias"]),
                    ("output.weight", st["out.weight"])]
    infos, data = b"", b""
    for name, t in tensors:
        raw = t.detach().to(torch.float32).contiguous().numpy().tobytes()
        dims = list(reversed(t.shape))
        infos += s(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        infos += struct.pack("<IQ", 0, len(data))
        data += raw + b"\0" * (-len(raw) % 32)
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kv)) + b"".join(kv) + infos
    head += b"\0" * (-len(head) % 32)
    return head + data


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    rng = random.Random(SEED)
    held_out = eval_batch(random.Random(SEED + 1))
    model = LlamaModel() if ARCH == "llama" else Model()
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.01)
    t0, c0 = time.time(), time.process_time()
    for step in range(1, MAX_STEPS + 1):
        ids = train_batch(rng)
        logits, _ = model(ids[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, V), ids[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % EVAL_EVERY == 0:
            with torch.no_grad():
                _, atts = model(held_out)
            ind, prev = scores(atts)
            best = float(ind[1].max())
            with torch.no_grad():
                lg, _ = model(held_out)
            acc = float((lg[:, EVAL_SPAN + 1:2 * EVAL_SPAN].argmax(-1) == held_out[:, EVAL_SPAN + 2:]).float().mean())
            print("step %5d  loss %.3f  best layer-1 induction %.3f  best layer-0 previous-token %.3f  second-copy accuracy %.2f  (%.0f s, %.0f s CPU)"
                  % (step, loss.item(), best, float(prev[0].max()), acc, time.time() - t0, time.process_time() - c0), flush=True)
            if os.environ.get("CHECKPOINT"):
                with open(OUT + ".partial", "wb") as f:
                    f.write(gguf_bytes(model))
            if best >= STOP_SCORE:
                break
    with torch.no_grad():
        logits, atts = model(held_out)
        ind, prev = scores(atts)
        ih = int(ind[1].argmax())
        ph = int(prev[0].argmax())
        # copying: accuracy on the second copy
        pred = logits[:, EVAL_SPAN:2 * EVAL_SPAN].argmax(-1)
        acc = float((pred == held_out[:, EVAL_SPAN + 1:]).float().mean())
        print("trained in %.0f s, %d steps" % (time.time() - t0, step))
        print("induction scores [layer, head]:\n", ind.numpy().round(3))
        print("previous-token scores [layer, head]:\n", prev.numpy().round(3))
        print("induction head: layer 1 head %d (%.3f); previous-token head: layer 0 head %d (%.3f); second-copy accuracy %.3f"
              % (ih, ind[1, ih], ph, prev[0, ph], acc))
        for h in range(H):
            _, atts_ab = model(held_out, ablate=(0, h))
            ind_ab, _ = scores(atts_ab)
            print("  zero layer-0 head %d: layer-1 head %d induction %.3f -> %.3f" % (h, ih, ind[1, ih], ind_ab[1, ih]))
    b = gguf_bytes(model)
    with open(OUT, "wb") as f:
        f.write(b)
    print("wrote %s (%d bytes)" % (OUT, len(b)))


if __name__ == "__main__":
    main()
