#!/usr/bin/env python3
"""Executes the lessons on the attnviz Go kernel and writes classroom handouts.

For each lesson it runs the teacher's notebook teacher/NN-name.ipynb (answers included; a
lesson may be named by either notebook, notebooks/NN-name.ipynb or teacher/NN-name.ipynb) and
writes, into --out (default out/):

    NN-name.teacher.ipynb   the executed teacher's notebook, answers included
    NN-name.teacher.html    self-contained HTML (figures embedded, no network needed)
    NN-name.student.html    the students' notebook notebooks/NN-name.ipynb (no answers) with the
                            outputs of the same run (cells are matched by id: both notebooks are
                            made from notebooks/src/NN-name.md by scripts/make_notebooks.py)
    NN-name.{teacher,student}.pdf   printed by headless Chromium, when /usr/bin/chromium exists

Lessons run in notebooks/ (their working directory in the lab) and must run top to bottom: a
cell error is reported and the exit status is 1, after every handout has been written.

    /usr/bin/python3 scripts/handouts.py [--out DIR] [--no-pdf] [--kernel NAME] [LESSON.ipynb ...]
"""
import argparse
import copy
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import ExecutePreprocessor, TagRemovePreprocessor, coalesce_streams

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = os.path.join(ROOT, "notebooks")
TEACHER = os.path.join(ROOT, "teacher")
CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]

# nbconvert's templates load MathJax from a CDN, and Debian's jQuery and require.js from
# file:///usr/share/javascript. The lessons write their formulas in plain Unicode and the
# figures carry their own scripts, so handouts need none of them: dropping them makes the
# files self-contained (they open offline, on any machine).
EXTERNAL_SCRIPT = re.compile(r'<script[^>]*\bsrc="(?:https?|file)://[^"]*"[^>]*>\s*</script>\s*', re.S)
MATHJAX_BLOCK = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->\s*", re.S)


def execute(path, kernel, timeout):
    nb = nbformat.read(path, as_version=4)
    ep = ExecutePreprocessor(kernel_name=kernel, timeout=timeout, allow_errors=True)
    problem = None
    try:
        ep.preprocess(nb, {"metadata": {"path": NOTEBOOKS}})
    except Exception as e:  # a dead kernel or a timeout: keep what ran, report it
        problem = f"{type(e).__name__}: {e}"
    # The kernel sends what a cell prints in pieces: join them, as the notebook page does.
    nb, _ = coalesce_streams(nb, {})
    return nb, problem


def errors_of(nb):
    out = []
    for i, cell in enumerate(nb.cells):
        for o in cell.get("outputs", []):
            if o.get("output_type") == "error":
                out.append(f"cell {i}: {o.get('ename')}: {o.get('evalue')}")
    return out


def teacher_path(path):
    """The teacher's notebook of a lesson named by either of its notebooks."""
    twin = os.path.join(TEACHER, os.path.basename(path))
    return twin if os.path.exists(twin) else path


def student_version(nb, stem):
    """The students' notebook of the lesson with the outputs of the executed teacher's nb.
    Without a students' notebook: nb less the cells only teachers see."""
    nb = copy.deepcopy(nb)
    path = os.path.join(NOTEBOOKS, stem + ".ipynb")
    if not os.path.exists(path):
        nb.cells = [c for c in nb.cells if not {"answer", "teacher"} & set(c.metadata.get("tags", []))]
        return nb
    ran = {c.get("id"): c for c in nb.cells}
    student = nbformat.read(path, as_version=4)
    nb.cells = [ran.get(c.get("id"), c) if c.cell_type == "code" else c for c in student.cells]
    return nb


def to_html(nb, student):
    nb = copy.deepcopy(nb)
    title = next((l[2:].strip() for c in nb.cells if c.cell_type == "markdown"
                  for l in c.source.split("\n") if l.startswith("# ")), "attnviz lesson")
    nb.metadata["title"] = title + (" (student)" if student else " (teacher)")
    exporter = HTMLExporter(template_name="classic")
    exporter.embed_images = True
    if student:  # (nb is the students' notebook already: a safety net)
        drop = TagRemovePreprocessor(remove_cell_tags={"answer", "teacher"}, enabled=True)
        exporter.register_preprocessor(drop, enabled=True)
    html, _ = exporter.from_notebook_node(nb)
    html = MATHJAX_BLOCK.sub("", html)
    html = EXTERNAL_SCRIPT.sub("", html)
    return html


def to_pdf(browser, html_path, pdf_path):
    with tempfile.TemporaryDirectory() as profile:
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               f"--user-data-dir={profile}", "--run-all-compositor-stages-before-draw",
               "--virtual-time-budget=5000", "--no-pdf-header-footer",
               f"--print-to-pdf={pdf_path}", "file://" + os.path.abspath(html_path)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if r.returncode != 0 or not os.path.exists(pdf_path):
        raise RuntimeError(f"chromium --print-to-pdf failed ({r.returncode}): {r.stderr[-500:]}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("lessons", nargs="*", help="lessons to run, by notebook (default: teacher/[0-9]*.ipynb)")
    ap.add_argument("--out", default=os.path.join(ROOT, "out"))
    ap.add_argument("--kernel", default=os.environ.get("ATTNVIZ_KERNEL_NAME", "attnviz-go"))
    ap.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    ap.add_argument("--no-pdf", action="store_true")
    args = ap.parse_args()

    lessons = [teacher_path(p) for p in args.lessons] or sorted(glob.glob(os.path.join(TEACHER, "[0-9]*.ipynb")))
    os.makedirs(args.out, exist_ok=True)
    browser = None if args.no_pdf else next((b for b in CHROMIUM if os.access(b, os.X_OK)), None)
    if not args.no_pdf and browser is None:
        print("handouts: no chromium found: writing HTML only (apt-get install chromium for PDF)")
    failed = []
    for path in lessons:
        stem = os.path.splitext(os.path.basename(path))[0]
        t0 = time.time()
        nb, problem = execute(path, args.kernel, args.timeout)
        errs = errors_of(nb) + ([problem] if problem else [])
        nbformat.write(nb, os.path.join(args.out, stem + ".teacher.ipynb"))
        written = []
        for who in ("teacher", "student"):
            html_path = os.path.join(args.out, f"{stem}.{who}.html")
            with open(html_path, "w", encoding="utf-8") as fh:
                fh.write(to_html(student_version(nb, stem) if who == "student" else nb, student=(who == "student")))
            written.append(html_path)
            if browser:
                pdf_path = html_path[:-5] + ".pdf"
                try:
                    to_pdf(browser, html_path, pdf_path)
                    written.append(pdf_path)
                except Exception as e:
                    errs.append(f"PDF: {e}")
        status = "ok" if not errs else "FAILED"
        print(f"handouts: {stem}: {status} in {time.time() - t0:.1f} s -> "
              + ", ".join(os.path.relpath(w, ROOT) for w in written))
        for e in errs:
            print(f"  {e}")
        if errs:
            failed.append(stem)
    if failed:
        print("handouts: lessons with errors: " + " ".join(failed), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
