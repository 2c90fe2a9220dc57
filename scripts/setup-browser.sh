#!/bin/sh
# Installs what the interactive-figure browser tests need: Debian's Chromium
# (/usr/bin/chromium), node/npm, and the npm packages pinned in
# web/package-lock.json: playwright-core (no browser download — it drives the
# system Chromium), and esbuild, echarts and fflate, from which
# web/echarts/build.mjs makes the embedded ECharts build (a test rebuilds it
# and compares).
# Idempotent; run as root (CI, Docker) or with sudo. Used by `make test-setup`.
set -eu
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=sudo; fi

need=""
[ -x /usr/bin/chromium ] || need="$need chromium"
command -v node >/dev/null 2>&1 || need="$need nodejs"
command -v npm >/dev/null 2>&1 || need="$need npm"
if [ -n "$need" ]; then
	echo "setup-browser: installing$need"
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need
fi

missing_npm=""
for p in playwright-core esbuild echarts fflate; do
	[ -f "web/node_modules/$p/package.json" ] || missing_npm="$missing_npm $p"
done
if [ -n "$missing_npm" ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
	echo "setup-browser: npm ci in web/"
	(cd web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi
v() { node -p "require('./web/node_modules/$1/package.json').version"; }
echo "setup-browser: chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), node $(node --version), playwright-core $(v playwright-core), esbuild $(v esbuild), echarts $(v echarts), fflate $(v fflate)"
