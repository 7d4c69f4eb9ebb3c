"""The optimizer and its learning-rate schedule for ``fit``: SGD with Nesterov momentum, weight decay on the
weights (not on biases or batch-norm parameters), and a one-cycle (linear up, linear down to 0) or constant rate.
"""

from __future__ import annotations

import torch
from torch import nn

from .._validate import check_instance, check_scalar

__all__ = ["make_optimizer", "lr_at", "set_lr"]


def _check_recipe(recipe):
    from .train import Recipe  # at call time: train imports this module

    return check_instance(recipe, Recipe, "recipe", "train.Recipe (see train.get_recipe)")


def make_optimizer(model: nn.Module, recipe) -> torch.optim.Optimizer:
    """SGD for ``model`` with ``recipe``'s momentum and weight decay; decay only on weight matrices and filters."""
    check_instance(model, nn.Module, "model", "torch.nn.Module")
    _check_recipe(recipe)
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (decay if p.ndim > 1 and not name.endswith("bias") else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": recipe.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.SGD(groups, lr=lr_at(recipe, 0.0), momentum=recipe.momentum,
                           nesterov=recipe.nesterov and recipe.momentum > 0)


def lr_at(recipe, progress: float) -> float:
    """The learning rate at ``progress`` (0 at the start, 1 at the end of the run) under ``recipe``'s schedule:
    one-cycle (linear warm-up over the first ``recipe.warmup``, then linear decay to 0) or constant."""
    _check_recipe(recipe)
    progress = check_scalar(progress, "progress", low=0.0)  # past 1 (a run over its budget): rate 0
    if recipe.schedule == "constant":
        return recipe.lr
    if progress < recipe.warmup:
        return recipe.lr * progress / recipe.warmup
    return recipe.lr * max(0.0, 1.0 - progress) / (1.0 - recipe.warmup)


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Set every parameter group's learning rate to ``lr``."""
    check_instance(optimizer, torch.optim.Optimizer, "optimizer", "torch.optim.Optimizer")
    lr = check_scalar(lr, "lr", low=0.0)
    for group in optimizer.param_groups:
        group["lr"] = lr
