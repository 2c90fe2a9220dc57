# An attnviz class on one machine: Debian's JupyterHub and configurable-http-proxy.
#
# deploy/install.sh installs the lab into /opt/attnviz, this folder into /etc/attnviz-hub, and
# a systemd unit (deploy/jupyterhub.service). docs/teachers.md walks through it.
#
# Who logs in: students and teachers with a Unix account on this machine (PAM: their own
# password), students in the group attnviz-class (deploy/add-students.sh makes the accounts and
# prints a slip per student), teachers listed in ATTNVIZ_TEACHERS as hub admins. Each student's
# server runs as that student (own files, own processes), starts with the lessons copied into
# ~/lessons, is held to a memory limit by the kernel (a cgroup per student) and is stopped
# after an idle hour. Settings a teacher may change come first, from the environment
# (/etc/default/attnviz-hub) or edited here.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from attnviz_hub import AttnvizSpawner, ClassPAMAuthenticator, cull_service  # noqa: E402

c = get_config()  # noqa: F821 (JupyterHub provides it)

env = os.environ.get
PREFIX = env("ATTNVIZ_PREFIX", "/opt/attnviz")          # scripts/lab-install.sh PREFIX
CLASS_GROUP = env("ATTNVIZ_CLASS_GROUP", "attnviz-class")
TEACHERS = {t for t in env("ATTNVIZ_TEACHERS", "").replace(",", " ").split() if t}
MEM_LIMIT = env("ATTNVIZ_MEM_LIMIT", "512M")               # per student: server + kernels
CULL_IDLE = int(env("ATTNVIZ_CULL_IDLE", "3600"))           # seconds
PORT = int(env("ATTNVIZ_HUB_PORT", "8000"))
STATE = env("ATTNVIZ_HUB_STATE", "/var/lib/attnviz-hub")   # database, cookie secret

# --- the hub and its proxy -----------------------------------------------------------------
c.JupyterHub.bind_url = f"http://:{PORT}"
# For HTTPS give the hub a certificate (or put it behind a TLS proxy you already run):
# c.JupyterHub.ssl_cert = "/etc/letsencrypt/live/HOST/fullchain.pem"
# c.JupyterHub.ssl_key = "/etc/letsencrypt/live/HOST/privkey.pem"
c.JupyterHub.db_url = f"sqlite:///{STATE}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = f"{STATE}/jupyterhub_cookie_secret"
c.ConfigurableHTTPProxy.pid_file = f"{STATE}/jupyterhub-proxy.pid"
# Debian's configurable-http-proxy keeps its node modules in /usr/share/nodejs, which Debian's
# nodejs searches and other builds of node (nodesource) do not.
if os.path.isdir("/usr/share/nodejs") and "/usr/share/nodejs" not in env("NODE_PATH", ""):
    os.environ["NODE_PATH"] = ":".join(p for p in ("/usr/share/nodejs", env("NODE_PATH")) if p)
# Students arrive at once: let every one of them spawn without queueing.
c.JupyterHub.concurrent_spawn_limit = int(env("ATTNVIZ_SPAWN_LIMIT", "200"))

# --- who may log in --------------------------------------------------------------------------
c.JupyterHub.authenticator_class = ClassPAMAuthenticator
c.PAMAuthenticator.allowed_groups = {CLASS_GROUP}
c.Authenticator.admin_users = TEACHERS           # may log in without being in the class group
# PAM sessions (pam_systemd, pam_limits ...) are not needed to run a notebook server and can
# hang or fail on some systems; JupyterHub's docs recommend leaving them off.
c.PAMAuthenticator.open_sessions = False

# --- each student's server ---------------------------------------------------------------------
c.JupyterHub.spawner_class = AttnvizSpawner
c.AttnvizSpawner.prefix = PREFIX
# jupyterhub-singleuser, started in a third of the CPU time and 40 MB smaller
# (scripts/attnviz-singleuser.py says how).
c.Spawner.cmd = ["attnviz-singleuser"]
c.Spawner.mem_limit = MEM_LIMIT
c.Spawner.default_url = "/tree/lessons"
# A whole class logging in at once queues on the CPUs: each server needs about 2.5 CPU-seconds
# to start (make bench-hub), so on a small machine the last one may take a minute or more.
# Wait for it rather than failing the student's login.
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 300
# The server stops idle kernels after 20 minutes (their memory comes back; the notebook stays
# open and "Kernel > Restart" brings one back); the hub's culler stops idle servers.
# A kernel's ports are picked at random among the ephemeral ones, which forty servers and their
# connections also use: now and then one is taken before the kernel binds it, and the kernel
# restarts "with new random ports" — but jupyter_client 7.4 caches ports and restarts it on the
# same ones, five times, then removes it (the student's notebook loses its kernel).
# cache_ports=False lets the restart really pick new ports.
c.Spawner.args = [
    "--MappingKernelManager.cull_idle_timeout=1200",
    "--MappingKernelManager.cull_interval=120",
    "--KernelManager.cache_ports=False",
]

# --- stop servers nobody uses --------------------------------------------------------------------
services, roles = cull_service(timeout=CULL_IDLE, every=max(10, min(300, CULL_IDLE // 10)))
c.JupyterHub.services = services
c.JupyterHub.load_roles = roles
