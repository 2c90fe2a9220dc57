#!/usr/bin/env bash
# `make model`: puts the lesson model, stories260Ktok512.gguf (1.2 MB), in the user's cache
# folder — the place model.DefaultPath() and `attnviz model` look in from any folder:
#
#   Linux:  ${XDG_CACHE_HOME:-$HOME/.cache}/attnviz/models/      (Go's os.UserCacheDir)
#   macOS:  $HOME/Library/Caches/attnviz/models/
#
# It copies the file from ../shared/models/ when that folder has it (CI, the classroom
# machines), else downloads it; either way the sha256 is checked before the file is put in
# place, and a file already there with the right checksum is kept.
#
# Environment: MODEL_CACHE (the folder to fill), MODEL_SHARED (../shared/models),
# MODEL_URL, MODEL_SHA256 (the Makefile passes its own).
set -euo pipefail
cd "$(dirname "$0")/.."

name=stories260Ktok512.gguf
url=${MODEL_URL:-https://raw.githubusercontent.com/onicai/llama_cpp_canister/main/models/$name}
sum=${MODEL_SHA256:-047bf46455a544931cff6fef14d7910154c56afbc23ab1c5e56a72e69912c04b}
shared=${MODEL_SHARED:-../shared/models}

if [ -z "${MODEL_CACHE:-}" ]; then
	if [ "$(uname)" = Darwin ]; then
		base=$HOME/Library/Caches
	else
		base=${XDG_CACHE_HOME:-}
		case $base in /*) ;; *) base=$HOME/.cache ;; esac # Go ignores a relative XDG_CACHE_HOME too
	fi
	MODEL_CACHE=$base/attnviz/models
fi
dest=$MODEL_CACHE/$name

sha256() {
	if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1"; else shasum -a 256 "$1"; fi | cut -d' ' -f1
}

if [ -f "$dest" ] && [ "$(sha256 "$dest")" = "$sum" ]; then
	echo "model: $dest is there already"
	exit 0
fi
mkdir -p "$MODEL_CACHE"
part=$(mktemp "$dest.part.XXXXXX")
trap 'rm -f "$part"' EXIT
if [ -f "$shared/$name" ]; then
	echo "model: copying $shared/$name"
	cp "$shared/$name" "$part"
else
	echo "model: downloading $url"
	if ! curl -fsSL --retry 2 --connect-timeout 15 -o "$part" "$url"; then
		echo "model: the download failed (offline?). Fetch $url" >&2
		echo "       by hand and save it as $dest (or in $shared/)." >&2
		exit 1
	fi
fi
got=$(sha256 "$part")
if [ "$got" != "$sum" ]; then
	echo "model: checksum mismatch: $name has sha256 $got, want $sum; not installed" >&2
	exit 1
fi
chmod 644 "$part"
mv "$part" "$dest"
trap - EXIT
echo "model: $dest ready (stories260K by Andrej Karpathy, MIT; GGUF by llama_cpp_canister, MIT)"
