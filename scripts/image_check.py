#!/usr/bin/env python3
"""Runs inside the lab image for `make image-test` (scripts/image-test.sh starts it with no
network, this checkout mounted read-only at /src, a writable folder at /out).

It checks, and writes what it found to /out/image-check.json:
  * it runs as uid 1000 with a writable home, and the entry point copied every lesson into
    ~/lessons; the lesson model is where ATTNVIZ_MODEL says, with the right sha256;
  * there is no network (so everything below ran offline);
  * every lesson runs top to bottom on the Go kernel, headless (nbclient, as `make handouts`):
    no error output, every cell tagged "figure" shows image/png and text/html, every number in
    a cell's attnviz.expect metadata appears in its output;
  * attnviz-handouts writes lesson 1's student and teacher HTML handouts, self-contained;
  * the default command serves the lab: Jupyter Notebook answers on 0.0.0.0:8888 (what
    `docker run -p 8888:8888` publishes);
  * the single-user server works: a JupyterHub started inside the image spawns
    `attnviz-start attnviz-singleuser` (jupyterhub-singleuser, started lighter), and a student logs in, starts a Go kernel over the
    REST API and its websocket, and gets lesson 1's first figure.
Exit status 1 when any check fails.
"""

import asyncio
import glob
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, "/src/scripts")
import hub_test  # noqa: E402 — the same student as make hub-test

MODEL_SHA256 = [l.split("?=")[1].strip() for l in open("/src/mk/50-model.mk") if l.startswith("MODEL_SHA256")][0]
problems = []
report = {}


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what, flush=True)
    if not ok:
        problems.append(what)
    return ok


def basics():
    home = os.path.expanduser("~")
    check(os.getuid() == 1000, f"runs as uid 1000 (uid {os.getuid()}, gid {os.getgid()}, home {home})")
    check(os.access(home, os.W_OK), "the home folder is writable")
    want = sorted(os.path.basename(p) for p in glob.glob("/opt/attnviz/notebooks/[0-9]*.ipynb"))
    got = sorted(os.path.basename(p) for p in glob.glob(os.path.join(home, "lessons", "[0-9]*.ipynb")))
    check(want and got == want, f"the entry point copied the {len(want)} lessons into ~/lessons ({got})")
    model = os.environ.get("ATTNVIZ_MODEL", "")
    sha = hashlib.sha256(open(model, "rb").read()).hexdigest() if os.path.isfile(model) else None
    check(sha == MODEL_SHA256, f"lesson model {model}: sha256 {sha}")
    report["lessons"] = got


def no_network():
    for host, port in (("deb.debian.org", 80), ("1.1.1.1", 443), ("proxy.golang.org", 443)):
        try:
            socket.create_connection((host, port), timeout=5).close()
            check(False, f"no network: but {host}:{port} answered")
            return
        except OSError:
            pass
    check(True, "no network: name lookups and connections fail (the checks below run offline)")


def run_lessons():
    home = os.path.expanduser("~/lessons")
    report["lesson_runs"] = {}
    for path in sorted(glob.glob(os.path.join(home, "[0-9]*.ipynb"))):
        name = os.path.basename(path)
        nb = nbformat.read(path, as_version=4)
        t0 = time.monotonic()
        err = None
        try:
            NotebookClient(nb, kernel_name="attnviz-go", timeout=600, allow_errors=True,
                           resources={"metadata": {"path": home}}).execute()
        except Exception as e:  # noqa: BLE001 — a dead kernel is a finding
            err = f"{type(e).__name__}: {e}"
        took = time.monotonic() - t0
        bad, figures = [], 0
        if err:
            bad.append(err)
        for i, c in enumerate(nb.cells):
            if c.cell_type != "code":
                continue
            outs = c.get("outputs", [])
            for o in outs:
                if o.output_type == "error":
                    bad.append(f"cell {i}: {o.ename}: {o.evalue}")
            if "figure" in c.metadata.get("tags", []):
                figures += 1
                if not any("image/png" in o.get("data", {}) and "text/html" in o.get("data", {}) for o in outs):
                    bad.append(f"cell {i} (figure): no image/png + text/html output")
            text = "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in outs)
            for want in c.metadata.get("attnviz", {}).get("expect", []):
                if want not in text:
                    bad.append(f"cell {i}: want {want!r} in its output")
        if figures == 0:
            bad.append("no cell tagged figure ran")
        report["lesson_runs"][name] = {"seconds": round(took, 1), "figures": figures, "problems": bad}
        check(not bad, f"lesson {name}: {figures} figures, {took:.0f} s" + ("; " + "; ".join(bad[:5]) if bad else ""))


def handouts():
    """attnviz-handouts (scripts/handouts.py in the image): lesson 1's student and teacher HTML,
    self-contained (no script or stylesheet from the network), the answers only for teachers."""
    out = tempfile.mkdtemp(prefix="handouts-", dir="/tmp")
    r = subprocess.run(["attnviz-handouts", "--no-pdf", "--out", out,
                        "/opt/attnviz/notebooks/01-attention-from-scratch.ipynb"],
                       capture_output=True, text=True, timeout=900)
    stem = os.path.join(out, "01-attention-from-scratch")
    try:
        student = open(stem + ".student.html").read()
        teacher = open(stem + ".teacher.html").read()
    except OSError as e:
        check(False, f"attnviz-handouts wrote no HTML handouts ({e}): {r.stdout[-500:]} {r.stderr[-500:]}")
        return
    # The notebook tests' list (notebooks/notebooks_test.go, checkHandouts).
    external = [x for x in ('src="http://', 'src="https://', 'src="file://', 'href="https://cdn',
                            '<link rel="stylesheet" href="http') if x in student + teacher]
    check(r.returncode == 0 and not external and "data:image/png;base64," in student
          and "celltag_answer" not in student and "celltag_answer" in teacher,
          f"attnviz-handouts: lesson 1 as student ({len(student) >> 10} KB) and teacher HTML, "
          f"figures embedded, nothing loaded from the network{', but: ' + str(external) if external else ''}")
    shutil.rmtree(out, ignore_errors=True)


def answer(url, tries=120):
    """What url answers, asking every half second until it does; None if it never does."""
    for _ in range(tries):
        try:
            return urllib.request.urlopen(url, timeout=2).read()
        except OSError:
            time.sleep(0.5)
    return None


def stop(p, seconds):
    """Terminates process p, killing it if it has not ended after seconds."""
    p.terminate()
    try:
        p.wait(seconds)
    except subprocess.TimeoutExpired:
        p.kill()


def lab_serves():
    port = 8888
    env = dict(os.environ, LAB_PORT=str(port))
    log = open("/tmp/lab.log", "w")
    p = subprocess.Popen(["attnviz-start"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        body = answer(f"http://127.0.0.1:{port}/api")
        ok = body is not None
        v = json.loads(body) if ok else {}
        listening = any(l.split()[1] == f"00000000:{port:04X}" and l.split()[3] == "0A"
                        for l in open("/proc/net/tcp").readlines()[1:])
        check(ok and listening, f"the default command serves the lab on 0.0.0.0:{port} "
                                f"(Jupyter Notebook {v.get('version') if ok else '?'})")
        # (the URL is printed once the lessons' page answers: shortly after /api)
        for _ in range(20):
            text = open("/tmp/lab.log").read()
            if "?token=" in text:
                break
            time.sleep(0.5)
        urls = re.findall(r"https?://\S+", text)
        check(len(urls) == 1 and urls[0].startswith(f"http://127.0.0.1:{port}/tree?token="),
              f"it prints one URL, with its token, for the browser ({urls})")
    finally:
        stop(p, 20)


HUB_CONFIG = """
c.JupyterHub.bind_url = "http://127.0.0.1:{port}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub_port}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_port}"
c.JupyterHub.authenticator_class = "jupyterhub.auth.DummyAuthenticator"
c.DummyAuthenticator.password = {password!r}
c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.SimpleLocalProcessSpawner.home_dir_template = {homes!r} + "/{{username}}"
c.Spawner.cmd = ["attnviz-start", "attnviz-singleuser"]
c.Spawner.default_url = "/tree/lessons"
c.JupyterHub.services = [{{"name": "image-test", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{"name": "admin", "services": ["image-test"]}}]
c.JupyterHub.db_url = "sqlite:///{state}/hub.sqlite"
c.JupyterHub.cookie_secret_file = "{state}/cookie_secret"
"""


def singleuser():
    """JupyterHub inside the image (Debian's, as the image ships it) spawning the image's
    single-user server for one student, driven as make hub-test drives the class."""
    v = subprocess.run(["jupyterhub-singleuser", "--version"], capture_output=True, text=True).stdout.strip()
    report["jupyterhub_singleuser"] = v
    work = tempfile.mkdtemp(prefix="hub-", dir="/tmp")
    hub = hub_test.Hub(work, cull_idle=3600)
    hub.state = os.path.join(work, "state")
    os.makedirs(hub.state)
    cfg = os.path.join(work, "config.py")
    with open(cfg, "w") as f:
        f.write(HUB_CONFIG.format(port=hub.port, hub_port=hub_test.free_port(), proxy_port=hub_test.free_port(),
                                  password=hub.password, homes=os.path.join(work, "home"), token=hub.token,
                                  state=hub.state))
    log = open(os.path.join(work, "hub.log"), "w")
    p = subprocess.Popen(["jupyterhub", "-f", cfg], cwd=hub.state, stdout=log, stderr=subprocess.STDOUT)
    hub.logfile = log
    try:
        if not check(answer(hub.api) is not None, "JupyterHub starts inside the image"):
            print(open(log.name).read()[-2000:])
            return
        with open(hub_test.LESSON.replace(hub_test.ROOT, "/src")) as f:
            cells = [c for c in json.load(f)["cells"] if c["cell_type"] == "code"]

        async def one():
            from tornado.httpclient import AsyncHTTPClient, HTTPRequest
            await AsyncHTTPClient().fetch(HTTPRequest(f"{hub.api}/users", method="POST",
                                                      headers={"Authorization": f"token {hub.token}"},
                                                      body=json.dumps({"usernames": ["student"]})))
            s = hub_test.Student(hub, "student", cells)
            await s.run()
            await s.stop()
            return s

        s = asyncio.run(one())
        ff = s.t.get("first_figure", 0) - s.t.get("login", 0)
        check(not s.problems and "first_figure" in s.t,
              f"attnviz-singleuser (jupyterhub-singleuser {v}): a student logs in, gets a server and a Go kernel, runs lesson 1 "
              f"(first figure {ff:.1f} s after login)" + ("; " + "; ".join(s.problems[:5]) if s.problems else ""))
        report["hub_first_figure_s"] = round(ff, 1)
    finally:
        stop(p, 30)
        shutil.rmtree(work, ignore_errors=True)


def main():
    basics()
    no_network()
    run_lessons()
    handouts()
    lab_serves()
    singleuser()
    report["problems"] = problems
    with open("/out/image-check.json", "w") as f:
        json.dump(report, f, indent=1)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
