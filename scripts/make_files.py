#!/usr/bin/python3
"""Writes the reference files for attnviz's .npy/.npz/safetensors readers.

Run with Debian's Python (python3-numpy, python3-torch):

    /usr/bin/python3 scripts/make_files.py      # or: make files-ref

Everything goes to tensor/testdata/files/ and is committed, so the Go tests
never need Python. The output is deterministic (fixed seeds, no timestamps
inside the files that matter).

  npy/*.npy        written by numpy.save / numpy.lib.format.write_array:
                   float16/32/64 little and big endian, C and Fortran order,
                   header versions 1.0, 2.0, 3.0, 0-d, empty, integer, bool
  npz/*.npz        numpy.savez (stored) and numpy.savez_compressed (deflated)
  st/*.safetensors safetensors files built by hand in Python as the format's
                   spec describes (8-byte length, JSON header padded with
                   spaces to a multiple of 8, raw little-endian bytes), laid
                   out as the Rust crate lays them out (__metadata__ first,
                   tensors by dtype alignment then name), with the bytes
                   taken from numpy arrays and from torch tensors (F16, BF16
                   via torch)
  manifest.json    for each file and array: shape, and the float32 bits of
                   the values numpy/torch hold (arr.astype(float32) /
                   t.float()), so the Go reader is checked bit for bit
  halfs.json       float16 / bfloat16 conversion references: named edge
                   cases, and SHA-256 digests of numpy's float16 and torch's
                   bfloat16 conversions over every 16-bit pattern and over
                   3.1 M float32 values around every rounding boundary

The safetensors Python package is not used (not in Debian); the format is
simple enough to write by hand, which also documents it.
"""
import hashlib
import io
import json
import os
import struct
import sys
import time
from unittest import mock

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tensor", "testdata", "files")
ROOT = os.path.normpath(ROOT)

manifest = {}


def f32bits(a):
    """C-order float32 bits of an array (numpy's own cast), as a list."""
    a = np.array(a, dtype=np.float32, order="C")
    return [int(x) for x in a.reshape(-1).view(np.uint32)]


def record(key, arrays):
    manifest[key] = {name: {"shape": list(a.shape), "bits": f32bits(a)} for name, a in arrays.items()}


def values(shape, seed, specials=True, exact32=False):
    """Deterministic values with a spread of magnitudes and some specials."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape)) if shape else 1
    v = rng.standard_normal(n) * np.exp(rng.uniform(-6, 6, n))
    if specials and n >= 8:
        v[:8] = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -65504.0, 6.0e-8]
    if exact32:
        v = v.astype(np.float32).astype(np.float64)
    return v.reshape(shape)


def save_npy(name, arr, version=None):
    path = os.path.join(ROOT, "npy", name)
    if version is None:
        np.save(path, arr)
    else:
        with open(path, "wb") as f:
            np.lib.format.write_array(f, arr, version=version)
    record("npy/" + name, {"": arr})


def make_npy():
    os.makedirs(os.path.join(ROOT, "npy"), exist_ok=True)
    with np.errstate(all="ignore"):
        # Golden files for the writer too: float32-exact values, so that
        # Go's WriteNPYAs of what it read gives back the same bytes.
        for dt in ["<f2", "<f4", "<f8", ">f2", ">f4", ">f8"]:
            for order in "CF":
                a = np.asarray(values((2, 3, 4), 1, exact32=True), order=order).astype(dt, order=order)
                tag = dt.replace("<", "le").replace(">", "be")
                save_npy(f"golden_{tag}_{order}_2x3x4.npy", a)
        # Fortran order in 2-D, 1-D, 0-d, empty.
        save_npy("golden_lef4_F_3x5.npy", np.asfortranarray(values((3, 5), 2, exact32=True).astype("<f4")))
        save_npy("golden_lef4_C_7.npy", values((7,), 3, exact32=True).astype("<f4"))
        save_npy("golden_lef4_C_scalar.npy", np.array(2.5, dtype="<f4"))
        save_npy("golden_lef4_C_0x3.npy", np.zeros((0, 3), dtype="<f4"))
        save_npy("golden_lef4_F_4x0.npy", np.asfortranarray(np.zeros((4, 0), dtype="<f4")))
        save_npy("golden_lef2_C_5.npy", np.array([1, 2, 3, 4, 5], dtype="<f2") / np.float16(3))
        # Reading only: float64 values that float32 cannot hold (rounded),
        # integers and bools converted to float32, header versions 2 and 3.
        save_npy("f8_inexact_4x4.npy", values((4, 4), 4).astype("<f8"))
        save_npy("i4_C_3x4.npy", (np.arange(12).reshape(3, 4) * 1000 - 5000).astype("<i4"))
        save_npy("i8_F_3x4.npy", np.asfortranarray((np.arange(12).reshape(3, 4) * 123456789 - 10**9).astype("<i8")))
        save_npy("i8_big_2.npy", np.array([2**40 + 1, -(2**53) - 3], dtype="<i8"))
        save_npy("u1_C_6.npy", np.arange(250, 256).astype("|u1"))
        save_npy("b1_C_2x2.npy", np.array([[True, False], [False, True]]))
        save_npy("i2_be_C_3.npy", np.array([-32768, 0, 32767], dtype=">i2"))
        save_npy("v2_lef4_2x3.npy", values((2, 3), 5, specials=False).astype("<f4"), version=(2, 0))
        save_npy("v3_lef4_2x3.npy", values((2, 3), 6, specials=False).astype("<f4"), version=(3, 0))
        # A tall 1-D array whose header needs the growth padding.
        save_npy("golden_lef4_C_1000.npy", np.linspace(-1, 1, 1000, dtype=np.float32))


def make_npz():
    os.makedirs(os.path.join(ROOT, "npz"), exist_ok=True)
    arrays = {
        "attention": torch.softmax(torch.randn(2, 3, 5, 5, generator=torch.Generator().manual_seed(7)), -1).numpy(),
        "bias": values((5,), 8, specials=False).astype(np.float32),
        "half": values((2, 3), 9).astype(np.float16),
        "fortran": np.asfortranarray(values((3, 2), 10, specials=False).astype(np.float64)),
        "empty": np.zeros((0, 4), dtype=np.float32),
        "scalar": np.float32(3.5),
    }
    # zipfile stamps members with the current time: pin it, so reruns give
    # the same bytes.
    os.environ["TZ"] = "UTC"
    time.tzset()
    with np.errstate(all="ignore"), mock.patch("time.time", return_value=946684800.0):
        np.savez(os.path.join(ROOT, "npz", "savez.npz"), **arrays)
        np.savez_compressed(os.path.join(ROOT, "npz", "savez_compressed.npz"), **arrays)
    rec = {k: np.asarray(v) for k, v in arrays.items()}
    record("npz/savez.npz", rec)
    record("npz/savez_compressed.npz", rec)


# --- safetensors, by hand ----------------------------------------------------

ST_SIZE = {"F64": 8, "I64": 8, "F32": 4, "I32": 4, "F16": 2, "BF16": 2, "I16": 2, "U8": 1, "I8": 1, "BOOL": 1}


def st_bytes(tensors, metadata=None):
    """A safetensors file, as safetensors.torch.save_file / the Rust crate
    write it. tensors: name -> (dtype, shape, raw little-endian bytes)."""
    # Rust's prepare(): sort by dtype alignment (largest first), then name.
    order = sorted(tensors, key=lambda n: (-ST_SIZE[tensors[n][0]], n))
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    off = 0
    for n in order:
        dt, shape, raw = tensors[n]
        assert len(raw) == int(np.prod(shape, dtype=np.int64)) * ST_SIZE[dt], n
        header[n] = {"dtype": dt, "shape": list(shape), "data_offsets": [off, off + len(raw)]}
        off += len(raw)
    if metadata is not None:
        header["__metadata__"] = dict(sorted(metadata.items()))
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(tensors[n][2] for n in order)


def np_entry(dt, a):
    npdt = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4"}[dt]
    a = np.array(a, dtype=npdt, order="C")  # (ascontiguousarray makes 0-d 1-d)
    return (dt, a.shape, a.tobytes())


def torch_entry(t):
    """Bytes of a torch tensor, taken from torch itself (BF16 included)."""
    t = t.contiguous()
    dt = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
          torch.int64: "I64"}[t.dtype]
    if t.dtype in (torch.float16, torch.bfloat16):
        raw = t.view(torch.int16).numpy().astype("<i2").tobytes()
    else:
        raw = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
    return (dt, tuple(t.shape), raw)


def write_st(name, tensors, metadata=None, expect=None):
    path = os.path.join(ROOT, "st", name)
    with open(path, "wb") as f:
        f.write(st_bytes(tensors, metadata))
    if expect is not None:
        record("st/" + name, expect)


def make_safetensors():
    os.makedirs(os.path.join(ROOT, "st"), exist_ok=True)
    tokens = ["<s>", "The", "cat", "sat", "\u00e9t\u00e9 \"quoted\" <b>"]
    meta = {"tokens": json.dumps(tokens), "format": "pt", "model": "toy"}
    # Golden files for the Go writer: one dtype per file, float32-exact
    # values, tensors by name (all one dtype, so Rust's order is by name).
    base = {
        "attention": values((2, 3, 4), 11, exact32=True).astype(np.float32),
        "bias": values((3,), 12, specials=False, exact32=True).astype(np.float32),
        "empty": np.zeros((0, 2), dtype=np.float32),
        "scalar": np.array(1.5, dtype=np.float32),
    }
    with np.errstate(all="ignore"):
        for dt in ["F32", "F64", "F16"]:
            ent = {k: np_entry(dt, v) for k, v in base.items()}
            exp = {k: np.frombuffer(e[2], dtype={"F32": "<f4", "F64": "<f8", "F16": "<f2"}[dt]).reshape(e[1])
                   for k, e in ent.items()}
            write_st(f"golden_{dt}.safetensors", ent, meta, exp)
            write_st(f"golden_{dt}_nometa.safetensors", ent, None, exp)
    ent = {k: torch_entry(torch.from_numpy(v).to(torch.bfloat16)) for k, v in base.items()}
    exp = {k: torch.from_numpy(v).to(torch.bfloat16).float().numpy() for k, v in base.items()}
    write_st("golden_BF16.safetensors", ent, meta, exp)

    # What a PyTorch user hands over: attentions of a toy model, stacked
    # [layers, heads, T, T] (torch.stack(out.attentions)[:, 0]), in every
    # float dtype, plus an int64 tensor (read: unsupported dtype).
    g = torch.Generator().manual_seed(3)
    T = len(tokens)
    att = torch.softmax(torch.randn(2, 1, 4, T, T, generator=g), -1)  # 2 layers, batch 1, 4 heads
    att = torch.stack(list(att))[:, 0]
    mixed = {
        "attention": att,
        "attention_f16": att.half(),
        "attention_bf16": att.bfloat16(),
        "attention_f64": att.double(),
        "hidden": torch.randn(T, 8, generator=g).bfloat16(),
        "ids": torch.arange(T, dtype=torch.int64),
    }
    write_st("torch_attention.safetensors", {k: torch_entry(v) for k, v in mixed.items()}, meta,
             {k: v.float().numpy() for k, v in mixed.items() if k != "ids"})


# --- float16 / bfloat16 references -----------------------------------------

def sha(b):
    return hashlib.sha256(b).hexdigest()


def make_halfs():
    out = {}
    with np.errstate(all="ignore"):
        every16 = np.arange(65536, dtype=np.uint32).astype(np.uint16)
        out["f16_to_f32_sha256"] = sha(every16.view(np.float16).astype(np.float32).view(np.uint32).astype("<u4").tobytes())
        # Around each float16 boundary: bits i<<13 plus 0, 1, half-1, half, half+1, max.
        base = (np.arange(1 << 19, dtype=np.uint32) << 13)
        probe = (base[:, None] + np.array([0, 1, 0xFFF, 0x1000, 0x1001, 0x1FFF], dtype=np.uint32)[None, :]).reshape(-1)
        out["f32_to_f16_probe"] = "bits = i<<13 + d for i in 0..2^19, d in [0, 1, 0xfff, 0x1000, 0x1001, 0x1fff]; numpy astype(float16) bits, little-endian uint16"
        out["f32_to_f16_sha256"] = sha(probe.view(np.float32).astype(np.float16).view(np.uint16).astype("<u2").tobytes())
        bf_base = (np.arange(1 << 16, dtype=np.uint32) << 16)
        bprobe = (bf_base[:, None] + np.array([0, 1, 0x7FFF, 0x8000, 0x8001, 0xFFFF], dtype=np.uint32)[None, :]).reshape(-1)
        f = bprobe.view(np.float32)
        keep = ~np.isnan(f)  # torch's vectorised NaN is 0xffff, its scalar one 0x7fc0: compared apart
        bf = torch.from_numpy(f[keep].copy()).to(torch.bfloat16).view(torch.int16).numpy().astype("<i2")
        out["f32_to_bf16_probe"] = "bits = i<<16 + d for i in 0..2^16, d in [0, 1, 0x7fff, 0x8000, 0x8001, 0xffff], NaNs left out; torch .to(bfloat16) bits, little-endian uint16"
        out["f32_to_bf16_sha256"] = sha(bf.tobytes())
        every_bf = torch.from_numpy(every16.astype(np.int16)).view(torch.bfloat16).float().numpy()
        out["bf16_to_f32_sha256"] = sha(every_bf.view(np.uint32).astype("<u4").tobytes())
        named = {
            "zero": 0.0, "neg_zero": -0.0, "one": 1.0, "max_f16": 65504.0, "rounds_to_max": 65519.99,
            "rounds_to_inf": 65520.0, "inf": np.inf, "neg_inf": -np.inf, "nan": np.nan,
            "min_normal": 2.0**-14, "max_subnormal": 2.0**-14 - 2.0**-24, "min_subnormal": 2.0**-24,
            "half_min_subnormal_tie_to_zero": 2.0**-25, "above_half_min_subnormal": 2.0**-25 * 1.0000001,
            "tie_even_down": 1.0 + 2.0**-11, "tie_even_up": 1.0 + 3 * 2.0**-11, "third": 1 / 3, "pi": np.pi,
            "neg_e": -np.e, "1e-8": 1e-8, "big": 3e38, "tiny_f32_subnormal": 1e-40,
        }
        cases = []
        for name, v in named.items():
            x = np.array([v], dtype=np.float32)
            cases.append({
                "name": name,
                "f32": int(x.view(np.uint32)[0]),
                "f16": int(x.astype(np.float16).view(np.uint16)[0]),
                "bf16": int(torch.from_numpy(x).to(torch.bfloat16).view(torch.int16).numpy().astype(np.uint16)[0]),
            })
        out["cases"] = cases
    with open(os.path.join(ROOT, "halfs.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


def main():
    os.makedirs(ROOT, exist_ok=True)
    make_npy()
    make_npz()
    make_safetensors()
    make_halfs()
    with open(os.path.join(ROOT, "manifest.json"), "w") as f:
        json.dump({"numpy": np.__version__, "torch": torch.__version__, "files": manifest}, f, sort_keys=True)
        f.write("\n")
    print("wrote", ROOT, file=sys.stderr)


if __name__ == "__main__":
    main()
