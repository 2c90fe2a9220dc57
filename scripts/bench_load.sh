#!/bin/sh
# Load speed and peak RSS of a GPT-2-small-shaped GGUF with random weights
# (Q8_0 by default; BENCH_TYPES="Q8_0 Q4_K F16" for more), each load in a
# process of its own. Issue #15 asks: peak RSS ≤ 1.5 × the F32 weight size.
set -e
GO=${GO:-go}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
$GO test -c -o "$dir/model.test" ./model
for typ in ${BENCH_TYPES:-Q8_0}; do
  "$dir/model.test" -test.run '^TestWriteBenchGGUF$' -write-bench-gguf "$dir/gpt2-$typ.gguf" -bench-type "$typ" | grep '^wrote'
  for mode in ${LOAD_MODES:-weights model}; do
    "$dir/model.test" -test.run '^TestLoadPeakRSS$' -load-rss "$dir/gpt2-$typ.gguf" -load-mode "$mode" | grep -E '^load|FAIL|Error|---' || true
  done
  rm -f "$dir/gpt2-$typ.gguf"
done
