#!/usr/bin/env bash
# Makes sure the two base images of the Dockerfile are in local storage, and prints the names to
# build with (for scripts/image.sh to read):
#
#   GO_IMAGE=...        the build stage (default golang:1.26.8-bookworm)
#   RUNTIME_IMAGE=...   the lab (default debian:bookworm-slim)
#
# Each is taken from local storage, else pulled from its registry. Where no registry can be
# reached, a local stand-in is built from Debian packages and the script says so:
#
#   localhost/attnviz-standin/debian:bookworm-slim   debootstrap --variant=minbase bookworm, trimmed
#       like the official slim image (no docs, man pages or locales; apt lists removed);
#   localhost/attnviz-standin/golang:1.26.8-bookworm  that, plus ca-certificates, git, gcc, make,
#       patch, curl and this machine's Go 1.26 (/usr/local/go) at /usr/local/go.
#
# Certificates this machine trusts under /usr/local/share/ca-certificates/ (a company or sandbox
# proxy's CA) are copied into both stand-ins, so HTTPS (the Go module proxy) works in the build.
#
# Usage: scripts/image-bases.sh [--refresh]      (--refresh rebuilds the stand-ins)
# Environment: GO_IMAGE, RUNTIME_IMAGE, DEBIAN_MIRROR (http://deb.debian.org/debian),
# ATTNVIZ_ENGINE (docker | podman | buildah), ATTNVIZ_STANDIN=1 (use stand-ins without trying
# the registry). Needs root (debootstrap) when a stand-in has to be built.
set -euo pipefail
cd "$(dirname "$0")/.."
IMG_WHO=image-bases
. scripts/image-lib.sh

GO_IMAGE=${GO_IMAGE:-golang:1.26.8-bookworm}
RUNTIME_IMAGE=${RUNTIME_IMAGE:-debian:bookworm-slim}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
STANDIN_DEBIAN=localhost/attnviz-standin/debian:bookworm-slim
STANDIN_GO=localhost/attnviz-standin/golang:1.26.8-bookworm
work=$PWD/build/image-bases

refresh=0
for a in "$@"; do
	case $a in
	--refresh) refresh=1 ;;
	*) echo "usage: scripts/image-bases.sh [--refresh]" >&2; exit 2 ;;
	esac
done

img_pick_engine || img_die "no container engine: install docker, podman or buildah (Debian: apt-get install buildah)"

# available NAME: local, else pulled. Stand-ins are only used when both fail.
available() {
	[ "${ATTNVIZ_STANDIN:-0}" = 1 ] && return 1
	img_exists "$1" && return 0
	img_say "pulling $(img_qualify "$1")"
	img_pull "$(img_qualify "$1")"
}

extra_cas() { ls /usr/local/share/ca-certificates/*.crt 2>/dev/null || true; }

build_standin_debian() {
	command -v debootstrap >/dev/null 2>&1 || img_die "debootstrap is missing (apt-get install debootstrap): it builds the stand-in for $RUNTIME_IMAGE"
	[ "$(id -u)" = 0 ] || img_die "building a stand-in base image needs root (debootstrap)"
	local root=$work/rootfs start
	start=$(date +%s)
	img_say "no registry reachable: building a stand-in for $RUNTIME_IMAGE from Debian packages (debootstrap $SUITE from $MIRROR)"
	rm -rf "$root" "$work/debian"
	mkdir -p "$root" "$work/debian"
	debootstrap --variant=minbase "$SUITE" "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 || {
		tail -20 "$work/debootstrap.log" >&2
		img_die "debootstrap failed (log: $work/debootstrap.log)"
	}
	# What the official slim image does: no docs, man pages, locales in later installs either.
	cat >"$root/etc/dpkg/dpkg.cfg.d/slim" <<-'EOF'
		path-exclude /usr/share/doc/*
		path-include /usr/share/doc/*/copyright
		path-exclude /usr/share/man/*
		path-exclude /usr/share/groff/*
		path-exclude /usr/share/info/*
		path-exclude /usr/share/lintian/*
		path-exclude /usr/share/linda/*
		path-exclude /usr/share/locale/*
	EOF
	find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
	find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
	rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* "$root"/usr/share/lintian/*
	rm -f "$root/etc/apt/sources.list"
	cat >"$root/etc/apt/sources.list.d/debian.sources" <<-EOF
		Types: deb
		URIs: $MIRROR
		Suites: $SUITE $SUITE-updates
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

		Types: deb
		URIs: ${MIRROR%/debian}/debian-security
		Suites: $SUITE-security
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	# As in the official image: downloaded packages are deleted after each install.
	cat >"$root/etc/apt/apt.conf.d/docker-clean" <<-'EOF'
		DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
		APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
		Dir::Cache::pkgcache "";
		Dir::Cache::srcpkgcache "";
	EOF
	local cas
	cas=$(extra_cas)
	if [ -n "$cas" ]; then
		mkdir -p "$root/usr/local/share/ca-certificates"
		# shellcheck disable=SC2086
		cp $cas "$root/usr/local/share/ca-certificates/"
		img_say "stand-in carries this machine's extra CA certificates: $(echo $cas | xargs -n1 basename | tr '\n' ' ')"
	fi
	rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/log/*.log "$root"/tmp/*
	tar --numeric-owner --xattrs -C "$root" --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -cf "$work/debian/rootfs.tar" .
	rm -rf "$root"
	cat >"$work/debian/Dockerfile" <<-EOF
		FROM scratch
		ADD rootfs.tar /
		LABEL org.attnviz.standin="debootstrap --variant=minbase $SUITE $MIRROR, $(date -u +%Y-%m-%d)"
		ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
		CMD ["bash"]
	EOF
	img_build "$STANDIN_DEBIAN" "$work/debian" >"$work/debian-build.log" 2>&1 || {
		tail -20 "$work/debian-build.log" >&2
		img_die "building $STANDIN_DEBIAN failed (log: $work/debian-build.log)"
	}
	rm -f "$work/debian/rootfs.tar"
	img_say "built $STANDIN_DEBIAN in $(($(date +%s) - start)) s"
}

host_go_version() {
	local go=/usr/local/go/bin/go
	[ -x "$go" ] || go=$(command -v go || true)
	[ -n "$go" ] && "$go" env GOVERSION 2>/dev/null
}

build_standin_go() {
	local want=${GO_IMAGE#golang:} have start
	want=${want%%-*}
	have=$(host_go_version)
	case $have in
	go1.26*) ;;
	*) img_die "the stand-in for $GO_IMAGE copies this machine's Go 1.26 from /usr/local/go, found '${have:-none}' (install Go 1.26 from https://go.dev/dl/)" ;;
	esac
	start=$(date +%s)
	img_say "building a stand-in for $GO_IMAGE: the Debian stand-in + build tools + this machine's $have (wanted go$want)"
	rm -rf "$work/golang"
	mkdir -p "$work/golang"
	# A hard-linked copy of the Go tree as the build context (same file system: no bytes copied).
	cp -al "$(dirname "$(dirname "$(readlink -f /usr/local/go/bin/go)")")" "$work/golang/go" 2>/dev/null ||
		cp -a "$(dirname "$(dirname "$(readlink -f /usr/local/go/bin/go)")")" "$work/golang/go"
	rm -rf "$work/golang/go/pkg/obj" "$work/golang/go/.git"
	cat >"$work/golang/Dockerfile" <<-EOF
		FROM $STANDIN_DEBIAN
		RUN apt-get update -q \\
		 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \\
		      ca-certificates curl git make patch gcc libc6-dev \\
		 && rm -rf /var/lib/apt/lists/*
		COPY go /usr/local/go
		LABEL org.attnviz.standin="$STANDIN_DEBIAN + /usr/local/go ($have) of the machine that built it"
		LABEL org.attnviz.go="$have"
		ENV GOLANG_VERSION=${have#go} GOPATH=/go GOTOOLCHAIN=local \\
		    PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
		WORKDIR /go
	EOF
	img_build "$STANDIN_GO" "$work/golang" >"$work/golang-build.log" 2>&1 || {
		tail -20 "$work/golang-build.log" >&2
		img_die "building $STANDIN_GO failed (log: $work/golang-build.log)"
	}
	rm -rf "$work/golang/go"
	img_say "built $STANDIN_GO in $(($(date +%s) - start)) s"
}

standin_go_current() {
	img_exists "$STANDIN_GO" || return 1
	local label
	label=$(img_config "$STANDIN_GO" Labels 2>/dev/null | /usr/bin/python3 -c 'import json,sys; print((json.load(sys.stdin) or {}).get("org.attnviz.go",""))' 2>/dev/null)
	[ "$label" = "$(host_go_version)" ]
}

mkdir -p "$work"
# Full names, so that the build uses exactly the image checked here.
runtime=$(img_qualify "$RUNTIME_IMAGE")
goimg=$(img_qualify "$GO_IMAGE")
if ! available "$RUNTIME_IMAGE"; then
	if [ $refresh = 1 ] || ! img_exists "$STANDIN_DEBIAN"; then build_standin_debian; refresh=1; fi
	img_say "USING A LOCAL STAND-IN for $RUNTIME_IMAGE (the registry cannot be reached): $STANDIN_DEBIAN"
	runtime=$STANDIN_DEBIAN
fi
if ! available "$GO_IMAGE"; then
	if ! img_exists "$STANDIN_DEBIAN"; then build_standin_debian; refresh=1; fi
	if [ $refresh = 1 ] || ! standin_go_current; then build_standin_go; fi
	img_say "USING A LOCAL STAND-IN for $GO_IMAGE (the registry cannot be reached): $STANDIN_GO"
	goimg=$STANDIN_GO
fi
echo "GO_IMAGE=$goimg"
echo "RUNTIME_IMAGE=$runtime"
