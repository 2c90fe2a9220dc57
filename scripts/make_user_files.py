#!/usr/bin/python3
"""Writes the files a PyTorch or NumPy user hands attnviz, the way they write them.

Run with Debian's Python (python3-numpy, python3-torch):

    /usr/bin/python3 scripts/make_user_files.py      # or: make user-files

Everything goes to tensor/testdata/user/ and is committed, so the Go tests never need
Python. The output is deterministic (fixed seeds, pinned zip timestamps).

  tokens_U.npz        np.savez(f, attention=a, tokens=np.array(tokens))   tokens as '<U' (str)
  tokens_S.npz        the same with np.array(tokens, dtype=bytes)          tokens as '|S' (bytes)
  tokens_O.npz        the same with dtype=object (pickled: attnviz refuses it, saying how to convert)
  names_U.npy         one string array on its own (np.save)
  torch_dict.pt       torch.save({"attention": a}, f)   PyTorch's zip layout (archive/data.pkl, ...)
  torch_tensor.pt     torch.save(a, f)
  export_f32.safetensors, export_f16.safetensors, export_hf.safetensors
                      written by scripts/attnviz_export.py (save_attention): [L,H,T,T] float32,
                      float16, and from a Hugging Face-style tuple of [batch, H, T, T] per layer
  manifest.json       shapes, float32 bits of the arrays and the tokens, for the Go tests
"""
import json
import os
import sys
import time
from unittest import mock

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import attnviz_export  # noqa: E402

ROOT = os.path.normpath(os.path.join(HERE, "..", "tensor", "testdata", "user"))
TOKENS = ["<s>", "The", "cat", "sat", "été"]


def bits(a):
    return [int(x) for x in np.ascontiguousarray(a, dtype=np.float32).reshape(-1).view(np.uint32)]


def main():
    os.makedirs(ROOT, exist_ok=True)
    g = torch.Generator().manual_seed(13)
    T = len(TOKENS)
    att = torch.softmax(torch.randn(2, 3, T, T, generator=g), -1)  # [layers, heads, T, T]
    a = att.numpy()
    manifest = {"tokens": TOKENS, "attention": {"shape": list(a.shape), "bits": bits(a)}}

    # zipfile stamps members with the current time: pin it, so reruns give the same bytes.
    os.environ["TZ"] = "UTC"
    time.tzset()
    with mock.patch("time.time", return_value=946684800.0):
        np.savez(os.path.join(ROOT, "tokens_U.npz"), attention=a, tokens=np.array(TOKENS))
        np.savez(os.path.join(ROOT, "tokens_S.npz"), attention=a,
                 tokens=np.array([t.encode("utf-8") for t in TOKENS], dtype=bytes))
        np.savez(os.path.join(ROOT, "tokens_O.npz"), attention=a, tokens=np.array(TOKENS, dtype=object))
    np.save(os.path.join(ROOT, "names_U.npy"), np.array(TOKENS))

    # torch.save's zip writer stamps no times: the bytes depend only on the data (and torch's version).
    torch.save({"attention": att}, os.path.join(ROOT, "torch_dict.pt"))
    torch.save(att, os.path.join(ROOT, "torch_tensor.pt"))

    attnviz_export.save_attention(os.path.join(ROOT, "export_f32.safetensors"), att, TOKENS)
    attnviz_export.save_attention(os.path.join(ROOT, "export_f16.safetensors"), att, TOKENS, dtype="float16")
    manifest["attention_f16"] = {"shape": list(a.shape), "bits": bits(a.astype(np.float16))}
    # What a Hugging Face model returns: a tuple with one [batch, heads, T, T] per layer; batch 2.
    other = torch.softmax(torch.randn(2, 3, T, T, generator=g), -1)
    hf = tuple(torch.stack([att[layer], other[layer]]) for layer in range(2))
    attnviz_export.save_attention(os.path.join(ROOT, "export_hf.safetensors"), hf, TOKENS, batch=1,
                                  extra={"layer0.q": torch.randn(3, T, 4, generator=g)})
    manifest["attention_hf_batch1"] = {"shape": list(other.shape), "bits": bits(other.numpy())}

    manifest["numpy"], manifest["torch"] = np.__version__, torch.__version__
    with open(os.path.join(ROOT, "manifest.json"), "w") as f:
        json.dump(manifest, f, sort_keys=True, ensure_ascii=False)
        f.write("\n")
    print("wrote", ROOT, file=sys.stderr)


if __name__ == "__main__":
    main()
