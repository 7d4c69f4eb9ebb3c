"""Knowledge distillation on CIFAR-10 (notebook 10): a small student learns from a CNN teacher's soft targets.

- ``make_student``: a fast net of notebook 07's kind, 15× smaller (widths 8/16/32, about 20 k parameters).
- ``teacher_logits``: the teacher's logits for every training image and its mirror image, computed once, so a
  student trained with flips sees the teacher's view of exactly the image it trains on.
- ``kd_loss``: (1 - α) · CE(y, student) + α · T² · KL(softmax(z_t / T) || softmax(z_s / T)), in nats (torch; the
  NumPy twin is :func:`course_utils.distillation.kd_loss`, and the tests hold the two together).
- ``train_student``: the same loop with or without a teacher (α = 0 and no teacher: plain cross-entropy), the
  same seeds and budget, so the two runs differ only by the teacher.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from .._validate import check_int, check_scalar, check_seed
from . import optim
from .data import normalize_batch
from .devices import autocast, resolve_device, resolve_precision
from .models import FastNet, count_parameters
from .train import evaluate, get_recipe, predict_logits

__all__ = ["STUDENT_WIDTHS", "make_student", "teacher_logits", "kd_loss", "StudentRun", "train_student"]

#: Channel widths of the student's three blocks (the teacher of notebook 07 has 32/64/128).
STUDENT_WIDTHS: tuple[int, int, int] = (8, 16, 32)


def make_student(seed: int = 0, *, widths: tuple[int, int, int] = STUDENT_WIDTHS) -> nn.Module:
    """A fresh small fast net (default widths 8/16/32, about 20 k parameters), seeded."""
    seed = check_seed(seed)
    if (not isinstance(widths, tuple) or len(widths) != 3
            or not all(isinstance(w, int) and not isinstance(w, bool) and w >= 1 for w in widths)):
        raise ValueError(f"widths must be a tuple of three positive ints (got {widths!r})")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return FastNet(widths)


@torch.no_grad()
def teacher_logits(teacher: nn.Module, x: torch.Tensor, *, batch_size: int = 500, device=None) -> torch.Tensor:
    """The teacher's logits (float32, CPU) for uint8 images ``x`` and for their mirror images: shape (2, N, K),
    ``[0]`` as they are, ``[1]`` flipped left-right."""
    if not isinstance(teacher, nn.Module):
        raise TypeError(f"teacher must be a torch.nn.Module (got {type(teacher).__name__})")
    plain = predict_logits(teacher, x, tta=False, batch_size=batch_size, device=device, precision="fp32")
    mirror = predict_logits(teacher, x.flip(-1), tta=False, batch_size=batch_size, device=device, precision="fp32")
    return torch.stack([plain, mirror])


def kd_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, targets: torch.Tensor, *,
            alpha: float = 0.5, temperature: float = 4.0) -> torch.Tensor:
    """The distillation loss, mean over the batch, in nats: (1 - α) · CE(y, z_s) + α · T² · KL(p_t^T || q_s^T),
    where p_t^T = softmax(z_t / T) and q_s^T = softmax(z_s / T). The T² keeps the soft term's gradient the same
    size at every temperature."""
    for name, t in (("student_logits", student_logits), ("teacher_logits", teacher_logits)):
        if not isinstance(t, torch.Tensor) or t.ndim != 2:
            raise TypeError(f"{name} must be a 2-D torch.Tensor (N × classes)")
    if teacher_logits.shape != student_logits.shape:
        raise ValueError(f"teacher_logits must have the shape of student_logits {tuple(student_logits.shape)} "
                         f"(got {tuple(teacher_logits.shape)})")
    if not isinstance(targets, torch.Tensor) or targets.shape != student_logits.shape[:1]:
        raise ValueError("targets must be a 1-D tensor of class indices, one per row of student_logits")
    alpha = check_scalar(alpha, "alpha", low=0.0, high=1.0)
    temperature = check_scalar(temperature, "temperature", low=0.0, low_open=True)
    hard = F.cross_entropy(student_logits, targets)
    if alpha == 0.0:
        return hard
    log_q = F.log_softmax(student_logits / temperature, dim=1)
    log_p = F.log_softmax(teacher_logits / temperature, dim=1)
    soft = F.kl_div(log_q, log_p, reduction="batchmean", log_target=True)
    return (1 - alpha) * hard + alpha * temperature ** 2 * soft


@dataclass
class StudentRun:
    """One student's training: what it was given and what it reached."""

    teacher: bool
    alpha: float
    temperature: float
    seed: int
    epochs: int
    parameters: int
    accuracy: float  # on the test images, no test-time augmentation
    test_loss: float  # nats, plain cross-entropy
    seconds: float  # training wall time
    train_loss: list = dataclasses.field(default_factory=list)  # nats, mean per epoch (the loss minimised)


def train_student(student: nn.Module, data, *, soft_targets: torch.Tensor | None = None, alpha: float = 0.5,
                  temperature: float = 4.0, epochs: int = 2, seed: int = 0, recipe="quick-sgd",
                  batch_size: int | None = None, lr: float | None = None, device="cpu",
                  precision: str = "auto") -> StudentRun:
    """Train ``student`` on ``data`` (a CIFAR10 tuple) for ``epochs`` with the recipe's optimizer and one-cycle
    schedule (``batch_size`` and ``lr`` override the recipe's), random flips only (no shifts), and no label
    smoothing. With ``soft_targets`` (from
    :func:`teacher_logits`) the loss is :func:`kd_loss` with ``alpha`` and ``temperature``; without, plain
    cross-entropy. The seed fixes the batches and flips, so runs with and without a teacher see the same
    images in the same order."""
    if not isinstance(student, nn.Module):
        raise TypeError(f"student must be a torch.nn.Module (got {type(student).__name__})")
    for attr in ("x_train", "y_train", "x_test", "y_test"):
        if not hasattr(data, attr):
            raise TypeError(f"data must be a CIFAR10 tuple with x_train, y_train, x_test, y_test (no {attr})")
    n = len(data.x_train)
    if soft_targets is not None:
        if not isinstance(soft_targets, torch.Tensor) or soft_targets.ndim != 3 or soft_targets.shape[:2] != (2, n):
            raise ValueError(f"soft_targets must be the (2, {n}, classes) tensor that teacher_logits returns")
    alpha = check_scalar(alpha, "alpha", low=0.0, high=1.0)  # checked even when no teacher uses it
    alpha = alpha if soft_targets is not None else 0.0
    temperature = check_scalar(temperature, "temperature", low=0.0, low_open=True)
    epochs = check_int(epochs, "epochs", high=10**4)
    seed = check_seed(seed)
    rec = dataclasses.replace(get_recipe(recipe), epochs=epochs, translate=0, label_smoothing=0.0)
    if batch_size is not None:
        rec = dataclasses.replace(rec, batch_size=check_int(batch_size, "batch_size", high=10**6))
    if lr is not None:
        rec = dataclasses.replace(rec, lr=check_scalar(lr, "lr", low=0.0, low_open=True))
    device = resolve_device(device)
    precision = resolve_precision(precision, device)
    student.to(device).train()
    if hasattr(student, "init_whitening") and not bool(getattr(student, "whitened", True)):
        g = torch.Generator().manual_seed(seed)
        student.init_whitening(normalize_batch(data.x_train[torch.randperm(n, generator=g)[:5000]]).to(device))
    opt = optim.make_optimizer(student, rec)
    batch = min(rec.batch_size, n)
    steps_per_epoch = n // batch
    total, step, losses = steps_per_epoch * epochs, 0, []
    t0 = time.perf_counter()
    for epoch in range(epochs):
        g = torch.Generator().manual_seed(seed * 100_003 + epoch)
        order = torch.randperm(n, generator=g)
        loss_sum = 0.0
        for i in range(steps_per_epoch):
            optim.set_lr(opt, optim.lr_at(rec, step / total))
            idx = order[i * batch:(i + 1) * batch]
            flip = torch.rand(len(idx), generator=g) < 0.5
            xb = data.x_train[idx]
            xb = torch.where(flip[:, None, None, None], xb.flip(-1), xb)
            xb = normalize_batch(xb).to(device)
            yb = data.y_train[idx].long().to(device)
            with autocast(device, precision):
                z = student(xb).float()
            if soft_targets is None:
                loss = F.cross_entropy(z, yb)
            else:
                zt = torch.where(flip[:, None], soft_targets[1][idx], soft_targets[0][idx]).to(device)
                loss = kd_loss(z, zt, yb, alpha=alpha, temperature=temperature)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            loss_sum += float(loss.detach()) * len(idx)
        losses.append(loss_sum / (steps_per_epoch * batch))
    seconds = time.perf_counter() - t0
    student.eval()
    ev = evaluate(student, data.x_test, data.y_test, tta=False, precision=precision)
    return StudentRun(soft_targets is not None, alpha, temperature, seed, epochs, count_parameters(student),
                      ev.accuracy, ev.loss, seconds, losses)
