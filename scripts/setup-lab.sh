#!/usr/bin/env bash
# `make lab`: set up whatever is missing, build the Go kernel, open the lessons in Jupyter.
#
#   scripts/setup-lab.sh             install + build, then start Jupyter Notebook on notebooks/
#   scripts/setup-lab.sh --no-start  install + build only (the Dockerfile's build step)
#
# Environment: LAB_PORT (8888), LAB_IP (127.0.0.1; the Docker image uses 0.0.0.0).
set -euo pipefail
cd "$(dirname "$0")/.."

start=1
for arg in "$@"; do
	case $arg in
	--no-start) start=0 ;;
	*) echo "usage: scripts/setup-lab.sh [--no-start]" >&2; exit 2 ;;
	esac
done

bash scripts/setup-deps.sh
bash kernel/build.sh
[ $start = 1 ] || exit 0

port=${LAB_PORT:-8888}
ip=${LAB_IP:-127.0.0.1}
args=(notebook --notebook-dir="$PWD/notebooks" --ip="$ip" --port="$port" --port-retries=0
	--NotebookApp.default_url=/tree)
# Open a browser only where there is a screen to show it on; on a server, print the URL.
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ "$(uname)" != Darwin ]; then
	args+=(--no-browser)
fi
[ "$(id -u)" = 0 ] && args+=(--allow-root)
cat >&2 <<MSG

attnviz lab: the lessons are in notebooks/ (kernel "Go (attnviz)").
Open the URL below (with its token) in your browser: http://localhost:$port/...
Stop with Ctrl-C. After editing the library, run \`make kernel\` and restart the kernel.

MSG
exec jupyter "${args[@]}"
