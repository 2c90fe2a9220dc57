#!/usr/bin/env bash
# `make lab`: set up whatever is missing, build the Go kernel, open the lessons in Jupyter.
#
#   scripts/setup-lab.sh                 install + build, then start Jupyter Notebook on notebooks/
#   scripts/setup-lab.sh --no-start      install + build only (the Dockerfile's build step)
#   scripts/setup-lab.sh --check-start   start, wait until the server answers, print its URL,
#                                        stop it and exit 0 (what notebooks/lab_test.go runs)
#
# Environment: LAB_PORT (8888: the first port tried; when it is busy the next free one is
# taken, and the message says so), LAB_IP (127.0.0.1; the Docker image uses 0.0.0.0).
# One URL is printed, with the token, once the server answers: the one to open.
set -euo pipefail
cd "$(dirname "$0")/.."

start=1 check=0
for arg in "$@"; do
	case $arg in
	--no-start) start=0 ;;
	--check-start) check=1 ;;
	*) echo "usage: scripts/setup-lab.sh [--no-start | --check-start]" >&2; exit 2 ;;
	esac
done

bash scripts/setup-deps.sh
bash kernel/build.sh
[ $start = 1 ] || exit 0
# The lesson model (lessons 4 and 7): copied from ../shared/models or downloaded, checked by
# sha256 (make model). Without it the lab still opens; those cells say how to get it.
bash scripts/get-model.sh || echo "lab: could not get the lesson model (lessons 4 and 7 use it); run make model once the machine is online" >&2

ip=${LAB_IP:-127.0.0.1}
first=${LAB_PORT:-8888}
case $first in
''|*[!0-9]*) echo "lab: LAB_PORT=$first is not a port number (try LAB_PORT=8890)" >&2; exit 2 ;;
esac
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3)

# A port is free when a server can listen on it (what Jupyter does next).
port_free() {
	"$py" - "$ip" "$1" <<'PY'
import socket, sys
ip, port = sys.argv[1], int(sys.argv[2])
fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind((ip, port))
    s.listen(1)
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
}

tries=20
port=
for ((p = first; p < first + tries && p <= 65535; p++)); do
	if port_free "$p"; then port=$p; break; fi
done
if [ -z "$port" ]; then
	last=$((first + tries - 1))
	[ $last -le 65535 ] || last=65535
	echo "lab: ports $first to $last are all in use on $ip (another Jupyter running?)." >&2
	echo "     Stop it, or choose another port: LAB_PORT=9000 make lab" >&2
	exit 1
fi
if [ "$port" != "$first" ]; then
	echo "lab: port $first is in use (another Jupyter?); using port $port instead (LAB_PORT chooses the first port tried)." >&2
fi

# Our own token, so that we print the one URL to open (Jupyter then prints none of its own:
# it logs only warnings and errors below).
token=${JUPYTER_TOKEN:-$("$py" -c 'import secrets; print(secrets.token_hex(24))')}
export JUPYTER_TOKEN=$token
case $ip in
127.0.0.1 | 0.0.0.0 | localhost | '') host=localhost ;;
*:*) host="[$ip]" ;;
*) host=$ip ;;
esac
url="http://$host:$port/tree?token=$token"

args=(notebook --notebook-dir="$PWD/notebooks" --ip="$ip" --port="$port" --port-retries=0
	--NotebookApp.default_url=/tree --log-level=WARN)
# Open a browser only where there is a screen to show it on; on a server, print the URL.
if [ $check = 1 ] || { [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ "$(uname)" != Darwin ]; }; then
	args+=(--no-browser)
fi
[ "$(id -u)" = 0 ] && args+=(--allow-root)

# answers: the URL we print opens the lessons' page.
answers() {
	"$py" - "$url" <<'PY' >/dev/null 2>&1
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
    sys.exit(0 if r.status == 200 and b"notebook" in r.read() else 1)
PY
}

# Wait (up to 2 minutes) for the server with pid $1 to answer, then print the URL.
announce() {
	local pid=$1 i
	for ((i = 0; i < 240; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then return 1; fi
		if answers; then
			cat >&2 <<MSG

attnviz lab: the lessons are in notebooks/ (kernel "Go (attnviz)"). Open this URL in your browser:

    $url

Stop with Ctrl-C. After editing the library, run \`make kernel\` and restart the kernel.

MSG
			return 0
		fi
		sleep 0.5
	done
	echo "lab: Jupyter did not answer on port $port within 2 minutes" >&2
	return 1
}

if [ $check = 1 ]; then
	jupyter "${args[@]}" &
	pid=$!
	trap 'kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; true' EXIT
	if announce "$pid"; then
		echo "lab: --check-start: the page at that URL opened; stopping the server" >&2
		exit 0
	fi
	wait "$pid" || true
	echo "lab: Jupyter did not start (its messages are above)" >&2
	exit 1
fi

# Jupyter runs in the foreground (Ctrl-C reaches it as usual); a helper prints the URL once it answers.
announce $$ &
exec jupyter "${args[@]}"
