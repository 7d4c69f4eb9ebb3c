"""course_utils.cifar.data on a generated fixture: no network, no real CIFAR-10."""

from __future__ import annotations

import hashlib
import io
import os
import sys
import tarfile
import urllib.error

import pytest
import torch

from course_utils import settings
from course_utils.cifar import data


@pytest.fixture(scope="module")
def fixture_root(tmp_path_factory):
    return data.make_fixture(tmp_path_factory.mktemp("cifar"), n_train=50, n_test=20, seed=1)


@pytest.fixture
def root(tmp_path):
    return data.make_fixture(tmp_path / "cifar", n_train=50, n_test=20, seed=1)


@pytest.fixture
def no_network(monkeypatch):
    calls = []

    def offline(url, timeout=None):
        calls.append(url)
        raise urllib.error.URLError("no network in tests")

    monkeypatch.setattr(data, "_urlopen", offline)
    monkeypatch.setattr(data, "_sleep", lambda s: None)
    return calls


def _tar_of(root, path, extra=()):
    """A .tar.gz holding root's cifar-10-batches-bin/ like the official archive, plus (name, bytes) extras."""
    with tarfile.open(path, "w:gz") as tar:
        tar.add(root / data.FOLDER, arcname=data.FOLDER)
        for name, payload in extra:
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return path


def _serve(monkeypatch, archive):
    """Point the downloader at a local archive, with its MD5 as the expected one."""
    monkeypatch.setattr(data, "URL", archive.as_uri())
    monkeypatch.setattr(data, "ARCHIVE_MD5", hashlib.md5(archive.read_bytes()).hexdigest())
    monkeypatch.setattr(data, "_sleep", lambda s: None)


# ---------------------------------------------------------------------------------------------- loading
def test_fixture_loads_with_shapes_and_dtypes(fixture_root):
    d = data.load_cifar10(fixture_root, download=False, checksums=data.fixture_checksums(fixture_root))
    assert d.x_train.shape == (50, 3, 32, 32) and d.x_train.dtype == torch.uint8
    assert d.y_train.shape == (50,) and d.y_train.dtype == torch.int64
    assert d.x_test.shape == (20, 3, 32, 32) and d.y_test.dtype == torch.int64
    assert d.classes == data.CLASSES and len(data.CLASSES) == 10
    assert int(d.y_train.min()) >= 0 and int(d.y_train.max()) <= 9


def test_record_layout_is_label_then_planar_rgb(tmp_path):
    folder = tmp_path / data.FOLDER
    folder.mkdir()
    pixels = bytes(range(256)) * 12  # 3072 bytes: R plane, G plane, B plane
    for name in data.SHA1:
        (folder / f"{name}.bin").write_bytes(bytes([7]) + pixels)
    d = data.load_cifar10(tmp_path, download=False, verify=False)
    assert d.y_test.tolist() == [7]
    assert torch.equal(d.x_test[0].reshape(-1), torch.tensor(list(pixels), dtype=torch.uint8))
    assert d.x_test[0, 0, 0, :3].tolist() == [0, 1, 2]


def test_root_defaults_to_environment_variable(fixture_root, monkeypatch):
    monkeypatch.setenv("CIFAR10_ROOT", str(fixture_root))
    assert settings.data_root() == fixture_root
    assert len(data.load_cifar10(download=False, verify=False).x_train) == 50


def test_official_checksums_reject_other_files(fixture_root):
    with pytest.raises(ValueError, match=r"data_batch_1\.bin fails its SHA1 check"):
        data.load_cifar10(fixture_root, download=False)


def test_corrupted_file_is_detected_and_named(root):
    sums = data.fixture_checksums(root)
    path = root / data.FOLDER / "data_batch_3.bin"
    raw = bytearray(path.read_bytes())
    raw[100] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"data_batch_3\.bin fails its SHA1") as err:
        data.load_cifar10(root, download=False, checksums=sums)
    assert "data_batch_1.bin fails" not in str(err.value) and "Delete" in str(err.value)


def test_truncated_file_is_detected_even_without_checksums(root):
    path = root / data.FOLDER / "test_batch.bin"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ValueError, match=r"test_batch\.bin is truncated"):
        data.load_cifar10(root, download=False, verify=False)


def test_bad_label_byte_is_detected(root):
    path = root / data.FOLDER / "test_batch.bin"
    raw = bytearray(path.read_bytes())
    raw[0] = 200
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="label byte 200"):
        data.load_cifar10(root, download=False, verify=False)


def test_missing_files_without_download_say_where_to_put_them(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        data.load_cifar10(tmp_path, download=False)
    msg = str(err.value)
    assert "CIFAR10_ROOT" in msg and str(tmp_path / data.FOLDER) in msg and "data_batch_5.bin" in msg


def test_offline_error_is_clear_and_retries(tmp_path, no_network):
    with pytest.raises(data.DownloadError) as err:
        data.load_cifar10(tmp_path, download=True, progress=False)
    msg = str(err.value)
    assert "3 attempt(s)" in msg and "no network" in msg and "CIFAR10_ROOT" in msg
    assert len(no_network) == 3
    assert not list(tmp_path.rglob("*.part"))


# --------------------------------------------------------------------------------------------- download
def test_download_verifies_md5_extracts_and_loads(fixture_root, tmp_path, monkeypatch, capsys):
    _serve(monkeypatch, _tar_of(fixture_root, tmp_path / "a.tar.gz"))
    target = tmp_path / "new"
    d = data.load_cifar10(target, download=True, checksums=data.fixture_checksums(fixture_root))
    assert len(d.x_train) == 50
    assert not (target / data.ARCHIVE_NAME).exists()  # the archive is removed after extraction
    assert data.ARCHIVE_NAME in capsys.readouterr().err  # the progress bar


def test_download_retries_after_a_failure(fixture_root, tmp_path, monkeypatch):
    _serve(monkeypatch, _tar_of(fixture_root, tmp_path / "a.tar.gz"))
    real, calls, sleeps = data._urlopen, [], []

    def flaky(url, timeout=None):
        calls.append(url)
        if len(calls) == 1:
            raise ConnectionResetError("dropped")
        return real(url, timeout=timeout)

    monkeypatch.setattr(data, "_urlopen", flaky)
    monkeypatch.setattr(data, "_sleep", sleeps.append)
    out = data.download_archive(tmp_path / "dl" / "x.tar.gz", progress=False)
    assert out.exists() and len(calls) == 2 and sleeps == [1.0]


def test_download_rejects_a_wrong_md5(fixture_root, tmp_path, monkeypatch):
    _serve(monkeypatch, _tar_of(fixture_root, tmp_path / "a.tar.gz"))
    monkeypatch.setattr(data, "ARCHIVE_MD5", "0" * 32)
    dest = tmp_path / "dl" / "x.tar.gz"
    with pytest.raises(data.DownloadError, match="MD5 mismatch"):
        data.download_archive(dest, progress=False, retries=2)
    assert not dest.exists() and not list(dest.parent.iterdir())


def test_corrupted_file_is_downloaded_again(fixture_root, root, tmp_path, monkeypatch):
    _serve(monkeypatch, _tar_of(fixture_root, tmp_path / "a.tar.gz"))
    sums = data.fixture_checksums(fixture_root)
    path = root / data.FOLDER / "data_batch_2.bin"
    path.write_bytes(b"\0" * data.RECORD)
    d = data.load_cifar10(root, download=True, checksums=sums, progress=False)
    assert data.file_digest(path) == sums["data_batch_2"] and len(d.x_train) == 50


@pytest.mark.parametrize("evil", ["../evil.bin", "cifar-10-batches-bin/../../evil.bin", "/tmp/evil.bin"])
def test_tar_members_outside_the_root_are_refused(fixture_root, tmp_path, evil):
    archive = _tar_of(fixture_root, tmp_path / "evil.tar.gz", extra=[(evil, b"pwned")])
    target = tmp_path / "deep" / "root"
    with pytest.raises(ValueError, match="refusing to extract"):
        data.extract_archive(archive, target)
    assert not target.exists() and not (tmp_path / "deep" / "evil.bin").exists()


def test_only_expected_regular_members_are_extracted(fixture_root, tmp_path):
    archive = tmp_path / "odd.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(fixture_root / data.FOLDER, arcname=data.FOLDER)
        link = tarfile.TarInfo(f"{data.FOLDER}/readme.html")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
        extra = tarfile.TarInfo(f"{data.FOLDER}/surprise.py")
        extra.size = 3
        tar.addfile(extra, io.BytesIO(b"x=1"))
    written = data.extract_archive(archive, tmp_path / "out")
    names = sorted(p.name for p in written)
    assert names == sorted([f"{n}.bin" for n in data.SHA1] + ["batches.meta.txt"])
    assert not (tmp_path / "out" / data.FOLDER / "readme.html").exists()


# ----------------------------------------------------------------------------------- fast-mode fallback
def test_course_data_falls_back_to_the_fixture_loudly_in_fast_mode(tmp_path, no_network, capsys):
    d, is_real = data.load_course_data(fast=True, root=tmp_path, progress=False)
    assert is_real is False and len(d.x_train) > 0 and d.x_train.dtype == torch.uint8
    assert "STAND-IN DATA" in capsys.readouterr().out
    assert no_network == []  # fast mode never starts the big download


def test_course_data_uses_real_data_when_present(fixture_root, monkeypatch):
    monkeypatch.setattr(data, "SHA1", data.fixture_checksums(fixture_root))
    d, is_real = data.load_course_data(fast=True, root=fixture_root)
    assert is_real is True and len(d.x_train) == 50


def test_course_data_outside_fast_mode_raises(tmp_path, no_network):
    with pytest.raises(data.DownloadError):
        data.load_course_data(fast=False, root=tmp_path, progress=False)


def test_offline_message_gives_three_ways_forward_in_order(tmp_path, no_network):
    """Full mode, no data, no network: the stand-in, a folder, the variable, each as a line to paste."""
    with pytest.raises(data.DownloadError) as err:
        data.load_course_data(fast=False, root=tmp_path, progress=False)
    msg = str(err.value)
    lines = [line.strip() for line in msg.splitlines()]
    stand_in = lines.index("%env COURSE_FAST=1")
    folder = lines.index(f"tar -xzf {data.ARCHIVE_NAME} -C {tmp_path}")
    variable = lines.index("%env CIFAR10_ROOT=/path/to/folder")
    assert stand_in < folder < variable
    assert str(tmp_path / data.FOLDER) in msg and "load_course_data()" in msg and "load_cifar10" not in msg
    assert "restarted" in msg and "JupyterLab" in msg  # a terminal variable needs JupyterLab restarted
    assert "Three ways forward" in data.ways_forward(tmp_path)


def test_the_missing_files_message_is_the_same_without_download(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        data.load_cifar10(tmp_path, download=False)
    assert data.ways_forward(tmp_path) in str(err.value)


# ------------------------------------------------------------------------------------------ batch ops
def _batch(n=16, seed=0):
    return torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(seed))


def test_augment_shapes_dtype_and_determinism():
    x = _batch()
    a = data.augment_batch(x, torch.Generator().manual_seed(3))
    b = data.augment_batch(x, torch.Generator().manual_seed(3))
    c = data.augment_batch(x, torch.Generator().manual_seed(4))
    assert a.shape == x.shape and a.dtype == torch.uint8
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert torch.equal(x, _batch())  # the input is untouched


def test_flip_only_gives_the_image_or_its_mirror():
    x = _batch(64)
    a = data.augment_batch(x, torch.Generator().manual_seed(0), translate=0)
    same = (a == x).flatten(1).all(1)
    mirrored = (a == x.flip(-1)).flatten(1).all(1)
    assert bool((same | mirrored).all()) and 0 < int(mirrored.sum()) < 64


def test_translate_moves_content_by_at_most_the_shift():
    x = torch.zeros(32, 3, 32, 32, dtype=torch.uint8)
    x[:, :, 16, 16] = 255
    a = data.augment_batch(x, torch.Generator().manual_seed(0), translate=2, flip=False)
    for img in a:
        ys, xs = torch.nonzero(img[0], as_tuple=True)
        assert len(ys) == 1 and abs(int(ys[0]) - 16) <= 2 and abs(int(xs[0]) - 16) <= 2


def test_normalize_batch():
    x = torch.full((2, 3, 32, 32), 255, dtype=torch.uint8)
    out = data.normalize_batch(x)
    assert out.dtype == torch.float32 and out.shape == x.shape
    expected = (1 - torch.tensor(data.MEAN)) / torch.tensor(data.STD)
    assert torch.allclose(out[0, :, 0, 0], expected)


@pytest.mark.parametrize("bad, exc", [(torch.zeros(2, 3, 32, 32), TypeError), ([1, 2], TypeError),
                                      (torch.zeros(2, 1, 32, 32, dtype=torch.uint8), ValueError)])
def test_batch_ops_validate_their_input(bad, exc):
    with pytest.raises(exc, match="x"):
        data.augment_batch(bad, torch.Generator())
    with pytest.raises(exc, match="x"):
        data.normalize_batch(bad)


# ---------------------------------------------------------------------------------------- label noise
def test_flip_labels_changes_exactly_the_fraction():
    y = torch.arange(1000) % 10
    noisy = data.flip_labels(y, 0.2, seed=5)
    assert noisy.dtype == torch.int64 and noisy.shape == y.shape
    assert int((noisy != y).sum()) == 200  # every chosen label moves to a different class
    assert torch.equal(noisy, data.flip_labels(y, 0.2, seed=5))
    assert torch.equal(y, torch.arange(1000) % 10)
    assert torch.equal(data.flip_labels(y, 0.0), y)
    assert int(noisy.max()) <= 9 and int(noisy.min()) >= 0


@pytest.mark.parametrize("kwargs, exc, word", [
    ({"fraction": 1.5}, ValueError, "fraction"),
    ({"fraction": 0.1, "num_classes": 1}, ValueError, "num_classes"),
    ({"fraction": 0.1, "num_classes": 5}, ValueError, "targets"),
])
def test_flip_labels_validates(kwargs, exc, word):
    with pytest.raises(exc, match=word):
        data.flip_labels(torch.arange(10), **kwargs)


def test_make_fixture_validates(tmp_path):
    with pytest.raises(ValueError, match="n_train"):
        data.make_fixture(tmp_path, n_train=7)
    with pytest.raises(TypeError, match="n_train"):
        data.make_fixture(tmp_path, n_train=50.0)
    with pytest.raises(TypeError, match="root"):
        data.load_cifar10(42)


def test_make_fixture_never_writes_into_the_default_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("CIFAR10_ROOT", str(tmp_path / "real"))
    with pytest.raises(TypeError, match="never into the default"):
        data.make_fixture(None)
    assert not (tmp_path / "real").exists()


def test_make_fixture_never_overwrites_the_real_data(tmp_path, monkeypatch):
    root = data.make_fixture(tmp_path, n_train=50, n_test=20)
    path = root / data.FOLDER / "test_batch.bin"
    real = bytes(data.RECORD) * 10_000  # the size of an official file ...
    path.write_bytes(real)
    monkeypatch.setitem(data.SHA1, "test_batch", hashlib.sha1(real).hexdigest())  # ... and its checksum
    with pytest.raises(ValueError, match="real CIFAR-10"):
        data.make_fixture(tmp_path, n_train=50, n_test=20)
    assert path.read_bytes() == real


@pytest.mark.parametrize("bad", [1, 0, True, b"/tmp", None, 3.5])
def test_path_arguments_take_str_or_pathlike_only(bad, tmp_path):
    """An int is a file descriptor to open(): file_digest(1) would read and close stdout."""
    with pytest.raises(TypeError, match="path"):
        data.file_digest(bad)
    with pytest.raises(TypeError, match="archive"):
        data.extract_archive(bad, tmp_path)
    with pytest.raises(TypeError, match="root"):
        data.extract_archive(tmp_path / "a.tar.gz", bad)
    with pytest.raises(TypeError, match="dest"):
        data.download_archive(bad)
    for fd in (0, 1, 2):
        os.fstat(fd)  # the standard streams are still open
    print("stdout still works", file=sys.stdout)


def test_subset_validates():
    d = data.CIFAR10(torch.zeros(4, 3, 32, 32, dtype=torch.uint8), torch.arange(4), torch.zeros(2, 3, 32, 32,
                     dtype=torch.uint8), torch.arange(2), data.CLASSES)
    for kwargs, exc in (({"n_train": 0}, ValueError), ({"n_train": 1.5}, TypeError), ({"seed": "1"}, TypeError)):
        with pytest.raises(exc, match=next(iter(kwargs))):
            data.subset(d, **kwargs)
    with pytest.raises(TypeError, match="cifar"):
        data.subset((1, 2), n_train=1)
