# attnviz — see README.md. Targets are split by concern into mk/*.mk.
GO ?= go
PY ?= /usr/bin/python3
export GOFLAGS ?= -buildvcs=false

.PHONY: all test bench lab handouts build
all: build

build:
	$(GO) build ./...

# The test command of the README: sets up what the tests need, then runs them.
# (The notebook tests run every lesson on the real kernel: allow them time.)
test: test-setup
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...

include $(sort $(wildcard mk/*.mk))
