"""JupyterHub pieces for an attnviz class on one machine (loaded by deploy/jupyterhub_config.py).

AttnvizSpawner is JupyterHub's LocalProcessSpawner (each student's server is a process running as
the student's Unix account) plus three things a class needs:

* each server starts through PREFIX/bin/attnviz-start, which copies the lessons into
  ~/lessons (never overwriting a student's edits) and points Jupyter at the Go kernel and the
  lesson model under PREFIX (scripts/lab-install.sh installs that folder);
* ``Spawner.mem_limit`` is enforced: every student's server and kernels run in a memory cgroup
  of their own, so one student's runaway cell is killed by the kernel's OOM killer instead of
  taking the machine down (LocalProcessSpawner alone only passes MEM_LIMIT to the server as an
  environment variable: nothing enforces it);
* stopping a server (logout, culling, the admin page) kills everything left in its cgroup,
  orphaned kernels included, so the memory really comes back.

Cgroups: the v1 memory controller (as on this machine) or cgroup v2, where the hub needs a
delegated subtree (deploy/jupyterhub.service: ``Delegate=yes``). When neither can be used the
spawner refuses to start servers (``require_memory_limit``), saying why.

ClassPAMAuthenticator lets the class group and the teachers in.

``cull_service`` returns the service and role for attnviz_cull.py, the idle culler (Debian has no
jupyterhub-idle-culler package and PyPI may be out of reach; it is a few lines on the REST API).
"""

import errno
import grp
import os
import pwd
import random
import re
import signal
import socket
import sys
import time

from jupyterhub.auth import PAMAuthenticator
from jupyterhub.spawner import LocalProcessSpawner
from traitlets import Bool, Int, Unicode

HERE = os.path.dirname(os.path.abspath(__file__))


class CgroupError(Exception):
    pass


def _mounts():
    """(mount point, root, fstype, super options) of every cgroup mount."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            fields, rfields = left.split(), right.split()
            if len(rfields) >= 3 and rfields[0] in ("cgroup", "cgroup2"):
                out.append((fields[4], fields[3], rfields[0], rfields[2].split(",")))
    return out


def _write(path, value):
    with open(path, "w") as f:
        f.write(str(value))


def _read(path):
    with open(path) as f:
        return f.read().strip()


def find_memory_cgroup():
    """Returns ("v1" | "v2", the hub's own memory cgroup folder), or raises CgroupError."""
    own = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            hid, ctrls, path = line.rstrip("\n").split(":", 2)
            for c in ctrls.split(",") if ctrls else ["" if hid == "0" else ctrls]:
                own[c] = path
    mounts = _mounts()

    def under(mount, root, path):
        if root != "/" and path.startswith(root):
            path = path[len(root):]
        return os.path.join(mount, path.lstrip("/"))

    if "memory" in own:
        for mount, root, fstype, opts in mounts:
            if fstype == "cgroup" and "memory" in opts:
                d = under(mount, root, own["memory"])
                if os.path.exists(os.path.join(d, "memory.limit_in_bytes")):
                    return "v1", d
    if "" in own:
        for mount, root, fstype, opts in mounts:
            if fstype == "cgroup2":
                d = under(mount, root, own[""])
                try:
                    if "memory" in _read(os.path.join(d, "cgroup.controllers")).split():
                        return "v2", d
                except OSError:
                    pass
    raise CgroupError(
        "no memory cgroup the hub may manage: cgroup v2 needs the hub started with a delegated "
        "subtree (systemd: Delegate=yes, as in deploy/jupyterhub.service); cgroup v1 needs the "
        "memory controller mounted"
    )


class StudentCgroups:
    """One memory cgroup per student server, under the hub's own cgroup."""

    def __init__(self, name="attnviz-students"):
        self.kind, own = find_memory_cgroup()
        if self.kind == "v2":
            self.root = self._delegate_v2(own, name)
        else:
            self.root = os.path.join(own, name)
            os.makedirs(self.root, exist_ok=True)

    @staticmethod
    def _delegate_v2(own, name):
        # cgroup v2 allows controllers for children only in a cgroup without processes of its
        # own: move the hub (and its proxy) into a leaf "hub" first, then enable memory below.
        procs = _read(os.path.join(own, "cgroup.procs")).split()
        subtree = _read(os.path.join(own, "cgroup.subtree_control")).split()
        if procs and "memory" not in subtree and own.rstrip("/") != "/sys/fs/cgroup":
            leaf = os.path.join(own, "hub")
            os.makedirs(leaf, exist_ok=True)
            for pid in procs:
                try:
                    _write(os.path.join(leaf, "cgroup.procs"), pid)
                except OSError as e:
                    if e.errno != errno.ESRCH:
                        raise
        if "memory" not in subtree:
            _write(os.path.join(own, "cgroup.subtree_control"), "+memory")
        root = os.path.join(own, name)
        os.makedirs(root, exist_ok=True)
        if "memory" not in _read(os.path.join(root, "cgroup.subtree_control")).split():
            _write(os.path.join(root, "cgroup.subtree_control"), "+memory")
        return root

    def path(self, key):
        return os.path.join(self.root, re.sub(r"[^A-Za-z0-9_.@-]", "_", key))

    def create(self, key, limit):
        """Makes (or reuses) the cgroup for key with a hard memory limit and no swap; returns
        the file a process writes its pid into to join it."""
        d = self.path(key)
        os.makedirs(d, exist_ok=True)
        if self.kind == "v1":
            _write(os.path.join(d, "memory.limit_in_bytes"), limit)
            sw = os.path.join(d, "memory.memsw.limit_in_bytes")
            if os.path.exists(sw):
                _write(sw, limit)
            got = int(_read(os.path.join(d, "memory.limit_in_bytes")))
            procs = os.path.join(d, "cgroup.procs")
        else:
            _write(os.path.join(d, "memory.max"), limit)
            sw = os.path.join(d, "memory.swap.max")
            if os.path.exists(sw):
                _write(sw, 0)
            got = int(_read(os.path.join(d, "memory.max")))
            procs = os.path.join(d, "cgroup.procs")
        # The kernel rounds to pages; anything else means the limit did not take.
        if abs(got - limit) > 4096:
            raise CgroupError(f"{d}: wrote a limit of {limit} bytes, the kernel reports {got}")
        return procs

    def pids(self, key):
        return cgroup_pids(self.path(key))

    def usage(self, key):
        """Bytes charged to the student's cgroup now (memory, including page cache)."""
        name = "memory.usage_in_bytes" if self.kind == "v1" else "memory.current"
        try:
            return int(_read(os.path.join(self.path(key), name)))
        except OSError:
            return 0

    def oom_kills(self, key):
        """How many processes the OOM killer ended in this cgroup."""
        d = self.path(key)
        try:
            text = _read(os.path.join(d, "memory.oom_control" if self.kind == "v1" else "memory.events"))
        except OSError:
            return 0
        for line in text.splitlines():
            k, _, v = line.partition(" ")
            if k == "oom_kill":
                return int(v)
        return 0

    def kill_and_remove(self, key, timeout=5.0):
        """SIGKILLs whatever is left in the cgroup (kernels the server did not stop), removes it."""
        return kill_cgroup(self.path(key), timeout)


def cgroup_pids(d):
    """The processes in the cgroup folder d (none if it is gone)."""
    try:
        return [int(p) for p in _read(os.path.join(d, "cgroup.procs")).split()]
    except OSError:
        return []


def kill_cgroup(d, timeout=5.0):
    """SIGKILLs the processes in the cgroup folder d until none is left and removes
    the folder; False (the folder kept) if some were still there after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        pids = cgroup_pids(d)
        if not pids:
            break
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    try:
        os.rmdir(d)
    except OSError as e:
        if e.errno not in (errno.ENOENT, errno.EBUSY):
            raise
    return True


# The students' cgroups, made at the first server start (or why they cannot be).
_cgroups = None
_cgroups_error = None


def student_cgroups():
    global _cgroups, _cgroups_error
    if _cgroups is None and _cgroups_error is None:
        try:
            _cgroups = StudentCgroups(os.environ.get("ATTNVIZ_CGROUP_NAME", "attnviz-students"))
        except (CgroupError, OSError) as e:
            _cgroups_error = str(e)
    return _cgroups


class AttnvizSpawner(LocalProcessSpawner):
    """LocalProcessSpawner with the attnviz lab, an enforced memory limit and clean stops."""

    prefix = Unicode(
        "/opt/attnviz",
        config=True,
        help="Where scripts/lab-install.sh installed the lab (kernel, kernelspec, lessons, model).",
    )
    require_memory_limit = Bool(
        True,
        config=True,
        help="Refuse to start a server when mem_limit is set but cannot be enforced.",
    )
    run_as = Unicode(
        "",
        config=True,
        help="""Run every server as this one Unix account, with its home from home_dir_template,
        instead of as the account named like the hub user. For tests only (make hub-test):
        students then share one uid and are not isolated from each other.""",
    )
    home_dir_template = Unicode(
        "/tmp/attnviz-hub/{username}",
        config=True,
        help="The home of each user when run_as is set.",
    )

    port_low = Int(
        20000,
        config=True,
        help="""Each server gets a free port between port_low and port_high. Keep the range out
        of the system's ephemeral ports (/proc/sys/net/ipv4/ip_local_port_range, usually
        32768-60999): LocalProcessSpawner picks an ephemeral port, and on a busy machine a
        student's Go kernel (whose ports are ephemeral) can take it before the server starts,
        which then fails and keeps the student waiting until start_timeout.""",
    )
    port_high = Int(32767, config=True, help="See port_low.")

    _cgroup_procs = None
    _ports_in_use = set()  # ports given to this hub's running servers

    def _free_port(self):
        """A port of [port_low, port_high] that no server of this hub has and nothing is bound to."""
        for _ in range(200):
            port = random.randint(self.port_low, self.port_high)
            if port in AttnvizSpawner._ports_in_use:
                continue
            with socket.socket() as s:
                try:
                    s.bind(("", port))
                except OSError:
                    continue
            AttnvizSpawner._ports_in_use.add(port)
            return port
        raise RuntimeError(f"no free port between {self.port_low} and {self.port_high}")

    def _key(self):
        return self.user.name + (("-" + self.name) if self.name else "")

    def _home(self):
        if self.run_as:
            return self.home_dir_template.format(username=self.user.name)
        return pwd.getpwnam(self.user.name).pw_dir

    def user_env(self, env):
        if not self.run_as:
            return super().user_env(env)
        env["USER"] = self.user.name
        env["HOME"] = self._home()
        env["SHELL"] = "/bin/sh"
        return env

    def get_env(self):
        env = super().get_env()
        env["ATTNVIZ_MODEL"] = os.path.join(self.prefix, "models", "stories260Ktok512.gguf")
        env["JUPYTER_PATH"] = os.path.join(self.prefix, "share", "jupyter")
        env["PATH"] = os.path.join(self.prefix, "bin") + ":" + env.get("PATH", os.defpath)
        # Debian bookworm has Jupyter Notebook 6, no jupyter_server: say so rather than probe.
        env.setdefault("JUPYTERHUB_SINGLEUSER_APP", "notebook.notebookapp.NotebookApp")
        return env

    def make_preexec_fn(self, name):
        join = self._cgroup_procs
        if self.run_as:
            pw = pwd.getpwnam(self.run_as)
            home = self._home()

            def switch():
                os.setgid(pw.pw_gid)
                os.setgroups([])
                os.setuid(pw.pw_uid)
                os.chdir(home)

        else:
            switch = super().make_preexec_fn(name)

        def preexec():
            # Join the student's cgroup while still root (the student cannot write there),
            # then become the student: everything the server starts stays in the cgroup.
            if join:
                with open(join, "w") as f:
                    f.write(str(os.getpid()))
            switch()

        return preexec

    async def start(self):
        self._cgroup_procs = None
        if self.mem_limit:
            cg = student_cgroups()
            if cg is None:
                msg = f"mem_limit {self.mem_limit} cannot be enforced: {_cgroups_error}"
                if self.require_memory_limit:
                    raise RuntimeError(msg + " (or set AttnvizSpawner.require_memory_limit = False)")
                self.log.warning("%s; starting %s without a limit", msg, self._key())
            else:
                self._cgroup_procs = cg.create(self._key(), int(self.mem_limit))
                self.log.info("%s: memory limit %d MB (cgroup %s %s)", self._key(),
                              int(self.mem_limit) >> 20, cg.kind, cg.path(self._key()))
        if self.run_as:
            pw = pwd.getpwnam(self.run_as)
            home = self._home()
            os.makedirs(home, exist_ok=True)
            os.chown(home, pw.pw_uid, pw.pw_gid)
        self.cmd = [os.path.join(self.prefix, "bin", "attnviz-start")] + [
            c for c in self.cmd if not c.endswith("attnviz-start")
        ]
        AttnvizSpawner._ports_in_use.discard(self.port)
        self.port = self._free_port()
        return await super().start()

    async def stop(self, now=False):
        await super().stop(now=now)
        AttnvizSpawner._ports_in_use.discard(self.port)
        cg = student_cgroups()
        if cg is not None and self.mem_limit:
            if not cg.kill_and_remove(self._key()):
                self.log.warning("%s: processes left in %s", self._key(), cg.path(self._key()))


class ClassPAMAuthenticator(PAMAuthenticator):
    """PAM (each person's Unix password) for a class: members of allowed_groups, by primary or
    supplementary group, and the admin users (teachers) may log in. JupyterHub 3's own
    allowed_groups check looks at supplementary members only and ignores admin_users."""

    def check_allowed(self, username, authentication=None):
        if username in (self.admin_users or set()):
            return True
        if not self.allowed_groups:
            return super().check_allowed(username, authentication)
        try:
            primary = pwd.getpwnam(username).pw_gid
        except KeyError:
            return False
        for name in self.allowed_groups:
            try:
                g = grp.getgrnam(name)
            except KeyError:
                self.log.error("allowed group %s does not exist (deploy/add-students.sh makes it)", name)
                continue
            if username in g.gr_mem or g.gr_gid == primary:
                return True
        return False


def cull_service(timeout=3600, every=60, name="attnviz-cull"):
    """The idle culler as a hub-managed service, and the role it needs (JupyterHub 3 scopes).
    Use: services, roles = cull_service(); c.JupyterHub.services = services;
    c.JupyterHub.load_roles = roles."""
    services = [{
        "name": name,
        "command": [sys.executable, os.path.join(HERE, "attnviz_cull.py"),
                    f"--timeout={int(timeout)}", f"--every={int(every)}"],
    }]
    roles = [{
        "name": name,
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": [name],
    }]
    return services, roles
