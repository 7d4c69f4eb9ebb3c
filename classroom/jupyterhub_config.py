"""JupyterHub for a class on one server: the course's hub configuration.

    jupyterhub -f classroom/jupyterhub_config.py

Two modes, chosen by the environment:

- **production** (the default): system accounts log in (PAM), each student's server runs under their own
  account through ``systemdspawner.SystemdSpawner``, which *enforces* the memory and CPU limits below with
  systemd's cgroup settings (MemoryMax=, CPUQuota=). Put TLS in front (or set ``ssl_cert``/``ssl_key``).
  Install ``jupyterhub-systemdspawner==1.0.2`` on the server for this mode (not needed for the tests).
- **test** (``COURSE_HUB_TEST=1``, used by ``benchmarks/classroom.py`` and the tests): any name logs in with
  the shared password (``DummyAuthenticator``), servers are local processes of the hub's own user
  (``SimpleLocalProcessSpawner``), homes live under ``COURSE_HUB_DIR``, and everything listens on 127.0.0.1
  only, on the ports given in ``COURSE_HUB_PORT``, ``COURSE_HUB_API_PORT`` and ``COURSE_PROXY_API_PORT``.
  A local process spawner does NOT enforce ``mem_limit`` or ``cpu_limit``: it only passes them to the server
  as MEM_LIMIT / CPU_LIMIT. The load test measures each student's memory from /proc instead.

The idle culler runs in both modes, as a hub service.
"""

import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 - JupyterHub's config loader defines get_config

TEST = os.environ.get("COURSE_HUB_TEST", "") == "1"
BIN = Path(sys.executable).parent  # the environment the hub runs in also runs the students' servers

# Per-student limits, from benchmarks/classroom.py (classroom/README.md, "How many students a server holds"):
# a student running notebook 02 peaks at 0.76 GB resident (server + kernel); notebooks 07 and 08 reach about
# 1.3 GB, so 1.5 GB holds every notebook. One core at most per student. z2jh-values.yaml sets the same.
c.Spawner.mem_limit = os.environ.get("COURSE_MEM_LIMIT", "1.5G")
c.Spawner.cpu_limit = float(os.environ.get("COURSE_CPU_LIMIT", "1"))
c.Spawner.default_url = "/lab"
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.environment = {
    "COURSE_FAST": os.environ.get("COURSE_FAST", ""),  # the CIFAR-10 notebooks in seconds, on stand-in data
    "OMP_NUM_THREADS": "1",  # many students on few cores: one thread per kernel, no oversubscription
    "MKL_NUM_THREADS": "1",
}
# Students' servers are not graders: nbgrader's instructor extensions stay off there (they cost seconds at start).
c.Spawner.args = [f"--ServerApp.jpserver_extensions=nbgrader.server_extensions.{name}=False"
                  for name in ("formgrader", "course_list")]
# Students install no JupyterLab extensions on a shared hub: the extension manager only lists them.
c.Spawner.args.append("--LabApp.extension_manager=readonly")
c.Spawner.start_timeout = 300  # a whole class starting at once queues for the CPU
c.Spawner.http_timeout = 300
c.JupyterHub.concurrent_spawn_limit = 100
c.JupyterHub.active_server_limit = int(os.environ.get("COURSE_MAX_SERVERS", "0"))  # 0: no limit

# Idle culler: stop a server after an hour without activity (a student's files stay in their home folder).
c.JupyterHub.services = [{
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler",
                f"--timeout={os.environ.get('COURSE_CULL_TIMEOUT', '3600')}", "--cull-every=300"],
}]
c.JupyterHub.load_roles = [{
    "name": "idle-culler",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["idle-culler"],
}]

if TEST:
    run_dir = Path(os.environ["COURSE_HUB_DIR"])
    c.JupyterHub.authenticator_class = "dummy"
    c.DummyAuthenticator.password = os.environ.get("COURSE_HUB_PASSWORD", "classroom")
    c.Authenticator.allow_all = True
    c.JupyterHub.spawner_class = "simple"
    c.SimpleLocalProcessSpawner.home_dir_template = str(run_dir / "home" / "{username}")
    c.JupyterHub.bind_url = f"http://127.0.0.1:{os.environ['COURSE_HUB_PORT']}"
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = int(os.environ["COURSE_HUB_API_PORT"])
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ['COURSE_PROXY_API_PORT']}"
    c.ConfigurableHTTPProxy.command = [os.environ.get("COURSE_CHP", "configurable-http-proxy")]
    c.Spawner.ip = "127.0.0.1"
    c.JupyterHub.db_url = f"sqlite:///{run_dir / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(run_dir / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(run_dir / "jupyterhub.pid")
    c.JupyterHub.cleanup_servers = True  # the hub stops every server when it stops
    c.JupyterHub.cleanup_proxy = True
    # The load test's marker and its course: every process the hub starts carries the marker (the test
    # finds leftovers by it), and kernels import this checkout's course_utils.
    for key in ("COURSE_CLASSROOM_RUN", "PYTHONPATH", "COURSE_FAST"):
        if key in os.environ:
            c.Spawner.environment[key] = os.environ[key]
    c.JupyterHub.services[0]["environment"] = {"COURSE_CLASSROOM_RUN": os.environ.get("COURSE_CLASSROOM_RUN", "")}
    c.JupyterHub.admin_access = False
    if os.geteuid() == 0:  # containers and CI run as root; a single-user server refuses root without this
        c.Spawner.args.append("--ServerApp.allow_root=True")
else:
    c.JupyterHub.bind_url = os.environ.get("COURSE_HUB_URL", "http://0.0.0.0:8000")  # put TLS in front of it
    c.JupyterHub.authenticator_class = "pam"
    c.Authenticator.admin_users = set(filter(None, os.environ.get("COURSE_ADMINS", "").split(",")))
    allowed = Path(os.environ.get("COURSE_ROSTER", "/etc/jupyterhub/roster.txt"))
    if allowed.exists():  # one user name per line: the class list
        c.Authenticator.allowed_users = {n.strip() for n in allowed.read_text().splitlines() if n.strip()}
    c.JupyterHub.spawner_class = "systemdspawner.SystemdSpawner"
    c.SystemdSpawner.mem_limit = c.Spawner.mem_limit  # enforced: systemd MemoryMax= on the student's unit
    c.SystemdSpawner.cpu_limit = c.Spawner.cpu_limit  # enforced: systemd CPUQuota=100% per student
    c.SystemdSpawner.isolate_tmp = True
    c.SystemdSpawner.isolate_devices = True
    c.SystemdSpawner.disable_user_sudo = True
    c.JupyterHub.db_url = "sqlite:////srv/jupyterhub/jupyterhub.sqlite"
    c.JupyterHub.cookie_secret_file = "/srv/jupyterhub/jupyterhub_cookie_secret"
