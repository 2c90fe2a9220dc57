# Hooks other fragments extend with double-colon rules (they run in file order).
.PHONY: test-setup bench
# First of all: the Debian packages and npm modules the tests need, so that
# `make test` alone works on a fresh machine (idempotent: quick when present).
test-setup::
	bash scripts/setup-deps.sh --test
bench::
	@true
