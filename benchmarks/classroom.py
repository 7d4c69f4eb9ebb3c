"""A class on a real JupyterHub, on this machine: N students at once, through the hub's and the servers' APIs.

    python benchmarks/classroom.py --students 30

It starts JupyterHub (PyPI) with configurable-http-proxy (npm; ``make classroom-deps`` installs both) from
``classroom/jupyterhub_config.py`` in its test mode: a dummy authenticator, servers as local processes, the
idle culler as a hub service, everything on 127.0.0.1 and nowhere else. Each simulated student then:

1. logs in through the hub's login form;
2. starts a server (the hub's REST API) and waits until it is ready;
3. opens an nbgitpuller link (``classroom/make_link.py``) that pulls the course from a local git repository
   (a ``file://`` URL, made from this checkout), and follows the pull to its end;
4. executes notebook 02's code cells in order in a kernel (``COURSE_FAST=1``), through the kernel websocket;
5. moves the distribution explorer's slider through the kernel ``--moves`` times: it sets a control's value
   and reads back the explorer's ``.values`` (the explorer recomputes and renders its PNG on each change);
   the time from sending the change to receiving the new values is one slider latency;
6. stops its server.

Memory is read from /proc every ``--sample`` seconds, for every process the hub started (each carries a
marker in its environment): a student's figure is the sum, over their server and kernel, of each
process's own peak resident memory (VmHWM); the total is the largest sum of resident memory (VmRSS) over all
processes at one moment (hub, proxy, culler and every student), and the hub's is its VmHWM. Resident
memory counts shared library pages in every process that maps them, so the sums err on the high side.

The run is bounded: ``--timeout`` seconds in all, a limit on every request, and a memory guard: a student's
server does not start with less than ``--min-free-mb`` + 800 MB available, and the run stops (as a failure)
when the machine's available memory falls under ``--min-free-mb``.
Whatever happens, the hub, its proxy, its services and every server and kernel are stopped before the
script ends; any process still carrying the run's marker is killed and counted as ``leftover_processes``.
The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
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
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "notebooks/02_cross_entropy_and_kl.ipynb"
MARKER = "COURSE_CLASSROOM_RUN"
sys.path.insert(0, str(ROOT / "classroom"))
from make_link import nbgitpuller_link  # noqa: E402


# ----------------------------------------------------------------------------------------------- processes
def find_proxy() -> str | None:
    """configurable-http-proxy: $COURSE_CHP, the copy `make classroom-deps` installs, or one on PATH."""
    for candidate in (os.environ.get("COURSE_CHP"), ROOT / "classroom" / "node_modules" / ".bin" /
                      "configurable-http-proxy", shutil.which("configurable-http-proxy")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def marked_pids(tag: str) -> list[int]:
    """Every live process whose environment carries ``COURSE_CLASSROOM_RUN=tag``."""
    needle = f"{MARKER}={tag}".encode() + b"\0"
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            env = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in env + b"\0" and (entry / "stat").read_text().split(") ")[-1][0] != "Z":
            found.append(int(entry.name))
    return found


def kill_marked(tag: str, grace: float = 5.0) -> int:
    """SIGTERM, then SIGKILL, every process carrying the marker; returns how many there were."""
    pids = marked_pids(tag)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and marked_pids(tag):
            time.sleep(0.1)
        if not marked_pids(tag):
            break
    return len(pids)


def _status(pid: int) -> dict[str, int]:
    out = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(rest.split()[0])  # KiB
    return out


def _owner(pid: int) -> str:
    """Which student (JUPYTERHUB_USER) or service a process belongs to; "" for the hub and proxy."""
    try:
        env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return ""
    for item in env:
        if item.startswith(b"JUPYTERHUB_SERVICE_NAME="):
            return "service:" + item.split(b"=", 1)[1].decode()
    for item in env:
        if item.startswith(b"JUPYTERHUB_USER="):
            return item.split(b"=", 1)[1].decode()
    return ""


def _kind(pid: int) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "other"
    for needle, kind in (("jupyterhub-singleuser", "server"), ("ipykernel", "kernel"), ("idle_culler", "culler"),
                         ("configurable-http-proxy", "proxy"), ("-m jupyterhub ", "hub"), ("git", "git (nbgitpuller)"),
                         ("yarn", "JupyterLab's yarn/npm check"), ("npm", "JupyterLab's yarn/npm check")):
        if needle in cmd:
            return kind
    return "other"


class MemorySampler(threading.Thread):
    """Reads /proc every ``every`` seconds: per-student peaks, the total's peak, the hub's peak, free memory."""

    def __init__(self, tag: str, hub_pid: int, every: float, min_free_mb: float):
        super().__init__(daemon=True)
        self.tag, self.hub_pid, self.every, self.min_free_mb = tag, hub_pid, every, min_free_mb
        self.owners: dict[int, str] = {}
        self.kinds: dict[int, str] = {}
        self.hwm: dict[tuple[str, int], int] = {}  # (owner, pid) -> VmHWM KiB, last seen
        self.total_peak_kib = 0
        self.hub_hwm_kib = 0
        self.low_memory = ""
        self.min_available_mb = float("inf")
        self.start_available_mb = available_mb()
        self._halt = threading.Event()

    def run(self):
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.every)

    def sample(self):
        total = 0
        for pid in marked_pids(self.tag):
            if pid not in self.owners:
                self.owners[pid] = _owner(pid)
                self.kinds[pid] = _kind(pid)
            st = _status(pid)
            total += st.get("VmRSS", 0)
            self.hwm[(self.owners[pid], pid)] = max(self.hwm.get((self.owners[pid], pid), 0), st.get("VmHWM", 0))
            if pid == self.hub_pid:
                self.hub_hwm_kib = max(self.hub_hwm_kib, st.get("VmHWM", 0))
        self.total_peak_kib = max(self.total_peak_kib, total)
        available = available_mb()
        self.min_available_mb = min(self.min_available_mb, available)
        if available < self.min_free_mb and not self.low_memory:
            self.low_memory = f"the machine's available memory fell to {available:.0f} MB"

    def stop(self):
        self._halt.set()
        self.join(timeout=10)
        self.sample()

    def kinds_mb(self) -> dict[str, float]:
        """The largest single process's peak, by kind: a student's server, a kernel, the proxy, a service."""
        kinds: dict[str, float] = {}
        for (_owner_name, pid), kib in self.hwm.items():
            kind = self.kinds.get(pid, "other")
            kinds[kind] = max(kinds.get(kind, 0.0), kib / 1024)
        return kinds

    def user_peaks_mb(self) -> dict[str, float]:
        peaks: dict[str, float] = {}
        for (owner, _pid), kib in self.hwm.items():
            if owner and not owner.startswith("service:"):
                peaks[owner] = peaks.get(owner, 0.0) + kib / 1024
        return peaks


def available_mb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return float("inf")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_course_repo(dest: Path) -> str:
    """A git repository with this checkout's tracked files (as they are on disk), on branch main."""
    files = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    git = ["git", "-C", str(dest), "-c", "user.name=Teacher", "-c", "user.email=teacher@example.org"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(dest)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "The course, as the class gets it"], check=True)
    return dest.as_uri()


# ----------------------------------------------------------------------------------------------- students
@dataclass
class Results:
    completed: int = 0
    errors: list[str] = field(default_factory=list)
    slider_s: list[float] = field(default_factory=list)
    cell_s: list[float] = field(default_factory=list)
    steps_s: dict[str, list[float]] = field(default_factory=dict)

    def step(self, name: str, seconds: float):
        self.steps_s.setdefault(name, []).append(seconds)


class StudentError(Exception):
    pass


def _kernel_message(session: str, msg_type: str, content: dict) -> dict:
    return {"header": {"msg_id": uuid.uuid4().hex, "username": "student", "session": session,
                       "msg_type": msg_type, "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "content": content, "channel": "shell", "buffers": []}


class Kernel:
    """One kernel, driven over the server's websocket as JupyterLab drives it."""

    def __init__(self, ws, session: str):
        self.ws, self.session = ws, session

    async def _next(self, timeout: float) -> dict | None:
        import aiohttp

        msg = await self.ws.receive(timeout=timeout)
        if msg.type == aiohttp.WSMsgType.TEXT:
            return json.loads(msg.data)
        if msg.type == aiohttp.WSMsgType.BINARY:
            return None  # a message with buffers: the explorer's PNG; nothing to read in it here
        raise StudentError(f"kernel websocket closed ({msg.type.name})")

    async def request(self, msg_type: str, content: dict, timeout: float, want_stream: bool = False):
        """Send a shell request; wait for its reply and for the kernel to be idle again.
        Returns (reply content, seconds to the first stdout text or None, stdout text, total seconds)."""
        msg = _kernel_message(self.session, msg_type, content)
        msg_id = msg["header"]["msg_id"]
        t0 = time.perf_counter()
        await self.ws.send_str(json.dumps(msg))
        reply, idle, first_out, out = None, False, None, []
        deadline = t0 + timeout
        while reply is None or not idle:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise StudentError(f"{msg_type} took longer than {timeout:.0f} s")
            try:
                m = await self._next(left)
            except asyncio.TimeoutError:
                raise StudentError(f"{msg_type} took longer than {timeout:.0f} s") from None
            if m is None or m.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = m["header"]["msg_type"]
            if kind.endswith("_reply"):
                reply = m["content"]
            elif kind == "status" and m["content"].get("execution_state") == "idle":
                idle = True
            elif kind == "stream" and m["content"].get("name") == "stdout":
                out.append(m["content"]["text"])
                if first_out is None and want_stream:
                    first_out = time.perf_counter() - t0
            elif kind == "error":
                out.append(f"{m['content'].get('ename')}: {m['content'].get('evalue')}")
        return reply, first_out, "".join(out), time.perf_counter() - t0

    async def execute(self, code: str, timeout: float, want_stream: bool = False):
        reply, first_out, out, seconds = await self.request(
            "execute_request", {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                                "allow_stdin": False, "stop_on_error": True}, timeout, want_stream)
        if reply.get("status") != "ok":
            raise StudentError(f"cell failed: {reply.get('ename')}: {reply.get('evalue')}")
        return first_out, out, seconds


SLIDER_SETUP = ("import json as _json\nfrom course_utils.widgets import distribution_explorer as _de\n"
                "_ex = _de()\n"
                "def _show(v):\n"
                "    print(_json.dumps({k: (x.tolist() if hasattr(x, 'tolist') else x) for k, x in v.items()}))")


async def student(i: int, ctx: argparse.Namespace, results: Results, start_at: float) -> None:
    """One student's session, start to finish; a failure is recorded with the step it happened in."""
    import aiohttp
    import yarl

    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    name = f"student{i:03d}"
    hub = ctx.hub_url
    step = "log in"
    timeout = aiohttp.ClientTimeout(total=ctx.request_timeout)
    jar = aiohttp.CookieJar(unsafe=True)  # cookies on 127.0.0.1 (an IP address) need unsafe=True
    token = None
    async with aiohttp.ClientSession(cookie_jar=jar, timeout=timeout) as http:
        try:
            # 1. log in through the form, as a browser does (the form carries the hub's _xsrf token)
            t0 = time.perf_counter()
            async with http.get(f"{hub}/hub/login") as r:
                await r.text()
            xsrf = jar.filter_cookies(yarl.URL(f"{hub}/hub/")).get("_xsrf")
            form = {"username": name, "password": ctx.password}
            if xsrf:
                form["_xsrf"] = xsrf.value
            async with http.post(f"{hub}/hub/login", data=form, allow_redirects=False) as r:
                if r.status not in (302, 303):
                    raise StudentError(f"login answered {r.status}")
            xsrf = jar.filter_cookies(yarl.URL(f"{hub}/hub/")).get("_xsrf")
            headers = {"X-XSRFToken": xsrf.value} if xsrf else {}
            async with http.post(f"{hub}/hub/api/users/{name}/tokens", headers=headers,
                                 json={"note": "load test", "expires_in": 3600}) as r:
                if r.status != 201:
                    raise StudentError(f"token request answered {r.status}: {(await r.text())[:200]}")
                token = (await r.json())["token"]
            auth = {"Authorization": f"token {token}"}
            results.step("log in", time.perf_counter() - t0)

            # 2. start a server; wait until the hub says it is ready
            step = "start server"
            if available_mb() < ctx.min_free_mb + 800:  # room for one more student
                raise StudentError(f"memory guard: only {available_mb():.0f} MB available")
            t0 = time.perf_counter()
            async with http.post(f"{hub}/hub/api/users/{name}/server", headers=auth) as r:
                if r.status not in (201, 202):
                    raise StudentError(f"spawn answered {r.status}: {(await r.text())[:200]}")
            while True:
                async with http.get(f"{hub}/hub/api/users/{name}", headers=auth) as r:
                    server = (await r.json()).get("servers", {}).get("")
                if server and server.get("ready"):
                    break
                if (server is None or not server.get("pending")) and time.perf_counter() - t0 > 5:
                    raise StudentError("the server stopped while starting")
                if time.perf_counter() - t0 > ctx.spawn_timeout:
                    raise StudentError(f"not ready after {ctx.spawn_timeout:.0f} s")
                await asyncio.sleep(0.5)
            results.step("start server", time.perf_counter() - t0)
            base = f"{hub}/user/{name}"

            # 3. open the nbgitpuller link, then follow the pull as the link's page does (its event stream)
            step = "nbgitpuller"
            t0 = time.perf_counter()
            link = nbgitpuller_link(hub, ctx.repo_url, NOTEBOOK, branch="main", targetpath="course")
            async with http.get(link, headers=auth) as r:
                if r.status != 200 or "/git-pull" not in str(r.url):
                    raise StudentError(f"the nbgitpuller link answered {r.status} at {r.url}")
                await r.text()
            query = urlencode({"repo": ctx.repo_url, "branch": "main", "targetpath": "course"})
            phase = None
            async with http.get(f"{base}/git-pull/api?{query}", headers=auth) as r:
                async for raw in r.content:
                    line = raw.decode().strip()
                    if line.startswith("data:"):
                        event = json.loads(line[5:])
                        phase = event.get("phase")
                        if phase in ("finished", "error"):
                            break
            if phase != "finished":
                raise StudentError(f"the pull ended in phase {phase!r}")
            results.step("nbgitpuller", time.perf_counter() - t0)

            # 4. notebook 02, cell by cell, in a kernel started as JupyterLab starts one (a session)
            step = "notebook"
            path = f"course/{NOTEBOOK}"
            async with http.get(f"{base}/api/contents/{path}", headers=auth) as r:
                if r.status != 200:
                    raise StudentError(f"the pulled notebook is not there ({r.status})")
                cells = [c for c in (await r.json())["content"]["cells"] if c["cell_type"] == "code"]
            t0 = time.perf_counter()
            async with http.post(f"{base}/api/sessions", headers=auth, json={
                    "path": path, "name": Path(path).name, "type": "notebook", "kernel": {"name": "python3"}}) as r:
                if r.status != 201:
                    raise StudentError(f"session answered {r.status}")
                sess = await r.json()
            ws_url = (f"{base}/api/kernels/{sess['kernel']['id']}/channels?session_id={uuid.uuid4().hex}"
                      ).replace("http://", "ws://")
            async with http.ws_connect(ws_url, headers=auth, max_msg_size=0, heartbeat=30) as ws:
                kernel = Kernel(ws, uuid.uuid4().hex)
                while True:  # the kernel answers once it has started: ask again every 2 s
                    try:
                        await kernel.request("kernel_info_request", {}, timeout=2.0)
                        break
                    except (StudentError, asyncio.TimeoutError):
                        if time.perf_counter() - t0 > ctx.request_timeout:
                            raise StudentError(f"the kernel did not answer within {ctx.request_timeout:.0f} s") \
                                from None
                results.step("kernel start", time.perf_counter() - t0)
                for cell in cells:
                    source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                    _, _, seconds = await kernel.execute(source, ctx.cell_timeout)
                    results.cell_s.append(seconds)

                # 5. the slider, through the kernel: set q0, read the new values back
                step = "slider"
                await kernel.execute(SLIDER_SETUP, ctx.cell_timeout)
                for move in range(ctx.moves):
                    q0 = 0.25 + 0.5 * ((move * 7 + i) % 11) / 10  # a different weight at every move
                    first_out, out, _ = await kernel.execute(
                        f"_ex.controls['q0'].value = {q0}\n_show(_ex.values)", ctx.cell_timeout, want_stream=True)
                    values = json.loads(out.strip().splitlines()[-1])
                    q = values["q"]
                    expected = q0 / (q0 + 0.75)  # the other three weights stay at 0.25
                    if abs(q[0] - expected) > 1e-6:
                        raise StudentError(f"the explorer shows q0 = {q[0]}, expected {expected}")
                    results.slider_s.append(first_out)
                    if ctx.think:
                        await asyncio.sleep(ctx.think)
            async with http.delete(f"{base}/api/sessions/{sess['id']}", headers=auth) as r:
                pass

            # 6. stop the server
            step = "stop"
            t0 = time.perf_counter()
            async with http.delete(f"{hub}/hub/api/users/{name}/server", headers=auth) as r:
                if r.status not in (202, 204):
                    raise StudentError(f"stop answered {r.status}")
            while True:
                async with http.get(f"{hub}/hub/api/users/{name}", headers=auth) as r:
                    if not (await r.json()).get("servers"):
                        break
                if time.perf_counter() - t0 > ctx.request_timeout:
                    raise StudentError("the server did not stop")
                await asyncio.sleep(0.5)
            results.step("stop", time.perf_counter() - t0)
            results.completed += 1
        except asyncio.CancelledError:
            results.errors.append(f"{name}: {step}: stopped at the run's time limit")
            raise
        except Exception as err:  # noqa: BLE001 - a student's failure is a result, not a crash
            results.errors.append(f"{name}: {step}: {type(err).__name__}: {err or 'no answer in time'}"[:300])
            if token:  # a failed student still asks the hub to stop their server, as a student would
                with contextlib.suppress(Exception):
                    async with http.delete(f"{hub}/hub/api/users/{name}/server",
                                           headers={"Authorization": f"token {token}"},
                                           timeout=aiohttp.ClientTimeout(total=20)):
                        pass


async def run_class(ctx: argparse.Namespace, results: Results, sampler: MemorySampler) -> None:
    t0 = time.monotonic()
    tasks = [asyncio.ensure_future(student(i, ctx, results, t0 + ctx.ramp * i / max(1, ctx.students)))
             for i in range(ctx.students)]

    async def watch():
        while not sampler.low_memory:
            await asyncio.sleep(0.5)
        results.errors.append(f"memory guard: {sampler.low_memory}; the run was stopped")
        for t in tasks:
            t.cancel()

    watcher = asyncio.ensure_future(watch())
    done, pending = await asyncio.wait(tasks, timeout=ctx.timeout)
    watcher.cancel()
    for t in pending:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def wait_for_hub(url: str, proc: subprocess.Popen, timeout: float) -> None:
    import aiohttp

    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the hub exited with code {proc.returncode}")
            with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                async with http.get(f"{url}/hub/api") as r:
                    if r.status == 200:
                        return
            await asyncio.sleep(0.3)
    raise RuntimeError(f"the hub did not answer within {timeout:.0f} s")


def _percentile(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    if len(xs) == 1:
        return round(xs[0], 4)
    return round(statistics.quantiles(xs, n=100, method="inclusive")[q - 1], 4)


def stop_hub(proc: subprocess.Popen, grace: float = 60.0) -> None:
    """SIGTERM the hub: it stops every server, its services and its proxy (cleanup_servers, cleanup_proxy)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--students", type=int, default=3, help="students at once (default 3)")
    ap.add_argument("--moves", type=int, default=20, help="slider moves per student (default 20)")
    ap.add_argument("--think", type=float, default=0.5,
                    help="seconds between a student's slider moves (default 0.5: a drag, then a release)")
    ap.add_argument("--ramp", type=float, default=0.0,
                    help="spread the students' arrivals over this many seconds (default 0: all at once)")
    ap.add_argument("--timeout", type=float, default=900, help="the whole class's limit, seconds (default 900)")
    ap.add_argument("--request-timeout", type=float, default=120, help="limit per request, seconds")
    ap.add_argument("--spawn-timeout", type=float, default=300, help="limit for a server to start, seconds")
    ap.add_argument("--cell-timeout", type=float, default=300, help="limit per notebook cell, seconds")
    ap.add_argument("--min-free-mb", type=float, default=3000,
                    help="stop the run when the machine's available memory falls below this, and fail a student "
                         "whose server would start with less than 800 MB above it (default 3000: the machine is "
                         "shared)")
    ap.add_argument("--sample", type=float, default=0.5, help="seconds between /proc memory samples")
    ap.add_argument("--tag", default=None, help="the marker every started process carries (default: random)")
    ap.add_argument("--keep", action="store_true", help="keep the run's folder (hub log, homes) and print its path")
    ctx = ap.parse_args(argv)
    if not 1 <= ctx.students <= 500:
        ap.error("--students must be between 1 and 500")
    if ctx.moves < 0:
        ap.error("--moves must be >= 0")
    try:
        import aiohttp  # noqa: F401 - installed with jupyterhub
    except ImportError:
        print("aiohttp is missing: `make classroom-deps` installs jupyterhub, which brings it", file=sys.stderr)
        return 2
    proxy = find_proxy()
    if proxy is None:
        print("configurable-http-proxy is missing: `make classroom-deps` installs it with npm", file=sys.stderr)
        return 2
    if shutil.which("jupyterhub-singleuser", path=str(Path(sys.executable).parent)) is None:
        print(f"jupyterhub-singleuser is not in {Path(sys.executable).parent}: run `make classroom-deps`",
              file=sys.stderr)
        return 2

    tag = ctx.tag or secrets.token_hex(8)
    run_dir = Path(tempfile.mkdtemp(prefix="classroom-"))
    (run_dir / "home").mkdir()
    (run_dir / "course").mkdir()
    ctx.repo_url = make_course_repo(run_dir / "course")
    ctx.password = secrets.token_urlsafe(12)
    port = free_port()
    ctx.hub_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, MARKER: tag, "COURSE_HUB_TEST": "1", "COURSE_HUB_DIR": str(run_dir),
           "COURSE_HUB_PORT": str(port), "COURSE_HUB_API_PORT": str(free_port()),
           "COURSE_PROXY_API_PORT": str(free_port()), "COURSE_HUB_PASSWORD": ctx.password, "COURSE_CHP": proxy,
           "COURSE_FAST": "1", "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "CONFIGPROXY_AUTH_TOKEN": secrets.token_hex(16)}
    results = Results()
    hub_log = (run_dir / "hub.log").open("wb")
    config = ROOT / "classroom" / "jupyterhub_config.py"
    proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(config)],
                            cwd=run_dir, env=env, stdout=hub_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGHUP)}
    sampler = MemorySampler(tag, proc.pid, ctx.sample, ctx.min_free_mb)
    started = time.monotonic()
    leftovers = 0
    load = os.getloadavg()
    try:
        asyncio.run(wait_for_hub(ctx.hub_url, proc, 60))
        sampler.start()
        asyncio.run(run_class(ctx, results, sampler))
    except KeyboardInterrupt as err:
        results.errors.append(f"interrupted: {err}")
    except Exception as err:  # noqa: BLE001 - the hub failed to start: report it in the JSON line
        results.errors.append(f"hub: {type(err).__name__}: {err}")
    finally:
        try:
            if sampler.is_alive():
                sampler.stop()
        finally:
            stop_hub(proc)
        deadline = time.monotonic() + 10  # the hub has stopped; its proxy and servers go within seconds
        while marked_pids(tag) and time.monotonic() < deadline:
            time.sleep(0.2)
        leftovers = kill_marked(tag)
        hub_log.close()
        for s, handler in old.items():
            signal.signal(s, handler)
        if results.errors:
            print("hub log (last lines):", file=sys.stderr)
            print("\n".join((run_dir / "hub.log").read_text(errors="replace").splitlines()[-15:]), file=sys.stderr)
        if ctx.keep:
            print(f"run folder kept: {run_dir}", file=sys.stderr)
        else:
            shutil.rmtree(run_dir, ignore_errors=True)

    for err in results.errors[:20]:
        print("error:", err, file=sys.stderr)
    for name, xs in results.steps_s.items():
        print(f"{name:>13}: median {statistics.median(xs):6.2f} s, max {max(xs):6.2f} s over {len(xs)} students",
              file=sys.stderr)
    peaks = sampler.user_peaks_mb()
    print("largest process peak by kind (MB):", json.dumps({k: round(v) for k, v in sampler.kinds_mb().items()}),
          file=sys.stderr)
    line = {
        "students": ctx.students,
        "completed": results.completed,
        "errors": len(results.errors),
        "slider_p50_s": _percentile(results.slider_s, 50),
        "slider_p95_s": _percentile(results.slider_s, 95),
        "cell_p50_s": _percentile(results.cell_s, 50),
        "cell_p95_s": _percentile(results.cell_s, 95),
        "user_peak_rss_mb": round(max(peaks.values()), 1) if peaks else None,
        "total_peak_rss_mb": round(sampler.total_peak_kib / 1024, 1),
        "hub_rss_mb": round(sampler.hub_hwm_kib / 1024, 1),
        "moves": ctx.moves, "think_s": ctx.think, "ramp_s": ctx.ramp,
        "wall_s": round(time.monotonic() - started, 1),
        "min_available_mb": round(sampler.min_available_mb),
        "available_drop_mb": round(sampler.start_available_mb - sampler.min_available_mb),
        "load_before": [round(x, 2) for x in load],
        "leftover_processes": leftovers,
    }
    print(json.dumps(line), flush=True)
    return 0 if results.completed == ctx.students and not results.errors and not leftovers else 1


if __name__ == "__main__":
    sys.exit(main())
