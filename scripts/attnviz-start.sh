#!/bin/sh
# attnviz-start [COMMAND ...]: the entry point of the lab image and of each student's server on a
# JupyterHub machine (installed as PREFIX/bin/attnviz-start by scripts/lab-install.sh).
#
# 1. Copies the lessons into $HOME/lessons (ATTNVIZ_LESSONS): the first time all of them; later
#    only lessons that are new, so a student's edited notebooks are never overwritten (delete
#    one to get the original back at the next start).
# 2. Runs COMMAND (JupyterHub and Kubernetes give `attnviz-singleuser ...`), or with no
#    command the lab on 0.0.0.0:${LAB_PORT:-8888} in the lessons folder: `docker run -p 8888:8888`.
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
cat >&2 <<MSG

attnviz lab: the lessons are in $lessons (kernel "Go (attnviz)").
Open the http://127.0.0.1:${LAB_PORT:-8888}/...?token=... URL printed below in your browser.

MSG
exec jupyter notebook --ip="${LAB_IP:-0.0.0.0}" --port="${LAB_PORT:-8888}" --port-retries=0 \
	--no-browser --notebook-dir="$lessons" --NotebookApp.default_url=/tree
