"""The optimizer and its learning-rate schedule for ``fit``: SGD with Nesterov momentum, weight decay on the
weights (not on biases or batch-norm parameters), and a one-cycle (linear up, linear down to 0) or constant rate.

A recipe with ``optimizer="muon"`` trains the conv filters with Muon instead (after Keller Jordan's
airbench94_muon, written afresh): the Nesterov momentum of the gradient is orthogonalised by a few
Newton–Schulz iterations, so every direction of a filter bank moves by about the same amount, and each filter
bank is kept at a fixed norm (batch norm follows every conv, so its scale does not change what the net
computes). The other parameters (the linear head, batch-norm shifts) keep SGD.
"""

from __future__ import annotations

import torch
from torch import nn

from .._validate import check_instance, check_int, check_scalar

__all__ = ["NS_COEFFICIENTS", "make_optimizer", "lr_at", "set_lr", "orthogonalize", "Muon"]

#: The quintic Newton–Schulz coefficients of airbench94_muon: they push the singular values towards 0.7–1.2 in a
#: few steps rather than exactly to 1 (which trains as well and would need more steps).
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


def _check_recipe(recipe):
    from .train import Recipe  # at call time: train imports this module

    return check_instance(recipe, Recipe, "recipe", "train.Recipe (see train.get_recipe)")


def _newton_schulz(g: torch.Tensor, steps: int) -> torch.Tensor:
    a, b, c = NS_COEFFICIENTS
    x = g / (g.norm() + 1e-7)  # every singular value at most 1, where the iteration converges
    wide = x.shape[0] <= x.shape[1]
    if not wide:
        x = x.T  # iterate on the smaller Gram matrix
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x if wide else x.T


def orthogonalize(g: torch.Tensor, steps: int = 3) -> torch.Tensor:
    """A matrix with the singular vectors of the 2-D ``g`` and its larger singular values brought close to 1, by
    Newton–Schulz iteration on ``g`` divided by its norm: a few matrix products, no SVD. Each step multiplies a
    small singular value by about 3.4, so those far below the largest (under about 1/3.4^steps of the norm) stay
    small; the records find that this trains as well as an exact orthogonalisation."""
    check_instance(g, torch.Tensor, "g", "torch.Tensor")
    if g.ndim != 2 or not g.is_floating_point():
        raise ValueError(f"g must be a 2-D float tensor (got {g.dtype}, shape {tuple(g.shape)})")
    return _newton_schulz(g, check_int(steps, "steps", low=0, high=100))


class Muon(torch.optim.Optimizer):
    """Muon for the parameter groups marked ``muon=True`` (conv filters, one matrix per output channel's
    inputs), SGD with momentum (Nesterov optional) and weight decay for the others.

    A Muon step: momentum buffer ``m = μ m + g``; the update ``g + μ m`` (Nesterov) reshaped to
    out-channels × inputs and orthogonalised (``orthogonalize``); the filter bank rescaled to norm
    √out-channels; then ``w -= lr × update``."""

    def __init__(self, params, lr: float = 0.2, momentum: float = 0.9, nesterov: bool = True,
                 weight_decay: float = 0.0, ns_steps: int = 3):
        lr = check_scalar(lr, "lr", low=0.0)
        momentum = check_scalar(momentum, "momentum", low=0.0, high=1.0, high_open=True)
        weight_decay = check_scalar(weight_decay, "weight_decay", low=0.0)
        ns_steps = check_int(ns_steps, "ns_steps", low=0, high=100)
        super().__init__(params, dict(lr=lr, momentum=momentum, nesterov=bool(nesterov), weight_decay=weight_decay,
                                      muon=False, ns_steps=ns_steps))
        for group in self.param_groups:
            if group["muon"] and any(p.ndim < 2 for p in group["params"]):
                raise ValueError("params: a group with muon=True must hold matrices or filters (ndim >= 2)")

    @torch.no_grad()
    def step(self, closure=None):
        """One step for every parameter with a gradient. ``closure`` (optional) re-evaluates the loss."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            mu, lr = group["momentum"], group["lr"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                if group["weight_decay"] and not group["muon"]:
                    g = g.add(p, alpha=group["weight_decay"])
                state = self.state[p]
                if mu:
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = g.clone()
                    else:
                        buf.mul_(mu).add_(g)
                    g = g.add(buf, alpha=mu) if group["nesterov"] else buf
                if group["muon"]:
                    p.mul_(len(p) ** 0.5 / p.norm().clamp(min=1e-12))
                    g = _newton_schulz(g.reshape(len(g), -1).float(), group["ns_steps"]).view_as(p).to(p.dtype)
                p.add_(g, alpha=-lr)
        return loss


def make_optimizer(model: nn.Module, recipe) -> torch.optim.Optimizer:
    """The optimizer for ``model`` under ``recipe``: SGD with the recipe's momentum and weight decay (decay only
    on weight matrices and filters); with ``recipe.optimizer == "muon"``, Muon on the conv filters (learning
    rate ``recipe.muon_lr``, momentum ``recipe.muon_momentum``, following ``lr``'s schedule, so a recipe with
    ``lr`` 0 trains no filter either) and that SGD on the rest. Muon needs batch norm after the convs."""
    check_instance(model, nn.Module, "model", "torch.nn.Module")
    _check_recipe(recipe)
    filters, decay, no_decay = [], [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if recipe.optimizer == "muon" and p.ndim == 4:
            filters.append(p)
        else:
            (decay if p.ndim > 1 and not name.endswith("bias") else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": recipe.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    nesterov = recipe.nesterov and recipe.momentum > 0
    if recipe.optimizer != "muon":
        return torch.optim.SGD(groups, lr=lr_at(recipe, 0.0), momentum=recipe.momentum, nesterov=nesterov)
    if filters and not any(isinstance(m, nn.BatchNorm2d) for m in model.modules()):
        raise ValueError(f"recipe: Muon keeps each filter bank at a fixed norm, which only a net with batch norm "
                         f"after its convs can ignore; {type(model).__name__} has none (use optimizer='sgd')")
    scale = recipe.muon_lr / recipe.lr if recipe.lr else 0.0
    groups.append({"params": filters, "muon": True, "momentum": recipe.muon_momentum, "nesterov": True,
                   "lr_scale": scale})
    opt = Muon(groups, lr=recipe.lr, momentum=recipe.momentum, nesterov=nesterov)
    set_lr(opt, lr_at(recipe, 0.0))
    return opt


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
    """Set every parameter group's learning rate to ``lr`` (times the group's ``lr_scale``, where it has one:
    Muon's filters follow the same schedule at their own peak rate)."""
    check_instance(optimizer, torch.optim.Optimizer, "optimizer", "torch.optim.Optimizer")
    lr = check_scalar(lr, "lr", low=0.0)
    for group in optimizer.param_groups:
        group["lr"] = lr * group.get("lr_scale", 1.0)
