"""Paper 003's communication-effect network in torch (used by ``tools/train_communication.py``).

Paper 003 (§3.1-3.3) predicts how an animated face will land with an audience from three
streams: a visual stream (a ResNet with squeeze-and-excitation attention per frame), a temporal
stream (bidirectional LSTM layers) and a transformer fusion with positional encoding, ending in
multi-output heads. We keep that shape at a size a studio can train on its own data:

* **Inputs.** The AU curves of a take, ``(N, T, C)`` (T frames at a fixed rate, C channels in
  the model's order): the default path, since every take this add-on makes or analyses has
  them. Optionally the face frames ``(N, T, 3, S, S)`` too; each frame then goes through
  :class:`SEResNet` and its feature joins the curves (paper 003's visual stream).
* **Temporal stream:** a linear projection of each frame's features, then a BiLSTM.
* **Fusion:** the BiLSTM states plus sinusoidal positional encoding (Vaswani et al. 2017) go
  through ``layers`` pre-norm transformer encoder layers (multi-head self-attention + MLP),
  then a mean over time. Attention is written out with matmul/softmax so the ONNX graph holds
  only plain ops.
* **Heads:** engagement class logits (low/medium/high), emotional resonance and shareability
  (regressions on standardised targets; :class:`Exported` undoes the standardisation).

Paper 003 uses a ResNet-50 and gives no layer sizes for the rest; ``width``, ``hidden`` and
``layers`` are ours, chosen by the training tool's options.
"""

from __future__ import annotations

import math

import torch
from torch import nn

ENGAGEMENT_LABELS = ("low", "medium", "high")


class SEBlock(nn.Module):
    """Squeeze-and-excitation (Hu et al. 2018): reweights channels by a pooled gate."""

    def __init__(self, channels: int, reduction: int = 4) -> None:
        super().__init__()
        mid = max(channels // reduction, 1)
        self.fc1 = nn.Linear(channels, mid)
        self.fc2 = nn.Linear(mid, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = torch.sigmoid(self.fc2(torch.relu(self.fc1(x.mean(dim=(2, 3))))))
        return x * gate[:, :, None, None]


class SEResidual(nn.Module):
    """A basic residual block (two 3×3 convolutions) with SE on the residual branch."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.se = SEBlock(c_out)
        self.skip: nn.Module = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.skip = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.se(self.bn2(self.conv2(y)))
        return torch.relu(y + self.skip(x))


class SEResNet(nn.Module):
    """Frame encoder: a stem, four SE residual stages (w, 2w, 4w, 8w), global pooling → 8w."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, width, 7, 2, 3, bias=False), nn.BatchNorm2d(width), nn.ReLU()
        )
        widths = (width, 2 * width, 4 * width, 8 * width)
        stages, c_in = [], width
        for i, w in enumerate(widths):
            stages += [SEResidual(c_in, w, 1 if i == 0 else 2), SEResidual(w, w, 1)]
            c_in = w
        self.stages = nn.Sequential(*stages)
        self.out_features = widths[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.stem(x)).mean(dim=(2, 3))


def positional_encoding(length: int, dim: int) -> torch.Tensor:
    """The sinusoidal table ``(length, dim)`` of Vaswani et al. (2017)."""
    pos = torch.arange(length, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(length, dim)
    table[:, 0::2] = torch.sin(pos * freq)
    table[:, 1::2] = torch.cos(pos * freq)[:, : dim // 2]
    return table


class FusionLayer(nn.Module):
    """One pre-norm transformer encoder layer with explicit multi-head attention."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"model width {dim} is not divisible by {heads} heads")
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, t, d = x.shape
        h = self.heads
        q, k, v = self.qkv(self.norm1(x)).reshape(n, t, 3, h, d // h).permute(2, 0, 3, 1, 4)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // h), dim=-1)
        y = (att @ v).transpose(1, 2).reshape(n, t, d)
        x = x + self.drop(self.proj(y))
        return x + self.drop(self.mlp(self.norm2(x)))


class CommunicationNet(nn.Module):
    """AU curves (+ optional frames) → engagement logits, resonance, shareability."""

    def __init__(
        self,
        n_channels: int,
        length: int,
        *,
        hidden: int = 32,
        layers: int = 2,
        heads: int = 4,
        dropout: float = 0.1,
        frame_width: int = 0,
    ) -> None:
        """Build the network.

        Args:
            n_channels: AU channels per frame.
            length: Frames per sequence (the positional table's length).
            hidden: LSTM hidden size per direction; the fusion width is ``2 * hidden``.
            layers: Transformer fusion layers.
            heads: Attention heads.
            dropout: Dropout in the fusion layers.
            frame_width: SE-ResNet base width; 0 = AU curves only (no frame input).
        """
        super().__init__()
        self.frames = SEResNet(frame_width) if frame_width else None
        extra = self.frames.out_features if self.frames else 0
        self.embed = nn.Sequential(nn.Linear(n_channels + extra, hidden), nn.GELU())
        self.lstm = nn.LSTM(hidden, hidden, batch_first=True, bidirectional=True)
        dim = 2 * hidden
        self.register_buffer("pos", positional_encoding(length, dim), persistent=False)
        self.fusion = nn.Sequential(*(FusionLayer(dim, heads, dropout) for _ in range(layers)))
        self.norm = nn.LayerNorm(dim)
        self.engagement = nn.Linear(dim, len(ENGAGEMENT_LABELS))
        self.regress = nn.Linear(dim, 2)

    def forward(
        self, curves: torch.Tensor, frames: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Engagement logits ``(N, 3)`` and standardised [resonance, shareability] ``(N, 2)``."""
        x = curves
        if self.frames is not None:
            if frames is None:
                raise ValueError("this model was built with a frame encoder: pass frames")
            n, t = frames.shape[:2]
            feats = self.frames(frames.reshape(n * t, *frames.shape[2:])).reshape(n, t, -1)
            x = torch.cat([x, feats], dim=-1)
        y, _ = self.lstm(self.embed(x))
        y = self.fusion(y + self.pos[: y.shape[1]])
        pooled = self.norm(y).mean(dim=1)
        return self.engagement(pooled), self.regress(pooled)


class Exported(nn.Module):
    """The ONNX graph: one output row ``[p_low, p_medium, p_high, resonance, shareability]``."""

    def __init__(self, net: CommunicationNet, mean: torch.Tensor, std: torch.Tensor) -> None:
        super().__init__()
        self.net = net
        self.register_buffer("mean", mean.float())
        self.register_buffer("std", std.float())

    def forward(self, curves: torch.Tensor, frames: torch.Tensor | None = None) -> torch.Tensor:
        logits, reg = self.net(curves, frames)
        return torch.cat([torch.softmax(logits, dim=1), reg * self.std + self.mean], dim=1)


def loss_terms(
    logits: torch.Tensor, reg: torch.Tensor, label: torch.Tensor, target: torch.Tensor
) -> torch.Tensor:
    """Cross-entropy on the engagement class plus MSE on the two standardised regressions."""
    return nn.functional.cross_entropy(logits, label) + nn.functional.mse_loss(reg, target)
