# Shared by scripts/image.sh, scripts/image-bases.sh and scripts/image-test.sh (sourced, not run).
#
# Picks the container engine: $ATTNVIZ_ENGINE if set, else the first of docker, podman, buildah
# that works here (docker only when its daemon answers). buildah runs with chroot isolation and
# vfs storage, which work without a daemon, inside another container and without user
# namespaces. buildah's storage is its default (overlay where the kernel allows it);
# STORAGE_DRIVER=vfs picks the slow one that works everywhere. BUILDAH_ISOLATION overrides chroot.

# buildah with the storage driver asked for (buildah 1.28 reads no STORAGE_DRIVER variable).
bah() { buildah ${STORAGE_DRIVER:+--storage-driver "$STORAGE_DRIVER"} "$@"; }

img_say() { printf '%s: %s\n' "${IMG_WHO:-image}" "$*" >&2; }
img_die() { img_say "$*"; exit 1; }

# ENGINE: docker | podman | buildah
img_pick_engine() {
	if [ -n "${ATTNVIZ_ENGINE:-}" ]; then
		ENGINE=$ATTNVIZ_ENGINE
	elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
		ENGINE=docker
	elif command -v podman >/dev/null 2>&1 && podman info >/dev/null 2>&1; then
		ENGINE=podman
	elif command -v buildah >/dev/null 2>&1; then
		ENGINE=buildah
	else
		ENGINE=
	fi
	case $ENGINE in
	docker | podman) ;;
	buildah)
		export BUILDAH_ISOLATION=${BUILDAH_ISOLATION:-chroot}
		;;
	*) return 1 ;;
	esac
	return 0
}

# img_build TAG CONTEXT [engine build flags...]: build CONTEXT/Dockerfile (or -f FILE) into TAG.
img_build() {
	local tag=$1 ctx=$2
	shift 2
	case $ENGINE in
	docker) docker build -t "$tag" "$@" "$ctx" ;;
	podman) podman build --pull=never -t "$tag" "$@" "$ctx" ;;
	buildah) bah bud --pull-never --isolation "$BUILDAH_ISOLATION" --layers -t "$tag" "$@" "$ctx" ;;
	esac
}

# img_qualify NAME: the full name a registry image goes by (golang:1.26 -> docker.io/library/golang:1.26).
img_qualify() {
	local n=$1 first=${1%%/*}
	case $n in
	*/*) case $first in *.* | *:* | localhost) echo "$n" ;; *) echo "docker.io/$n" ;; esac ;;
	*) echo "docker.io/library/$n" ;;
	esac
}

# img_exists NAME: exactly this image is in local storage. (podman and buildah resolve a short
# name against every local image whose name ends the same way, stand-ins included: compare full
# names instead.)
img_exists() {
	local want
	want=$(img_qualify "$1")
	case $ENGINE in
	docker) docker image inspect "$1" >/dev/null 2>&1 ;;
	podman | buildah)
		{ if [ "$ENGINE" = buildah ]; then bah images --format '{{.Name}}:{{.Tag}}'; else podman images --format '{{.Repository}}:{{.Tag}}'; fi; } 2>/dev/null | grep -qxF "$want" ;;
	esac
}

# img_pull NAME: try the registry once, quietly, with a time limit.
img_pull() {
	case $ENGINE in
	docker) timeout 120 docker pull -q "$1" >/dev/null 2>&1 ;;
	podman) timeout 120 podman pull -q "$1" >/dev/null 2>&1 ;;
	buildah) timeout 120 bah pull -q "$1" >/dev/null 2>&1 ;;
	esac
}

# img_size NAME: the image's size in bytes (uncompressed, all layers).
img_size() {
	case $ENGINE in
	docker) docker image inspect -f '{{.Size}}' "$1" ;;
	podman) podman image inspect -f '{{.Size}}' "$1" ;;
	# buildah prints sizes rounded for people: add up the layers of the image's manifest.
	buildah) bah inspect --type image -f '{{.Manifest}}' "$1" | /usr/bin/python3 -c 'import json,sys; print(sum(l["size"] for l in json.load(sys.stdin)["layers"]))' ;;
	esac
}

# img_config NAME GOFMT: a field of the image's configuration (User, Cmd, Entrypoint, Env...).
img_config() {
	case $ENGINE in
	docker | podman) $ENGINE image inspect -f "{{json .Config.$2}}" "$1" ;;
	buildah) bah inspect --type image "$1" | /usr/bin/python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["OCIv1"]["config"].get(sys.argv[1])))' "$2" ;;
	esac
}

# The image name as the engine stores it (buildah and podman prefix localhost/).
img_ref() {
	case $ENGINE in
	docker) echo "$1" ;;
	*) case $1 in */*) echo "$1" ;; *) echo "localhost/$1" ;; esac ;;
	esac
}
