#!/usr/bin/env python3
"""A class on one JupyterHub: N students log in at once and run lesson 1 (`make hub-test`,
`make bench-hub`).

It starts Debian's JupyterHub with the class configuration of deploy/ (deploy/jupyterhub_config.py:
AttnvizSpawner with its per-student memory cgroup, the lessons copied into each home, the idle
culler), changing only what a test must: the DummyAuthenticator with a password instead of PAM
(no Unix accounts are made), every server running as `nobody` with its home under a temporary
folder, ports and state in that folder. The lab (kernel, lessons, model) is installed there with
scripts/lab-install.sh from this checkout.

For each N of --students, all N students at once:
  1. log in through the login form (POST /hub/login: the authenticator), then through the REST
     API: a token, POST /hub/api/users/NAME/server, the spawn's progress stream until ready;
  2. start a Go kernel (POST /user/NAME/api/kernels) and run every code cell of lesson 1 over
     the kernel's websocket, checking each cell as the notebook tests do: no error, every cell
     tagged "figure" shows image/png and text/html, every number in its attnviz.expect metadata
     appears in its output;
  3. record the time from login to the first figure, then the memory of the student's
     processes (server + kernel): RSS, PSS (shared pages split between students) and what the
     student's cgroup is charged; and the CPU seconds of the student's processes and of the
     hub + proxy during the run (per student), which do not depend on how loaded the machine is:
     N students at once need N x that / cores seconds at least, on a quiet machine.
Then it stops every server. The table printed at the end gives p50/p95 login -> first figure
and the memory per student for each N. With --checks (make hub-test) it also checks a browser's
login (the login form, the spawn page, the server's own OAuth login through the hub, the
lessons page), that the memory limit holds (a cell that allocates beyond it gets its kernel
killed, the server lives on, the kernel comes back) and that the culler stops a server left idle.

    /usr/bin/python3 scripts/hub_test.py [--students 40] [--checks] [--keep] [--singleuser CMD]
Run as root (cgroups, servers run as nobody). The kernel must be built (kernel/build.sh).
"""

import argparse
import asyncio
import datetime
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.websocket import WebSocketClosedError, websocket_connect

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "deploy"))
import attnviz_hub  # noqa: E402

LESSON = os.path.join(ROOT, "notebooks", "01-attention-from-scratch.ipynb")
KERNEL = "attnviz-go"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(msg):
    print(f"[hub-test {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def pct(xs, p):
    """The p-th percentile by linear interpolation between closest ranks."""
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * p / 100
    f = int(k)
    return xs[f] + (xs[min(f + 1, len(xs) - 1)] - xs[f]) * (k - f)


class Hub:
    """A JupyterHub with deploy/jupyterhub_config.py and test overrides, in a temporary folder."""

    def __init__(self, work, cull_idle, singleuser=None):
        self.work = work
        self.singleuser = singleuser
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api = self.url + "/hub/api"
        self.hub_port = free_port()
        self.token = secrets.token_hex(16)
        self.password = secrets.token_urlsafe(12)
        self.cgroup_name = f"attnviz-hubtest-{os.getpid()}"
        self.prefix = os.path.join(work, "opt-attnviz")
        self.state = os.path.join(work, "state")
        self.homes = os.path.join(work, "home")
        self.cull_idle = cull_idle
        self.proc = None

    def install_lab(self):
        # The kernel of this checkout (a no-op when it is up to date).
        subprocess.run(["bash", os.path.join(ROOT, "kernel", "build.sh"), "--no-install"], check=True, cwd=ROOT)
        subprocess.run(["bash", os.path.join(ROOT, "scripts", "lab-install.sh"), self.prefix], check=True, cwd=ROOT)

    def write_config(self):
        os.makedirs(self.state, exist_ok=True)
        os.makedirs(self.homes, exist_ok=True)
        cfg = os.path.join(self.work, "hub_test_config.py")
        with open(cfg, "w") as f:
            f.write(f"""# make hub-test: the class configuration, with what a test must change.
load_subconfig({os.path.join(ROOT, 'deploy', 'jupyterhub_config.py')!r})
c.JupyterHub.authenticator_class = "jupyterhub.auth.DummyAuthenticator"
c.DummyAuthenticator.password = {self.password!r}
c.Authenticator.admin_users = set()
c.AttnvizSpawner.run_as = "nobody"
c.AttnvizSpawner.home_dir_template = {os.path.join(self.homes, '{username}')!r}
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{self.hub_port}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{free_port()}"
c.JupyterHub.last_activity_interval = 10
c.Spawner.environment = {{"JUPYTERHUB_ACTIVITY_INTERVAL": "10"}}
c.JupyterHub.services.append({{"name": "hub-test", "api_token": {self.token!r}}})
c.JupyterHub.load_roles.append({{"name": "admin", "services": ["hub-test"]}})
""")
            if self.singleuser:
                f.write(f"c.Spawner.cmd = [{self.singleuser!r}]\n")
        return cfg

    def start(self):
        self.install_lab()
        cfg = self.write_config()
        env = dict(os.environ,
                   ATTNVIZ_PREFIX=self.prefix, ATTNVIZ_HUB_STATE=self.state,
                   ATTNVIZ_HUB_PORT=str(self.port), ATTNVIZ_CULL_IDLE=str(self.cull_idle),
                   ATTNVIZ_CGROUP_NAME=self.cgroup_name)
        env.pop("JUPYTER_DATA_DIR", None)  # the students' servers find the kernel via JUPYTER_PATH
        self.logfile = open(os.path.join(self.work, "jupyterhub.log"), "w")
        self.proc = subprocess.Popen(["jupyterhub", "-f", cfg], cwd=self.state, env=env,
                                     stdout=self.logfile, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.time() + 120
        import urllib.request
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"jupyterhub exited ({self.proc.returncode}); log: {self.logfile.name}\n"
                                 + open(self.logfile.name).read()[-3000:])
            try:
                urllib.request.urlopen(self.api, timeout=2).read()
                log(f"hub up at {self.url} (log {self.logfile.name})")
                return
            except OSError:
                time.sleep(0.5)
        raise SystemExit(f"jupyterhub did not answer in 120 s; log: {self.logfile.name}")

    def stop(self):
        """Stops the hub, its proxy, and whatever is left in the students' cgroups."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        try:
            with open(os.path.join(self.state, "jupyterhub-proxy.pid")) as f:
                os.kill(int(f.read()), signal.SIGKILL)
        except (OSError, ValueError):
            pass
        try:
            kind, own = attnviz_hub.find_memory_cgroup()
        except attnviz_hub.CgroupError:
            return
        d = os.path.join(own, self.cgroup_name)
        for sub in os.listdir(d) if os.path.isdir(d) else []:
            sd = os.path.join(d, sub)
            if not os.path.isdir(sd):
                continue
            try:
                attnviz_hub.kill_cgroup(sd)
            except OSError:
                pass
        try:
            os.rmdir(d)
        except OSError:
            pass

    def cpu_seconds(self):
        """CPU time used so far by the hub itself, its proxy and its culler service: what the
        class costs besides the students' own processes. (Not the hub's children's times: the
        students' servers are its children and are counted as the students'.)"""
        pids = [self.proc.pid]
        try:
            with open(os.path.join(self.state, "jupyterhub-proxy.pid")) as f:
                pids.append(int(f.read()))
        except (OSError, ValueError):
            pass
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read()
            except (OSError, ValueError, IndexError):
                continue
            if ppid == self.proc.pid and b"attnviz_cull.py" in cmd:
                pids.append(int(pid))
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for i, pid in enumerate(pids):
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            # utime stime; and for the proxy and culler their waited-for children too
            total += sum(int(x) for x in fields[11:13 if i == 0 else 15]) / tick
        return total

    def cgroup_dir(self, name):
        try:
            kind, own = attnviz_hub.find_memory_cgroup()
        except attnviz_hub.CgroupError:
            return None, None
        return kind, os.path.join(own, self.cgroup_name, name)

    async def add_users(self, names, http=None):
        """Creates the users as the admin does (the API; an existing user answers 409) and returns
        the hub's answer."""
        http = http or AsyncHTTPClient()
        return await http.fetch(HTTPRequest(f"{self.api}/users", method="POST", headers={"Authorization": f"token {self.token}"},
                                            body=json.dumps({"usernames": names})), raise_error=False)


class Student:
    def __init__(self, hub, name, cells):
        self.hub, self.name, self.cells = hub, name, cells
        self.http = AsyncHTTPClient()
        self.problems = []
        self.t = {}
        self.reconnects = 0

    async def req(self, method, url, token=None, body=None, headers=None, **kw):
        h = dict(headers or {})
        if token:
            h["Authorization"] = f"token {token}"
        if body is not None and not isinstance(body, (str, bytes)):
            body = json.dumps(body)
            h["Content-Type"] = "application/json"
        r = await self.http.fetch(HTTPRequest(url, method=method, headers=h, body=body,
                                              request_timeout=600, connect_timeout=60,
                                              follow_redirects=False, **kw), raise_error=False)
        return r

    async def login(self):
        """The authenticator: the login form, as a browser sends it."""
        r = await self.req("GET", self.hub.url + "/hub/login")
        cookies = "; ".join(c.split(";")[0] for c in r.headers.get_list("Set-Cookie"))
        form = urllib.parse.urlencode({"username": self.name, "password": self.hub.password})
        xsrf = [c.split("=", 1)[1] for c in cookies.split("; ") if c.startswith("_xsrf=")]
        if xsrf:
            form += "&_xsrf=" + urllib.parse.quote(xsrf[0])
        r = await self.req("POST", self.hub.url + "/hub/login", body=form,
                           headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies})
        if r.code != 302 or not any("jupyterhub-session-id" in c or "jupyterhub-hub-login" in c
                                    for c in r.headers.get_list("Set-Cookie")):
            raise RuntimeError(f"login: HTTP {r.code}, no session cookie")
        r = await self.req("POST", self.hub.url + "/hub/login", body=urllib.parse.urlencode(
            {"username": self.name, "password": "wrong-" + self.hub.password}),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies})
        if r.code == 302:
            raise RuntimeError("login: a wrong password was let in")

    async def start_server(self):
        name = urllib.parse.quote(self.name)
        r = await self.req("POST", f"{self.hub.api}/users/{name}/tokens", self.hub.token, {"note": "hub-test"})
        if r.code != 201:
            raise RuntimeError(f"token: HTTP {r.code} {r.body[:200]!r}")
        self.token = json.loads(r.body)["token"]
        r = await self.req("POST", f"{self.hub.api}/users/{name}/server", self.token, {})
        if r.code == 400 and b"already running" in r.body:
            self.t["ready"] = time.monotonic()  # the teacher started it before class
            return
        if r.code not in (201, 202):
            raise RuntimeError(f"start server: HTTP {r.code} {r.body[:300]!r}")
        # The spawn's progress, as the spawn page shows it: an event stream ending in ready.
        events = []
        buf = b""

        def chunk(b):
            nonlocal buf
            buf += b
            while b"\n\n" in buf:
                ev, buf = buf.split(b"\n\n", 1)
                for line in ev.split(b"\n"):
                    if line.startswith(b"data:"):
                        events.append(json.loads(line[5:]))

        r = await self.req("GET", f"{self.hub.api}/users/{name}/server/progress", self.token,
                           streaming_callback=chunk)
        last = events[-1] if events else {}
        if not last.get("ready"):
            raise RuntimeError(f"server did not become ready: {last.get('message') or r.code}")
        self.t["ready"] = time.monotonic()

    async def kernel(self):
        base = f"{self.hub.url}/user/{urllib.parse.quote(self.name)}"
        r = await self.req("POST", base + "/api/kernels", self.token, {"name": KERNEL})
        if r.code != 201:
            raise RuntimeError(f"start kernel: HTTP {r.code} {r.body[:300]!r}")
        self.kernel_id = json.loads(r.body)["id"]
        self.session = uuid.uuid4().hex
        await self.connect()

    async def execute(self, code, timeout=300):
        """Runs code; returns (outputs, reply status, kernel states seen)."""
        msg_id = uuid.uuid4().hex
        self.ws.write_message(json.dumps({
            "header": {"msg_id": msg_id, "username": self.name, "session": self.session,
                       "msg_type": "execute_request", "version": "5.3",
                       "date": datetime.datetime.now(datetime.timezone.utc).isoformat()},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True}}))
        outputs, reply, idle, states = [], None, False, []
        deadline = time.monotonic() + timeout
        while not (idle and reply):
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"cell timed out after {timeout} s")
            m = await asyncio.wait_for(self.ws.read_message(), left)
            if m is None:
                raise WebSocketClosedError("kernel websocket closed")
            if isinstance(m, bytes):
                continue
            m = json.loads(m)
            t = m.get("msg_type") or m["header"]["msg_type"]
            if os.environ.get("HUBTEST_DEBUG"):
                log(f"{self.name} ws: {m.get('channel')} {t} {json.dumps(m.get('content'))[:200]}")
            if t == "status" and m["content"].get("execution_state") in ("restarting", "dead"):
                states.append(m["content"]["execution_state"])
                return outputs, "died", states
            if m.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if t in ("display_data", "execute_result", "stream", "error"):
                outputs.append(m)
                if "first_figure" not in self.t and t in ("display_data", "execute_result") \
                        and "image/png" in m["content"].get("data", {}):
                    self.t["first_figure"] = time.monotonic()
            elif t == "execute_reply":
                reply = m["content"].get("status")
            elif t == "status" and m["content"].get("execution_state") == "idle":
                idle = True
        return outputs, reply, states

    def check_cell(self, i, cell, outputs, reply):
        src = "".join(cell["source"])
        meta = cell.get("metadata", {})
        for o in outputs:
            if o["msg_type"] == "error":
                self.problems.append(f"cell {i}: {o['content'].get('ename')}: {o['content'].get('evalue')}")
        if reply != "ok":
            self.problems.append(f"cell {i}: execute_reply {reply}")
        if "figure" in meta.get("tags", []):
            if not any("image/png" in o["content"].get("data", {}) and "text/html" in o["content"].get("data", {})
                       for o in outputs):
                self.problems.append(f"cell {i} (figure): no output with image/png and text/html: {src[:60]!r}")
        text = "".join(o["content"].get("text", "") + o["content"].get("data", {}).get("text/plain", "")
                       for o in outputs)
        for want in meta.get("attnviz", {}).get("expect", []):
            if want not in text:
                self.problems.append(f"cell {i}: want {want!r} in its output, got {text[:200]!r}")

    async def connect(self):
        base = f"{self.hub.url}/user/{urllib.parse.quote(self.name)}"
        ws_url = base.replace("http://", "ws://") + f"/api/kernels/{self.kernel_id}/channels"
        try:
            self.ws = await websocket_connect(HTTPRequest(ws_url, headers={"Authorization": f"token {self.token}"},
                                                          connect_timeout=60, request_timeout=600),
                                              max_message_size=64 << 20)
        except HTTPClientError as e:
            raise RuntimeError(f"kernel websocket {ws_url}: {e}") from None

    async def lesson(self):
        for i, cell in enumerate(self.cells):
            try:
                outputs, reply, _ = await self.execute("".join(cell["source"]))
            except WebSocketClosedError:
                # The notebook page reconnects a dropped kernel connection by itself; so does
                # this student, once per cell, and the run counts it.
                self.reconnects += 1
                await self.connect()
                outputs, reply, _ = await self.execute("".join(cell["source"]))
            self.check_cell(i, cell, outputs, reply)
            if "first_figure" in self.t and "cpu_first_figure" not in self.t:
                self.t["cpu_first_figure"] = self.cpu_seconds()
        self.t["done"] = time.monotonic()

    def pids(self):
        """The student's processes: those in the student's cgroup, else those whose environment
        names this student and this hub."""
        kind, d = self.hub.cgroup_dir(self.name)
        if d:
            try:
                with open(os.path.join(d, "cgroup.procs")) as f:
                    return [int(p) for p in f.read().split()]
            except OSError:
                pass
        mine = f"JUPYTERHUB_USER={self.name}".encode()
        hub = f"JUPYTERHUB_API_URL=http://127.0.0.1:{self.hub.hub_port}/".encode()
        out = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/environ", "rb") as f:
                    env = f.read().split(b"\0")
            except OSError:
                continue
            if mine in env and any(e.startswith(hub) for e in env):
                out.append(int(pid))
        return out

    def cpu_seconds(self):
        """CPU time the student's processes (server + kernel) have used so far."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += sum(int(x) for x in fields[11:15]) / tick  # utime stime cutime cstime
            except (OSError, ValueError, IndexError):
                continue
        return total

    def memory(self):
        """RSS and PSS of the student's processes (server + kernel) and the charge of the
        student's cgroup, in bytes, and the processes' names."""
        rss = pss = 0
        procs = []
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/status") as f:
                    st = dict(l.split(":", 1) for l in f if ":" in l)
                with open(f"/proc/{pid}/smaps_rollup") as f:
                    sm = dict(l.split(":", 1) for l in f if ":" in l and l[0].isalpha())
                rss += int(st["VmRSS"].split()[0]) * 1024
                pss += int(sm["Pss"].split()[0]) * 1024
                procs.append((st["Name"].strip(), int(st["VmRSS"].split()[0]) * 1024))
            except (OSError, KeyError, ValueError):
                continue
        kind, d = self.hub.cgroup_dir(self.name)
        cg = 0
        if d:
            try:
                with open(os.path.join(d, "memory.usage_in_bytes" if kind == "v1" else "memory.current")) as f:
                    cg = int(f.read())
            except OSError:
                pass
        return rss, pss, cg, procs

    async def stop(self):
        try:
            self.ws.close()
        except Exception:
            pass
        await self.req("DELETE", f"{self.hub.api}/users/{urllib.parse.quote(self.name)}/server", self.hub.token)

    async def run(self):
        try:
            self.t["login"] = time.monotonic()
            self.t["cpu_login"] = self.cpu_seconds()  # a server started before class: its start
            await self.login()
            await self.start_server()
            self.t["cpu_ready"] = self.cpu_seconds()
            await self.kernel()
            await self.lesson()
            self.mem = self.memory()
            self.cpu = self.cpu_seconds()
        except Exception as e:  # noqa: BLE001 — every failure is a finding of the run
            self.problems.append(f"{type(e).__name__}: {e}")
            self.mem = (0, 0, 0, [])
            self.cpu = 0


async def wait_stopped(hub, names, timeout=120):
    http = AsyncHTTPClient()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = await http.fetch(HTTPRequest(f"{hub.api}/users?state=active", headers={"Authorization": f"token {hub.token}"}),
                             raise_error=False)
        active = {u["name"] for u in json.loads(r.body or b"[]")} & set(names)
        if not active:
            return True
        await asyncio.sleep(1)
    return False


async def prestart(hub, names):
    """What a teacher does before class on the admin page: start every student's server."""
    http = AsyncHTTPClient(max_clients=len(names) + 5)
    h = {"Authorization": f"token {hub.token}"}
    await asyncio.gather(*(http.fetch(HTTPRequest(f"{hub.api}/users/{urllib.parse.quote(n)}/server", method="POST",
                                                  headers=h, body="{}", request_timeout=600,
                                                  connect_timeout=600), raise_error=False)
                           for n in names))
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        r = await http.fetch(HTTPRequest(f"{hub.api}/users?state=ready", headers=h), raise_error=False)
        if set(names) <= {u["name"] for u in json.loads(r.body or b"[]")}:
            return
        await asyncio.sleep(2)
    raise SystemExit("pre-starting the servers took more than 15 minutes")


async def class_run(hub, n, cells, tag, prestarted=False):
    names = [f"{tag}{i:02d}" for i in range(1, n + 1)]
    http = AsyncHTTPClient(max_clients=4 * n + 10)
    r = await hub.add_users(names, http)
    if r.code not in (201, 409):
        raise SystemExit(f"creating users: HTTP {r.code} {r.body[:300]!r}")
    students = [Student(hub, name, cells) for name in names]
    avail0 = meminfo("MemAvailable")
    if prestarted:
        t = time.monotonic()
        await prestart(hub, names)
        log(f"N={n}: the teacher started {n} servers before class ({time.monotonic() - t:.0f} s)")
    log(f"N={n}: {n} students log in at once and run lesson 1" + (" (servers already running)" if prestarted else ""))
    load0 = loadavg()
    t0 = time.monotonic()
    hub_cpu0 = hub.cpu_seconds()
    await asyncio.gather(*(s.run() for s in students))
    wall = time.monotonic() - t0
    hub_cpu = hub.cpu_seconds() - hub_cpu0
    avail1 = meminfo("MemAvailable")
    await asyncio.gather(*(s.stop() for s in students))
    await wait_stopped(hub, names)
    ok = [s for s in students if not s.problems and "first_figure" in s.t]
    res = {
        "n": n, "ok": len(ok), "wall": wall, "prestarted": prestarted,
        "cpu": [s.cpu for s in ok],
        "cpu_ready": [s.t.get("cpu_ready", 0) for s in ok],
        "cpu_first_figure": [s.t.get("cpu_first_figure", 0) for s in ok],
        "cpu_login": [s.t.get("cpu_login", 0) for s in ok],
        "reconnects": sum(s.reconnects for s in students),
        "first_figure": [s.t["first_figure"] - s.t["login"] for s in ok],
        "ready": [s.t["ready"] - s.t["login"] for s in ok],
        "lesson": [s.t["done"] - s.t["login"] for s in ok],
        "rss": [s.mem[0] for s in ok], "pss": [s.mem[1] for s in ok], "cgroup": [s.mem[2] for s in ok],
        "kernel_rss": [sum(r for n, r in s.mem[3] if n.startswith("attnviz-kern")) for s in ok],
        "processes": sorted({n for s in ok for n, _ in s.mem[3]}),
        "avail_drop": (avail0 - avail1) / max(1, n),
        "hub_cpu": hub_cpu / max(1, n),
        "loadavg": load0,
        "problems": {s.name: s.problems for s in students if s.problems},
    }
    log(f"N={n}: {len(ok)}/{n} ran lesson 1 without a problem in {wall:.1f} s"
        + (f"; {res['reconnects']} dropped kernel connections were reconnected" if res["reconnects"] else ""))
    for name, probs in list(res["problems"].items())[:10]:
        log(f"  {name}: " + "; ".join(probs[:5]))
    return res


def loadavg():
    """The 1-minute load average: how many processes wanted the CPUs (others' work included)."""
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def meminfo(key):
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


async def enrolled(hub, name, cells):
    """A student with an account, logged in, with a server started."""
    s = Student(hub, name, cells)
    await hub.add_users([name])
    await s.login()
    await s.start_server()
    return s


async def check_memory_limit(hub, cells):
    """A cell that allocates twice the limit: the kernel is killed, the server lives on, the
    kernel comes back, the cgroup counts the kill."""
    s = await enrolled(hub, "memhog", cells)
    await s.kernel()
    kind, d = hub.cgroup_dir("memhog")
    limit = None
    if d:
        with open(os.path.join(d, "memory.limit_in_bytes" if kind == "v1" else "memory.max")) as f:
            limit = int(f.read())
    problems = []
    if not limit or limit > 1 << 40:
        problems.append(f"no memory limit on the student's cgroup ({d}: {limit})")
        await s.stop()
        return problems
    hog = f"b := make([]byte, {2 * limit})\nfor i := 0; i < len(b); i += 4096 {{ b[i] = 1 }}\nlen(b)"
    outputs, reply, states = await s.execute(hog, timeout=180)
    killed = reply == "died"
    oom = hub_oom_kills(kind, d)
    said = "".join(o["content"].get("text", "") + o["content"].get("evalue", "") for o in outputs)
    if not killed:
        problems.append(f"allocating {2 * limit >> 20} MB past a {limit >> 20} MB limit: kernel not killed "
                        f"(reply {reply}: {said[:300]!r})")
    if oom < 1:
        problems.append(f"the cgroup counted no OOM kill (the kernel {'died' if killed else 'lived'}: {said[:300]!r})")
    # The server survived and the kernel restarts: a new cell runs.
    await asyncio.sleep(3)
    try:
        s.ws.close()
        await s.kernel()
        outputs, again, _ = await s.execute("6 * 7", timeout=120)
        text = "".join(o["content"].get("data", {}).get("text/plain", "") for o in outputs)
        if again != "ok" or "42" not in text:
            problems.append(f"after the OOM kill a new kernel did not run a cell ({again}, {text!r})")
    except Exception as e:  # noqa: BLE001
        problems.append(f"after the OOM kill the server did not answer: {e}")
    log(f"memory limit: {limit >> 20} MB per student; a cell allocating {2 * limit >> 20} MB: "
        f"kernel {'killed and restarted' if killed else 'NOT killed'}, OOM kills counted by the cgroup: {oom}")
    await s.stop()
    return problems


def hub_oom_kills(kind, d):
    try:
        with open(os.path.join(d, "memory.oom_control" if kind == "v1" else "memory.events")) as f:
            for line in f:
                k, _, v = line.partition(" ")
                if k == "oom_kill":
                    return int(v)
    except OSError:
        pass
    return 0


async def check_browser(hub):
    """A student as a browser does it: the login form, the hub's cookie, the spawn page, then
    the server's own login through the hub (OAuth: /hub/api/oauth2/authorize, the server's
    oauth_callback), the lessons folder page and the contents API with the server's cookie."""
    http = AsyncHTTPClient()
    name = "browser"
    jar = {}

    async def get(url, method="GET", body=None, headers=None):
        h = dict(headers or {})
        if jar:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        r = await http.fetch(HTTPRequest(url, method=method, body=body, headers=h, follow_redirects=False,
                                         request_timeout=300), raise_error=False)
        for c in r.headers.get_list("Set-Cookie"):
            k, _, v = c.split(";")[0].partition("=")
            jar[k.strip()] = v
        return r

    async def follow(url, hops=12, trail=None):
        for _ in range(hops):
            r = await get(url)
            if trail is not None:
                trail.append(f"{r.code} {urllib.parse.urlsplit(url).path}")
            if r.code not in (301, 302, 303, 307):
                return url, r
            url = urllib.parse.urljoin(url, r.headers["Location"])
        return url, r

    await hub.add_users([name], http)
    await get(hub.url + "/hub/login")
    form = urllib.parse.urlencode({"username": name, "password": hub.password, "_xsrf": jar.get("_xsrf", "")})
    r = await get(hub.url + "/hub/login", "POST", form, {"Content-Type": "application/x-www-form-urlencoded"})
    problems = []
    if r.code != 302:
        return [f"browser: the login form answered HTTP {r.code}"]
    # /hub/spawn starts the server and shows the spawn-pending page; the page waits for ready.
    trail = []
    url, r = await follow(urllib.parse.urljoin(hub.url, r.headers["Location"]), trail=trail)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        st = await http.fetch(HTTPRequest(f"{hub.api}/users/{name}", headers={"Authorization": f"token {hub.token}"}))
        if (json.loads(st.body).get("servers", {}).get("", {}) or {}).get("ready"):
            break
        await asyncio.sleep(1)
    url, r = await follow(f"{hub.url}/user/{name}/tree/lessons", trail=trail)
    page = r.body.decode(errors="replace")
    if r.code != 200 or 'data-notebook-path="lessons"' not in page:
        problems.append(f"browser: /user/{name}/tree/lessons ended at {url} with HTTP {r.code} "
                        f"(redirects: {' -> '.join(trail)}); want the lessons folder page")
    if not any("oauth_callback" in t for t in trail):
        problems.append(f"browser: the server's page was not reached through the hub's OAuth (redirects: {' -> '.join(trail)})")
    r = await get(f"{hub.url}/user/{name}/api/contents/lessons")
    try:
        names = {c["name"] for c in json.loads(r.body)["content"]}
    except (ValueError, KeyError, TypeError):
        names = set()
    if "01-attention-from-scratch.ipynb" not in names:
        problems.append(f"browser: the contents API with the server's cookie: HTTP {r.code} {r.body[:200]!r}")
    log(f"browser: login form, spawn page, the server's OAuth login through the hub, the lessons page: "
        f"{'ok' if not problems else 'FAILED'} ({' -> '.join(trail)})")
    await http.fetch(HTTPRequest(f"{hub.api}/users/{name}/server", method="DELETE",
                                 headers={"Authorization": f"token {hub.token}"}), raise_error=False)
    await wait_stopped(hub, [name])
    return problems


async def check_culling(hub, cells, timeout):
    """A student starts a server and leaves: the culler stops it."""
    s = await enrolled(hub, "idler", cells)
    t0 = time.monotonic()
    stopped = await wait_stopped(hub, ["idler"], timeout=timeout)
    took = time.monotonic() - t0
    culled = "stopped idler" in open(hub.logfile.name).read()
    log(f"culling: a server left idle was {'stopped' if stopped else 'NOT stopped'} after {took:.0f} s "
        f"(idle limit {hub.cull_idle} s){'; the culler logged it' if culled else ''}")
    if not stopped:
        return [f"the idle server was not stopped within {timeout} s (idle limit {hub.cull_idle} s)"]
    if not culled:
        return ["the idle server stopped, but not by the culler (no 'stopped idler' in the hub log)"]
    return []


def table(results):
    mb = 1 << 20
    cores = os.cpu_count()
    lines = [
        "students servers  ok  load  login->first figure p50 / p95   server ready p50   lesson 1 done p95   "
        "CPU/student  RSS/student  PSS/student  cgroup/student  MemAvailable drop/student",
    ]
    for r in results:
        ff, rd, ls = r["first_figure"], r["ready"], r["lesson"]
        lines.append(
            f"{r['n']:>8} {'prestart' if r.get('prestarted') else 'at login':>8}  {r['ok']:>2}  {r.get('loadavg', 0):>4.0f}  "
            f"{pct(ff, 50):>10.1f} s / {pct(ff, 95):>5.1f} s        "
            f"{pct(rd, 50):>8.1f} s   {pct(ls, 95):>14.1f} s    "
            f"{statistics.mean(r['cpu']) if r['cpu'] else 0:>7.1f} s  "
            f"{statistics.mean(r['rss']) / mb if r['rss'] else 0:>8.0f} MB  "
            f"{statistics.mean(r['pss']) / mb if r['pss'] else 0:>8.0f} MB  "
            f"{statistics.mean(r['cgroup']) / mb if r['cgroup'] else 0:>11.0f} MB  "
            f"{r['avail_drop'] / mb:>14.0f} MB")
    lines.append("(load: the 1-minute load average when the class started, other work on the machine included)")
    lines.append("CPU seconds per student (what the class costs however loaded the machine is): the student's "
                 "server + kernel, and the hub + proxy's share; the last figure of N students at once can "
                 f"come no sooner than N x (student + hub share to the first figure) / {cores} cores:")
    for r in results:
        if r["cpu"]:
            login = statistics.mean(r.get("cpu_login") or [0])
            to_fig = statistics.mean(r["cpu_first_figure"]) - login + r.get("hub_cpu", 0)
            lines.append(f"  N={r['n']} {'prestart' if r.get('prestarted') else 'at login'}: server start "
                         f"{statistics.mean(r['cpu_ready']):.2f} s, from login to the first figure "
                         f"{statistics.mean(r['cpu_first_figure']) - login:.2f} s "
                         f"+ hub {r.get('hub_cpu', 0):.2f} s, whole lesson 1 {statistics.mean(r['cpu']):.2f} s; "
                         f"N x {to_fig:.2f} / {cores} = {r['n'] * to_fig / cores:.1f} s"
                         + (f"; {r['reconnects']} kernel connections dropped and reconnected" if r.get("reconnects") else ""))
    for r in results:
        if r["rss"]:
            k = statistics.mean(r["kernel_rss"]) / mb
            lines.append(f"N={r['n']}: RSS = Go kernel {k:.0f} MB + notebook server {statistics.mean(r['rss']) / mb - k:.0f} MB "
                         f"(processes: {', '.join(r['processes'])})")
    return "\n".join(lines)


async def main_async(a):
    with open(LESSON) as f:
        cells = [c for c in json.load(f)["cells"] if c["cell_type"] == "code"]
    # One HTTP client for the whole run (tornado shares one per event loop, sized when first
    # made): room for every student's concurrent requests, so none waits in the client's queue.
    AsyncHTTPClient.configure(None, max_clients=4 * max(a.students + a.prestarted + [1]) + 20)
    work = tempfile.mkdtemp(prefix="attnviz-hubtest-")
    os.chmod(work, 0o755)
    hub = Hub(work, cull_idle=a.cull_idle, singleuser=a.singleuser)
    results, problems = [], []
    try:
        hub.start()
        runs = [(n, False) for n in a.students] + [(n, True) for n in a.prestarted]
        for i, (n, pre) in enumerate(runs):
            r = await class_run(hub, n, cells, tag=f"s{i}x", prestarted=pre)
            results.append(r)
            if r["ok"] < n:
                problems.append(f"N={n}{' (prestarted)' if pre else ''}: {n - r['ok']} students had problems")
        if "browser" in a.checks:
            problems += await check_browser(hub)
        if "memory" in a.checks:
            problems += await check_memory_limit(hub, cells)
        if "cull" in a.checks:
            problems += await check_culling(hub, cells, timeout=hub.cull_idle + 90)
    finally:
        hub.stop()
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            log(f"kept {work}")
    loadavg = open("/proc/loadavg").read().split()[:3]
    print()
    print(f"JupyterHub class test: lesson 1 on the Go kernel, every student at once; "
          f"{os.cpu_count()} CPUs, {meminfo('MemTotal') >> 30} GiB, load average before the last run "
          f"{' '.join(loadavg)} (other work on this machine slows every figure here)")
    print(table(results))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    if problems:
        print("\nPROBLEMS:\n  " + "\n  ".join(problems))
        return 1
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", default="40", help="comma-separated class sizes, run one after another")
    ap.add_argument("--prestarted", default="", help="class sizes to run again with the servers started before class")
    ap.add_argument("--checks", nargs="?", const="browser,memory,cull", default="",
                    help="also check a browser's login (the server's OAuth through the hub), the memory "
                         "limit and the idle culler (or: --checks=memory)")
    ap.add_argument("--singleuser", help="the single-user server command instead of the class "
                    "configuration's (e.g. jupyterhub-singleuser, to compare)")
    ap.add_argument("--cull-idle", type=int, default=None, help="the culler's idle limit in seconds")
    ap.add_argument("--json", help="write the measurements here")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (hub log, homes)")
    a = ap.parse_args()
    a.students = [int(x) for x in a.students.split(",") if x]
    a.prestarted = [int(x) for x in a.prestarted.split(",") if x]
    a.checks = [c for c in a.checks.split(",") if c]
    if a.cull_idle is None:
        a.cull_idle = 60 if "cull" in a.checks else 3600
    if os.geteuid() != 0:
        sys.exit("hub_test: run as root (cgroups; the servers run as nobody)")
    if not shutil.which("jupyterhub") or not shutil.which("configurable-http-proxy"):
        sys.exit("hub_test: JupyterHub is missing (scripts/setup-deps.sh --hub)")
    # Stopped by a signal: still stop the hub and the students' servers (the finally clause).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(asyncio.run(main_async(a)))


if __name__ == "__main__":
    main()
