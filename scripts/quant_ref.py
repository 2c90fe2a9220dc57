#!/usr/bin/python3
"""Reference values for model/quant.go: random blocks of every quantized
ggml type decoded by the numpy dequantizer of scripts/reflib.py (the one
torch_arch_ref.py reads GGUF files with; written independently from the
same block layouts, float64).

    /usr/bin/python3 scripts/quant_ref.py > model/testdata/quant_ref.json
"""
import json

import numpy as np

import reflib as ref

NAMES = {2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K"}
# byte offsets of the float16 scales in each block: kept finite and moderate
HALVES = {2: [0], 6: [0], 8: [0], 3: [0, 2], 7: [0, 2], 12: [0, 2], 13: [0, 2], 10: [80, 82], 11: [108], 14: [208]}


def main():
    rng = np.random.default_rng(15)
    out = {}
    for typ, name in NAMES.items():
        qk, size = ref.BLOCKS[typ]
        nb = 3
        raw = bytearray(rng.integers(0, 256, size=nb * size, dtype=np.uint8).tobytes())
        for b in range(nb):
            for off in HALVES[typ]:
                raw[b * size + off] = int(rng.integers(0, 256))
                raw[b * size + off + 1] = 0x2C + int(rng.integers(0, 20)) | (0x80 if rng.random() < 0.3 else 0)
        vals = ref.dequant(typ, bytes(raw), nb * qk)
        out[name] = {"type": typ, "raw": bytes(raw).hex(), "values": [float("%.9g" % v) for v in vals]}
    print(json.dumps(out, sort_keys=True))


main()
