#!/usr/bin/env bash
# `make image-test`: proves the lab image built by `make image`.
#
# From outside: the image's user is 1000 (not root), its size is at most 600 MB, its entry point
# and command are those of the lab. Inside, with no network at all (docker/podman: --network
# none; buildah: a network namespace of its own with only loopback), scripts/image_check.py
# checks the user and home, the lessons copied in, the model, that the network is really gone,
# runs every lesson headless on the Go kernel and checks the figures and outputs, starts the lab
# as `docker run` would, and runs a JupyterHub inside the image whose student gets lesson 1's
# first figure through attnviz-singleuser (jupyterhub-singleuser, started lighter).
#
#   scripts/image-test.sh [--tag attnviz:latest]
set -euo pipefail
cd "$(dirname "$0")/.."
IMG_WHO=image-test
. scripts/image-lib.sh
tag=attnviz:latest
[ "${1:-}" = --tag ] && tag=$2
MAX_BYTES=600000000

img_pick_engine || img_die "no container engine (make image installs one)"
ref=$(img_ref "$tag")
img_exists "$ref" || img_exists "$tag" || img_die "no image $tag: run make image first"
fail=0
ok() { printf 'ok    %s\n' "$*"; }
bad() { printf 'FAIL  %s\n' "$*"; fail=1; }

start=$(date +%s)
user=$(img_config "$ref" User | tr -d '"')
case $user in 1000 | 1000:*) ok "image user $user (not root)" ;; *) bad "image user is '$user', want 1000" ;; esac
size=$(img_size "$ref")
if [ "$size" -le $MAX_BYTES ]; then ok "image size $((size / 1000000)) MB (at most $((MAX_BYTES / 1000000)) MB)"; else bad "image size $((size / 1000000)) MB, more than $((MAX_BYTES / 1000000)) MB"; fi
entry=$(img_config "$ref" Entrypoint)
case $entry in *attnviz-start*) ok "entry point $entry" ;; *) bad "entry point $entry does not run attnviz-start" ;; esac
case $(img_config "$ref" ExposedPorts) in *8888*) ok "exposes 8888" ;; *) bad "does not expose 8888" ;; esac

out=$(mktemp -d /tmp/attnviz-image-test.XXXXXX)
chmod 0777 "$out"
echo "image-test: running the checks inside $ref with no network (engine $ENGINE)"
inner=(python3 /src/scripts/image_check.py)
set +e
case $ENGINE in
docker | podman)
	$ENGINE run --rm --network none -v "$PWD:/src:ro" -v "$out:/out" "$ref" "${inner[@]}"
	rc=$?
	;;
buildah)
	ctr=$(bah from --pull-never "$ref")
	# A network namespace of its own: only loopback, up (kernels talk to Jupyter over it).
	unshare --net sh -c 'ip link set lo up && exec "$@"' sh \
		buildah ${STORAGE_DRIVER:+--storage-driver "$STORAGE_DRIVER"} run --isolation "$BUILDAH_ISOLATION" --user 1000:100 --env HOME=/home/jovyan --env TINI_SUBREAPER=1 \
		-v "$PWD:/src:ro" -v "$out:/out" "$ctr" -- tini -g -- attnviz-start "${inner[@]}"
	rc=$?
	bah rm "$ctr" >/dev/null
	;;
esac
set -e
[ $rc = 0 ] || bad "checks inside the image failed (exit $rc)"
[ -f "$out/image-check.json" ] && cp "$out/image-check.json" build/image-check.json 2>/dev/null || true
rm -rf "$out"
echo "image-test: $(($(date +%s) - start)) s; report build/image-check.json"
if [ $fail = 0 ]; then echo "image-test: PASS"; else echo "image-test: FAIL"; exit 1; fi
