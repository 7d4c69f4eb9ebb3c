"""The nbgitpuller link a teacher hands out: one click pulls the course into a student's home folder on the hub
and opens a notebook in JupyterLab.

    python classroom/make_link.py --hub https://hub.example.org --notebook notebooks/02_cross_entropy_and_kl.ipynb
    make link HUB=https://hub.example.org NOTEBOOK=notebooks/02_cross_entropy_and_kl.ipynb BRANCH=main

The link has nbgitpuller's format (its link generator writes the same):
``{hub}/hub/user-redirect/git-pull?repo=...&urlpath=lab/tree/{folder}/{notebook}&branch=...``. The folder is
where nbgitpuller puts the course: ``targetpath`` when given, else the last part of the repository's URL.
A second click later pulls the teacher's updates and keeps every file the student changed.
"""

from __future__ import annotations

import argparse
import sys
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

COURSE_REPO = "https://github.com/cross-entropy-course/cross-entropy-course"


def course_folder(repo: str, targetpath: str | None = None) -> str:
    """The folder nbgitpuller pulls ``repo`` into, as its handler names it (the URL's last part by default)."""
    return targetpath or repo.rstrip("/").split("/")[-1]


def nbgitpuller_link(hub: str, repo: str = COURSE_REPO, notebook: str = "notebooks/00_welcome.ipynb", *,
                     branch: str = "main", targetpath: str | None = None, app: str = "lab") -> str:
    """The nbgitpuller link that pulls ``repo`` at ``branch`` and opens ``notebook`` in ``app`` on ``hub``."""
    for arg, value in (("hub", hub), ("repo", repo), ("notebook", notebook), ("branch", branch)):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{arg} must be a non-empty string (got {value!r})")
    if targetpath is not None and (not isinstance(targetpath, str) or "/" in targetpath.strip("/") or
                                   targetpath in ("", ".", "..")):
        raise ValueError(f"targetpath must be one folder name (got {targetpath!r})")
    if app not in ("lab", "notebook"):
        raise ValueError(f"app must be 'lab' or 'notebook' (got {app!r})")
    parts = urlsplit(hub)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"hub must be the hub's address, like https://hub.example.org (got {hub!r})")
    path = f"{course_folder(repo, targetpath)}/{notebook.lstrip('/')}"
    urlpath = f"lab/tree/{path}" if app == "lab" else f"notebooks/{path}"
    query = {"repo": repo, "urlpath": urlpath, "branch": branch}
    if targetpath is not None:
        query["targetpath"] = targetpath
    base = parts.path.rstrip("/") + "/hub/user-redirect/git-pull"
    return urlunsplit((parts.scheme, parts.netloc, base, urlencode(query, quote_via=quote), ""))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hub", required=True, help="the hub's address, e.g. https://hub.example.org")
    ap.add_argument("--repo", default=COURSE_REPO, help=f"the course's git repository (default {COURSE_REPO})")
    ap.add_argument("--branch", default="main", help="the branch to pull (default main)")
    ap.add_argument("--notebook", default="notebooks/00_welcome.ipynb", help="the notebook to open, from the repo root")
    ap.add_argument("--targetpath", default=None, help="the folder in the student's home (default: the repo's name)")
    ap.add_argument("--app", choices=("lab", "notebook"), default="lab", help="JupyterLab (default) or Notebook 7")
    args = ap.parse_args(argv)
    try:
        print(nbgitpuller_link(args.hub, args.repo, args.notebook, branch=args.branch, targetpath=args.targetpath,
                               app=args.app))
    except ValueError as err:
        ap.error(str(err))
    return 0


if __name__ == "__main__":
    sys.exit(main())
