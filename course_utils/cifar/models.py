"""The course's CNNs: a LeNet-style baseline (the PyTorch tutorial's) and a fast conv-BN net for CPUs.

The fast net follows ideas from the CIFAR-10 speed records (Page's ResNet-9, Keller Jordan's airbench),
written afresh and sized for one or two CPU cores:

- a fixed 2×2 "whitening" stem whose filters decorrelate the pixels of 2×2 patches (set from data);
- wide early downsampling: three blocks, each conv → max-pool (halves the image) → batch norm → GELU →
  conv → batch norm → GELU, so most of the work happens on small images;
- a global max-pool and one linear layer whose outputs are the logits (scaled down, so that the initial
  loss is close to ln 10 ≈ 2.303 nats).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .._validate import check_int, check_seed

__all__ = ["WIDTHS", "MODEL_NAMES", "TutorialNet", "ConvBlock", "FastNet", "make_model", "count_parameters"]

#: Channel widths of the three blocks for each named fast net.
WIDTHS: dict[str, tuple[int, int, int]] = {
    "quick": (32, 64, 128),
    "standard": (32, 64, 128),
    "full": (64, 256, 256),
}
MODEL_NAMES = ("tutorial", *WIDTHS)


class TutorialNet(nn.Module):
    """The LeNet-style net of the PyTorch "Training a classifier" tutorial (62 k parameters)."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class ConvBlock(nn.Sequential):
    """conv 3×3 → max-pool 2 → BN → GELU → conv 3×3 → BN → GELU."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__(
            nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
            nn.MaxPool2d(2),
            nn.BatchNorm2d(c_out),
            nn.GELU(),
            nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.GELU(),
        )


class FastNet(nn.Module):
    """Whitening stem + three conv-BN blocks + max-pool + linear: a CIFAR-10 net that trains fast on a CPU."""

    def __init__(self, widths: tuple[int, int, int] = (32, 64, 128), num_classes: int = 10,
                 logit_scale: float = 0.125):
        super().__init__()
        self.whiten = nn.Conv2d(3, 24, 2, padding=0, bias=True)  # 24 = 2 × (3 channels × 2 × 2 pixels)
        self.whiten.weight.requires_grad_(False)  # set from data by init_whitening(), then kept fixed
        self.register_buffer("whitened", torch.tensor(False))  # saved with the weights
        self.blocks = nn.Sequential(
            ConvBlock(24, widths[0]), ConvBlock(widths[0], widths[1]), ConvBlock(widths[1], widths[2])
        )
        self.head = nn.Linear(widths[2], num_classes, bias=False)
        self.logit_scale = logit_scale
        for m in self.modules():
            if isinstance(m, nn.Conv2d) and m is not self.whiten:
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.gelu(self.whiten(x))
        x = self.blocks(x)
        x = torch.amax(x, dim=(2, 3))
        return self.head(x) * self.logit_scale

    @torch.no_grad()
    def init_whitening(self, x: torch.Tensor, eps: float = 5e-4) -> None:
        """Set the stem to the whitening filters of 2×2 patches of ``x`` (normalised float images):
        the eigenvectors of the patch covariance divided by the square roots of their eigenvalues, each
        used with both signs so that the GELU after it keeps both halves."""
        total = torch.zeros(12, dtype=torch.float64)
        outer = torch.zeros(12, 12, dtype=torch.float64)
        count = 0
        for chunk in torch.split(x, 500):  # in chunks: all patches at once would take hundreds of MB
            p = F.unfold(chunk.float(), kernel_size=2).transpose(1, 2).reshape(-1, 12).double()
            total += p.sum(0)
            outer += p.T @ p
            count += len(p)
        mean = total / count
        cov = outer / count - torch.outer(mean, mean)
        eigvals, eigvecs = torch.linalg.eigh(cov.cpu())
        w = (eigvecs.T / torch.sqrt(eigvals.clamp(min=0) + eps)[:, None]).reshape(12, 3, 2, 2).float()
        self.whiten.weight.copy_(torch.cat([w, -w]).to(self.whiten.weight.device))
        self.whiten.bias.zero_()
        self.whitened.fill_(True)


def make_model(name: str = "quick", num_classes: int = 10, *, seed: int | None = 0) -> nn.Module:
    """A fresh CNN by name: ``"tutorial"`` (LeNet-style baseline) or a fast net, ``"quick"``,
    ``"standard"`` (both 0.3 M parameters) or ``"full"`` (wider, 2 M parameters). ``seed`` makes the
    initial weights reproducible."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a str (got {type(name).__name__})")
    if name not in MODEL_NAMES:
        raise ValueError(f"name must be one of {', '.join(map(repr, MODEL_NAMES))} (got {name!r})")
    num_classes = check_int(num_classes, "num_classes", low=2, high=100_000)
    seed = None if seed is None else check_seed(seed)
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(seed)
        if name == "tutorial":
            return TutorialNet(num_classes)
        return FastNet(WIDTHS[name], num_classes)


def count_parameters(model: nn.Module) -> int:
    """Number of parameters, trainable or not."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module (got {type(model).__name__})")
    return sum(p.numel() for p in model.parameters())
