# Hooks other fragments extend with double-colon rules.
.PHONY: test-setup bench
test-setup::
	@true
bench::
	@true
