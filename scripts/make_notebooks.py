#!/usr/bin/env python3
"""Generates the lessons from their readable sources notebooks/src/NN-name.md, twice:

    notebooks/NN-name.ipynb   the students' notebook: no answers (the cells tagged "answer" are left
                              out, so "Run All" runs none and shows none)
    teacher/NN-name.ipynb     the teacher's notebook: every cell, answers included (scripts/handouts.py
                              runs these: the teacher handout shows the answers, the student one not)

A source is Markdown. Prose becomes markdown cells; each fenced ```go block becomes a code cell.

    Some prose.                         -> a markdown cell
    <!-- cell -->                       -> starts a new markdown cell
    ```go figure expect="0.5761"        -> a code cell tagged "figure"; the notebook test checks
    w := ...                               that its text output contains 0.5761
    ```
    ```md answer                        -> a markdown cell tagged "answer": only in the
    The answer is ...                      teacher's notebook (and handout)
    ```
    ```md student                       -> a markdown cell only in the students' notebook
    ```md teacher                       -> a markdown cell only in the teacher's notebook

Words after the fence's language are cell tags; expect="..." (repeatable) goes to the cell
metadata attnviz.expect. Fences in other languages (```python, ~~~) stay inside the prose.

    /usr/bin/python3 scripts/make_notebooks.py          # write the notebooks
    /usr/bin/python3 scripts/make_notebooks.py --check  # exit 1 if one is out of date
"""
import argparse
import json
import os
import re
import shlex
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "notebooks", "src")
OUT = os.path.join(ROOT, "notebooks")
TEACHER = os.path.join(ROOT, "teacher")
# The tags that keep a cell out of one of the two notebooks. Cell ids number the cells of the
# source, so a cell has the same id in both (scripts/handouts.py matches them).
LEAVE_OUT = {"student": {"answer", "teacher"}, "teacher": {"student"}}

KERNELSPEC = {"display_name": "Go (attnviz)", "language": "go", "name": "attnviz-go"}
LANGUAGE_INFO = {"file_extension": ".go", "mimetype": "text/x-go", "name": "go"}

FENCE = re.compile(r"^```(go|md)\b(.*)$")


def parse_attrs(text, where):
    tags, expect = [], []
    for word in shlex.split(text):
        if word.startswith("expect="):
            expect.append(word[len("expect="):])
        elif re.fullmatch(r"[a-z][a-z0-9-]*", word):
            tags.append(word)
        else:
            raise SystemExit(f"{where}: bad cell attribute {word!r} (want tags or expect=\"...\")")
    return tags, expect


def cells_of(path):
    name = os.path.basename(path)
    lines = open(path, encoding="utf-8").read().split("\n")
    cells, prose = [], []

    def flush_prose():
        text = "\n".join(prose).strip("\n")
        prose.clear()
        if text.strip():
            cells.append(("markdown", text, [], []))

    i = 0
    while i < len(lines):
        line = lines[i]
        m = FENCE.match(line)
        if m:
            flush_prose()
            tags, expect = parse_attrs(m.group(2), f"{name}:{i + 1}")
            body = []
            i += 1
            while i < len(lines) and lines[i] != "```":
                body.append(lines[i])
                i += 1
            if i == len(lines):
                raise SystemExit(f"{name}:{i}: unclosed ``` fence")
            kind = "code" if m.group(1) == "go" else "markdown"
            cells.append((kind, "\n".join(body).strip("\n"), tags, expect))
        elif line.strip() == "<!-- cell -->":
            flush_prose()
        else:
            prose.append(line)
        i += 1
    flush_prose()
    return cells


def notebook(path, who="student"):
    """The notebook of one lesson source for who ("student": without the answer cells; "teacher")."""
    stem = os.path.splitext(os.path.basename(path))[0]
    out = []
    for n, (kind, text, tags, expect) in enumerate(cells_of(path)):
        if LEAVE_OUT[who] & set(tags):
            continue
        meta = {}
        if tags:
            meta["tags"] = tags
        if expect:
            meta["attnviz"] = {"expect": expect}
        src = text.split("\n")
        source = [l + "\n" for l in src[:-1]] + [src[-1]]
        cell = {"cell_type": kind, "id": f"{stem[:2]}-{n:02d}", "metadata": meta, "source": source}
        if kind == "code":
            cell["execution_count"] = None
            cell["outputs"] = []
        out.append(cell)
    return {
        "cells": out,
        "metadata": {"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def render(nb):
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if a notebook differs from its source")
    args = ap.parse_args()
    stale = []
    jobs = []
    for f in sorted(os.listdir(SRC)):
        if f.endswith(".md"):
            jobs += [(f, "student", OUT), (f, "teacher", TEACHER)]
    for f, who, outdir in jobs:
        nb = notebook(os.path.join(SRC, f), who)
        try:
            import nbformat  # validate when Jupyter is installed

            nbformat.validate(nbformat.from_dict(nb))
        except ImportError:
            pass
        text = render(nb)
        os.makedirs(outdir, exist_ok=True)
        dst = os.path.join(outdir, f[:-3] + ".ipynb")
        old = open(dst, encoding="utf-8").read() if os.path.exists(dst) else None
        if old == text:
            continue
        if args.check:
            stale.append(os.path.relpath(dst, ROOT))
        else:
            with open(dst, "w", encoding="utf-8") as fh:
                fh.write(text)
            print("wrote", os.path.relpath(dst, ROOT))
    if stale:
        print("out of date (run make notebooks): " + " ".join(stale), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
