#!/usr/bin/python3
"""Reference splits of the BPE pre-tokenizers (model/pretok.go), made with
Python's own regex engine (re, with lookahead) on llama.cpp's regular
expressions (src/llama-vocab.cpp), so the hand-written Go splitters can be
checked against real regex semantics.

\\p{L}, \\p{N} and \\s are spelled out as character classes over the
alphabet the random texts use (Python's re has no \\p{..}); the classes
come from unicodedata (categories L*, N*; White_Space for \\s). The
contractions use llama.cpp's adapted form '[sS] ... (not (?i:...), which
would also match 'ſ').

    /usr/bin/python3 scripts/pretok_ref.py > model/testdata/pretok_ref.json
"""
import json
import random
import re
import unicodedata

ALPHABET = (
    [chr(c) for c in range(ord("a"), ord("z") + 1)] + [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    + list("0123456789") + list(" \t\n\r\x0b\x0c") + list("'") * 6
    + list(".,!?-\"()[]{}:;/@#$%^&*_+=<>|~`")
    + list("éüßЖяα中文のア한Ω") + ["\u01c5", "\u02bc"]          # Lt, Lm (modifier apostrophe)
    + ["½", "²", "Ⅻ", "٣"]                                     # No, No, Nl, Nd
    + ["\u00a0", "\u3000", "\u2009", "\u0085"]                  # non-ASCII White_Space
    + ["\u0301", "\u200d", "\ufe0f", "…", "—", "’", "🦙", "😀"]  # Mn, Cf, Mn, P, P, P, So, So
)
FIXED = ["", " ", "  ", "Hello world", " Hello World!", "Hello, y'all! How are you 😁 ?我想在apple工作1314151天～",
         "   Hello\n    Hello", "3333333", "We'Ve a'lL I'M", "a\u00a0\u00a0b", "x  \n  y", "ʼs ǅa"]
ALPHABET += sorted({c for s in FIXED for c in s} - set(ALPHABET))
WHITE_SPACE = set("\t\n\x0b\x0c\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | {chr(c) for c in range(0x2000, 0x200B)}


def cls(pred):
    chars = sorted({c for c in ALPHABET if pred(c)})
    return "".join(re.escape(c) for c in chars)


L = cls(lambda c: unicodedata.category(c).startswith("L"))
N = cls(lambda c: unicodedata.category(c).startswith("N"))
S = cls(lambda c: c in WHITE_SPACE)
CONTR = "'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]"

GPT2 = rf"'s|'t|'re|'ve|'m|'ll|'d| ?[{L}]+| ?[{N}]+| ?[^{S}{L}{N}]+|[{S}]+(?![^{S}])|[{S}]+"
LLAMA3 = rf"(?:{CONTR})|[^\r\n{L}{N}]?[{L}]+|[{N}]{{1,3}}| ?[^{S}{L}{N}]+[\r\n]*|[{S}]*[\r\n]+|[{S}]+(?![^{S}])|[{S}]+"
QWEN2 = rf"(?:{CONTR})|[^\r\n{L}{N}]?[{L}]+|[{N}]| ?[^{S}{L}{N}]+[\r\n]*|[{S}]*[\r\n]+|[{S}]+(?![^{S}])|[{S}]+"
DIGIT = rf"[{N}]"

PRE = {"gpt-2": [GPT2], "llama-bpe": [LLAMA3], "qwen2": [QWEN2], "smollm": [DIGIT, GPT2]}


def split(pieces, expr):
    """llama.cpp's unicode_regex_split_stl: matches and the gaps between them."""
    out = []
    rx = re.compile(expr)
    for p in pieces:
        pos = 0
        for m in rx.finditer(p):
            if m.start() > pos:
                out.append(p[pos:m.start()])
            if m.end() > m.start():
                out.append(m.group())
            pos = m.end()
        if pos < len(p):
            out.append(p[pos:])
    return out


def main():
    rng = random.Random(15)
    runs = ["   ", "\n\n", " \n ", "'s", "'LL", "'re", "1234567", "  Hello", "\r\n", "''", " 'm", "\t\t"]
    cases = list(FIXED)
    for _ in range(300):
        n = rng.randint(1, 24)
        s = "".join(rng.choice(runs) if rng.random() < 0.2 else rng.choice(ALPHABET) for _ in range(n))
        cases.append(s)
    out = {
        "classes": {c: ("L" if c in L or re.escape(c) in L else "N" if re.escape(c) in N else "S" if c in WHITE_SPACE else "O") for c in sorted(set(ALPHABET))},
        "cases": [],
    }
    for s in cases:
        row = {"text": s}
        for name, exprs in PRE.items():
            pieces = [s] if s else []
            for e in exprs:
                pieces = split(pieces, e)
            assert "".join(pieces) == s
            row[name] = pieces
        out["cases"].append(row)
    print(json.dumps(out, ensure_ascii=False, sort_keys=True))


main()
