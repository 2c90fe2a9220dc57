#!/usr/bin/python3
"""Train a tiny 2-layer attention-only transformer until induction heads
form, and write it as a GPT-2 architecture GGUF file for attnviz
(notebooks/data/induction.gguf, lesson 7).

The model reads characters: its vocabulary is <|endoftext|>, which begins
every sequence (BOS), and the 36 characters a-z 0-9, one token each (a
byte-level BPE vocabulary with no merges; attnviz refuses a prompt with any other
character). It trains on strings of random characters in which a random
span comes back right after itself, at a random place and with a random
length (8 to 20): "x7q[kfm2ab9][kfm2ab9]3tz...". Neither the position nor
the distance tells where to look; the only way to predict the second copy
is to find where the current character occurred before and copy the
character that followed it — what an induction head does, fed by a
previous-token head in the layer below.

Architecture (GPT-2, as llama.cpp's gpt2 graph runs it): learned token and
position embeddings (48 positions), 2 blocks of pre-LayerNorm attention
with 4 heads of 16, no MLP (the file's feed-forward weights are zeros, so
the blocks add nothing there), a final LayerNorm and an untied output
matrix. PyTorch's default initialisation, AdamW (lr 1e-3, weight decay
0.01), batches of 32.

Deterministic: seeded, one thread (Debian's python3-torch). It stops when
the best layer-1 head's induction score on held-out repeated sequences
(BOS + A + A, A 20 distinct random characters) reaches STOP_SCORE, checked
every 100 steps — about 5,000 steps, 2 minutes on one core — then prints
every head's induction and previous-token scores and the ablation
evidence: zeroing the previous-token head's output takes the induction
away, zeroing the other layer-0 heads does not.

What it took (issue #15, for whoever changes it): the first 20-odd
settings — GPT-2's 257 byte tokens as the vocabulary with 62 letters and
digits in use, GPT-2's 0.02 initialisation, sinusoidal positions, RoPE,
skip-bigram text, copies at random distances, short-sequence curricula,
loss on the copies only, sharper logits — formed no readable induction
head in 5,000-12,000 steps: the models either stayed at uniform attention
or learnt to copy through diffuse attention (second-copy accuracy up to
0.9 with induction scores under 0.05). What made the difference was the
size of the vocabulary: the same model and data with a vocabulary of only
the characters in use (48 or 37 tokens instead of 257) forms crisp
induction heads (scores 0.8-0.95) in 3,000-5,000 steps, on every seed
tried.

Usage: /usr/bin/python3 scripts/train_induction.py [OUT.gguf]
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

OUT = sys.argv[1] if len(sys.argv) > 1 else "notebooks/data/induction.gguf"
SEED = 20240601
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
D, H, LAYERS, FFN = 64, 4, 2, 4
HD = D // H
T = 48  # tokens per training sequence, BOS included: the positions the model knows
BATCH = 32
LR = 1e-3
MAX_STEPS = 8000
EVAL_EVERY = 100
STOP_SCORE = 0.95
EVAL_SPAN = 20

TOKENS = ["<|endoftext|>"] + list(ALPHABET)
TYPES = [3] + [1] * len(ALPHABET)  # control, then normal tokens
BOS = 0
V = len(TOKENS)
ALPHA_IDS = list(range(1, V))


# --- data -----------------------------------------------------------------------
def train_batch(rng):
    """BOS, random characters, a random span of 8 to 20 (characters may
    recur in it), the same span again, more random characters."""
    seqs = []
    for _ in range(BATCH):
        s = [rng.choice(ALPHA_IDS) for _ in range(T - 1)]
        n = rng.randint(8, (T - 1) // 2 - 3)
        at = rng.randint(0, T - 1 - 2 * n)
        s[at + n:at + 2 * n] = s[at:at + n]
        seqs.append([BOS] + s)
    return torch.tensor(seqs)


def eval_batch(rng, n=64):
    """BOS + A + A with A EVAL_SPAN distinct random characters."""
    return torch.tensor([[BOS] + a + a for a in (rng.sample(ALPHA_IDS, EVAL_SPAN) for _ in range(n))])


# --- model ------------------------------------------------------------------------
class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = torch.nn.Embedding(V, D)
        self.pos = torch.nn.Embedding(T, D)
        self.ln1 = torch.nn.ModuleList(torch.nn.LayerNorm(D) for _ in range(LAYERS))
        self.qkv = torch.nn.ModuleList(torch.nn.Linear(D, 3 * D) for _ in range(LAYERS))
        self.proj = torch.nn.ModuleList(torch.nn.Linear(D, D) for _ in range(LAYERS))
        self.lnf = torch.nn.LayerNorm(D)
        self.out = torch.nn.Linear(D, V, bias=False)

    def forward(self, ids, ablate=None):
        """Logits and each layer's attention [B, H, T, T]; ablate = (layer,
        head) zeroes that head's output (its attention is still computed)."""
        B, n = ids.shape
        x = self.tok(ids) + self.pos(torch.arange(n))
        mask = torch.ones(n, n, dtype=torch.bool).tril()
        atts = []
        for l in range(LAYERS):
            h = self.ln1[l](x)
            q, k, v = self.qkv[l](h).view(B, n, 3, H, HD).permute(2, 0, 3, 1, 4)
            s = (q @ k.transpose(-1, -2)) / math.sqrt(HD)
            a = torch.softmax(s.masked_fill(~mask, float("-inf")), -1)
            atts.append(a)
            o = a @ v  # [B, H, n, HD]
            if ablate is not None and ablate[0] == l:
                o = o.clone()
                o[:, ablate[1]] = 0
            x = x + self.proj[l](o.transpose(1, 2).reshape(B, n, D))
        return self.out(self.lnf(x)), atts


def scores(atts, n=EVAL_SPAN):
    """[L, H] induction scores and previous-token scores on BOS + A + A:
    the weight a query of the second copy gives the token after its first
    occurrence, and the weight every query gives the token before it."""
    ind = torch.zeros(LAYERS, H)
    prev = torch.zeros(LAYERS, H)
    q = torch.arange(1 + n, 1 + 2 * n)  # queries in the second copy
    for l, a in enumerate(atts):
        ind[l] = a[:, :, q, q - n + 1].mean(dim=(0, 2))
        i = torch.arange(1, a.shape[-1])
        prev[l] = a[:, :, i, i - 1].mean(dim=(0, 2))
    return ind, prev


def copy_accuracy(logits, ids, n=EVAL_SPAN):
    """Share of the second copy's characters (after its first) predicted."""
    pred = logits[:, n + 1:2 * n].argmax(-1)
    return float((pred == ids[:, n + 2:]).float().mean())


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

    string("general.architecture", "gpt2")
    string("general.name", "attnviz induction (2-layer attention-only)")
    string("general.description", "Trained by attnviz scripts/train_induction.py on random characters "
           "(a-z 0-9) with repeated spans; attention only: the feed-forward weights are zeros.")
    u32("general.alignment", 32)
    u32("gpt2.block_count", LAYERS)
    u32("gpt2.context_length", T)
    u32("gpt2.embedding_length", D)
    u32("gpt2.feed_forward_length", FFN)
    u32("gpt2.attention.head_count", H)
    f32("gpt2.attention.layer_norm_epsilon", 1e-5)
    string("tokenizer.ggml.model", "gpt2")
    string("tokenizer.ggml.pre", "gpt-2")
    arr("tokenizer.ggml.tokens", 8, TOKENS)
    arr("tokenizer.ggml.token_type", 5, TYPES)
    arr("tokenizer.ggml.merges", 8, [])
    u32("tokenizer.ggml.bos_token_id", BOS)
    u32("tokenizer.ggml.eos_token_id", BOS)
    boolean("tokenizer.ggml.add_bos_token", True)

    st = model.state_dict()
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
    model = Model()
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
                lg, atts = model(held_out)
            ind, prev = scores(atts)
            best = float(ind[1].max())
            print("step %5d  loss %.3f  best layer-1 induction %.3f  best layer-0 previous-token %.3f  second-copy accuracy %.2f  (%.0f s, %.0f s CPU)"
                  % (step, loss.item(), best, float(prev[0].max()), copy_accuracy(lg, held_out),
                     time.time() - t0, time.process_time() - c0), flush=True)
            if best >= STOP_SCORE:
                break
    with torch.no_grad():
        logits, atts = model(held_out)
        ind, prev = scores(atts)
        ih = int(ind[1].argmax())
        ph = int(prev[0].argmax())
        acc = copy_accuracy(logits, held_out)
        print("trained in %.0f s, %d steps" % (time.time() - t0, step))
        print("induction scores [layer, head]:\n", ind.numpy().round(3))
        print("previous-token scores [layer, head]:\n", prev.numpy().round(3))
        print("induction head: layer 1 head %d (%.3f); previous-token head: layer 0 head %d (%.3f); second-copy accuracy %.3f"
              % (ih, ind[1, ih], ph, prev[0, ph], acc))
        for h in range(H):
            lg, atts_ab = model(held_out, ablate=(0, h))
            ind_ab, _ = scores(atts_ab)
            print("  zero layer-0 head %d: layer-1 head %d induction %.3f -> %.3f, second-copy accuracy %.3f -> %.3f"
                  % (h, ih, ind[1, ih], ind_ab[1, ih], acc, copy_accuracy(lg, held_out)))
    b = gguf_bytes(model)
    with open(OUT, "wb") as f:
        f.write(b)
    print("wrote %s (%d bytes)" % (OUT, len(b)))


if __name__ == "__main__":
    main()
