"""Paper 000's emotion classifier (Table 2): ResNet18, 512 → dropout → 7 classes.

Imported only by ``tools/train_emotion.py`` and the training tests: torch is imported inside the
functions, so this module can sit in the package without making torch a runtime dependency. At
run time the exported ONNX file is read by :mod:`.emotion_runtime` with the preprocessing below
written next to it.

The ResNet18 is written here (He et al. 2016, "Deep residual learning", Table 1's 18-layer
column: a 7×7/2 stem, 3×3/2 max-pool, four stages of two basic blocks at 64/128/256/512
channels, global average pool) rather than taken from torchvision. The training environment uses
the CPU build of torch, and PyPI's torchvision is built against the CUDA build and does not load
beside it; the CUDA build would cost CI ~5 GB of disk. Parameter names follow the usual layout
(``conv1``, ``bn1``, ``layer1.0.conv1``, ``layer2.0.downsample.0``, ``fc``), so state dicts of the
common ResNet18 load into it. Paper 000 does not say whether it starts from ImageNet weights;
nothing is downloaded here (offline by default), so training starts from scratch.
"""

from __future__ import annotations

from ..core.emotions import EMOTION_NAMES

INPUT_SIZE = 224  # paper 000: 3 x 224 x 224 RGB
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _basic_block_class(nn):
    """The basic residual block class (built on first use: torch is imported lazily)."""

    class BasicBlock(nn.Module):
        """Two 3×3 convolutions with a shortcut (a 1×1/stride projection when the shape changes)."""

        def __init__(self, cin: int, cout: int, stride: int) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU(inplace=True)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(
                    nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
                )

        def forward(self, x):
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            shortcut = x if self.downsample is None else self.downsample(x)
            return self.relu(out + shortcut)

    return BasicBlock


def _resnet18_class(torch, nn):
    """The ResNet18 class with a dropout + linear head."""
    block = _basic_block_class(nn)

    class ResNet18(nn.Module):
        def __init__(self, num_classes: int, dropout: float) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            cin = 64
            for i, width in enumerate((64, 128, 256, 512)):
                stride = 1 if i == 0 else 2
                setattr(
                    self,
                    f"layer{i + 1}",
                    nn.Sequential(block(cin, width, stride), block(width, width, 1)),
                )
                cin = width
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Sequential(nn.Dropout(p=dropout), nn.Linear(512, num_classes))
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(torch.flatten(self.avgpool(x), 1))

    return ResNet18


def build_model(num_classes: int = len(EMOTION_NAMES), dropout: float = 0.5):
    """ResNet18 whose 512-d pooled features go through dropout into ``num_classes`` logits.

    Args:
        num_classes: Output classes (7 for the project's emotions).
        dropout: Dropout probability before the classifier (0 for recipe v1).

    Returns:
        A ``torch.nn.Module`` mapping (N, 3, H, W) normalised RGB to (N, num_classes) logits.
    """
    import torch
    from torch import nn

    return _resnet18_class(torch, nn)(num_classes, dropout)


def with_softmax(model):
    """The model followed by a softmax, for export (the runtime expects probabilities)."""
    import torch

    class Probabilities(torch.nn.Module):
        def __init__(self, inner) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return torch.softmax(self.inner(x), dim=1)

    return Probabilities(model)


def preprocessing_meta(size: int = INPUT_SIZE) -> dict:
    """The ``input`` block of the exported model's .json (see emotion_runtime.InputSpec)."""
    return {
        "size": [size, size],
        "layout": "NCHW",
        "color": "RGB",
        "scale": 1.0 / 255.0,
        "offset": 0.0,
        "mean": list(IMAGENET_MEAN),
        "std": list(IMAGENET_STD),
        "face_crop": {"square": True, "pad_fraction": 0.1},
    }
