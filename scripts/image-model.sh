#!/usr/bin/env bash
# The lesson model for the image's build stage: models/stories260Ktok512.gguf from the build
# context when it is there (scripts/image.sh puts ../shared/models/ or `make model`'s copy
# there), otherwise downloaded from MODEL_URL. Either way it must match MODEL_SHA256, or the
# build stops: an image without its lesson model (or with another file) is not built.
#
# Environment: MODEL_URL, MODEL_SHA256 (default: those of mk/50-model.mk).
set -euo pipefail
cd "$(dirname "$0")/.."
file=models/stories260Ktok512.gguf
url=${MODEL_URL:-$(sed -n 's/^MODEL_URL ?= *//p' mk/50-model.mk)}
sha=${MODEL_SHA256:-$(sed -n 's/^MODEL_SHA256 ?= *//p' mk/50-model.mk)}
say() { printf 'image-model: %s\n' "$*" >&2; }

if [ -f "$file" ]; then
	say "from the build context: $file"
else
	say "not in the build context: downloading $url"
	mkdir -p models
	curl -fsSL --retry 2 --connect-timeout 15 -o "$file.part" "$url" || {
		rm -f "$file.part"
		say "download failed. Build offline by saving the model as models/stories260Ktok512.gguf"
		say "(or ../shared/models/) before make image; see README, 'A real model'."
		exit 1
	}
	mv "$file.part" "$file"
fi
if ! echo "$sha  $file" | sha256sum -c --quiet - >/dev/null 2>&1; then
	say "$file: sha256 $(sha256sum "$file" | cut -d' ' -f1), want $sha: refusing to build with it"
	rm -f "$file"
	exit 1
fi
say "checksum ok ($sha)"
