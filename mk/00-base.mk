# Hooks other fragments extend with double-colon rules (they run in file order).
.PHONY: test-setup bench
# First of all: the Debian packages and npm modules the tests need, so that
# `make test` alone works on a fresh machine (idempotent: quick when present).
test-setup::
	bash scripts/setup-deps.sh --test
bench::
	@true

# Every peer benchmark (torch, matplotlib) runs with these two unset, in its
# own command only: this machine sets them to an older OpenBLAS core type,
# which slows OpenBLAS by up to 1.7× (tests and CI keep them as they are).
# The peer scripts follow scripts/benchlib.py: alternating sides, the first
# round discarded, median and min, ratio from the medians; where both sides
# are multi-threaded, each on the faster of 1 thread and all cores (chosen on
# the warm-up, printed), CPU time per op beside.
PEER_ENV := env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE
BENCH_DIR ?= $(or $(TMPDIR),/tmp)/attnviz-bench

# $(call run-fuzz,TIME,PKG:FuzzTarget ...) runs each fuzz target for TIME, one at a time
# (fuzz-files, fuzz-short, fuzz-long). Inputs that fail are saved under
# <pkg>/testdata/fuzz/<FuzzName>/: commit them, they become regression tests.
FUZZ_PARALLEL ?= 1
define run-fuzz
	@for pt in $(2); do \
	  p=$${pt%%:*}; t=$${pt#*:}; \
	  echo "fuzz: $$t (./$$p) for $(1)"; \
	  $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(1) -parallel $(FUZZ_PARALLEL) ./$$p/ || exit 1; \
	done
endef
