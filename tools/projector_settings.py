"""JupyterLab settings for a projector: larger text, code and interface, readable from the back row.

    python tools/projector_settings.py DIR     # write the settings into DIR

``COURSE_PROJECTOR=1 make course`` writes them into .venv/projector-settings/ and starts JupyterLab with
``JUPYTERLAB_SETTINGS_DIR`` pointing there, so the room sees large fonts and the teacher's own settings
(in ~/.jupyter/lab/user-settings) are left alone. JupyterLab's theme settings carry CSS-variable overrides;
the explorers' readout tables follow the content font only where course_utils.widgets styles them with it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

#: px at 100% browser zoom; JupyterLab's defaults are 14 px (content, interface) and 13 px (code).
SIZES = {"content-font-size1": "22px", "code-font-size": "20px", "ui-font-size1": "18px"}

SETTINGS = {
    "@jupyterlab/apputils-extension/themes.jupyterlab-settings": {"overrides": SIZES},
    # No first-run news prompt over the notebook in front of a room.
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}


def write(folder: Path) -> list[Path]:
    """Write the projector settings into ``folder`` (a JupyterLab user-settings directory)."""
    written = []
    for name, value in SETTINGS.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__.split("\n\n")[1])
        return 2
    for path in write(Path(args[0])):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
