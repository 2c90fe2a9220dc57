#!/bin/sh
# `make bench`'s part for issue 12 (every interactive output carries its library):
#   1. the size budgets: the library, an 8×8 heatmap output (≤ 450 kB), an n=1024 heatmap
#      output (≤ what it was before), each lesson saved with its outputs (≤ 8 MB);
#   2. the paint time in headless Chromium of a page of 10 figures, before (commit 9f05d03:
#      the full ECharts in the first output only) and after, in one command (medians of 5 loads).
# Needs git history (for "before"), node + web/node_modules, Chromium; the lessons need the kernel.
set -eu
cd "$(dirname "$0")/.."
GO=${GO:-go}
PY=${PY:-/usr/bin/python3}
BEFORE=9f05d03
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== sizes"
$GO test -count=1 -run '^TestInteractiveBudgets$' -v ./viz/ | sed -n 's/^ *interactive_budget_test.go:[0-9]*: //p'
if command -v jupyter >/dev/null 2>&1 && bash kernel/build.sh >/dev/null 2>&1; then
	$PY scripts/handouts.py --no-pdf --out "$tmp/lessons" >/dev/null 2>&1 || echo "(a lesson reported errors: see make handouts)"
	for f in "$tmp"/lessons/*.teacher.ipynb; do
		printf '%-40s %9d bytes with outputs (budget 8000000)\n' "$(basename "$f" .teacher.ipynb)" "$(wc -c <"$f")"
	done
else
	echo "lessons: jupyter or the kernel missing, not executed"
fi

echo "== paint time of a page of 10 figures (before: $BEFORE, after: this tree)"
if git cat-file -e "$BEFORE^{commit}" 2>/dev/null; then
	mkdir "$tmp/before"
	git archive "$BEFORE" go.mod go.sum tensor viz | tar -x -C "$tmp/before"
	cp web/bench10/main.go "$tmp/before/bench10.go"
	(cd "$tmp/before" && $GO run bench10.go "$tmp/before.html")
	$GO run web/bench10/main.go "$tmp/after.html"
	printf 'before: %9d bytes   after: %9d bytes\n' "$(wc -c <"$tmp/before.html")" "$(wc -c <"$tmp/after.html")"
	node web/paint10.mjs 10 5 "$tmp/before.html" "$tmp/after.html" | sed "s#$tmp/##"
else
	echo "commit $BEFORE is not in this clone: no before/after"
fi
