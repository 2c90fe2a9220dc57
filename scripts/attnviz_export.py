"""attnviz_export — hand attention weights from PyTorch (or NumPy) to attnviz.

One file, needing only NumPy (and PyTorch when you pass torch tensors): copy it next to your
code, or add attnviz's scripts/ folder to sys.path. It writes a safetensors file — the format
Hugging Face uses for weights — without the `safetensors` package (which Debian does not ship):

    from attnviz_export import save_attention

    out = model(**inputs, output_attentions=True)              # a Hugging Face model
    tokens = tokenizer.convert_ids_to_tokens(inputs["input_ids"][0])
    save_attention("attention.safetensors", out.attentions, tokens)

then, in Go, `tensor.LoadSafetensorsTensor("attention.safetensors", "attention")`, or on the
command line `attnviz render -o grid.png attention.safetensors` (the tokens come along).

`attention` may be
  - what Hugging Face returns: a tuple (or list) with one [batch, heads, T, T] tensor per layer;
  - one tensor or array: [T, T], [heads, T, T], [layers, heads, T, T], or with a batch axis,
    [layers, batch, heads, T, T] (torch.stack(out.attentions));
and is saved as one array "attention" of [layers, heads, T, T] (or the shape given, when it
has no batch axis): for a batch, `batch` picks the sentence (0 by default).
`tokens` (a list of strings) goes into the file's metadata as a JSON list, the way attnviz
reads it. `dtype` is "float32" (default) or "float16" (half the size; bfloat16 and float64
input are converted). More arrays can ride along in `extra` (name -> tensor or array), e.g.
queries and keys.

The other way, `load_attention(path)` returns (attention, tokens) from a file attnviz wrote
(`attnviz model -prompt ... -o att.safetensors`), and `load_safetensors(path)` every array and
the metadata, as NumPy arrays (F32, F16, F64 and BF16 are read; BF16 becomes float32).

The layout written is the safetensors specification's: an 8-byte little-endian header size, a
JSON header (padded with spaces to a multiple of 8) mapping each name to its dtype, shape and
byte range, then the raw little-endian, row-major data. The file is written to a temporary
name and renamed, so a failed save leaves nothing half-written.
"""
import json
import os
import struct
import tempfile

import numpy as np

__all__ = ["save_attention", "save_safetensors", "load_attention", "load_safetensors"]

_DTYPES = {"float32": ("F32", "<f4"), "f32": ("F32", "<f4"), "float16": ("F16", "<f2"), "f16": ("F16", "<f2")}


def _to_numpy(x, what):
    """A NumPy array from a torch tensor (any device, any float dtype) or anything array-like."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor, without importing torch
        x = x.detach().cpu()
        if str(getattr(x, "dtype", "")) == "torch.bfloat16":  # NumPy has no bfloat16
            x = x.float()
        x = x.numpy()
    a = np.asarray(x)
    if a.dtype == object:
        raise TypeError(f"{what}: cannot save an object array; pass numbers (a tensor or a float array)")
    if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer) or a.dtype == bool):
        raise TypeError(f"{what}: cannot save dtype {a.dtype}; pass numbers (a tensor or a float array)")
    return a


def save_safetensors(path, arrays, metadata=None, dtype="float32"):
    """Writes arrays (name -> tensor or array) to path as a safetensors file.

    metadata: a dict of strings (safetensors stores only strings). dtype: "float32" or
    "float16" for every array.
    """
    if dtype not in _DTYPES:
        raise ValueError(f'dtype {dtype!r}: use "float32" or "float16"')
    st_dtype, np_dtype = _DTYPES[dtype]
    header, blobs, offset = {}, [], 0
    if metadata:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError(f"metadata {k!r}: safetensors metadata holds only strings (json.dumps the value)")
        header["__metadata__"] = dict(metadata)
    for name in sorted(arrays):
        if not isinstance(name, str) or not name or name == "__metadata__":
            raise ValueError(f"array name {name!r}: give every array a non-empty string name")
        a = _to_numpy(arrays[name], name)
        with np.errstate(over="ignore"):
            raw = np.ascontiguousarray(a, dtype=np_dtype).tobytes()
        header[name] = {"dtype": st_dtype, "shape": [int(n) for n in a.shape], "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    head = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    head += b" " * (-len(head) % 8)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(struct.pack("<Q", len(head)))
            fh.write(head)
            for b in blobs:
                fh.write(b)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def save_attention(path, attention, tokens=None, dtype="float32", batch=0, name="attention", extra=None, metadata=None):
    """Saves attention weights (and the tokens) for attnviz; see the module's documentation.

    Returns the shape saved.
    """
    if isinstance(attention, (tuple, list)):  # Hugging Face: one [batch, heads, T, T] per layer
        if not attention:
            raise ValueError("attention: an empty list; pass the model's attentions (output_attentions=True)")
        layers = [_to_numpy(a, f"attention[{i}]") for i, a in enumerate(attention)]
        shapes = {a.shape for a in layers}
        if len(shapes) != 1:
            raise ValueError(f"attention: the layers have different shapes {sorted(shapes)}")
        if layers[0].ndim != 4:
            raise ValueError(f"attention: each layer should be [batch, heads, T, T], got {list(layers[0].shape)}")
        a = np.stack(layers)  # [layers, batch, heads, T, T]
    else:
        a = _to_numpy(attention, "attention")
    if a.ndim == 5:
        if not 0 <= batch < a.shape[1]:
            raise ValueError(f"batch {batch}: the attention has a batch of {a.shape[1]} (0 to {a.shape[1] - 1})")
        a = a[:, batch]
    if a.ndim not in (2, 3, 4):
        raise ValueError(f"attention: want [T, T], [heads, T, T], [layers, heads, T, T] or [layers, batch, heads, T, T], got {list(a.shape)}")
    if a.shape[-1] == 0 or a.shape[-2] == 0:
        raise ValueError(f"attention: shape {list(a.shape)} has no tokens")
    meta = dict(metadata or {})
    if tokens is not None:
        tokens = [str(t) for t in tokens]
        q, k = a.shape[-2], a.shape[-1]
        if len(tokens) not in (q, q + k) or (len(tokens) == q + k and q == k):
            raise ValueError(f"tokens: {len(tokens)} tokens for a {q}×{k} attention matrix; give one token per position")
        meta["tokens"] = json.dumps(tokens, ensure_ascii=False)
    meta.setdefault("layout", "attention[layer, head, query, key]" if a.ndim == 4 else f"{a.ndim}-d attention")
    arrays = {name: a}
    for k, v in (extra or {}).items():
        if k in arrays:
            raise ValueError(f"extra: {k!r} is the attention's own name")
        arrays[k] = v
    save_safetensors(path, arrays, meta, dtype)
    return tuple(a.shape)


_READ = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?"}


def load_safetensors(path):
    """Reads a safetensors file: returns ({name: NumPy array}, metadata dict)."""
    with open(path, "rb") as fh:
        raw = fh.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: {len(raw)} bytes; a safetensors file starts with an 8-byte header size")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        raise ValueError(f"{path}: header size {n} runs past the end of the file")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = memoryview(raw)[8 + n:]
    meta = header.pop("__metadata__", {}) or {}
    arrays = {}
    for name, e in header.items():
        start, end = e["data_offsets"]
        shape = tuple(e["shape"])
        if e["dtype"] == "BF16":
            bits = np.frombuffer(data[start:end], dtype="<u2").astype(np.uint32) << 16
            arrays[name] = bits.view(np.float32).reshape(shape)
        elif e["dtype"] in _READ:
            arrays[name] = np.frombuffer(data[start:end], dtype=_READ[e["dtype"]]).reshape(shape).copy()
        else:
            raise ValueError(f"{path}: array {name!r} has dtype {e['dtype']}, which this reader does not take")
    return arrays, meta


def load_attention(path, name="attention"):
    """Reads attention weights and their tokens (None when the file has none) from path."""
    arrays, meta = load_safetensors(path)
    if name not in arrays:
        raise KeyError(f"{path} has no array {name!r}; it has {sorted(arrays)}")
    tokens = json.loads(meta["tokens"]) if "tokens" in meta else None
    return arrays[name], tokens

