#!/usr/bin/env bash
# Builds the attnviz Go kernel for Jupyter and installs its kernel.json for the user.
#
# The kernel is gophernotes v0.7.5 from the Go module proxy, made to run on Go 1.26 by our
# patches (kernel/patches/, applied here: gophernotes' source is never committed), with
# attnviz's packages compiled in, so a notebook's `import "github.com/attnviz/attnviz/viz"`
# is instant (no plugin build):
#
#   1. copy the module out of the module cache into $BUILD/src (outside git: build/ is ignored);
#   2. newer gomacro and golang.org/x/tools, godebug gotypesalias=0, and every patch of
#      kernel/patches/ in order (each file's name says what it changes; the error messages
#      a student can act on come from kernel/explain — docs/kernel-messages.md);
#   3. `gomacro -g` writes bindings for each package of $ATTNVIZ_KERNEL_PACKAGES (on a scratch
#      copy of the module: the working tree is never written), kernel/bindgen makes them files
#      of the kernel's package main, registered with imports.Packages.MergePackage;
#   4. `replace github.com/attnviz/attnviz => <this checkout>`, go mod tidy, go build;
#   5. kernel.json into the user's Jupyter data dir (kernel name $ATTNVIZ_KERNEL_NAME).
#
# It is idempotent: nothing is rebuilt while the sources it depends on are unchanged
# (a hash of them is kept in $BUILD/stamp). Edited library code needs `make kernel`
# (this script) and then a kernel restart in Jupyter.
#
# Usage: kernel/build.sh [--check | --force] [--no-install]
#   --check       exit 0 if the kernel is built and up to date, 1 if not; builds nothing
#   --force       rebuild even if up to date
#   --no-install  do not install kernel.json
# Environment: GO, ATTNVIZ_KERNEL_BUILD (default build/kernel), ATTNVIZ_KERNEL_NAME
# (default attnviz-go), ATTNVIZ_KERNEL_LDFLAGS (go build -ldflags for the kernel; the image uses
# "-s -w"), ATTNVIZ_KERNEL_PACKAGES (default "tensor viz model": folders of the module).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GO=${GO:-go}
if ! command -v "$GO" >/dev/null 2>&1; then
	if [ -x /usr/local/go/bin/go ]; then GO=/usr/local/go/bin/go; else
		echo "kernel/build.sh: the Go toolchain is not on PATH (want go 1.26; https://go.dev/dl/)" >&2
		exit 1
	fi
fi
BUILD=${ATTNVIZ_KERNEL_BUILD:-$repo/build/kernel}
NAME=${ATTNVIZ_KERNEL_NAME:-attnviz-go}
PACKAGES=${ATTNVIZ_KERNEL_PACKAGES:-tensor viz model}

GOPHERNOTES=github.com/gopherdata/gophernotes@v0.7.5
GOMACRO=github.com/cosmos72/gomacro@v0.0.0-20240506194242-2ff796e3da10
XTOOLS=golang.org/x/tools@v0.52.0
MODULE=github.com/attnviz/attnviz

export GOWORK=off
export GOFLAGS=-buildvcs=false
# The checksum database does not know the gomacro version we need.
export GONOSUMDB=${GONOSUMDB:+$GONOSUMDB,}github.com/cosmos72/gomacro

check=0 force=0 install=1
for arg in "$@"; do
	case $arg in
	--check) check=1 ;;
	--force) force=1 ;;
	--no-install) install=0 ;;
	*) echo "usage: kernel/build.sh [--check | --force] [--no-install]" >&2; exit 2 ;;
	esac
done

log() { printf 'kernel: %s\n' "$*" >&2; }
bin=$BUILD/bin/attnviz-kernel

# --- which packages, and which files they are built from -------------------------------------
read -r -a pkgs <<<"$PACKAGES"
if [ ${#pkgs[@]} -eq 0 ]; then
	echo "kernel/build.sh: ATTNVIZ_KERNEL_PACKAGES is empty" >&2
	exit 1
fi

# Every file of the module that the packages are built from (their own and their
# in-module dependencies'), relative to the repo.
list_files() {
	(cd "$repo" && "$GO" list -deps -f \
		'{{if .Module}}{{if .Module.Main}}{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{range .CgoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{range .SFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{range .HFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{range .EmbedFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{end}}{{end}}' \
		"${pkgs[@]/#/./}") | sed "s|^$repo/||" | sort -u
}
files=$(list_files) || { echo "kernel/build.sh: 'go list' failed on ${pkgs[*]}: the packages must build (go build ./...)" >&2; exit 1; }

kernel_inputs() {
	printf '%s\n' "$GOPHERNOTES $GOMACRO $XTOOLS $repo $NAME ${pkgs[*]}${ATTNVIZ_KERNEL_LDFLAGS:+ ldflags=$ATTNVIZ_KERNEL_LDFLAGS}"
	"$GO" version
	(cd "$repo" && sha256sum kernel/build.sh kernel/patches/* kernel/bindgen/*.go $(ls kernel/explain/*.go | grep -v _test.go) go.mod go.sum $files)
}
stamp=$(kernel_inputs | sha256sum | cut -d' ' -f1)

kernelspec_dir() {
	local data
	if command -v jupyter >/dev/null 2>&1 && data=$(jupyter --data-dir 2>/dev/null) && [ -n "$data" ]; then
		echo "$data/kernels/$NAME"
	else
		echo "${XDG_DATA_HOME:-$HOME/.local/share}/jupyter/kernels/$NAME"
	fi
}

install_kernelspec() {
	local dir
	dir=$(kernelspec_dir)
	mkdir -p "$dir"
	cat >"$dir/kernel.json.tmp" <<EOF
{
  "argv": ["$bin", "{connection_file}"],
  "display_name": "Go (attnviz)",
  "language": "go",
  "metadata": {"attnviz": {"repo": "$repo", "stamp": "$stamp"}}
}
EOF
	mv "$dir/kernel.json.tmp" "$dir/kernel.json"
	cp "$BUILD"/src/kernel/logo-32x32.png "$BUILD"/src/kernel/logo-64x64.png "$dir/" 2>/dev/null || true
	log "kernel \"$NAME\" installed: $dir/kernel.json"
}

up_to_date() { [ -x "$bin" ] && [ -f "$BUILD/stamp" ] && [ "$(cat "$BUILD/stamp")" = "$stamp" ]; }

if [ $check = 1 ]; then
	if up_to_date; then exit 0; fi
	log "not built or out of date (run make kernel)"
	exit 1
fi

mkdir -p "$BUILD/bin"
# One build at a time per build dir (two `make test` at once must not race).
if command -v flock >/dev/null 2>&1; then
	exec 9>"$BUILD/.lock"
	flock 9
fi

if [ $force = 0 ] && up_to_date; then
	log "up to date ($bin)"
	[ $install = 1 ] && install_kernelspec
	exit 0
fi
start=$(date +%s)

# --- 1, 2: gophernotes with newer gomacro, our patches -----------------------------------------
src=$BUILD/src
base=$( (echo "$GOPHERNOTES $GOMACRO $XTOOLS $repo"; "$GO" version; cd "$repo" && sha256sum kernel/patches/*) | sha256sum | cut -d' ' -f1)
if [ "$(cat "$src/.attnviz-base" 2>/dev/null)" != "$base" ] || [ ! -x "$BUILD/bin/gomacro" ]; then
	log "preparing gophernotes (${GOPHERNOTES#*@}) with gomacro ${GOMACRO#*@}, x/tools ${XTOOLS#*@}"
	moddir=$(cd / && "$GO" mod download -json "$GOPHERNOTES" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
	if [ -z "$moddir" ] || [ ! -d "$moddir" ]; then
		echo "kernel/build.sh: go mod download $GOPHERNOTES failed (is the module proxy reachable? GOPROXY=$("$GO" env GOPROXY))" >&2
		exit 1
	fi
	rm -rf "$src"
	cp -R "$moddir" "$src"
	chmod -R u+w "$src"
	if ! (cd "$src" && "$GO" get "$GOMACRO" "$XTOOLS") >"$BUILD/go-get.log" 2>&1; then
		cat "$BUILD/go-get.log" >&2
		echo "kernel/build.sh: go get $GOMACRO $XTOOLS failed" >&2
		exit 1
	fi
	for p in "$repo"/kernel/patches/*.patch; do
		if command -v patch >/dev/null 2>&1; then
			patch -d "$src" -p1 -s --batch --forward <"$p"
		else
			(cd "$src" && GIT_CEILING_DIRECTORIES="$BUILD" git apply -p1 "$p")
		fi
	done
	# Our patches import github.com/attnviz/attnviz/kernel/explain: resolve it to this checkout.
	(cd "$src" && "$GO" mod edit -godebug gotypesalias=0 \
		-require="$MODULE@v0.0.0-00010101000000-000000000000" -replace="$MODULE=$repo" && "$GO" mod tidy)
	(cd "$src" && "$GO" build -o "$BUILD/bin/gomacro" github.com/cosmos72/gomacro)
	echo "$base" >"$src/.attnviz-base"
fi

# --- 3: bindings for attnviz's packages -------------------------------------------------------
# gomacro -g writes x_package.go into the package folder it reads: give it a scratch copy of
# exactly the files the packages are built from.
gen=$BUILD/gen/attnviz
rm -rf "$BUILD/gen"
mkdir -p "$gen"
(cd "$repo" && tar -cf - go.mod go.sum $files) | tar -xf - -C "$gen"
(cd "$repo" && "$GO" build -o "$BUILD/bin/bindgen" ./kernel/bindgen)
rm -f "$src"/x_attnviz_*.go
for p in "${pkgs[@]}"; do
	warnings=$(cd "$gen" && "$BUILD/bin/gomacro" -g "./$p" 2>&1) || {
		printf '%s\n' "$warnings" >&2
		echo "kernel/build.sh: gomacro -g failed on $p" >&2
		exit 1
	}
	# gomacro warns about generic functions of dependencies it skips (reflect.TypeAssert, ...);
	# show only what concerns our own packages.
	printf '%s\n' "$warnings" | grep -F "$MODULE" >&2 || true
	if [ ! -s "$gen/$p/x_package.go" ]; then
		printf '%s\n' "$warnings" >&2
		echo "kernel/build.sh: gomacro -g wrote no bindings for $p" >&2
		exit 1
	fi
	"$BUILD/bin/bindgen" -import "$MODULE/$p" -in "$gen/$p/x_package.go" -out "$src/x_attnviz_${p//\//_}.go"
done

# --- 4: build against this checkout -----------------------------------------------------------
(
	cd "$src"
	"$GO" mod edit -require="$MODULE@v0.0.0-00010101000000-000000000000" -replace="$MODULE=$repo"
	"$GO" mod tidy
	log "compiling the kernel (the first build takes a minute or two)"
	"$GO" build ${ATTNVIZ_KERNEL_LDFLAGS:+-ldflags="$ATTNVIZ_KERNEL_LDFLAGS"} -o "$bin.tmp" .
	mv "$bin.tmp" "$bin"
)
echo "$stamp" >"$BUILD/stamp"
log "built $bin with ${pkgs[*]} in $(($(date +%s) - start)) s"

# --- 5: kernel.json ---------------------------------------------------------------------------
[ $install = 1 ] && install_kernelspec
exit 0
