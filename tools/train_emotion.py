"""Train paper 000's ResNet18 emotion classifier (recipes v1, v2, v3) and export it to ONNX.

Runs in the separate training environment (``make train-env``: Python 3.11 + torch, CPU build);
the add-on itself never imports torch. Data layouts (AffectNet's, or anything shaped like it):

* folders: ``DATA/train/<class>/*.jpg`` and ``DATA/val/<class>/*.jpg`` (or only ``DATA/<class>/``,
  split 90/10 with the seed); class folder names are emotion names or aliases (``happy``...).
* CSV: ``--csv FILE --image-root DIR`` with an image-path column (``pth``, ``path``,
  ``subDirectory_filePath``, ``image``) and a label column (``label``/``expression``) holding a
  name or AffectNet's code (0 neutral, 1 happy, 2 sad, 3 surprise, 4 fear, 5 disgust, 6 anger;
  7 contempt and the non-face codes are skipped); ``--val-csv`` optional.

Recipes (paper 000, Table 3):
  v1: flip, rotation, colour jitter; cross-entropy; Adam; no dropout.
  v2: as v1 plus dropout 0.5 and a longer schedule.
  v3: flip, rotation, affine and colour augmentation; cross-entropy with label smoothing;
      AdamW with cosine annealing; 50 epochs, batch 64.

Reports accuracy and per-class precision/recall/F1 with macro-F1 on the validation split, and
writes ``OUT/NAME.onnx`` (softmax probabilities) + ``OUT/NAME.json`` (labels, preprocessing,
recipe, measured accuracy). Usage: ``python tools/train_emotion.py --data DIR --recipe v3``.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from facial_affect_addon.core.emotions import EMOTION_NAMES, canonical_emotion_name  # noqa: E402
from facial_affect_addon.core.errors import InputError  # noqa: E402
from facial_affect_addon.ml import resnet_emotion  # noqa: E402

AFFECTNET_CODES = {0: "neutral", 1: "happiness", 2: "sadness", 3: "surprise", 4: "fear"}
AFFECTNET_CODES |= {5: "disgust", 6: "anger"}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


@dataclass(frozen=True)
class Recipe:
    """One training recipe of paper 000's ablation."""

    name: str
    epochs: int
    dropout: float
    label_smoothing: float
    optimizer: str  # "adam" or "adamw"
    cosine: bool
    rotation: float
    affine: bool
    jitter: float
    lr: float = 1e-3
    weight_decay: float = 0.0


RECIPES = {
    "v1": Recipe("v1", 20, 0.0, 0.0, "adam", False, 10.0, False, 0.2),
    "v2": Recipe("v2", 40, 0.5, 0.0, "adam", False, 10.0, False, 0.2),
    "v3": Recipe("v3", 50, 0.5, 0.1, "adamw", True, 15.0, True, 0.3, weight_decay=0.05),
}


def _label(value: str) -> str | None:
    value = value.strip()
    if value.lstrip("-").isdigit():
        return AFFECTNET_CODES.get(int(value))
    try:
        return canonical_emotion_name(value)
    except InputError:
        return None  # contempt and other classes outside the seven


def folder_samples(root: Path) -> list[tuple[Path, int]]:
    """(image, class index) pairs from class-named subfolders of ``root``."""
    samples = []
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        name = _label(sub.name)
        if name is None:
            continue
        for f in sorted(sub.rglob("*")):
            if f.suffix.lower() in IMAGE_SUFFIXES:
                samples.append((f, EMOTION_NAMES.index(name)))
    return samples


def csv_samples(path: Path, image_root: Path) -> list[tuple[Path, int]]:
    """(image, class index) pairs from an AffectNet-style CSV."""
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        raise SystemExit(f"{path} has no rows")
    cols = {c.lower(): c for c in rows[0]}
    img_col = next(
        (cols[c] for c in ("pth", "path", "subdirectory_filepath", "image") if c in cols), None
    )
    lbl_col = next((cols[c] for c in ("label", "expression", "emotion") if c in cols), None)
    if img_col is None or lbl_col is None:
        raise SystemExit(f"{path}: need an image-path and a label column, got {list(rows[0])}")
    samples = []
    for row in rows:
        name = _label(row[lbl_col])
        if name is not None:
            samples.append((image_root / row[img_col], EMOTION_NAMES.index(name)))
    return samples


def load_splits(args) -> tuple[list, list]:
    """Train and validation samples from the folder or CSV layout."""
    if args.csv:
        root = args.image_root or args.csv.parent
        train = csv_samples(args.csv, root)
        val = csv_samples(args.val_csv, root) if args.val_csv else []
    elif (args.data / "train").is_dir():
        train = folder_samples(args.data / "train")
        val_dir = next(
            (args.data / d for d in ("val", "valid", "test") if (args.data / d).is_dir()), None
        )
        val = folder_samples(val_dir) if val_dir else []
    else:
        train, val = folder_samples(args.data), []
    if not val:
        random.Random(args.seed).shuffle(train)
        cut = max(1, len(train) // 10)
        val, train = train[:cut], train[cut:]
    if not train:
        raise SystemExit("no training images found")
    return train, val


class Transform:
    """The recipe's augmentation (train) or a plain resize (eval), on an RGB uint8 image.

    Written with OpenCV and numpy instead of torchvision (which does not load beside the CPU build
    of torch, see :mod:`facial_affect_addon.ml.resnet_emotion`). The training draws match the
    torchvision pipeline paper 000's recipes name: resize, horizontal flip, rotation by up to
    ``recipe.rotation`` degrees, for v3 an affine (translate ±10 %, scale 0.9–1.1, shear ±5°) in
    the same warp, then brightness/contrast/saturation jitter ``recipe.jitter`` (and hue ±0.05 for
    v3). Uncovered corners are black, as torchvision fills them. Randomness comes from ``random``,
    which torch's DataLoader seeds per worker.
    """

    def __init__(self, recipe: Recipe, size: int, train: bool) -> None:
        self.recipe, self.size, self.train = recipe, size, train

    def __call__(self, rgb: np.ndarray):
        import cv2
        import torch

        shrink = min(rgb.shape[:2]) > self.size  # area averaging, like PIL's antialiased resize
        mode = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
        img = cv2.resize(rgb, (self.size, self.size), interpolation=mode)
        if self.train:
            img = self._augment(img)
        x = img.astype(np.float32) / 255.0
        x = (x - np.float32(resnet_emotion.IMAGENET_MEAN)) / np.float32(resnet_emotion.IMAGENET_STD)
        return torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))

    def _augment(self, img: np.ndarray) -> np.ndarray:
        import cv2

        r, n = self.recipe, self.size
        if random.random() < 0.5:
            img = img[:, ::-1]
        angle = np.deg2rad(random.uniform(-r.rotation, r.rotation))
        scale, shear, shift = 1.0, 0.0, np.zeros(2)
        if r.affine:
            scale = random.uniform(0.9, 1.1)
            shear = np.deg2rad(random.uniform(-5.0, 5.0))
            shift = np.array([random.uniform(-0.1, 0.1), random.uniform(-0.1, 0.1)]) * n
        c, s = np.cos(angle), np.sin(angle)
        linear = scale * np.array([[c, -s], [s, c]]) @ np.array([[1.0, np.tan(shear)], [0.0, 1.0]])
        centre = np.array([(n - 1) / 2.0, (n - 1) / 2.0])
        matrix = np.hstack([linear, (centre + shift - linear @ centre)[:, None]])
        img = cv2.warpAffine(np.ascontiguousarray(img), matrix, (n, n), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=0)  # fmt: skip
        return self._jitter(img)

    def _jitter(self, img: np.ndarray) -> np.ndarray:
        import cv2

        j = self.recipe.jitter
        x = img.astype(np.float32)
        x *= random.uniform(1 - j, 1 + j)  # brightness
        x = x.mean() + (x - x.mean()) * random.uniform(1 - j, 1 + j)  # contrast
        gray = x @ np.float32([0.299, 0.587, 0.114])
        x = gray[..., None] + (x - gray[..., None]) * random.uniform(1 - j, 1 + j)  # saturation
        img = np.clip(x, 0, 255).astype(np.uint8)
        if self.recipe.affine:  # hue ±0.05 of the circle (OpenCV's 8-bit hue runs 0..179)
            hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV)
            shift = round(random.uniform(-0.05, 0.05) * 180)
            hsv[..., 0] = ((hsv[..., 0].astype(np.int16) + shift) % 180).astype(np.uint8)
            img = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
        return img


def transforms_for(recipe: Recipe, size: int, train: bool) -> Transform:
    """The recipe's augmentation (train) or a plain resize (eval): see :class:`Transform`."""
    return Transform(recipe, size, train)


def read_rgb(path: Path) -> np.ndarray:
    """An image file as RGB uint8 (OpenCV; raises ``ValueError`` when it cannot be read)."""
    import cv2

    data = np.fromfile(str(path), dtype=np.uint8)
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if bgr is None:
        raise ValueError(f"cannot read image {path}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def make_dataset(samples, transform):
    """A torch Dataset over (path, label) pairs read as RGB."""
    from torch.utils.data import Dataset

    class Images(Dataset):
        def __len__(self) -> int:
            return len(samples)

        def __getitem__(self, i):
            path, label = samples[i]
            return transform(read_rgb(path)), label

    return Images()


def classification_report(y_true, y_pred, n_classes: int = len(EMOTION_NAMES)) -> dict:
    """Accuracy, per-class precision/recall/F1/support and macro-F1 (over present classes)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    per_class, f1s = {}, []
    for k in range(n_classes):
        tp = int(((y_pred == k) & (y_true == k)).sum())
        fp = int(((y_pred == k) & (y_true != k)).sum())
        fn = int(((y_pred != k) & (y_true == k)).sum())
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        support = tp + fn
        per_class[EMOTION_NAMES[k]] = {"precision": p, "recall": r, "f1": f1, "support": support}
        if support:
            f1s.append(f1)
    accuracy = float((y_true == y_pred).mean()) if len(y_true) else 0.0
    return {
        "accuracy": accuracy,
        "macro_f1": float(np.mean(f1s)) if f1s else 0.0,
        "per_class": per_class,
    }


def evaluate(model, loader, device) -> dict:
    """Classification report of ``model`` over ``loader``."""
    import torch

    model.eval()
    truth, pred = [], []
    with torch.no_grad():
        for x, y in loader:
            pred.extend(model(x.to(device)).argmax(1).cpu().tolist())
            truth.extend(y.tolist())
    return classification_report(truth, pred)


def export_onnx(model, out: Path, name: str, size: int, recipe: Recipe, metrics: dict, data: str):
    """Write NAME.onnx (probabilities), NAME.json (labels, preprocessing, accuracy), NAME.pt."""
    import torch

    out.mkdir(parents=True, exist_ok=True)
    onnx_path = out / f"{name}.onnx"
    torch.save(model.state_dict(), out / f"{name}.pt")  # for fine-tuning; the add-on uses ONNX
    wrapped = resnet_emotion.with_softmax(model).eval().cpu()
    dummy = torch.zeros(1, 3, size, size)
    torch.onnx.export(
        wrapped,
        (dummy,),
        str(onnx_path),
        input_names=["input"],
        output_names=["probabilities"],
        dynamic_axes={"input": {0: "N"}, "probabilities": {0: "N"}},
        opset_version=17,
        dynamo=False,
    )
    meta = {
        "task": "emotion",
        "name": f"ResNet18 {recipe.name} (paper 000 recipe, trained by tools/train_emotion.py)",
        "license": "weights trained by this project; see the training data's licence",
        "labels": list(EMOTION_NAMES),
        "input": resnet_emotion.preprocessing_meta(size),
        "recipe": recipe.__dict__,
        "accuracy": {
            "value": metrics["accuracy"],
            "macro_f1": metrics["macro_f1"],
            "dataset": f"validation split of {data}",
            "measured_by": "this project (tools/train_emotion.py)",
        },
        "per_class": metrics["per_class"],
    }
    onnx_path.with_suffix(".json").write_text(json.dumps(meta, indent=2))
    return onnx_path


def train(args) -> dict:
    """Train with ``args.recipe``; returns the validation report (and writes the export)."""
    import torch
    from torch.utils.data import DataLoader

    recipe = RECIPES[args.recipe]
    epochs = args.epochs or recipe.epochs
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    train_s, val_s = load_splits(args)
    train_dl = DataLoader(
        make_dataset(train_s, transforms_for(recipe, args.size, True)),
        batch_size=args.batch_size,
        shuffle=True,
        num_workers=args.workers,
        drop_last=False,
    )
    val_dl = DataLoader(
        make_dataset(val_s, transforms_for(recipe, args.size, False)), batch_size=args.batch_size
    )
    device = torch.device(args.device)
    model = resnet_emotion.build_model(dropout=recipe.dropout).to(device)
    opt_cls = torch.optim.AdamW if recipe.optimizer == "adamw" else torch.optim.Adam
    opt = opt_cls(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    total = epochs * len(train_dl) if not args.max_steps else args.max_steps
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total) if recipe.cosine else None
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=recipe.label_smoothing)
    step = 0
    for epoch in range(epochs):
        model.train()
        for x, y in train_dl:
            opt.zero_grad()
            loss = loss_fn(model(x.to(device)), y.to(device))
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            step += 1
            if args.max_steps and step >= args.max_steps:
                break
        report = evaluate(model, val_dl, device)
        print(
            f"epoch {epoch + 1}/{epochs} loss {loss.item():.4f} "
            f"val acc {report['accuracy']:.4f} macro-F1 {report['macro_f1']:.4f}"
        )
        if args.max_steps and step >= args.max_steps:
            break
    report = evaluate(model, val_dl, device)
    for name, row in report["per_class"].items():
        print(
            f"{name:>10}  P {row['precision']:.3f}  R {row['recall']:.3f}  "
            f"F1 {row['f1']:.3f}  n {row['support']}"
        )
    path = export_onnx(
        model, args.out, args.name, args.size, recipe, report, str(args.csv or args.data)
    )
    print(f"accuracy {report['accuracy']:.4f}  macro-F1 {report['macro_f1']:.4f}  → {path}")
    return report


def build_parser() -> argparse.ArgumentParser:
    """The training tool's arguments."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, help="folder layout root")
    p.add_argument("--csv", type=Path, help="AffectNet-style CSV (instead of --data)")
    p.add_argument("--val-csv", type=Path)
    p.add_argument("--image-root", type=Path)
    p.add_argument("--recipe", choices=sorted(RECIPES), default="v3")
    p.add_argument("--epochs", type=int, help="override the recipe's epochs")
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (tests)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--size", type=int, default=resnet_emotion.INPUT_SIZE)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--device", default="cpu")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=REPO / "models")
    p.add_argument("--name", default="emotion_resnet18")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = build_parser().parse_args(argv)
    if not args.data and not args.csv:
        raise SystemExit("give --data DIR or --csv FILE")
    train(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
