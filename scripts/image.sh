#!/usr/bin/env bash
# `make image`: builds the lab image (Dockerfile) with whichever of docker, podman or buildah
# works here, installing buildah and debootstrap on Debian when none does.
#
#   scripts/image.sh [--target lab|handouts] [--tag NAME]     (default: lab, attnviz:latest;
#                                                              handouts: attnviz-handouts:latest)
#
# Base images come from scripts/image-bases.sh: local, pulled, or local stand-ins built from
# Debian packages where no registry is reachable (it says so). The lesson model goes into the
# build context (models/, ignored by git) from ../shared/models/ when it is there; otherwise the
# build downloads it and checks its sha256 (scripts/image-model.sh).
# Environment: ATTNVIZ_ENGINE, GO_IMAGE, RUNTIME_IMAGE, MODEL_URL, MODEL_SHA256 and
# ATTNVIZ_IMAGE_ARGS (more build flags).
set -euo pipefail
cd "$(dirname "$0")/.."
IMG_WHO=image
. scripts/image-lib.sh

target=lab tag=
while [ $# -gt 0 ]; do
	case $1 in
	--target) target=$2; shift 2 ;;
	--tag) tag=$2; shift 2 ;;
	*) echo "usage: scripts/image.sh [--target lab|handouts] [--tag NAME]" >&2; exit 2 ;;
	esac
done
case $target in
lab) tag=${tag:-attnviz:latest} ;;
handouts) tag=${tag:-attnviz-handouts:latest} ;;
*) img_die "unknown target $target (lab or handouts)" ;;
esac

if ! img_pick_engine; then
	bash scripts/setup-deps.sh --image
	img_pick_engine || img_die "no container engine (docker, podman or buildah) could be set up"
fi
img_say "engine: $ENGINE${BUILDAH_ISOLATION:+ (isolation $BUILDAH_ISOLATION${STORAGE_DRIVER:+, storage $STORAGE_DRIVER})}"
if [ "$ENGINE" = buildah ] && ! command -v debootstrap >/dev/null 2>&1; then
	bash scripts/setup-deps.sh --image
fi

start=$(date +%s)
bases=$(bash scripts/image-bases.sh)
GO_IMAGE=$(sed -n 's/^GO_IMAGE=//p' <<<"$bases")
RUNTIME_IMAGE=$(sed -n 's/^RUNTIME_IMAGE=//p' <<<"$bases")

model=models/stories260Ktok512.gguf
if [ ! -f "$model" ] && [ -f "../shared/models/${model#models/}" ]; then
	mkdir -p models
	cp "../shared/models/${model#models/}" "$model"
	img_say "lesson model: copied ../shared/models/${model#models/} into the build context ($model)"
elif [ -f "$model" ]; then
	img_say "lesson model: $model (build context)"
else
	img_say "lesson model: not here; the build downloads it (MODEL_URL) and checks its sha256"
fi

goproxy=$(go env GOPROXY 2>/dev/null || /usr/local/go/bin/go env GOPROXY 2>/dev/null || echo https://proxy.golang.org,direct)
gosumdb=$(go env GOSUMDB 2>/dev/null || /usr/local/go/bin/go env GOSUMDB 2>/dev/null || echo sum.golang.org)
args=(--target "$target"
	--build-arg "GO_IMAGE=$GO_IMAGE" --build-arg "RUNTIME_IMAGE=$RUNTIME_IMAGE"
	--build-arg "GOPROXY=$goproxy" --build-arg "GOSUMDB=$gosumdb"
	--build-arg "GONOSUMDB=${GONOSUMDB:-}"
	--build-arg "MODEL_URL=${MODEL_URL:-}" --build-arg "MODEL_SHA256=${MODEL_SHA256:-}")
# shellcheck disable=SC2206
[ -n "${ATTNVIZ_IMAGE_ARGS:-}" ] && args+=(${ATTNVIZ_IMAGE_ARGS})
mkdir -p build
img_say "building $tag (target $target) from $GO_IMAGE and $RUNTIME_IMAGE; log: build/image.log"
# The whole log to build/image.log; the steps and our scripts' lines to the terminal.
if ! img_build "$tag" . "${args[@]}" 2>&1 | tee build/image.log |
	{ grep -E --line-buffered '^(STEP|Step|#[0-9]+ \[|image-model|lab-install|kernel:)' >&2 || true; }; then
	tail -30 build/image.log >&2
	img_die "build failed (log: build/image.log)"
fi
ref=$(img_ref "$tag")
size=$(img_size "$ref")
img_say "built $ref: $((size / 1000000)) MB, in $(($(date +%s) - start)) s"
