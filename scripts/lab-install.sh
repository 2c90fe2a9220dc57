#!/usr/bin/env bash
# Installs a built lab into one folder, the layout the Docker image and a JupyterHub machine share:
#
#   PREFIX/bin/attnviz-kernel                     the Go kernel (from kernel/build.sh)
#   PREFIX/bin/attnviz-start                      copies the lessons into $HOME/lessons, then runs
#                                                 its arguments (default: the lab on port 8888)
#   PREFIX/bin/attnviz-singleuser                 a student's server on a hub: jupyterhub-singleuser
#                                                 started faster and smaller (scripts/attnviz-singleuser.py)
#   PREFIX/share/jupyter/kernels/attnviz-go/      the kernelspec (put PREFIX/share/jupyter on
#                                                 JUPYTER_PATH)
#   PREFIX/bin/attnviz-handouts                   scripts/handouts.py on the installed lessons
#                                                 (HTML; PDF too where Chromium is installed)
#   PREFIX/notebooks/                             the lessons (the students' notebooks, no answers)
#                                                 and their data: attnviz-start copies these
#   PREFIX/teacher/                               the teacher's notebooks (answers included), which
#                                                 attnviz-handouts runs; never copied to students
#   PREFIX/models/stories260Ktok512.gguf          the lesson model (ATTNVIZ_MODEL points here)
#
# Usage: scripts/lab-install.sh PREFIX
# The kernel must be built first (kernel/build.sh --no-install; ATTNVIZ_KERNEL_BUILD as there).
# The model is taken from models/ or ../shared/models/ (checked against the sha256 that
# `make model` uses); scripts/image-model.sh fetches it where neither has it.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# = 1 ] || { echo "usage: scripts/lab-install.sh PREFIX" >&2; exit 2; }
prefix=$1
say() { printf 'lab-install: %s\n' "$*" >&2; }

build=${ATTNVIZ_KERNEL_BUILD:-$PWD/build/kernel}
kernel=$build/bin/attnviz-kernel
[ -x "$kernel" ] || { say "no kernel at $kernel: run kernel/build.sh --no-install first"; exit 1; }

file=stories260Ktok512.gguf
sha=$(sed -n 's/^MODEL_SHA256 ?= *//p' mk/50-model.mk)
model=
for d in models ../shared/models; do
	if [ -f "$d/$file" ]; then model=$d/$file; break; fi
done
[ -n "$model" ] || { say "the lesson model $file is in neither models/ nor ../shared/models/ (make model, or scripts/image-model.sh)"; exit 1; }
echo "$sha  $model" | sha256sum -c --quiet - || { say "$model: sha256 is not $sha"; exit 1; }

mkdir -p "$prefix/bin" "$prefix/models" "$prefix/share/jupyter/kernels/attnviz-go"
install -m 0755 "$kernel" "$prefix/bin/attnviz-kernel"
install -m 0755 scripts/attnviz-start.sh "$prefix/bin/attnviz-start"
install -m 0755 scripts/attnviz-singleuser.py "$prefix/bin/attnviz-singleuser"
install -D -m 0644 scripts/handouts.py "$prefix/scripts/handouts.py"
cat >"$prefix/bin/attnviz-handouts" <<EOF
#!/bin/sh
# Handouts of the installed lessons: attnviz-handouts --out DIR [--no-pdf] [LESSON.ipynb ...]
export ATTNVIZ_MODEL="\${ATTNVIZ_MODEL:-$prefix/models/$file}"
export JUPYTER_PATH="$prefix/share/jupyter\${JUPYTER_PATH:+:\$JUPYTER_PATH}"
exec python3 "$prefix/scripts/handouts.py" "\$@"
EOF
chmod 0755 "$prefix/bin/attnviz-handouts"
install -m 0644 "$model" "$prefix/models/$file"
rm -rf "$prefix/notebooks"
mkdir -p "$prefix/notebooks"
cp notebooks/[0-9]*.ipynb "$prefix/notebooks/"
cp -r notebooks/data "$prefix/notebooks/data"
rm -rf "$prefix/teacher"
mkdir -p "$prefix/teacher"
cp teacher/[0-9]*.ipynb "$prefix/teacher/"
ln -s ../notebooks/data "$prefix/teacher/data"  # lessons 5 and 7 read data/ beside the notebook
chmod -R a+rX "$prefix"
# GOROOT points nowhere on purpose: where a Go toolchain is installed (a hub machine builds the
# kernel), gomacro's importer runs `go list -export` at kernel start, which compiles the
# standard library into each user's empty build cache: minutes of CPU per student at their
# first login. The kernel needs no toolchain (the packages are compiled in); without one it
# starts in a second or two, as in the image, which has none.
cat >"$prefix/share/jupyter/kernels/attnviz-go/kernel.json" <<EOF
{
  "argv": ["$prefix/bin/attnviz-kernel", "{connection_file}"],
  "display_name": "Go (attnviz)",
  "language": "go",
  "env": {"ATTNVIZ_MODEL": "$prefix/models/$file", "GOROOT": "$prefix/no-go-toolchain"}
}
EOF
cp "$build"/src/kernel/logo-32x32.png "$build"/src/kernel/logo-64x64.png "$prefix/share/jupyter/kernels/attnviz-go/" 2>/dev/null || true
say "installed into $prefix: kernel $(du -h "$prefix/bin/attnviz-kernel" | cut -f1), $(ls "$prefix"/notebooks/*.ipynb | wc -l) lessons, model $model"
