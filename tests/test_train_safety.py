"""Nothing runs that shouldn't, nothing is lost (issue 13, section 1), in the CIFAR-10 wing: checkpoints load
as plain weights only, a damaged one is set aside, saves are atomic, a bad device is refused before the model
moves, and every argument of ``fit`` is checked at the door in milliseconds. Also the precision chosen on
every device branch, with the capability checks monkeypatched."""

from __future__ import annotations

import dataclasses
import os
import pickle
import time
import warnings

import pytest
import torch

from course_utils.cifar import checkpoint, devices, models, train
from course_utils.cifar import data as cdata

TINY = dataclasses.replace(train.RECIPES["quick"], name="tiny", epochs=1, batch_size=20, lr=0.05)
KW = dict(recipe=TINY, progress=False, live_plot=False, device="cpu", eval_each_epoch=False)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = cdata.make_fixture(tmp_path_factory.mktemp("cifar"), n_train=60, n_test=20, seed=2)
    return cdata.load_cifar10(root, download=False, verify=False, progress=False)


def _ckpt(tmp_path, tiny):
    return train.checkpoint_path(tmp_path, models.make_model("quick"), tiny, recipe=TINY)


class _Planted:
    """Unpickling this creates a marker file: the harmless stand-in for code a crafted checkpoint would run."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


# ------------------------------------------------------------------------------------- loading safely
@pytest.mark.parametrize("how", ["torch.save", "plain pickle"])
def test_a_planted_pickle_runs_nothing_and_is_set_aside_with_a_clear_warning(tiny, tmp_path, how):
    marker = tmp_path / "ran.txt"
    path = _ckpt(tmp_path, tiny)
    payload = {"model": _Planted(marker), "optimizer": {}, "history": {}}
    if how == "torch.save":
        torch.save(payload, path)
    else:
        path.write_bytes(pickle.dumps(payload))
    with pytest.warns(checkpoint.CheckpointWarning) as caught:
        hist = train.fit(models.make_model("quick"), tiny, checkpoint_dir=tmp_path, **KW)
    assert not marker.exists()  # nothing ran
    msg = str(caught[0].message)
    assert str(path) in msg and "run code" in msg and ".corrupt" in msg
    assert "weights_only=False" not in msg  # never suggest the unsafe way
    assert path.with_name(path.name + ".corrupt").exists()
    assert hist.finished and hist.epoch == [1] and not hist.reused_checkpoint  # trained from scratch
    assert path.exists()  # and saved a good checkpoint in its place


def _truncated(path, good):
    path.write_bytes(good[: len(good) // 2])


def _empty(path, good):
    path.write_bytes(b"")


def _garbage(path, good):
    path.write_bytes(os.urandom(4096))


def _other_architecture(path, good):
    other = models.make_model("full")
    torch.save({"model": other.state_dict(), "optimizer": {}, "history": {"recipe": "tiny"}}, path)


@pytest.mark.parametrize("damage", [_truncated, _empty, _garbage, _other_architecture])
def test_a_damaged_checkpoint_is_named_set_aside_and_training_starts_afresh(tiny, tmp_path, damage):
    first = models.make_model("quick")
    train.fit(first, tiny, checkpoint_dir=tmp_path, **KW)
    path = _ckpt(tmp_path, tiny)
    damage(path, path.read_bytes())
    model = models.make_model("quick")
    fresh = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.warns(checkpoint.CheckpointWarning, match=str(path.name)) as caught:
        hist = train.fit(model, tiny, checkpoint_dir=tmp_path, **KW)
    assert "starts from scratch" in str(caught[0].message)
    assert path.with_name(path.name + ".corrupt").exists()
    assert hist.finished and not hist.reused_checkpoint and len(hist.step_loss) == 3  # 60 images / 20 a step
    assert any(not torch.equal(fresh[k], v) for k, v in model.state_dict().items())  # it trained


def test_a_second_corrupt_file_does_not_overwrite_the_first(tmp_path):
    path = tmp_path / "run.pt"
    for _ in range(2):
        path.write_bytes(b"junk")
        with pytest.warns(checkpoint.CheckpointWarning):
            checkpoint.set_aside(path, "junk")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.pt.corrupt", "run.pt.corrupt.1"]


# --------------------------------------------------------------------------------------- atomic saves
def test_saves_use_a_unique_temp_name_fsync_and_replace(tmp_path, monkeypatch):
    replaced, synced = [], []
    real_replace, real_fsync = os.replace, os.fsync
    monkeypatch.setattr(checkpoint.os, "replace", lambda a, b: (replaced.append((a, b)), real_replace(a, b))[1])
    monkeypatch.setattr(checkpoint.os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    path = tmp_path / "sub" / "run.pt"
    for i in range(2):
        checkpoint.save_checkpoint(path, {"x": torch.tensor([i])})
    (tmp1, dest1), (tmp2, dest2) = replaced
    assert tmp1 != tmp2 and dest1 == dest2 == path and os.path.dirname(tmp1) == str(path.parent)
    assert len(synced) == 4  # the file and its folder, at each save
    assert torch.load(path, weights_only=True)["x"].item() == 1
    assert sorted(p.name for p in path.parent.iterdir()) == ["run.pt"]


def test_a_failed_save_leaves_no_temp_file_and_the_old_checkpoint_intact(tmp_path, monkeypatch):
    path = tmp_path / "run.pt"
    checkpoint.save_checkpoint(path, {"x": torch.tensor([1])})

    def broken_save(obj, f):
        f.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint.torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        checkpoint.save_checkpoint(path, {"x": torch.tensor([2])})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.pt"]
    assert torch.load(path, weights_only=True)["x"].item() == 1


# --------------------------------------------------------------------------------------------- devices
@pytest.mark.parametrize("device", ["meta", "cuda", "cuda:7", "tpu", "mps:3", 3])
def test_a_bad_device_is_refused_before_the_model_moves(tiny, device):
    if str(device).startswith("cuda") and torch.cuda.is_available() and device == "cuda":
        pytest.skip("this machine has CUDA")
    model = models.make_model("quick")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    exc = TypeError if isinstance(device, int) else ValueError
    for call in (lambda: train.evaluate(model, tiny.x_test, tiny.y_test, device=device),
                 lambda: train.predict_logits(model, tiny.x_test, device=device),
                 lambda: train.fit(model, tiny, **{**KW, "device": device})):
        with pytest.raises(exc, match="cpu" if exc is ValueError else "device"):
            call()
        assert all(p.device.type == "cpu" for p in model.parameters())
        assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_the_device_error_lists_what_exists(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match=r"'cuda' is not available here; available: cpu"):
        devices.resolve_device("cuda")
    with pytest.raises(ValueError, match="available"):
        devices.resolve_precision("auto", "cuda")  # no longer answers bf16 without a GPU


# -------------------------------------------------------------------------------------- precision
def _fake_cuda(monkeypatch, bf16: bool):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bf16)


def test_precision_on_every_device_branch(monkeypatch):
    _fake_cuda(monkeypatch, bf16=True)
    assert devices.resolve_precision("auto", "cuda") == "bf16"
    assert "supports bfloat16" in devices.precision_reason("auto", "cuda")
    _fake_cuda(monkeypatch, bf16=False)  # a T4: float16 tensor cores, no bf16
    assert devices.resolve_precision("auto", "cuda") == "fp16"
    assert "gradient scaler" in devices.precision_reason("auto", "cuda")
    assert devices.resolve_precision("fp16", "cuda:0") == "fp16"
    monkeypatch.setattr(devices, "_mps_available", lambda: True)
    assert devices.resolve_precision("auto", "mps") == "fp32"
    with pytest.raises(ValueError, match="precision 'bf16'"):
        devices.resolve_precision("bf16", "mps")
    for amx, expected in ((True, "bf16"), (False, "fp32")):
        monkeypatch.setattr(devices, "cpu_has_bf16_units", lambda amx=amx: amx)
        assert devices.resolve_precision("auto", "cpu") == expected
        assert expected in devices.precision_reason("auto", "cpu")
    assert "explicitly" in devices.precision_reason("fp32", "cpu")


def test_the_gradient_scaler_is_on_for_fp16_only():
    assert not devices.grad_scaler(torch.device("cpu"), "fp32").is_enabled()
    assert not devices.grad_scaler(torch.device("cpu"), "bf16").is_enabled()


# ---------------------------------------------------------------------------------- checks at the door
def _no_training(monkeypatch):
    def trained(*a, **k):
        raise AssertionError("fit trained before checking its arguments")

    monkeypatch.setattr(train, "_train_step", trained)


def test_checkpoint_dir_that_is_a_file_is_refused_at_once(tiny, tmp_path, monkeypatch):
    _no_training(monkeypatch)
    file = tmp_path / "not-a-folder"
    file.write_text("x")
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="checkpoint_dir must be a folder"):
        train.fit(models.make_model("quick"), tiny, checkpoint_dir=file, **KW)
    assert time.perf_counter() - t0 < 1.0
    with pytest.raises(TypeError, match="checkpoint_dir"):
        train.fit(models.make_model("quick"), tiny, checkpoint_dir=3, **KW)


@pytest.mark.parametrize("split", ["train", "test"])
def test_a_label_beyond_the_models_outputs_is_refused_at_once(tiny, monkeypatch, split):
    _no_training(monkeypatch)
    y = getattr(tiny, f"y_{split}").clone()
    y[0] = 10
    with pytest.raises(ValueError, match=rf"data.y_{split} has a class index 10 but the model has 10 outputs"):
        train.fit(models.make_model("quick"), tiny._replace(**{f"y_{split}": y}), **KW)
    with pytest.raises(ValueError, match="3 outputs"):
        train.fit(models.make_model("quick", num_classes=3), tiny, **KW)


def test_images_too_small_for_the_model_are_refused_at_once(tiny, monkeypatch):
    _no_training(monkeypatch)
    small = tiny._replace(x_train=tiny.x_train[:, :, :8, :8], x_test=tiny.x_test[:, :, :8, :8])
    model = models.make_model("tutorial")
    mode = model.training
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"images of 8×8 pixels do not fit the model"):
        train.fit(model, small, **KW)
    assert time.perf_counter() - t0 < 1.0 and model.training == mode


@pytest.mark.parametrize("kwargs, exc, word", [
    ({"resume": "no"}, TypeError, "resume"), ({"progress": "False"}, TypeError, "progress"),
    ({"live_plot": "no"}, TypeError, "live_plot"), ({"eval_each_epoch": 1}, TypeError, "eval_each_epoch"),
    ({"epochs": 1.5}, TypeError, "epochs"), ({"seed": -1}, ValueError, "seed"),
    ({"untrained_loss": float("nan")}, ValueError, "untrained_loss"),
])
def test_flags_and_numbers_are_checked_at_the_door(tiny, monkeypatch, kwargs, exc, word):
    _no_training(monkeypatch)
    with pytest.raises(exc, match=word):
        train.fit(models.make_model("quick"), tiny, **{**KW, **kwargs})


def test_no_warning_when_all_is_well(tiny, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train.fit(models.make_model("quick"), tiny, checkpoint_dir=tmp_path, **KW)
        hist = train.fit(models.make_model("quick"), tiny, checkpoint_dir=tmp_path, **KW)
    assert hist.reused_checkpoint
