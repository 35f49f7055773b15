"""Train paper 002's micro-expression model (3D-ResNet-18 + AU-GCN), evaluate it, export ONNX.

Runs in the training environment (``make train-env``: Python 3.11 + torch); the add-on never
imports torch and runs the export with ``facial_affect_addon.ml.micro_net``. Data (see
``tools/_micro_data.py`` for the layouts):

* ``--synthetic LABELS.json``: our rendered clips (``tools/make_micro_clips.py``); clips of
  held-out heads are only ever evaluated.
* ``--casme ROOT --coding SHEET.csv``: CASME II (obtain it from its authors; export the coding
  sheet to CSV).

Input: each clip is TIM-normalised to 16 frames at 112×112 (``--frames``, ``--size``), frames
relative to the first. Evaluation (``--eval``): ``loso`` (one fold per subject/head) or
``kfold`` (``--folds``), each fold trained from scratch for the SAME fixed ``--epochs`` (no
per-fold best-epoch picking). Reported: accuracy and macro-F1 (mean over folds), UF1 and UAR
(over all folds' predictions pooled, as MEGC 2019 scores them), AU F1 and onset/offset error.
Then the model is trained on every training clip and written to ``OUT/NAME.onnx`` (one output
``[onset, apex, offset, AU probs, emotion probs]``) + ``OUT/NAME.json`` (labels, AUs, adjacency,
preprocessing, caveat, scores) + ``OUT/NAME.pt`` (state dict).

``--tiny`` is the CI configuration: backbone width 4, 2 epochs, 8-frame clips at 56 px.
Usage: ``python tools/train_micro.py --synthetic out/micro_clips/labels.json --eval loso``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tools")]

import _micro_data as data  # noqa: E402
import micro_model  # noqa: E402
import torch  # noqa: E402

from facial_affect_addon.core.errors import InputError  # noqa: E402
from facial_affect_addon.core.facs import AU_CATALOGUE  # noqa: E402
from facial_affect_addon.core.micro import DEFAULT_GRAPH, CooccurrenceGraph  # noqa: E402
from facial_affect_addon.ml.micro_net import (  # noqa: E402
    SYNTHETIC_CAVEAT,
    ClipSpec,
    preprocess_clip,
)

MEAN = (0.5, 0.5, 0.5)
STD = (0.25, 0.25, 0.25)


class Dataset:
    """Preprocessed clips held in memory: inputs (N, 3, T, S, S) and their targets."""

    def __init__(self, records: list[data.ClipRecord], spec: ClipSpec, labels, aus) -> None:
        xs, times, spans = [], [], []
        for r in records:
            frames = data.read_frames(r.source)
            xs.append(preprocess_clip(frames, spec))
            times.append(data.normalised_times(r, len(frames)))
            spans.append((len(frames) - 1) / r.fps)
        self.spans = np.array(spans)
        self.records = records
        self.x = torch.from_numpy(np.stack(xs))
        self.times = torch.from_numpy(np.stack(times))
        self.aus = torch.tensor([[float(a in r.aus) for a in aus] for r in records])
        self.y = torch.tensor([labels.index(r.emotion) for r in records])
        self.groups = [r.group for r in records]

    def __len__(self) -> int:
        return len(self.records)


def graph_for(records: list[data.ClipRecord]) -> CooccurrenceGraph:
    """Co-occurrence counts of the training clips' AU sets, over the AUs they use.

    Falls back to :data:`~facial_affect_addon.core.micro.DEFAULT_GRAPH`'s active AUs when the
    clips carry fewer than two AUs.
    """
    used = [a for a in AU_CATALOGUE if any(a in r.aus for r in records)]
    if len(used) < 2:
        keep = [i for i in range(len(DEFAULT_GRAPH.aus)) if DEFAULT_GRAPH.counts[i, i] > 0]
        aus = tuple(DEFAULT_GRAPH.aus[i] for i in keep)
        return CooccurrenceGraph(aus, DEFAULT_GRAPH.counts[np.ix_(keep, keep)])
    m = np.array([[float(a in r.aus) for a in used] for r in records])
    return CooccurrenceGraph(tuple(used), (m.T @ m).astype(int))


def fit(net, ds: Dataset, idx: np.ndarray, args) -> list[float]:
    """Train ``net`` on clips ``idx`` for ``args.epochs``; returns the mean loss of each epoch."""
    opt = torch.optim.Adam(net.parameters(), lr=args.lr, weight_decay=1e-4)
    rng = np.random.default_rng(args.seed)
    losses = []
    for _ in range(args.epochs):
        net.train()
        order, total = rng.permutation(idx), 0.0
        for start in range(0, len(order), args.batch_size):
            b = torch.from_numpy(order[start : start + args.batch_size])
            x = ds.x[b]
            if rng.random() < 0.5:  # mirror: AU labels have their sides merged
                x = torch.flip(x, dims=[4])
            loss = micro_model.loss_terms(net(x), ds.times[b], ds.aus[b], ds.y[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(b)
        losses.append(total / len(order))
    return losses


@torch.no_grad()
def predict(net, ds: Dataset, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times (n, 3), AU probabilities (n, n_aus) and emotion indices (n,) for clips ``idx``."""
    net.eval()
    t, au, emo = net(ds.x[torch.from_numpy(idx)])
    return t.numpy(), torch.sigmoid(au).numpy(), emo.argmax(1).numpy()


def scores(y_true, y_pred, n_classes: int) -> dict:
    """Accuracy, macro-F1 (over classes present in ``y_true``) and UAR of one prediction set."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    f1s, recalls = [], []
    for k in range(n_classes):
        tp = int(((y_pred == k) & (y_true == k)).sum())
        fp = int(((y_pred == k) & (y_true != k)).sum())
        fn = int(((y_pred != k) & (y_true == k)).sum())
        if tp + fn == 0:
            continue
        f1s.append(2 * tp / (2 * tp + fp + fn))
        recalls.append(tp / (tp + fn))
    return {
        "accuracy": float((y_true == y_pred).mean()) if len(y_true) else 0.0,
        "macro_f1": float(np.mean(f1s)) if f1s else 0.0,
        "uar": float(np.mean(recalls)) if recalls else 0.0,
    }


def au_f1(true: np.ndarray, prob: np.ndarray) -> float:
    """Micro-averaged F1 of AU presence at probability 0.5."""
    pred = prob >= 0.5
    tp = float((pred & (true > 0.5)).sum())
    denom = float(pred.sum() + (true > 0.5).sum())
    return 2 * tp / denom if denom else 1.0


def folds_for(ds: Dataset, train_idx: np.ndarray, args) -> list[np.ndarray]:
    """Held-out index sets: one per group (LOSO) or ``args.folds`` shuffled k-fold splits."""
    if args.eval == "loso":
        groups = sorted({ds.groups[i] for i in train_idx})
        return [np.array([i for i in train_idx if ds.groups[i] == g]) for g in groups]
    shuffled = np.random.default_rng(args.seed).permutation(train_idx)
    return [f for f in np.array_split(shuffled, args.folds) if len(f)]


def cross_validate(ds: Dataset, train_idx: np.ndarray, adjacency, labels, args) -> dict:
    """Fixed-epoch LOSO or k-fold scores (see the module docstring)."""
    per_fold, pooled_true, pooled_pred = [], [], []
    for fold in folds_for(ds, train_idx, args):
        rest = np.setdiff1d(train_idx, fold)
        if not len(rest):
            continue
        torch.manual_seed(args.seed)
        net = micro_model.MicroNet(adjacency, len(labels), args.width)
        fit(net, ds, rest, args)
        _, _, pred = predict(net, ds, fold)
        per_fold.append(scores(ds.y[fold].numpy(), pred, len(labels)))
        pooled_true += ds.y[fold].tolist()
        pooled_pred += pred.tolist()
    pooled = scores(pooled_true, pooled_pred, len(labels))
    return {
        "protocol": args.eval,
        "folds": len(per_fold),
        "epochs": args.epochs,
        "accuracy": float(np.mean([f["accuracy"] for f in per_fold])),
        "macro_f1": float(np.mean([f["macro_f1"] for f in per_fold])),
        "uf1": pooled["macro_f1"],
        "uar": pooled["uar"],
    }


def held_out_scores(net, ds: Dataset, idx: np.ndarray, labels) -> dict:
    """Emotion scores, AU F1 and mean onset/offset error in seconds on clips ``idx``."""
    t, au, pred = predict(net, ds, idx)
    out = scores(ds.y[idx].numpy(), pred, len(labels))
    out["uf1"] = out.pop("macro_f1")
    out["au_f1"] = au_f1(ds.aus[idx].numpy(), au)
    err = np.abs(t - ds.times[idx].numpy())[:, [0, 2]] * ds.spans[idx, None]
    out["onset_offset_error_s"] = float(err.mean())
    out["clips"] = len(idx)
    return out


def export(net, ds: Dataset, spec: ClipSpec, labels, graph, report: dict, args) -> Path:
    """Write NAME.onnx, NAME.json and NAME.pt into ``args.out``."""
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{args.name}.onnx"
    net.eval()
    wrapped = micro_model.Exported(net).eval()
    dummy = ds.x[:1]
    torch.onnx.export(
        wrapped,
        (dummy,),
        str(path),
        input_names=["clip"],
        output_names=["out"],
        dynamic_axes={"clip": {0: "n"}, "out": {0: "n"}},
        opset_version=17,
        dynamo=False,
    )
    torch.save(net.state_dict(), path.with_suffix(".pt"))
    meta = {
        "task": "micro_expression",
        "name": f"3D-ResNet-18 + AU-GCN (paper 002), width {args.width}",
        "caveat": SYNTHETIC_CAVEAT if args.synthetic else "trained on CASME II",
        "labels": list(labels),
        "aus": list(graph.aus),
        "adjacency": np.round(graph.adjacency, 6).tolist(),
        "output": "[onset, apex, offset (fractions of the clip), AU probs, emotion probs]",
        "input": spec.to_meta(),
        "training": {"epochs": args.epochs, "width": args.width, "seed": args.seed},
        "evaluation": report,
    }
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return path


def load_records(args) -> list[data.ClipRecord]:
    """Records from the chosen dataset, capped at ``--max-clips`` (seeded choice)."""
    if args.synthetic:
        records = data.synthetic_records(args.synthetic)
    elif args.casme and args.coding:
        records = data.casme_records(args.casme, args.coding)
    else:
        raise SystemExit("give --synthetic LABELS.json or --casme ROOT --coding SHEET.csv")
    if args.max_clips and len(records) > args.max_clips:
        records = random.Random(args.seed).sample(records, args.max_clips)
    return records


def train(args) -> dict:
    """Load, cross-validate, train on all training clips, score held-out clips, export."""
    torch.manual_seed(args.seed)
    records = load_records(args)
    train_recs = [r for r in records if not r.heldout]
    if not train_recs:
        raise SystemExit("no training clips (every clip is held out)")
    labels = sorted({r.emotion for r in records})
    graph = graph_for(train_recs)
    adjacency = graph.adjacency
    spec = ClipSpec(args.frames, args.size, MEAN, STD, "first")
    ds = Dataset(records, spec, labels, graph.aus)
    train_idx = np.array([i for i, r in enumerate(records) if not r.heldout])
    held_idx = np.array([i for i, r in enumerate(records) if r.heldout])
    report: dict = {"clips": len(records), "training_clips": len(train_idx)}
    if args.eval != "none":
        report["cross_validation"] = cross_validate(ds, train_idx, adjacency, labels, args)
    torch.manual_seed(args.seed)
    net = micro_model.MicroNet(adjacency, len(labels), args.width)
    report["epoch_losses"] = fit(net, ds, train_idx, args)
    if len(held_idx):
        report["held_out"] = held_out_scores(net, ds, held_idx, labels)
    report["onnx"] = str(export(net, ds, spec, labels, graph, report, args))
    return report


def build_parser() -> argparse.ArgumentParser:
    """The command-line options (``--tiny`` overrides width, epochs, frames and size)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--synthetic", type=Path, help="labels JSON of tools/make_micro_clips.py")
    p.add_argument("--casme", type=Path, help="CASME II root (sub01/EP02_01f/...)")
    p.add_argument("--coding", type=Path, help="CASME II coding sheet exported as CSV")
    p.add_argument("--eval", choices=("loso", "kfold", "none"), default="loso")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--width", type=int, default=64, help="backbone base width (64 = paper)")
    p.add_argument("--frames", type=int, default=16)
    p.add_argument("--size", type=int, default=112)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--max-clips", type=int, default=0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tiny", action="store_true", help="CI configuration")
    p.add_argument("--out", type=Path, default=REPO / "out" / "micro_model")
    p.add_argument("--name", default="micro_resnet3d")
    return p


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parsed options; ``--tiny`` changes the defaults, options given explicitly still win."""
    parser = build_parser()
    if parser.parse_args(argv).tiny:
        parser.set_defaults(width=4, epochs=2, frames=8, size=56)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Train and print the report as JSON."""
    args = parse_args(argv)
    try:
        report = train(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
