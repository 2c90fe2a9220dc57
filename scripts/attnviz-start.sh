#!/bin/sh
# attnviz-start [COMMAND ...]: the entry point of the lab image and of each student's server on a
# JupyterHub machine (installed as PREFIX/bin/attnviz-start by scripts/lab-install.sh).
#
# 1. Copies the lessons into $HOME/lessons (ATTNVIZ_LESSONS): the first time all of them; later
#    only lessons that are new, so a student's edited notebooks are never overwritten (delete
#    one to get the original back at the next start).
# 2. Runs COMMAND (JupyterHub and Kubernetes give `attnviz-singleuser ...`), or with no
#    command the lab on 0.0.0.0:${LAB_PORT:-8888} in the lessons folder: `docker run -p 8888:8888`;
#    it prints one URL, http://127.0.0.1:PORT/tree?token=..., once the server answers (PORT:
#    LAB_HOST_PORT when docker maps another host port, else LAB_PORT).
set -eu
prefix=$(dirname "$(dirname "$(readlink -f "$0")")")
# (some runners start a container without HOME)
[ -n "${HOME:-}" ] || HOME=$(getent passwd "$(id -u)" | cut -d: -f6)
export HOME
lessons=${ATTNVIZ_LESSONS:-$HOME/lessons}

if [ -d "$prefix/notebooks" ]; then
	mkdir -p "$lessons"
	# -n: never overwrite; -R: the data folder too; plain files only, owned by the student.
	cp -Rn "$prefix/notebooks/." "$lessons/" 2>/dev/null || echo "attnviz-start: could not copy the lessons into $lessons" >&2
fi
export ATTNVIZ_MODEL="${ATTNVIZ_MODEL:-$prefix/models/stories260Ktok512.gguf}"
case ":${JUPYTER_PATH:-}:" in
*":$prefix/share/jupyter:"*) ;;
*) export JUPYTER_PATH="$prefix/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}" ;;
esac

if [ $# -gt 0 ]; then
	exec "$@"
fi
# The lab. One URL is printed, once the server answers, and it is the one to open: our own token
# (Jupyter then logs only warnings, no URLs of its own, which would name the container's
# hostname and its inside port), on the port the browser reaches. That is LAB_PORT, the port
# Jupyter listens on, unless LAB_HOST_PORT says otherwise: `docker run -p 9000:8888 -e
# LAB_HOST_PORT=9000 attnviz` (or keep both sides equal: -p 9000:9000 -e LAB_PORT=9000).
port=${LAB_PORT:-8888}
shown=${LAB_HOST_PORT:-$port}
token=${JUPYTER_TOKEN:-$(python3 -c 'import secrets; print(secrets.token_hex(24))')}
export JUPYTER_TOKEN="$token"
url="http://127.0.0.1:$shown/tree?token=$token"
inside="http://127.0.0.1:$port/tree?token=$token"
# A helper waits (2 minutes at most) until the server answers inside, then prints the URL; the
# shell then becomes Jupyter (exec), so that tini's signals reach it.
(
	i=0
	while [ $i -lt 240 ]; do
		if python3 - "$inside" <<'PY' >/dev/null 2>&1
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
    sys.exit(0 if r.status == 200 else 1)
PY
		then
			cat >&2 <<MSG

attnviz lab: the lessons are in $lessons (kernel "Go (attnviz)"). Open this URL in your browser:

    $url

MSG
			exit 0
		fi
		i=$((i + 1))
		sleep 0.5
	done
	echo "attnviz-start: Jupyter did not answer on port $port within 2 minutes" >&2
) &
root=
[ "$(id -u)" = 0 ] && root=--allow-root
exec jupyter notebook --ip="${LAB_IP:-0.0.0.0}" --port="$port" --port-retries=0 \
	--no-browser --notebook-dir="$lessons" --NotebookApp.default_url=/tree --log-level=WARN $root
