#!/usr/bin/env bash
# Installs what attnviz needs and is missing. Shared by `make lab` (scripts/setup-lab.sh),
# the Dockerfile and CI (.ci/run), so all three take the same steps.
#
#   scripts/setup-deps.sh          the lab: Jupyter Notebook, nbconvert, ipykernel (and patch, make:
#                                  kernel/build.sh and the Makefile use them)
#   scripts/setup-deps.sh --test   and what the tests need: Chromium + chromedriver (browser
#                                  tests, PDF handouts), gcc (CUDA fake-driver test), the npm
#                                  part of the browser tests (scripts/setup-browser.sh),
#                                  python3-jsonschema + python3-yaml (Kubernetes values test),
#                                  python3-numpy + python3-torch (files written by numpy and
#                                  torch.save, the exporter's round trips)
#   scripts/setup-deps.sh --image  a container engine for `make image` (buildah, unless docker or
#                                  podman works) and debootstrap (stand-in base images)
#   scripts/setup-deps.sh --hub    JupyterHub and configurable-http-proxy (`make hub-test`, deploy/)
#
# On Debian/Ubuntu it uses apt-get (through sudo when not root). Elsewhere it says what is
# missing and points to the Docker image, which has everything.
set -euo pipefail
cd "$(dirname "$0")/.."

want=(jupyter-notebook jupyter-nbconvert python3-ipykernel patch make)
tests=0
for arg in "$@"; do
	case $arg in
	--test) tests=1 ;;
	--image)
		want+=(debootstrap)
		if ! { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; } &&
			! { command -v podman >/dev/null 2>&1 && podman info >/dev/null 2>&1; }; then
			want+=(buildah)
		fi
		;;
	--hub) want+=(jupyterhub) ;;
	*) echo "usage: scripts/setup-deps.sh [--test] [--image] [--hub]" >&2; exit 2 ;;
	esac
done
[ $tests = 1 ] && want+=(chromium chromium-driver gcc g++ python3-jsonschema python3-yaml python3-numpy python3-torch)

say() { printf 'setup: %s\n' "$*" >&2; }

# Go: the kernel and the library are built with it.
if ! command -v go >/dev/null 2>&1 && [ ! -x /usr/local/go/bin/go ]; then
	say "Go is missing: install Go 1.26 from https://go.dev/dl/ (or use Docker:"
	say "  docker build -t attnviz . && docker run -p 8888:8888 attnviz)"
	exit 1
fi

if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
	missing=()
	for p in "${want[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		sudo=()
		if [ "$(id -u)" != 0 ]; then
			if command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
				say "missing Debian packages: ${missing[*]}"
				say "run as root: apt-get update && apt-get install -y ${missing[*]}"
				exit 1
			fi
		fi
		say "installing ${missing[*]}"
		"${sudo[@]}" apt-get update -q
		DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
	fi
else
	# Not Debian/Ubuntu: check for the commands themselves.
	ok=1
	command -v jupyter >/dev/null 2>&1 && jupyter nbconvert --version >/dev/null 2>&1 || ok=0
	if [ $ok = 0 ]; then
		say "Jupyter Notebook and nbconvert are missing, and this is not Debian/Ubuntu, so they are not"
		say "installed automatically. Either install them yourself (pip install notebook nbconvert ipykernel)"
		say "or run the whole lab in Docker:"
		say "  docker build -t attnviz . && docker run -p 8888:8888 attnviz"
		exit 1
	fi
	if [ $tests = 1 ] && ! command -v chromium >/dev/null 2>&1; then
		say "chromium is missing: the browser tests and PDF handouts will be skipped"
	fi
fi

# The npm part of the browser tests belongs to the interactive-figures code.
if [ $tests = 1 ] && [ -f scripts/setup-browser.sh ]; then
	bash scripts/setup-browser.sh
fi
exit 0
