#!/usr/bin/env bash
# Sets up this Debian/Ubuntu machine as the attnviz hub for a class (run as root, from a clone):
#
#   1. Debian's jupyterhub + configurable-http-proxy, Jupyter Notebook (scripts/setup-deps.sh --hub);
#   2. the Go kernel built from this checkout, installed with the lessons and the lesson model
#      into /opt/attnviz (scripts/lab-install.sh; the model from models/ or ../shared/models/,
#      else `make model` downloads it);
#   3. deploy/ into /etc/attnviz-hub, settings in /etc/default/attnviz-hub (kept if present),
#      the state folder /var/lib/attnviz-hub, the group attnviz-class;
#   4. the systemd unit attnviz-hub.service, enabled and started (where systemd runs).
#
#   deploy/install.sh [--teachers "alice bob"] [--mem-limit 512M] [--port 8000] [--no-start]
#
# Then: deploy/add-students.sh names.txt (accounts + password slips) and open http://HOST:8000.
# Running it again updates the lab (new lessons, a rebuilt kernel) and the configuration.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'install: %s\n' "$*" >&2; }
[ "$(id -u)" = 0 ] || { say "run as root (sudo deploy/install.sh)"; exit 1; }

teachers= mem=512M port=8000 start=1
while [ $# -gt 0 ]; do
	case $1 in
	--teachers) teachers=$2; shift 2 ;;
	--mem-limit) mem=$2; shift 2 ;;
	--port) port=$2; shift 2 ;;
	--no-start) start=0; shift ;;
	*) echo "usage: deploy/install.sh [--teachers \"alice bob\"] [--mem-limit 512M] [--port 8000] [--no-start]" >&2; exit 2 ;;
	esac
done

export PATH=$PATH:/usr/local/go/bin
bash scripts/setup-deps.sh --hub
# The kernel, into build/kernel of this checkout; then the lab into /opt/attnviz.
bash kernel/build.sh --no-install
if [ ! -f models/stories260Ktok512.gguf ] && [ ! -f ../shared/models/stories260Ktok512.gguf ]; then
	make model
fi
bash scripts/lab-install.sh /opt/attnviz

install -d -m 0755 /etc/attnviz-hub /var/lib/attnviz-hub
install -m 0644 deploy/jupyterhub_config.py deploy/attnviz_hub.py /etc/attnviz-hub/
install -m 0755 deploy/attnviz_cull.py /etc/attnviz-hub/
if [ ! -f /etc/default/attnviz-hub ]; then
	cat >/etc/default/attnviz-hub <<EOF
# Settings of the attnviz class hub (read by /etc/attnviz-hub/jupyterhub_config.py).
ATTNVIZ_TEACHERS="$teachers"
ATTNVIZ_CLASS_GROUP=attnviz-class
ATTNVIZ_MEM_LIMIT=$mem
ATTNVIZ_CULL_IDLE=3600
ATTNVIZ_HUB_PORT=$port
ATTNVIZ_PREFIX=/opt/attnviz
ATTNVIZ_HUB_STATE=/var/lib/attnviz-hub
EOF
	say "settings: /etc/default/attnviz-hub"
else
	say "settings kept: /etc/default/attnviz-hub"
fi
getent group attnviz-class >/dev/null || groupadd attnviz-class

install -m 0644 deploy/jupyterhub.service /etc/systemd/system/attnviz-hub.service
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload
	if [ $start = 1 ]; then
		systemctl enable --now attnviz-hub.service
		systemctl restart attnviz-hub.service
		say "attnviz-hub.service running: http://$(hostname -f 2>/dev/null || hostname):$port"
	fi
else
	say "systemd is not running here: start the hub by hand:"
	say "  set -a; . /etc/default/attnviz-hub; set +a; cd /var/lib/attnviz-hub && jupyterhub -f /etc/attnviz-hub/jupyterhub_config.py"
fi
say "next: deploy/add-students.sh names.txt   (one student name per line; prints their passwords)"
