#!/usr/bin/env python3
"""Stops the servers of students who left: the idle culler of an attnviz class hub.

Runs as a JupyterHub-managed service (deploy/attnviz_hub.py: cull_service), with the token and
API URL the hub gives it (JUPYTERHUB_API_TOKEN, JUPYTERHUB_API_URL). Every --every seconds it
lists the running servers and stops each one whose last activity (the hub's record: requests
through the proxy, and the server's own reports of kernel and terminal activity) is older than
--timeout seconds — counting a server as active at least from the moment it was first seen
ready (a server that took long to start is not stopped as it arrives). Stopping a server frees all its memory: AttnvizSpawner kills whatever is left
in the student's cgroup.

Debian ships no jupyterhub-idle-culler, so this is its core in the standard library only:
GET /users?state=ready, DELETE /users/{name}/servers/{server}. The student's files stay; the next
login starts a fresh server.

    attnviz_cull.py [--timeout=3600] [--every=60] [--once]
"""

import argparse
import datetime
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def api(method, path, token, base):
    req = urllib.request.Request(base.rstrip("/") + path, method=method,
                                 headers={"Authorization": "token " + token})
    with urllib.request.urlopen(req, timeout=30) as r:
        body = r.read()
        return json.loads(body) if body else None


def parse_time(s):
    if not s:
        return None
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))


def cull_once(token, base, timeout, log, first_seen):
    """One pass. first_seen: when this culler first saw each server ready. The hub's
    last_activity of a server that has just started is the time its start was asked for;
    when a whole class logs in at once a server can take minutes to start, and must not be
    stopped the moment it is ready: a server counts as active at least since it was first
    seen ready."""
    now = datetime.datetime.now(datetime.timezone.utc)
    stopped = []
    running = set()
    for user in api("GET", "/users?state=ready", token, base) or []:
        for server_name, server in (user.get("servers") or {}).items():
            if server.get("pending") or not server.get("ready", True):
                continue
            key = (user["name"], server_name, server.get("started"))
            running.add(key)
            seen = first_seen.setdefault(key, now)
            last = parse_time(server.get("last_activity")) or parse_time(server.get("started")) or seen
            idle = (now - max(last, seen)).total_seconds()
            if idle < timeout:
                continue
            name = urllib.parse.quote(user["name"], safe="")
            path = f"/users/{name}/servers/{urllib.parse.quote(server_name, safe='')}" if server_name \
                else f"/users/{name}/server"
            try:
                api("DELETE", path, token, base)
            except urllib.error.HTTPError as e:
                log(f"could not stop {user['name']}'s server: {e}")
                continue
            log(f"stopped {user['name']}{'/' + server_name if server_name else ''}: idle {idle:.0f} s")
            stopped.append(user["name"])
    for key in set(first_seen) - running:
        del first_seen[key]
    return stopped


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--timeout", type=float, default=3600, help="idle seconds before a server is stopped")
    ap.add_argument("--every", type=float, default=60, help="seconds between checks")
    ap.add_argument("--once", action="store_true", help="check once and exit")
    a = ap.parse_args()
    token = os.environ.get("JUPYTERHUB_API_TOKEN")
    base = os.environ.get("JUPYTERHUB_API_URL", "http://127.0.0.1:8081/hub/api")
    if not token:
        sys.exit("attnviz_cull: no JUPYTERHUB_API_TOKEN (run it as a hub service)")

    def log(msg):
        print(f"[attnviz-cull {time.strftime('%H:%M:%S')}] {msg}", flush=True)

    log(f"stopping servers idle for more than {a.timeout:.0f} s, checking every {a.every:.0f} s")
    first_seen = {}
    while True:
        try:
            cull_once(token, base, a.timeout, log, first_seen)
        except (urllib.error.URLError, OSError, ValueError) as e:
            log(f"hub not answering ({e}); trying again")
        if a.once:
            return
        time.sleep(a.every)


if __name__ == "__main__":
    main()
