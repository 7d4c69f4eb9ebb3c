"""A small character-level language model in PyTorch, for notebook 09: its loss is cross-entropy per token,
its perplexity is the exponential of that loss, and its predictions drive the arithmetic coder.

The model is an MLP over the embeddings of the last k characters (``CharMLP``, after Bengio et al. 2003);
``train_char_lm`` fits it with AdamW on random positions of the training text for a number of steps or a
time budget; ``next_char_probs`` gives
its distribution for every character of a text given the characters before it (float64, ready for
:func:`course_utils.arithmetic_coding.encode`); ``sample_text`` and ``next_distribution`` serve the
temperature explorer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._validate import as_class_indices, check_axes, check_int, check_scalar, check_seed

__all__ = [
    "CharMLP",
    "LMHistory",
    "next_char_probs",
    "next_distribution",
    "plot_lm_history",
    "sample_text",
    "train_char_lm",
]


class CharMLP(nn.Module):
    """Bengio et al.'s (2003) neural language model, for characters: the embeddings of the last ``context``
    symbols, concatenated, through an MLP to logits (..., K) for the next symbol. Positions before the start
    of a text hold a padding symbol (index K) with its own embedding."""

    def __init__(self, num_symbols: int = 96, *, context: int = 16, embed: int = 16, hidden: int = 256,
                 layers: int = 2):
        super().__init__()
        self.num_symbols = check_int(num_symbols, "num_symbols", low=2)
        self.context = check_int(context, "context")
        self.embed = nn.Embedding(self.num_symbols + 1, check_int(embed, "embed"))
        width, blocks = self.context * embed, []
        for _ in range(check_int(layers, "layers")):
            blocks += [nn.Linear(width, check_int(hidden, "hidden")), nn.GELU()]
            width = hidden
        self.mlp = nn.Sequential(*blocks)
        self.head = nn.Linear(width, self.num_symbols)

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        """windows (..., context) of symbols (K = padding) -> logits (..., K) for the symbol after each."""
        return self.head(self.mlp(self.embed(windows).flatten(-2)))

    def windows(self, symbols: torch.Tensor, history: torch.Tensor | None = None) -> torch.Tensor:
        """(n, context): for each symbol, the ``context`` symbols before it (history first, then padding)."""
        h = symbols.new_zeros(0) if history is None else history[len(history) - min(len(history), self.context):]
        pad = symbols.new_full((self.context - h.numel(),), self.num_symbols)
        full = torch.cat([pad, h, symbols])
        return full.unfold(0, self.context, 1)[: symbols.numel()]


@dataclass
class LMHistory:
    """Training record: the step, the mean training loss (nats per character) and the seconds so far."""

    step: list = field(default_factory=list)
    loss_nats: list = field(default_factory=list)
    seconds: list = field(default_factory=list)

    @property
    def bits_per_char(self) -> np.ndarray:
        """The logged losses in bits per character."""
        return np.asarray(self.loss_nats) / np.log(2)


def _symbols(symbols, name: str, k: int) -> torch.Tensor:
    x = as_class_indices(symbols, name, k)
    if x.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of symbols (got shape {x.shape})")
    return torch.from_numpy(x)


def _schedule(progress: float, lr: float) -> float:
    """Linear warm-up over the first 5% of training, then a cosine from lr down to lr / 20."""
    if progress < 0.05:
        return lr * (0.1 + 0.9 * progress / 0.05)
    t = min(1.0, (progress - 0.05) / 0.95)
    return lr / 20 + (lr - lr / 20) * 0.5 * (1 + np.cos(np.pi * t))


def plot_lm_history(history: LMHistory, ax=None, *, num_symbols: int | None = None):
    """The training loss (nats per character) against the step; with ``num_symbols`` the uniform guess's
    ln K as a reference line."""
    from . import plots

    if not isinstance(history, LMHistory):
        raise TypeError(f"history must be an LMHistory (got {type(history).__name__})")
    if check_axes(ax, "ax") is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(7, 3.4), layout="constrained")
    ax.plot(history.step, history.loss_nats, "o-", ms=3, color=plots.COLORS["loss"], label="training loss")
    if num_symbols is not None:
        k = check_int(num_symbols, "num_symbols", low=2, high=10**6)
        ax.axhline(np.log(k), color=plots.COLORS["neutral"], ls="--", label=f"uniform guess: ln {k} nats")
    ax.set_xlabel("training step")
    ax.set_ylabel("loss (nats per character)")
    ax.legend(fontsize="small")
    return ax


def train_char_lm(model: CharMLP, symbols, *, steps: int = 2000, batch_size: int = 512,
                  lr: float = 2e-3, max_seconds: float | None = None, seed: int = 0,
                  log_every: int = 50) -> LMHistory:
    """Fit ``model`` to ``symbols`` with AdamW on random batches of positions, minimising the mean
    cross-entropy (nats) per character. Stops after ``steps`` or ``max_seconds``, whichever comes first; the
    learning rate warms up over the first 5% and then follows a cosine down to lr / 20, over the steps or the
    seconds, whichever runs out first. Returns the loss record."""
    if not isinstance(model, CharMLP):
        raise TypeError(f"model must be a CharMLP (got {type(model).__name__})")
    x = _symbols(symbols, "symbols", model.num_symbols)
    steps = check_int(steps, "steps", high=10**7)
    batch_size = check_int(batch_size, "batch_size", high=10**6)
    lr = check_scalar(lr, "lr", low=0.0, low_open=True)
    log_every = check_int(log_every, "log_every", high=steps)
    if max_seconds is not None:
        max_seconds = check_scalar(max_seconds, "max_seconds", low=0.0, low_open=True)
    if x.numel() == 0:
        raise ValueError("symbols must not be empty")
    gen = torch.Generator().manual_seed(check_seed(seed))
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    windows = model.windows(x)
    history, start, running = LMHistory(), time.perf_counter(), []
    model.train()
    for step in range(1, steps + 1):
        elapsed = time.perf_counter() - start
        progress = max((step - 1) / steps, elapsed / max_seconds if max_seconds else 0.0)
        for group in opt.param_groups:
            group["lr"] = _schedule(progress, lr)
        idx = torch.randint(0, x.numel(), (batch_size,), generator=gen)
        loss = F.cross_entropy(model(windows[idx]), x[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        running.append(loss.item())
        elapsed = time.perf_counter() - start
        out_of_time = max_seconds is not None and elapsed > max_seconds
        if step % log_every == 0 or step == steps or out_of_time:
            history.step.append(step)
            history.loss_nats.append(float(np.mean(running)))
            history.seconds.append(elapsed)
            running = []
        if out_of_time:
            break
    model.eval()
    return history


@torch.no_grad()
def next_char_probs(model: CharMLP, symbols, *, history=None, chunk: int = 16384) -> np.ndarray:
    """(n, K) float64: the model's distribution for each symbol of ``symbols`` given every symbol before it
    within its context (``history`` first, if given, then padding)."""
    if not isinstance(model, CharMLP):
        raise TypeError(f"model must be a CharMLP (got {type(model).__name__})")
    x = _symbols(symbols, "symbols", model.num_symbols)
    h_sym = torch.zeros(0, dtype=torch.int64) if history is None else _symbols(history, "history",
                                                                                model.num_symbols)
    chunk = check_int(chunk, "chunk", high=10**7)
    model.eval()
    w = model.windows(x, h_sym if h_sym.numel() else None)
    z = torch.cat([model(w[i:i + chunk]) for i in range(0, w.shape[0], chunk)]) if x.numel() else \
        torch.zeros(0, model.num_symbols)
    q = torch.softmax(z.double(), dim=-1).numpy()
    return q / q.sum(axis=1, keepdims=True)


@torch.no_grad()
def next_distribution(model: CharMLP, prompt, *, temperature: float = 1.0) -> np.ndarray:
    """(K,) float64: softmax(z / T) of the model's logits z for the symbol after ``prompt`` (non-empty)."""
    if not isinstance(model, CharMLP):
        raise TypeError(f"model must be a CharMLP (got {type(model).__name__})")
    x = _symbols(prompt, "prompt", model.num_symbols)
    if x.numel() == 0:
        raise ValueError("prompt must hold at least one symbol")
    t = check_scalar(temperature, "temperature", low=0.0, low_open=True)
    z = model(model.windows(x.new_zeros(1), x))[0]
    q = torch.softmax(z.double() / t, dim=-1).numpy()
    return q / q.sum()


@torch.no_grad()
def sample_text(model: CharMLP, prompt, n: int, *, temperature: float = 1.0, seed: int = 0) -> np.ndarray:
    """``n`` symbols drawn one at a time from softmax(z / T) after ``prompt`` (non-empty); int64 array."""
    if not isinstance(model, CharMLP):
        raise TypeError(f"model must be a CharMLP (got {type(model).__name__})")
    x = _symbols(prompt, "prompt", model.num_symbols)
    if x.numel() == 0:
        raise ValueError("prompt must hold at least one symbol")
    n = check_int(n, "n", low=0, high=10**6)
    t = check_scalar(temperature, "temperature", low=0.0, low_open=True)
    gen = torch.Generator().manual_seed(check_seed(seed))
    window = model.windows(x.new_zeros(1), x)  # (1, context): the prompt's last symbols
    out = []
    for _ in range(n):
        logits = model(window)[0]
        s = int(torch.multinomial(torch.softmax(logits.double() / t, dim=-1), 1, generator=gen))
        out.append(s)
        window = torch.cat([window[0, 1:], window.new_full((1,), s)])[None]
    return np.asarray(out, dtype=np.int64)
