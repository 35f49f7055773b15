"""Paper 002's micro-expression network in torch (used by ``tools/train_micro.py`` only).

* **3D-ResNet-18** (paper 002, Table 1): conv1 3×7×7 stride 1×2×2 (T×56×56 at 112 px, no
  max-pool), four stages of two basic blocks with 3×3×3 kernels, widths w, 2w, 4w, 8w (w = 64 in
  the paper → a 512-d feature), stages 2-4 halve time and space, then global average pooling.
* **Onset/apex/offset heads** with the temporal-order constraint built in (a cumulative
  parameterisation): a linear layer gives four logits, their softmax gives four non-negative gaps
  that sum to 1, and onset = g0, apex = g0 + g1, offset = g0 + g1 + g2. So
  0 <= onset <= apex <= offset <= 1 holds for every output, not only after training.
* **AU-GCN** (paper 002, §3.2-3.3 and §4.1.2): AU nodes start as one-hot vectors and go through
  two graph convolutions (→ 1024 → 512) over ``D^-1/2 (A + I) D^-1/2`` where
  ``A[i, j] = P(AU_i | AU_j)`` is the asymmetric co-occurrence adjacency
  (``core.micro.CooccurrenceGraph``) and D its row sums.
  The 512-d node embeddings act as the AU classifiers applied to the clip feature (the ML-GCN
  reading of "GCN-refined AU predictions"; the paper does not spell out how F meets the nodes).
* **Emotion layer**: a linear layer on the clip feature joined with the AU probabilities, so the
  emotion can lean on the AU evidence (paper 002's "emotion layer augments nodes").

Loss (paper 002): ``L = λ·MSE(times) + α·BCE(AUs) + (1 − α)·CE(emotion)``, λ = 0.5, α = 0.7.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

LAMBDA_TIMES = 0.5
ALPHA_AU = 0.7


class Block3d(nn.Module):
    """A basic 3D residual block: two 3×3×3 convolutions with batch norm and a skip."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv3d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm3d(c_out)
        self.conv2 = nn.Conv3d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm3d(c_out)
        self.skip = (
            nn.Sequential(nn.Conv3d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm3d(c_out))
            if stride != 1 or c_in != c_out
            else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + self.skip(x))


class ResNet3d18(nn.Module):
    """The 3D-ResNet-18 backbone: (N, 3, T, H, W) → (N, 8·width)."""

    def __init__(self, width: int = 64) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv3d(3, width, (3, 7, 7), (1, 2, 2), (1, 3, 3), bias=False),
            nn.BatchNorm3d(width),
            nn.ReLU(),
        )
        stages, c = [], width
        for i, mult in enumerate((1, 2, 4, 8)):
            c_out = width * mult
            stride = 1 if i == 0 else 2
            stages += [Block3d(c, c_out, stride), Block3d(c_out, c_out, 1)]
            c = c_out
        self.stages = nn.Sequential(*stages)
        self.out_dim = c

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.stem(x)).mean(dim=(2, 3, 4))


def normalised_adjacency(adjacency: np.ndarray) -> np.ndarray:
    """``D^-1/2 (A + I) D^-1/2`` with D the row sums of ``A + I`` (paper 002, §3.3)."""
    a = np.asarray(adjacency, dtype=np.float64) + np.eye(len(adjacency))
    d = 1.0 / np.sqrt(a.sum(axis=1))
    return (d[:, None] * a * d[None, :]).astype(np.float32)


class AuGcn(nn.Module):
    """Two graph convolutions over one-hot AU nodes → (n_aus, out_dim) AU classifiers."""

    def __init__(self, adjacency: np.ndarray, hidden: int = 1024, out_dim: int = 512) -> None:
        super().__init__()
        n = len(adjacency)
        self.register_buffer("a_hat", torch.from_numpy(normalised_adjacency(adjacency)))
        self.register_buffer("nodes", torch.eye(n))
        self.w1 = nn.Linear(n, hidden, bias=False)
        self.w2 = nn.Linear(hidden, out_dim, bias=False)

    def forward(self) -> torch.Tensor:
        h = torch.relu(self.a_hat @ self.w1(self.nodes))
        return self.a_hat @ self.w2(h)


class MicroNet(nn.Module):
    """Backbone + order-constrained time heads + AU-GCN + emotion layer.

    ``forward`` returns (times (N, 3), AU logits (N, n_aus), emotion logits (N, n_labels));
    :class:`Exported` wraps it into the single probability tensor the runtime reads.
    """

    def __init__(self, adjacency: np.ndarray, n_labels: int, width: int = 64) -> None:
        super().__init__()
        self.backbone = ResNet3d18(width)
        f = self.backbone.out_dim
        # The paper's 1024 → 512 GCN for the 512-d feature; narrower backbones scale it down.
        self.gcn = AuGcn(adjacency, hidden=2 * f, out_dim=f)
        self.times = nn.Linear(f, 4)
        self.au_bias = nn.Parameter(torch.zeros(len(adjacency)))
        self.emotion = nn.Linear(f + len(adjacency), n_labels)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.heads(x, self.gcn())

    def heads(
        self, x: torch.Tensor, classifiers: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The three outputs given the GCN's (n_aus, f) AU classifiers."""
        feat = self.backbone(x)
        gaps = torch.softmax(self.times(feat), dim=1)
        times = torch.cumsum(gaps, dim=1)[:, :3]
        au_logits = feat @ classifiers.t() + self.au_bias
        emo_logits = self.emotion(torch.cat([feat, torch.sigmoid(au_logits)], dim=1))
        return times, au_logits, emo_logits


class Exported(nn.Module):
    """One output tensor ``[onset, apex, offset, AU probabilities..., emotion probabilities...]``.

    The GCN's input is the fixed one-hot node set, so after training its output is a constant:
    it is stored once as a buffer (OpenCV's ONNX importer cannot run a graph of constants).
    """

    def __init__(self, net: MicroNet) -> None:
        super().__init__()
        self.net = net
        with torch.no_grad():
            self.register_buffer("classifiers", net.gcn().detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        times, au, emo = self.net.heads(x, self.classifiers)
        return torch.cat([times, torch.sigmoid(au), torch.softmax(emo, dim=1)], dim=1)


def loss_terms(
    outputs: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    times: torch.Tensor,
    aus: torch.Tensor,
    labels: torch.Tensor,
) -> torch.Tensor:
    """Paper 002's combined loss for one batch."""
    pred_t, au_logits, emo_logits = outputs
    seg = nn.functional.mse_loss(pred_t, times)
    au = nn.functional.binary_cross_entropy_with_logits(au_logits, aus)
    emo = nn.functional.cross_entropy(emo_logits, labels)
    return LAMBDA_TIMES * seg + ALPHA_AU * au + (1.0 - ALPHA_AU) * emo
