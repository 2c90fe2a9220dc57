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

# $(call go-test-peer,PKG,BIN,SCRIPT) builds PKG's test binary as BIN and runs
# the peer script scripts/SCRIPT on it (bench-tensor, bench-viz, bench-model, ...).
define go-test-peer
@mkdir -p $(BENCH_DIR)
$(GO) test -c -o $(2) ./$(1)/
$(PEER_ENV) $(PY) scripts/$(3) --go-test $(2)
endef

# $(call need-py,MODULES,WHAT,PACKAGES) stops the target when /usr/bin/python3 cannot
# import MODULES (separated by spaces), saying which Debian packages bring WHAT.
comma := ,
space := $() $()
need-py = @$(PY) -c 'import $(subst $(space),$(comma)$(space),$(strip $(1)))' 2>/dev/null || { echo "$@: $(2) missing: apt-get install -y $(3)"; exit 1; }

# $(call run-fuzz,TIME,PKG:FuzzTarget ...) runs each fuzz target for TIME, one at a time
# (fuzz-files, fuzz-short, fuzz-long). Inputs that fail are saved under
# <pkg>/testdata/fuzz/<FuzzName>/: commit them, they become regression tests.
FUZZ_PARALLEL ?= 1
# A run that fails with only "context deadline exceeded" and no failing
# input is Go 1.26's own race at the end of -fuzztime on a busy machine
# (golang/go#75804, fixed in Go 1.27): it is reported and ignored. Any
# other failure, or a failing input written, stops the loop.
define run-fuzz
	@for pt in $(2); do \
	  p=$${pt%%:*}; t=$${pt#*:}; \
	  echo "fuzz: $$t (./$$p) for $(1)"; \
	  log=$$(mktemp); \
	  if $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(1) -parallel $(FUZZ_PARALLEL) ./$$p/ >$$log 2>&1; then cat $$log; rm -f $$log; continue; fi; \
	  cat $$log; \
	  if grep -q 'context deadline exceeded' $$log && ! grep -q 'Failing input written' $$log && ! grep -q -e 'panic:' -e '--- FAIL: .*/' $$log; then \
	    echo "fuzz: $$t: only Go's -fuzztime deadline race (golang/go#75804; no failing input): ignored"; rm -f $$log; continue; \
	  fi; \
	  rm -f $$log; exit 1; \
	done
endef
