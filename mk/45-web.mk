# Interactive figures (viz/internal/echarts, viz/interactive*.go, web/).
.PHONY: test-browser bench-web

# Chromium, node and web/node_modules for the headless-browser tests.
test-setup::
	sh scripts/setup-browser.sh

# `make test` has just installed the browser tools: there, a browser test that
# finds one missing fails instead of skipping (ATTNVIZ_REQUIRE_BROWSER).
test: export ATTNVIZ_REQUIRE_BROWSER = 1

# Rebuild the embedded ECharts build (viz/internal/echarts/assets) from the
# npm packages pinned in web/package-lock.json; a test checks it is current.
.PHONY: echarts-build
echarts-build:
	sh scripts/setup-browser.sh
	node web/echarts/build.mjs

# Only the browser tests (they also run in `make test`).
test-browser:
	$(GO) test -count=1 -run 'TestInteractive(Browser|Scale|Notebook6|Frontends)|TestBundle' -v ./viz/...

bench:: bench-web bench-frontends

# Size budgets (library, 8×8 and n=1024 outputs, lessons) and the paint time
# of a page of 10 figures before/after every output carried its library.
.PHONY: bench-frontends
bench-frontends:
	sh scripts/bench_frontends.sh

# Writer speed (ns/op, bytes/page) for n = 128, 1024, 4096 and a
# 12×12×128² explorer; then the browser table: HTML size, write time and
# paint time in headless Chromium beside plotly's; then go-echarts beside our
# public path (a separate module, so the main one does not depend on it).
bench-web:
	$(GO) test -run '^$$' -bench 'Interactive' -benchtime 5x ./viz/
	ATTNVIZ_BENCH=1 $(GO) test -count=1 -run '^TestInteractiveBenchTable$$' -v ./viz/
	cd web/goecharts && $(GO) test -mod=mod -run '^$$' -bench . -benchtime 3x
