"""A class on JupyterHub (classroom/, benchmarks/classroom.py): the nbgitpuller link, a student's edits
surviving a pull, and three students on a real hub that stops every process it started."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "classroom"))
sys.path.insert(0, str(ROOT / "benchmarks"))
from make_link import COURSE_REPO, course_folder, nbgitpuller_link  # noqa: E402


# ------------------------------------------------------------------------------------------- the link
def test_link_has_nbgitpuller_format():
    link = nbgitpuller_link("https://hub.example.org/", notebook="notebooks/02_cross_entropy_and_kl.ipynb")
    assert link == ("https://hub.example.org/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2F"
                    "cross-entropy-course%2Fcross-entropy-course&urlpath=lab%2Ftree%2Fcross-entropy-course%2F"
                    "notebooks%2F02_cross_entropy_and_kl.ipynb&branch=main")
    parts = urlsplit(nbgitpuller_link("https://uni.example.org/jupyter", "file:///srv/course", "notebooks/a.ipynb",
                                      branch="week-2", targetpath="ce", app="notebook"))
    assert parts.path == "/jupyter/hub/user-redirect/git-pull"
    assert parse_qs(parts.query) == {"repo": ["file:///srv/course"], "branch": ["week-2"], "targetpath": ["ce"],
                                     "urlpath": ["notebooks/ce/notebooks/a.ipynb"]}


def test_link_names_the_folder_nbgitpuller_pulls_into():
    """The folder in urlpath is the one nbgitpuller's own handler derives from the repository's URL."""
    handlers = pytest.importorskip("nbgitpuller.handlers")
    source = Path(handlers.__file__).read_text(encoding="utf-8")
    for arg in ("'repo'", "'branch'", "'urlpath'", "'targetpath'"):
        assert f"get_argument({arg}" in source, f"nbgitpuller no longer reads {arg}"
    assert "repo.rstrip('/').split('/')[-1]" in source  # its default target folder, as course_folder has it
    assert course_folder(COURSE_REPO + "/") == "cross-entropy-course"
    assert course_folder("file:///tmp/x/course", "mine") == "mine"


@pytest.mark.parametrize("kwargs, match", [({"hub": "hub.example.org"}, "hub"), ({"branch": ""}, "branch"),
                                           ({"targetpath": "a/b"}, "targetpath"), ({"app": "vscode"}, "app"),
                                           ({"notebook": None}, "notebook")])
def test_link_maker_refuses_bad_arguments(kwargs, match):
    args = {"hub": "https://hub.example.org", **kwargs}
    with pytest.raises(ValueError, match=match):
        nbgitpuller_link(args.pop("hub"), **args)


def test_make_link_target_prints_the_link():
    out = subprocess.run(["make", "-s", "link", "HUB=https://hub.example.org", "NOTEBOOK=notebooks/00_welcome.ipynb",
                          f"PYTHON={sys.executable}"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == nbgitpuller_link("https://hub.example.org", notebook="notebooks/00_welcome.ipynb")


# ------------------------------------------------------------------------------------------- no work lost
def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=Teacher", "-c", "user.email=t@example.org", *args],
                   check=True, capture_output=True)


def test_a_pull_keeps_a_students_edit_and_brings_new_files(tmp_path):
    """nbgitpuller as the link runs it: the student edits a notebook, the teacher changes the course (that
    notebook included, elsewhere in it) and adds a file, the student pulls again: the edit is kept, the
    teacher's change is merged beside it, and the new file arrives."""
    pull = pytest.importorskip("nbgitpuller.pull")
    source, home = tmp_path / "course", tmp_path / "home" / "course"
    (source / "notebooks").mkdir(parents=True)
    nb_text = (ROOT / "notebooks" / "02_cross_entropy_and_kl.ipynb").read_text(encoding="utf-8")
    (source / "notebooks" / "02.ipynb").write_text(nb_text, encoding="utf-8")
    (source / "notebooks" / "01.ipynb").write_text(nb_text, encoding="utf-8")
    subprocess.run(["git", "init", "-q", "-b", "main", str(source)], check=True)
    _git(source, "add", "-A")
    _git(source, "commit", "-q", "-m", "week 1")

    def pull_once():
        home.parent.mkdir(parents=True, exist_ok=True)
        for _line in pull.GitPuller(source.as_uri(), str(home), branch="main", depth=1).pull():
            pass

    pull_once()
    edited = home / "notebooks" / "02.ipynb"
    student_text = edited.read_text(encoding="utf-8").replace('raise NotImplementedError(\\"Exercise 2.1\\")',
                                                              "return 42  # my answer")
    assert student_text != nb_text
    edited.write_text(student_text, encoding="utf-8")

    # the teacher: fixes a typo in the same notebook and in another one, adds week 2
    (source / "notebooks" / "02.ipynb").write_text(nb_text.replace("Cross-entropy", "Cross entropy"),
                                                    encoding="utf-8")
    (source / "notebooks" / "01.ipynb").write_text(nb_text + "\n", encoding="utf-8")
    (source / "notebooks" / "03_new.ipynb").write_text(nb_text, encoding="utf-8")
    _git(source, "add", "-A")
    _git(source, "commit", "-q", "-m", "week 2")
    pull_once()

    after = edited.read_text(encoding="utf-8")
    assert "return 42  # my answer" in after, "the student's edit was lost"
    # nbgitpuller merges: the teacher's fix elsewhere in the same notebook arrives beside the student's edit
    assert "02 · Cross entropy and KL" in after
    nbformat.reads(after, as_version=4)  # and the notebook still opens
    assert (home / "notebooks" / "03_new.ipynb").exists(), "the new notebook did not arrive"
    assert (home / "notebooks" / "01.ipynb").read_text(encoding="utf-8") == nb_text + "\n"


# ------------------------------------------------------------------------------------------- a real hub
def _proxy_or_skip() -> str:
    from classroom import find_proxy  # benchmarks/classroom.py

    proxy = find_proxy()
    if proxy is None:
        pytest.skip("configurable-http-proxy (npm) is not installed: run `make classroom-deps`")
    if not (Path(sys.executable).parent / "jupyterhub-singleuser").exists():
        pytest.skip("jupyterhub is not installed: run `make classroom-deps`")
    return proxy


def _left(tag: str) -> list[int]:
    from classroom import marked_pids

    deadline = time.monotonic() + 15
    while (pids := marked_pids(tag)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return pids


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_three_students_on_a_real_hub():
    """The load test, small: 3 students log in, start servers, pull the course with an nbgitpuller link, run
    notebook 02 and move a slider through the kernel; then the hub and everything it started are gone."""
    _proxy_or_skip()
    from classroom import kill_marked

    tag = f"test-{os.getpid()}-{time.time_ns()}"
    try:
        out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "classroom.py"), "--students", "3",
                              "--moves", "3", "--think", "0", "--tag", tag, "--timeout", "300",
                              "--min-free-mb", "1500"], capture_output=True, text=True, timeout=400)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        assert out.returncode == 0, out.stderr[-4000:]
        assert result["completed"] == 3 and result["errors"] == 0, out.stderr[-4000:]
        assert len([k for k in result if k.endswith("_s")]) >= 4
        assert result["slider_p95_s"] is not None and result["cell_p95_s"] is not None
        assert 50 < result["user_peak_rss_mb"] < result["total_peak_rss_mb"]
        assert result["hub_rss_mb"] > 20
        assert result["leftover_processes"] == 0, "the hub left processes behind for the sweep to kill"
        assert _left(tag) == []
    finally:
        kill_marked(tag)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_an_interrupted_load_test_leaves_no_process_behind():
    """SIGTERM the load test while a student's server is up: the hub, proxy, culler, servers and kernels stop."""
    _proxy_or_skip()
    from classroom import _kind, kill_marked, marked_pids

    tag = f"test-int-{os.getpid()}-{time.time_ns()}"
    proc = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "classroom.py"), "--students", "1",
                             "--tag", tag, "--timeout", "200", "--min-free-mb", "1500"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 200
        while time.monotonic() < deadline and proc.poll() is None:
            if any(_kind(pid) in ("server", "kernel") for pid in marked_pids(tag)):
                break
            time.sleep(0.5)
        assert proc.poll() is None, "the load test ended before a server started"
        proc.send_signal(signal.SIGTERM)
        stdout, _ = proc.communicate(timeout=90)
        result = json.loads(stdout.strip().splitlines()[-1])
        assert proc.returncode == 1 and result["completed"] == 0
        assert _left(tag) == []
    finally:
        if proc.poll() is None:
            proc.kill()
        kill_marked(tag)


# ------------------------------------------------------------------------------------------- the configuration
def _hub_config(monkeypatch, **env):
    from traitlets.config import Config

    for key in ("COURSE_MEM_LIMIT", "COURSE_CPU_LIMIT", "COURSE_HUB_TEST"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    config = Config()
    path = ROOT / "classroom" / "jupyterhub_config.py"
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), {"get_config": lambda: config})  # noqa: S102
    return config


def test_test_mode_listens_on_loopback_only(monkeypatch, tmp_path):
    c = _hub_config(monkeypatch, COURSE_HUB_TEST="1", COURSE_HUB_DIR=str(tmp_path), COURSE_HUB_PORT="8001",
                    COURSE_HUB_API_PORT="8002", COURSE_PROXY_API_PORT="8003")
    assert c.JupyterHub.bind_url == "http://127.0.0.1:8001"
    assert c.JupyterHub.hub_ip == "127.0.0.1" and c.Spawner.ip == "127.0.0.1"
    assert c.ConfigurableHTTPProxy.api_url == "http://127.0.0.1:8003"
    assert c.JupyterHub.authenticator_class == "dummy" and c.JupyterHub.spawner_class == "simple"


def test_production_mode_enforces_limits_and_culls(monkeypatch):
    c = _hub_config(monkeypatch)
    assert c.JupyterHub.spawner_class == "systemdspawner.SystemdSpawner"  # MemoryMax= and CPUQuota= per student
    assert c.JupyterHub.authenticator_class == "pam"
    assert c.SystemdSpawner.mem_limit == c.Spawner.mem_limit
    culler = next(s for s in c.JupyterHub.services if s["name"] == "idle-culler")
    assert "jupyterhub_idle_culler" in culler["command"] and any("--timeout=" in a for a in culler["command"])
    role = next(r for r in c.JupyterHub.load_roles if r["name"] == "idle-culler")
    assert "delete:servers" in role["scopes"]


def test_zero_to_jupyterhub_values_match_the_hub(monkeypatch):
    yaml = pytest.importorskip("yaml")
    values = yaml.safe_load((ROOT / "classroom" / "z2jh-values.yaml").read_text(encoding="utf-8"))
    c = _hub_config(monkeypatch)
    assert values["singleuser"]["memory"]["limit"] == c.Spawner.mem_limit
    assert float(values["singleuser"]["cpu"]["limit"]) == c.Spawner.cpu_limit
    assert values["cull"]["enabled"] and values["cull"]["timeout"] == 3600
    mem = values["singleuser"]["memory"]
    assert float(mem["guarantee"].rstrip("G")) < float(mem["limit"].rstrip("G"))
