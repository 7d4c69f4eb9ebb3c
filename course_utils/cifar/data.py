"""CIFAR-10: download, verify, cache and load the official binary version; a tiny fixture maker for tests.

The images stay uint8 (50000×3×32×32 is about 150 MB); each batch is converted to float only when it is
used. Augmentation and normalisation run on whole batches in torch, without torchvision.

Where the data lives: the ``root`` argument, else ``course_utils.settings.data_root()`` (``$CIFAR10_ROOT``,
else ``~/.cache/cross-entropy-course/cifar10``). Under the root sits
``cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin``: records of 1 label byte followed by 3072 pixel
bytes (1024 red, 1024 green, 1024 blue). Downloaded data is never unpickled.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import NamedTuple

import numpy as np
import torch

from .. import settings
from .._validate import (
    MissingFileError,
    as_class_indices,
    check_existing_file,
    check_flag,
    check_int,
    check_optional_int,
    check_path,
    check_scalar,
    check_seed,
)

__all__ = [
    "CLASSES", "CIFAR10", "DownloadError", "MEAN", "STD", "SHA1", "FOLDER", "load_cifar10", "load_course_data",
    "ways_forward", "download_archive", "extract_archive", "file_digest", "make_fixture", "fixture_checksums",
    "subset", "validation_split", "flip_labels", "augment_batch", "alternating_flips", "normalize_batch",
]

#: The 10 class names, in label order.
CLASSES: tuple[str, ...] = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)

FOLDER = "cifar-10-batches-bin"
TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_FILE = "test_batch"
#: SHA1 of each official ``.bin`` file.
SHA1: dict[str, str] = {
    "data_batch_1": "aadd24acce27caa71bf4b10992e9e7b2d74c2540",
    "data_batch_2": "c0ba65cce70568cd57b4e03e9ac8d2a5367c1795",
    "data_batch_3": "1dd00a74ab1d17a6e7d73e185b69dbf31242f295",
    "data_batch_4": "aab85764eb3584312d3c7f65fd2fd016e36a258e",
    "data_batch_5": "26e2849e66a845b7f1e4614ae70f4889ae604628",
    "test_batch": "67eb016db431130d61cd03c7ad570b013799c88c",
}
HOME_PAGE = "https://www.cs.toronto.edu/~kriz/cifar.html"
URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
ARCHIVE_NAME = "cifar-10-binary.tar.gz"
ARCHIVE_MD5 = "c32a1d4ab5d03f1284b67883e8d87530"
ARCHIVE_SIZE = 170_052_171
#: The only archive members ever written to disk.
ARCHIVE_MEMBERS = frozenset(
    [f"{FOLDER}/{name}.bin" for name in SHA1] + [f"{FOLDER}/batches.meta.txt", f"{FOLDER}/readme.html"]
)

RECORD = 1 + 3 * 32 * 32
#: Per-channel mean and standard deviation of the CIFAR-10 training images (pixel values in [0, 1]).
MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2470, 0.2435, 0.2616)

_urlopen = urllib.request.urlopen  # tests replace this to simulate the network
_sleep = time.sleep


class CIFAR10(NamedTuple):
    """CIFAR-10 as tensors: images uint8 N×3×32×32, labels int64, and the class names."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    classes: tuple[str, ...]


class DownloadError(RuntimeError):
    """The archive could not be fetched (offline, or every attempt failed its checksum)."""


# ---------------------------------------------------------------------------------------------- paths
def _as_root(root, name: str = "root") -> Path:
    """``root`` as a Path; None means ``settings.data_root()``."""
    return settings.data_root() if root is None else check_path(root, name)


def ways_forward(root: str | os.PathLike | None = None) -> str:
    """What a learner without the data can do, in order, each as a line to paste: the fast stand-in, a
    folder with the files, the variable that points at one."""
    root = _as_root(root)
    names = ", ".join(f"{n}.bin" for n in SHA1)
    return (
        "Three ways forward, each a line to paste:\n"
        "  1. Train on the small stand-in data set (seconds; the numbers are then about synthetic images, not "
        "photos):\n     paste this in a notebook cell, run it, then run the notebook again from the top\n"
        "         %env COURSE_FAST=1\n"
        f"  2. Put the official files ({names}) in {root / FOLDER}: download {ARCHIVE_NAME} from {HOME_PAGE} "
        "on a machine with internet access, copy it here and, in a terminal in its folder, run\n"
        f"         tar -xzf {ARCHIVE_NAME} -C {root}\n"
        f"  3. Point the course at a folder that already holds {FOLDER}/ (your path instead of this one):\n"
        "         %env CIFAR10_ROOT=/path/to/folder\n"
        "     then call load_course_data() again. A variable set in a terminal (export CIFAR10_ROOT=...) reaches "
        "the notebook only after JupyterLab is restarted from that terminal; %env in the notebook needs no restart."
    )


# ------------------------------------------------------------------------------------------- checksums
def file_digest(path: str | os.PathLike, algorithm: str = "sha1") -> str:
    """Hex digest of a file (``"sha1"`` or ``"md5"``), read in 1 MiB chunks."""
    path = check_existing_file(path, "path")
    if not isinstance(algorithm, str) or algorithm not in ("sha1", "md5"):
        raise ValueError(f"algorithm must be 'sha1' or 'md5' (got {algorithm!r})")
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _problem(path: Path, expected_sha1: str | None) -> str | None:
    """Why ``path`` must not be trained on, or None if it is fine."""
    if not path.is_file():
        return "is missing"
    size = path.stat().st_size
    if size == 0 or size % RECORD:
        return f"is truncated or corrupted ({size} bytes is not a whole number of {RECORD}-byte records)"
    if expected_sha1 is not None:
        got = file_digest(path, "sha1")
        if got != expected_sha1:
            return f"fails its SHA1 check (expected {expected_sha1}, got {got})"
    return None


# -------------------------------------------------------------------------------------------- download
def download_archive(dest, *, url: str | None = None, md5: str | None = None, retries: int = 3,
                     progress: bool = True, timeout: float = 60.0) -> Path:
    """Fetch the official archive to ``dest`` (a file path) with a progress bar, through a temporary file,
    retrying failed attempts, and verify its MD5. Raises ``DownloadError`` if every attempt fails."""
    url = URL if url is None else url
    md5 = ARCHIVE_MD5 if md5 is None else md5
    retries = check_int(retries, "retries")
    progress = check_flag(progress, "progress")
    dest = check_path(dest, "dest")
    dest.parent.mkdir(parents=True, exist_ok=True)
    last = "no attempt made"
    for attempt in range(1, retries + 1):
        fd, tmp_name = tempfile.mkstemp(prefix=".download-", suffix=".part", dir=dest.parent)
        tmp = Path(tmp_name)
        try:
            h = hashlib.md5()
            with os.fdopen(fd, "wb") as out, _urlopen(url, timeout=timeout) as response:
                total = response.headers.get("Content-Length") if getattr(response, "headers", None) else None
                bar = _bar(total=int(total) if total else ARCHIVE_SIZE, desc=f"{ARCHIVE_NAME}",
                           unit="B", unit_scale=True, unit_divisor=1024, disable=not progress)
                with bar:
                    for chunk in iter(lambda: response.read(1 << 20), b""):
                        out.write(chunk)
                        h.update(chunk)
                        bar.update(len(chunk))
            got = h.hexdigest()
            if got != md5:
                last = f"MD5 mismatch (expected {md5}, got {got})"
            else:
                os.replace(tmp, dest)
                return dest
        except (urllib.error.URLError, OSError, ConnectionError, TimeoutError) as err:
            last = f"{type(err).__name__}: {getattr(err, 'reason', err)}"
        finally:
            if tmp.exists():
                tmp.unlink()
        if attempt < retries:
            _sleep(min(2.0 ** (attempt - 1), 10.0))
    raise DownloadError(f"could not download {url} after {retries} attempt(s): {last}")


def _bar(**kwargs):
    from tqdm.auto import tqdm

    return tqdm(**kwargs)


def _safe_member_name(name: str) -> PurePosixPath:
    """The member's path, or ValueError if it is absolute or climbs out of the target folder."""
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise ValueError(f"refusing to extract archive member {name!r}: absolute paths are not allowed")
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if ".." in parts:
        raise ValueError(f"refusing to extract archive member {name!r}: it points outside the target folder")
    return PurePosixPath(*[p for p in parts if p not in ("", ".")])


def extract_archive(archive, root) -> list[Path]:
    """Extract only the expected regular files of the official archive into ``root``.

    Every member name is checked first: an absolute path or a ``..`` component makes the whole archive
    refused (``ValueError``) before anything is written. Links, devices and unexpected names are skipped.
    Returns the paths written."""
    archive = check_path(archive, "archive")
    root = check_path(root, "root")
    written = []
    with tarfile.open(archive, "r:*") as tar:
        members = tar.getmembers()
        for m in members:
            _safe_member_name(m.name)
        for m in members:
            name = str(_safe_member_name(m.name))
            if name not in ARCHIVE_MEMBERS or not m.isfile():
                continue
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            src = tar.extractfile(m)
            fd, tmp = tempfile.mkstemp(prefix=".extract-", dir=target.parent)
            with os.fdopen(fd, "wb") as out, src:
                shutil.copyfileobj(src, out, 1 << 20)
            os.replace(tmp, target)
            written.append(target)
    return written


def _fetch(root: Path, progress: bool) -> None:
    archive = root / ARCHIVE_NAME
    try:
        download_archive(archive, progress=progress)
    except DownloadError as err:
        raise DownloadError(f"CIFAR-10 is not in {root / FOLDER} and {err}.\n{ways_forward(root)}") from None
    try:
        extract_archive(archive, root)
    finally:
        archive.unlink(missing_ok=True)


# ------------------------------------------------------------------------------------------------ load
def _read_bin(path: Path) -> tuple[np.ndarray, np.ndarray]:
    raw = np.fromfile(path, dtype=np.uint8).reshape(-1, RECORD)
    labels = raw[:, 0].astype(np.int64)
    if labels.size and labels.max() >= len(CLASSES):
        raise ValueError(f"{path} is corrupted: it has a label byte {int(labels.max())} (valid: 0..9)")
    return raw[:, 1:].reshape(-1, 3, 32, 32), labels


def load_cifar10(root: str | os.PathLike | None = None, *, download: bool = True, verify: bool = True,
                 progress: bool = True, checksums: Mapping[str, str] | None = None) -> CIFAR10:
    """Load CIFAR-10 (official binary version) as uint8 image tensors and int64 labels.

    ``root``: the folder holding ``cifar-10-batches-bin/`` (default: ``$CIFAR10_ROOT``, else a per-user
    cache). ``download``: fetch the official archive if files are missing or fail their check.
    ``verify``: check each file's SHA1 (``checksums``, default the official ones) before use; a file that
    fails is never loaded. Sizes and label bytes are always checked."""
    root = _as_root(root)
    for flag, name in ((download, "download"), (verify, "verify"), (progress, "progress")):
        check_flag(flag, name)
    if checksums is None:
        checksums = SHA1
    elif not isinstance(checksums, Mapping) or set(checksums) != set(SHA1):
        raise ValueError(f"checksums must map each of {sorted(SHA1)} to a SHA1 hex digest")
    folder = root / FOLDER

    def problems() -> dict[str, str]:
        found = {}
        for name in SHA1:
            why = _problem(folder / f"{name}.bin", checksums[name] if verify else None)
            if why:
                found[name] = why
        return found

    bad = problems()
    if bad and download:
        _fetch(root, progress)
        bad = problems()
    if bad:
        lines = "\n".join(f"  {folder / name}.bin {why}" for name, why in bad.items())
        if all(why == "is missing" for why in bad.values()):
            raise MissingFileError(f"CIFAR-10 files are missing under root:\n{lines}\n{ways_forward(root)}")
        raise ValueError(
            f"CIFAR-10 files failed their check and will not be used"
            f"{' (verify=True checks the official SHA1s)' if verify else ''}:\n{lines}\n"
            + ("Delete them and call load_cifar10(download=True) to fetch fresh copies, or replace them. "
               if not download else "A fresh download did not fix it. ")
            + ways_forward(root)
        )

    # Fill one preallocated array file by file, so that loading never holds two copies of the images.
    counts = [(folder / f"{name}.bin").stat().st_size // RECORD for name in TRAIN_FILES]
    x_train = np.empty((sum(counts), 3, 32, 32), dtype=np.uint8)
    y_train = np.empty(sum(counts), dtype=np.int64)
    start = 0
    with _bar(total=len(SHA1), desc="load CIFAR-10", unit="file", disable=not progress) as bar:
        for name, count in zip(TRAIN_FILES, counts, strict=True):
            x_train[start:start + count], y_train[start:start + count] = _read_bin(folder / f"{name}.bin")
            start += count
            bar.update(1)
        x_test, y_test = _read_bin(folder / f"{TEST_FILE}.bin")
        bar.update(1)
    return CIFAR10(torch.from_numpy(x_train), torch.from_numpy(y_train),
                   torch.from_numpy(x_test), torch.from_numpy(y_test), CLASSES)


# --------------------------------------------------------------------------------------------- fixture
def _fixture_images(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Stand-in images that a CNN can learn: per class, a colour and a stripe direction, plus noise."""
    n = labels.size
    hue = np.array([[200, 60, 60], [60, 200, 60], [60, 60, 200], [200, 200, 60], [200, 60, 200],
                    [60, 200, 200], [220, 140, 40], [120, 120, 120], [40, 100, 220], [160, 80, 40]],
                   dtype=np.float64)
    yy, xx = np.mgrid[0:32, 0:32]
    stripes = np.stack([np.sin((xx * np.cos(a) + yy * np.sin(a)) * 0.8)
                        for a in np.linspace(0, np.pi, 10, endpoint=False)])
    img = hue[labels][:, :, None, None] * (0.75 + 0.25 * stripes[labels][:, None])
    img = img + rng.normal(0, 25, size=(n, 3, 32, 32))
    return np.clip(img, 0, 255).astype(np.uint8)


def make_fixture(root: str | os.PathLike, *, n_train: int = 500, n_test: int = 200, seed: int = 0) -> Path:
    """Write a tiny CIFAR-10 in the official binary format under ``root`` and return ``root``.

    ``root`` is required (a fixture never goes to the default data folder), and real CIFAR-10 files found
    there are never overwritten. ``n_train`` images are split evenly over data_batch_1..5 (so it must be a
    multiple of 5); the labels cycle through the classes in a shuffled order. The files do not match the
    official SHA1s: load them with ``verify=False`` (or ``checksums=`` their own digests)."""
    if root is None:
        raise TypeError("root must be a path (str or os.PathLike): make_fixture writes only where it is told, "
                        "never into the default CIFAR-10 folder")
    root = check_path(root, "root")
    n_train = check_int(n_train, "n_train", low=5, high=50_000)
    if n_train % 5:
        raise ValueError(f"n_train must be a multiple of 5 (got {n_train})")
    n_test = check_int(n_test, "n_test", high=10_000)
    seed = check_seed(seed)
    folder = root / FOLDER
    _refuse_real_files(folder)
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    per_batch = n_train // 5
    for name, count in [(n, per_batch) for n in TRAIN_FILES] + [(TEST_FILE, n_test)]:
        labels = rng.permutation(np.arange(count) % len(CLASSES)).astype(np.uint8)
        images = _fixture_images(labels, rng).reshape(count, -1)
        records = np.concatenate([labels[:, None], images], axis=1)
        (folder / f"{name}.bin").write_bytes(records.tobytes())
    (folder / "batches.meta.txt").write_text("\n".join(CLASSES) + "\n")
    return root


def _refuse_real_files(folder: Path) -> None:
    """ValueError if ``folder`` holds an official CIFAR-10 file (right size and SHA1)."""
    for name, sha1 in SHA1.items():
        path = folder / f"{name}.bin"
        if path.is_file() and path.stat().st_size == 10_000 * RECORD and file_digest(path) == sha1:
            raise ValueError(f"root holds the real CIFAR-10 ({path}): make_fixture will not overwrite it; "
                             "give it another folder")


def fixture_checksums(root: str | os.PathLike) -> dict[str, str]:
    """SHA1 of each ``.bin`` file under ``root`` (e.g. a fixture), for ``load_cifar10(checksums=...)``."""
    folder = check_path(root, "root") / FOLDER
    missing = [f"{name}.bin" for name in SHA1 if not (folder / f"{name}.bin").is_file()]
    if missing:
        raise MissingFileError(f"root must hold {FOLDER}/ with the CIFAR-10 files (missing in {folder}: "
                               f"{', '.join(missing)})")
    return {name: file_digest(folder / f"{name}.bin") for name in SHA1}


def _fixture_root() -> Path:
    user = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"course_utils-cifar10-fixture-{user}"


def load_course_data(fast: bool | None = None, *, root: str | os.PathLike | None = None,
                     progress: bool = True) -> tuple[CIFAR10, bool]:
    """The data a notebook trains on, and whether it is the real CIFAR-10.

    Loads the real data if it is present (or can be downloaded). In fast mode (``fast=True``, default
    ``settings.fast_mode()``) with no real data available, it falls back to a tiny stand-in fixture and
    prints a loud notice. Outside fast mode a missing dataset raises the loader's error, which lists the
    ways forward (``ways_forward``)."""
    fast = settings.fast_mode(fast)
    progress = check_flag(progress, "progress")
    try:
        # In fast mode, do not start a 170 MB download: use what is there, else the fixture.
        return load_cifar10(root, download=not fast, progress=progress), True
    except (FileNotFoundError, DownloadError, ValueError) as err:
        if not fast:
            raise
        folder = _as_root(root) / FOLDER
        reason = f"not found in {folder}" if isinstance(err, FileNotFoundError) else f"{folder} failed its checks"
    root = make_fixture(_fixture_root())
    data = load_cifar10(root, download=False, verify=True, checksums=fixture_checksums(root))
    bar = "!" * 78
    print(f"{bar}\n!!  STAND-IN DATA: the real CIFAR-10 is not available ({reason})\n"
          f"!!  Fast mode trains on {len(data.x_train)} synthetic 32x32 images (coloured stripes), "
          "not photos.\n"
          "!!  Every number below is about that stand-in. How to get the real data:\n"
          f"!!  print(course_utils.cifar.data.ways_forward())\n{bar}")
    return data, False


def subset(cifar: CIFAR10, *, n_train: int | None = None, n_test: int | None = None, seed: int = 0) -> CIFAR10:
    """``cifar`` with at most ``n_train`` training and ``n_test`` test images, chosen by a seeded
    permutation and kept in their original order (None keeps a whole split; nothing to drop returns
    ``cifar`` itself)."""
    if not isinstance(cifar, CIFAR10):
        raise TypeError(f"cifar must be a CIFAR10 tuple (got {type(cifar).__name__})")
    n_train = check_optional_int(n_train, "n_train", high=10**9)
    n_test = check_optional_int(n_test, "n_test", high=10**9)
    g = torch.Generator().manual_seed(check_seed(seed))
    out = cifar
    if n_train is not None and n_train < len(cifar.y_train):
        idx = torch.randperm(len(cifar.y_train), generator=g)[:n_train].sort().values
        out = out._replace(x_train=cifar.x_train[idx], y_train=cifar.y_train[idx])
    if n_test is not None and n_test < len(cifar.y_test):
        idx = torch.randperm(len(cifar.y_test), generator=g)[:n_test].sort().values
        out = out._replace(x_test=cifar.x_test[idx], y_test=cifar.y_test[idx])
    return out


def validation_split(cifar: CIFAR10, *, n_val: int = 5000, seed: int = 0) -> CIFAR10:
    """For tuning without touching the test set: ``cifar`` with ``n_val`` training images (a seeded choice)
    moved into the test slots, and the rest left to train on. The real test images are dropped."""
    if not isinstance(cifar, CIFAR10):
        raise TypeError(f"cifar must be a CIFAR10 tuple (got {type(cifar).__name__})")
    n = len(cifar.y_train)
    n_val = check_int(n_val, "n_val")
    if n_val >= n:
        raise ValueError(f"n_val must be between 1 and {n - 1}, the training set's size minus one (got {n_val})")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(check_seed(seed)))
    val, keep = order[:n_val].sort().values, order[n_val:].sort().values
    return cifar._replace(x_train=cifar.x_train[keep], y_train=cifar.y_train[keep],
                          x_test=cifar.x_train[val], y_test=cifar.y_train[val])


# ------------------------------------------------------------------------------------ label noise, batches
def flip_labels(targets, fraction: float, *, num_classes: int = 10, seed: int = 0) -> torch.Tensor:
    """Symmetric label noise: exactly ``round(fraction * N)`` labels, chosen at random, are each replaced
    by a different class drawn uniformly. Returns a new int64 tensor; ``targets`` is left untouched."""
    num_classes = check_int(num_classes, "num_classes", low=2, high=100_000)
    y = as_class_indices(targets, "targets", num_classes)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"targets must be a non-empty 1-D sequence of labels (got shape {y.shape})")
    fraction = check_scalar(fraction, "fraction", low=0.0, high=1.0)
    rng = np.random.default_rng(check_seed(seed))
    out = y.copy()
    idx = rng.choice(y.size, size=int(round(fraction * y.size)), replace=False)
    out[idx] = (y[idx] + rng.integers(1, num_classes, size=idx.size)) % num_classes
    return torch.from_numpy(out)


def _check_images(x, name: str = "x_uint8") -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor (got {type(x).__name__})")
    if x.dtype != torch.uint8:
        raise TypeError(f"{name} must have dtype torch.uint8 (got {x.dtype})")
    if x.ndim != 4 or x.shape[1] != 3:
        raise ValueError(f"{name} must have shape N×3×H×W (got {tuple(x.shape)})")
    return x


def augment_batch(x_uint8: torch.Tensor, generator: torch.Generator | None = None, *, translate: int = 2,
                  flip: bool = True, flips: torch.Tensor | None = None) -> torch.Tensor:
    """Random horizontal flip and random translation by up to ``translate`` pixels (reflecting at the
    border) for a whole uint8 batch at once. Deterministic for a seeded ``generator``; returns uint8.
    ``flips`` (a bool per image, e.g. from ``alternating_flips``) says which images to mirror, instead of at
    random."""
    x = _check_images(x_uint8)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None (got {type(generator).__name__})")
    translate = check_int(translate, "translate", low=0, high=15)
    flip = check_flag(flip, "flip")
    n, _, h, w = x.shape
    if flips is not None:
        if not isinstance(flips, torch.Tensor) or flips.dtype != torch.bool:
            raise TypeError(f"flips must be a bool tensor or None (got {type(flips).__name__})")
        if flips.shape != (n,):
            raise ValueError(f"flips must hold one value per image ({n}) (got shape {tuple(flips.shape)})")
    if flip:
        mask = flips if flips is not None else torch.rand(n, generator=generator) < 0.5
        x = torch.where(mask[:, None, None, None], x.flip(-1), x)
    if translate:
        dy = torch.randint(-translate, translate + 1, (n,), generator=generator)
        dx = torch.randint(-translate, translate + 1, (n,), generator=generator)
        rows = _reflect(torch.arange(h)[None, :] + dy[:, None], h)  # n×h
        cols = _reflect(torch.arange(w)[None, :] + dx[:, None], w)  # n×w
        flat = (rows[:, :, None] * w + cols[:, None, :]).reshape(n, 1, h * w).expand(n, 3, h * w)
        x = x.reshape(n, 3, h * w).gather(2, flat).reshape(n, 3, h, w)
    return x


def alternating_flips(n: int, epoch: int, *, seed: int = 0) -> torch.Tensor:
    """Which of ``n`` training images to mirror in ``epoch`` (a bool tensor): a random half, fixed by
    ``seed``, in even epochs and the other half in odd ones, so every image is seen both ways in any two
    epochs in a row (airbench's derandomised flips; random flips repeat a view half the time)."""
    n = check_int(n, "n", low=0, high=10**9)
    epoch = check_int(epoch, "epoch", low=0, high=10**9)
    seed = check_seed(seed)
    first = torch.rand(n, generator=torch.Generator().manual_seed(seed + 0x5EED)) < 0.5
    return first ^ bool(epoch % 2)


def _reflect(i: torch.Tensor, size: int) -> torch.Tensor:
    i = torch.where(i < 0, -i, i)
    return torch.where(i >= size, 2 * (size - 1) - i, i)


def normalize_batch(x: torch.Tensor, *, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """uint8 images -> float, scaled to [0, 1] and standardised with the CIFAR-10 channel mean and std."""
    x = _check_images(x, "x")
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point torch.dtype such as torch.float32 (got {dtype!r:.40})")
    mean = torch.tensor(MEAN, dtype=dtype, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(STD, dtype=dtype, device=x.device).view(1, 3, 1, 1)
    return (x.to(dtype) / 255.0 - mean) / std
