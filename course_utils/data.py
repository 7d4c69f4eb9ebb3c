"""CIFAR-10: download, verify, cache and load the official binary version; a tiny fixture maker for tests.

The images stay uint8 (50000×3×32×32 is about 150 MB); each batch is converted to float only when it is
used. Augmentation and normalisation run on whole batches in torch, without torchvision.

Where the data lives: the ``root`` argument, else ``$CIFAR10_ROOT``, else a per-user cache folder. Under the
root sits ``cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin``: records of 1 label byte followed by
3072 pixel bytes (1024 red, 1024 green, 1024 blue). Downloaded data is never unpickled.
"""

from __future__ import annotations

import hashlib
import numbers
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
def default_root() -> Path:
    """``$CIFAR10_ROOT`` if set, else ``$XDG_CACHE_HOME/cifar10`` (default ``~/.cache/cifar10``)."""
    env = os.environ.get("CIFAR10_ROOT", "").strip()
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME", "").strip() or Path.home() / ".cache"
    return Path(cache).expanduser() / "cifar10"


def _as_root(root, name: str = "root") -> Path:
    if root is None:
        return default_root()
    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or os.PathLike) or None (got {type(root).__name__})")
    return Path(root).expanduser()


def _where_to_put(root: Path) -> str:
    names = ", ".join(f"{n}.bin" for n in SHA1)
    return (
        f"Put the official binary CIFAR-10 files ({names}) in {root / FOLDER}: download "
        f"{ARCHIVE_NAME} from {HOME_PAGE} on a machine with internet access and extract it into {root}. "
        "Or set the environment variable CIFAR10_ROOT to a folder that already holds "
        f"{FOLDER}/, and call load_cifar10() again."
    )


# ------------------------------------------------------------------------------------------- checksums
def file_digest(path, algorithm: str = "sha1") -> str:
    """Hex digest of a file (``"sha1"`` or ``"md5"``), read in 1 MiB chunks."""
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
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 1:
        raise ValueError(f"retries must be a positive int (got {retries!r})")
    dest = Path(dest)
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
    root = Path(root)
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
        raise DownloadError(f"CIFAR-10 is not in {root / FOLDER} and {err}.\n{_where_to_put(root)}") from None
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


def load_cifar10(root=None, *, download: bool = True, verify: bool = True, progress: bool = True,
                 checksums: Mapping[str, str] | None = None) -> CIFAR10:
    """Load CIFAR-10 (official binary version) as uint8 image tensors and int64 labels.

    ``root``: the folder holding ``cifar-10-batches-bin/`` (default: ``$CIFAR10_ROOT``, else a per-user
    cache). ``download``: fetch the official archive if files are missing or fail their check.
    ``verify``: check each file's SHA1 (``checksums``, default the official ones) before use; a file that
    fails is never loaded. Sizes and label bytes are always checked."""
    root = _as_root(root)
    for flag, name in ((download, "download"), (verify, "verify"), (progress, "progress")):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be True or False (got {type(flag).__name__})")
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
            raise FileNotFoundError(
                f"CIFAR-10 files are missing:\n{lines}\n{_where_to_put(root)}"
                + ("" if download else " (or pass download=True)")
            )
        raise ValueError(
            f"CIFAR-10 files failed their check and will not be used:\n{lines}\n"
            + ("Delete them and call load_cifar10(download=True) to fetch fresh copies, or replace them. "
               if not download else "A fresh download did not fix it. ")
            + _where_to_put(root)
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


def make_fixture(root, *, n_train: int = 500, n_test: int = 200, seed: int = 0) -> Path:
    """Write a tiny CIFAR-10 in the official binary format under ``root`` and return ``root``.

    ``n_train`` images are split evenly over data_batch_1..5 (so it must be a multiple of 5); the labels
    cycle through the classes in a shuffled order. The files do not match the official SHA1s: load them
    with ``verify=False`` (or ``checksums=`` their own digests)."""
    root = _as_root(root)
    for value, name, step in ((n_train, "n_train", 5), (n_test, "n_test", 1)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < step:
            raise ValueError(f"{name} must be an int >= {step} (got {value!r})")
        if value % step:
            raise ValueError(f"{name} must be a multiple of {step} (got {value})")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int (got {type(seed).__name__})")
    rng = np.random.default_rng(seed)
    folder = root / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    per_batch = n_train // 5
    for name, count in [(n, per_batch) for n in TRAIN_FILES] + [(TEST_FILE, n_test)]:
        labels = rng.permutation(np.arange(count) % len(CLASSES)).astype(np.uint8)
        images = _fixture_images(labels, rng).reshape(count, -1)
        records = np.concatenate([labels[:, None], images], axis=1)
        (folder / f"{name}.bin").write_bytes(records.tobytes())
    (folder / "batches.meta.txt").write_text("\n".join(CLASSES) + "\n")
    return root


def fixture_checksums(root) -> dict[str, str]:
    """SHA1 of each ``.bin`` file under ``root`` (e.g. a fixture), for ``load_cifar10(checksums=...)``."""
    folder = _as_root(root) / FOLDER
    return {name: file_digest(folder / f"{name}.bin") for name in SHA1}


def _fixture_root() -> Path:
    user = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"course_utils-cifar10-fixture-{user}"


def load_course_data(fast: bool | None = None, *, root=None, progress: bool = True) -> tuple[CIFAR10, bool]:
    """The data a notebook trains on, and whether it is the real CIFAR-10.

    Loads the real data if it is present (or can be downloaded). In fast mode (``fast=True``, default
    ``course_utils.FAST``) with no real data available, it falls back to a tiny stand-in fixture and
    prints a loud notice. Outside fast mode a missing dataset raises the loader's error."""
    if fast is None:
        from . import FAST as fast
    if not isinstance(fast, bool):
        raise TypeError(f"fast must be True, False or None (got {type(fast).__name__})")
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
          f"!!  Every number below is about that stand-in. Set CIFAR10_ROOT for the real data.\n{bar}")
    return data, False


def subset(cifar: CIFAR10, n_train: int, n_test: int, *, seed: int = 0) -> CIFAR10:
    """A random subset of at most ``n_train`` training and ``n_test`` test images (for fast mode)."""
    if not isinstance(cifar, CIFAR10):
        raise TypeError(f"cifar must be a CIFAR10 tuple (got {type(cifar).__name__})")
    for value, name in ((n_train, "n_train"), (n_test, "n_test")):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be a positive int (got {value!r})")
    g = torch.Generator().manual_seed(int(seed))
    tr = torch.randperm(len(cifar.x_train), generator=g)[:n_train]
    te = torch.randperm(len(cifar.x_test), generator=g)[:n_test]
    return CIFAR10(cifar.x_train[tr], cifar.y_train[tr], cifar.x_test[te], cifar.y_test[te], cifar.classes)


# ------------------------------------------------------------------------------------ label noise, batches
def flip_labels(targets, fraction: float, *, num_classes: int = 10, seed: int = 0) -> torch.Tensor:
    """Symmetric label noise: exactly ``round(fraction * N)`` labels, chosen at random, are each replaced
    by a different class drawn uniformly. Returns a new int64 tensor; ``targets`` is left untouched."""
    from ._validate import as_class_indices, check_scalar

    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) or num_classes < 2:
        raise ValueError(f"num_classes must be an int >= 2 (got {num_classes!r})")
    y = as_class_indices(targets, "targets", int(num_classes))
    if y.ndim != 1:
        raise ValueError(f"targets must be 1-D (got shape {y.shape})")
    fraction = check_scalar(fraction, "fraction", low=0.0, high=1.0)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int (got {type(seed).__name__})")
    rng = np.random.default_rng(int(seed))
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
                  flip: bool = True) -> torch.Tensor:
    """Random horizontal flip and random translation by up to ``translate`` pixels (reflecting at the
    border) for a whole uint8 batch at once. Deterministic for a seeded ``generator``; returns uint8."""
    x = _check_images(x_uint8)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None (got {type(generator).__name__})")
    if isinstance(translate, bool) or not isinstance(translate, numbers.Integral) or not 0 <= translate < 16:
        raise ValueError(f"translate must be an int in [0, 15] (got {translate!r})")
    n, _, h, w = x.shape
    if flip:
        mask = torch.rand(n, generator=generator) < 0.5
        x = torch.where(mask[:, None, None, None], x.flip(-1), x)
    if translate:
        dy = torch.randint(-translate, translate + 1, (n,), generator=generator)
        dx = torch.randint(-translate, translate + 1, (n,), generator=generator)
        rows = _reflect(torch.arange(h)[None, :] + dy[:, None], h)  # n×h
        cols = _reflect(torch.arange(w)[None, :] + dx[:, None], w)  # n×w
        flat = (rows[:, :, None] * w + cols[:, None, :]).reshape(n, 1, h * w).expand(n, 3, h * w)
        x = x.reshape(n, 3, h * w).gather(2, flat).reshape(n, 3, h, w)
    return x


def _reflect(i: torch.Tensor, size: int) -> torch.Tensor:
    i = torch.where(i < 0, -i, i)
    return torch.where(i >= size, 2 * (size - 1) - i, i)


def normalize_batch(x: torch.Tensor, *, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """uint8 images -> float, scaled to [0, 1] and standardised with the CIFAR-10 channel mean and std."""
    x = _check_images(x, "x")
    mean = torch.tensor(MEAN, dtype=dtype, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(STD, dtype=dtype, device=x.device).view(1, 3, 1, 1)
    return (x.to(dtype) / 255.0 - mean) / std
