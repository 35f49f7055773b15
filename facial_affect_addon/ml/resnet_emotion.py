"""Paper 000's emotion classifier (Table 2): torchvision ResNet18, 512 → dropout → 7 classes.

Imported only by ``tools/train_emotion.py`` and the training tests: torch is imported inside the
functions, so this module can sit in the package without making torch a runtime dependency. At
run time the exported ONNX file is read by :mod:`.emotion_runtime` with the preprocessing below
written next to it.
"""

from __future__ import annotations

from ..core.emotions import EMOTION_NAMES

INPUT_SIZE = 224  # paper 000: 3 x 224 x 224 RGB
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def build_model(num_classes: int = len(EMOTION_NAMES), dropout: float = 0.5):
    """ResNet18 whose 512-d pooled features go through dropout into ``num_classes`` logits.

    Args:
        num_classes: Output classes (7 for the project's emotions).
        dropout: Dropout probability before the classifier (0 for recipe v1).

    Returns:
        A ``torch.nn.Module`` mapping (N, 3, H, W) normalised RGB to (N, num_classes) logits.
    """
    import torch
    from torchvision.models import resnet18

    model = resnet18(weights=None)
    in_features = model.fc.in_features  # 512
    model.fc = torch.nn.Sequential(
        torch.nn.Dropout(p=dropout), torch.nn.Linear(in_features, num_classes)
    )
    return model


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
