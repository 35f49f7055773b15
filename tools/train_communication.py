"""Train paper 003's communication-effect predictor from a studio's CSV, evaluate it, export ONNX.

Runs in the training environment (``make train-env``: Python 3.11 + torch); the add-on never
imports torch and runs the export with ``facial_affect_addon.ml.communication_net``. No trained
weights ship: no real audience data exists here. The CSV (takes → audience scores) and its
columns are described in ``tools/_communication_data.py``; ``tools/make_communication_data.py``
writes a synthetic set whose scores follow a known rule of the curves (the CI check).

Input: the AU curves of each take, resampled to ``--model-fps`` and padded/trimmed to
``--length`` frames (default: the longest take), in the channel order of ``--channels`` (default:
the first take's channels). Network: ``tools/communication_model.py`` (AU curves → BiLSTM →
transformer fusion with positional encoding → engagement / resonance / shareability heads; the
SE-ResNet frame encoder exists there but this tool trains the AU-curve path only).

Evaluation: 5-fold cross-validation stratified by engagement class (``--folds``). In fold k,
fold k is scored, fold k+1 is the validation set for early stopping (``--patience`` epochs
without a better validation loss, at most ``--epochs``), the rest is trained on. Reported:
engagement accuracy and R² of resonance and shareability, per fold and mean. The final model is
trained on every training row for the median best epoch of the folds, scored on the CSV's
``split = test`` rows (beside an in-run baseline: ridge regression on per-channel mean, mean
square and max of the same inputs), and written to ``OUT/NAME.onnx`` (input ``curves``
(N, length, C), one output ``[p_low, p_medium, p_high, resonance, shareability]``) +
``OUT/NAME.json`` (labels, channel order, fps, length, caveat, scores) + ``OUT/NAME.pt``.

``--tiny`` is the CI configuration: hidden 16, one fusion layer, 2 heads, 8 fps, at most 80
epochs per fold (patience 10), one CPU thread.
Usage: ``python tools/train_communication.py --csv out/communication_synth/scores.csv``.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tools")]

import _communication_data as data  # noqa: E402
import communication_model as cm  # noqa: E402
import torch  # noqa: E402

from facial_affect_addon.core.errors import InputError  # noqa: E402
from facial_affect_addon.ml.communication_net import (  # noqa: E402
    ENGAGEMENT_LABELS,
    SequenceSpec,
    prepare_curves,
)

SYNTHETIC_CAVEAT = "trained on synthetic takes whose scores follow a known rule; not an audience"


class Tensors:
    """Model inputs ``x`` (N, L, C), classes ``y`` (N,), raw scores ``z`` (N, 2)."""

    def __init__(self, takes: list[data.Take], spec: SequenceSpec) -> None:
        self.x = torch.from_numpy(
            np.stack([prepare_curves(t.curves, t.channels, t.fps, spec)[0] for t in takes])
        )
        self.y = torch.tensor([t.engagement for t in takes])
        self.z = torch.tensor([[t.resonance, t.shareability] for t in takes], dtype=torch.float32)


def make_net(spec: SequenceSpec, args) -> cm.CommunicationNet:
    """A fresh network of the configured size (seeded)."""
    torch.manual_seed(args.seed)
    return cm.CommunicationNet(
        len(spec.channels), spec.length, hidden=args.hidden, layers=args.layers, heads=args.heads
    )


def fit(net, ds: Tensors, train, val, stats, args) -> tuple[int, list[float]]:
    """Train on ``train``; with ``val``, keep the best validation state (early stopping).

    Returns the best epoch (1-based; the last one without ``val``) and the epoch losses.
    """
    mean, std = stats
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    rng = np.random.default_rng(args.seed)
    best, best_epoch, best_state, losses = float("inf"), 0, None, []
    epochs = args.epochs if val is not None else args.final_epochs
    for epoch in range(1, epochs + 1):
        net.train()
        order, total = rng.permutation(train), 0.0
        for start in range(0, len(order), args.batch_size):
            b = torch.from_numpy(order[start : start + args.batch_size])
            logits, reg = net(ds.x[b])
            loss = cm.loss_terms(logits, reg, ds.y[b], (ds.z[b] - mean) / std)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(b)
        losses.append(total / len(order))
        if val is None:
            continue
        net.eval()
        with torch.no_grad():
            logits, reg = net(ds.x[val])
            v = float(cm.loss_terms(logits, reg, ds.y[val], (ds.z[val] - mean) / std))
        if v < best:
            best, best_epoch, best_state = v, epoch, copy.deepcopy(net.state_dict())
        elif epoch - best_epoch >= args.patience:
            break
    if best_state is not None:
        net.load_state_dict(best_state)
    return (best_epoch or epochs), losses


def r2(true: np.ndarray, pred: np.ndarray) -> float:
    """Coefficient of determination."""
    ss = float(((true - true.mean()) ** 2).sum())
    return 1.0 - float(((true - pred) ** 2).sum()) / ss if ss > 0 else 0.0


@torch.no_grad()
def score(net, ds: Tensors, idx: np.ndarray, stats) -> dict:
    """Engagement accuracy and R² of both regressions on rows ``idx`` (in CSV units)."""
    net.eval()
    logits, reg = net(ds.x[idx])
    pred = (reg * stats[1] + stats[0]).numpy()
    true = ds.z[idx].numpy()
    return {
        "takes": len(idx),
        "engagement_accuracy": float((logits.argmax(1) == ds.y[idx]).float().mean()),
        "resonance_r2": r2(true[:, 0], pred[:, 0]),
        "shareability_r2": r2(true[:, 1], pred[:, 1]),
    }


def baseline(ds: Tensors, train: np.ndarray, test: np.ndarray) -> dict:
    """In-run baseline: ridge regression on per-channel mean, mean square and max of the input.

    Scored like :func:`score` (engagement from a ridge fit of the class index, rounded).
    """
    x = ds.x.numpy()
    feats = np.concatenate([x.mean(1), (x**2).mean(1), x.max(1), np.ones((len(x), 1))], axis=1)
    targets = np.concatenate([ds.z.numpy(), ds.y.numpy()[:, None]], axis=1)
    a = feats[train]
    w = np.linalg.solve(a.T @ a + 1e-3 * np.eye(a.shape[1]), a.T @ targets[train])
    pred = feats[test] @ w
    return {
        "takes": len(test),
        "engagement_accuracy": float(
            (np.clip(np.rint(pred[:, 2]), 0, 2) == targets[test, 2]).mean()
        ),
        "resonance_r2": r2(targets[test, 0], pred[:, 0]),
        "shareability_r2": r2(targets[test, 1], pred[:, 1]),
    }


def stratified_folds(labels: np.ndarray, idx: np.ndarray, k: int, seed: int) -> list[np.ndarray]:
    """``k`` folds of ``idx`` with each class dealt round-robin after a seeded shuffle."""
    rng = np.random.default_rng(seed)
    folds: list[list[int]] = [[] for _ in range(k)]
    turn = 0
    for c in np.unique(labels[idx]):
        for i in rng.permutation(idx[labels[idx] == c]):
            folds[turn % k].append(int(i))
            turn += 1
    return [np.array(sorted(f)) for f in folds]


def standardise(ds: Tensors, idx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and sd of the two scores over rows ``idx`` (sd floored)."""
    z = ds.z[idx]
    return z.mean(0), z.std(0).clamp_min(1e-6)


def cross_validate(ds: Tensors, train_idx: np.ndarray, spec: SequenceSpec, args) -> dict:
    """Stratified k-fold scores with early stopping on the next fold (module docstring)."""
    folds = stratified_folds(ds.y.numpy(), train_idx, args.folds, args.seed)
    per_fold, best_epochs = [], []
    for k, test in enumerate(folds):
        val = folds[(k + 1) % len(folds)]
        train = np.setdiff1d(train_idx, np.concatenate([test, val]))
        stats = standardise(ds, train)
        net = make_net(spec, args)
        epoch, _ = fit(net, ds, train, val, stats, args)
        best_epochs.append(epoch)
        per_fold.append({**score(net, ds, test, stats), "best_epoch": epoch})
    keys = ("engagement_accuracy", "resonance_r2", "shareability_r2")
    return {
        "folds": per_fold,
        **{f"mean_{k}": float(np.mean([f[k] for f in per_fold])) for k in keys},
        "median_best_epoch": int(np.median(best_epochs)),
    }


def export(net, ds: Tensors, spec: SequenceSpec, stats, report: dict, args) -> Path:
    """Write NAME.onnx, NAME.json and NAME.pt into ``args.out``."""
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{args.name}.onnx"
    wrapped = cm.Exported(net, *stats).eval()
    torch.onnx.export(
        wrapped,
        (ds.x[:1],),
        str(path),
        input_names=["curves"],
        output_names=["scores"],
        dynamic_axes={"curves": {0: "n"}, "scores": {0: "n"}},
        opset_version=17,
        dynamo=False,
    )
    torch.save(net.state_dict(), path.with_suffix(".pt"))
    meta = {
        "task": "communication_effect",
        "name": f"AU-curve BiLSTM + transformer (paper 003), hidden {args.hidden}",
        "caveat": args.caveat,
        "labels": list(ENGAGEMENT_LABELS),
        "output": "[p_low, p_medium, p_high, resonance, shareability] (scores in CSV units)",
        "input": spec.to_meta(),
        "frames": False,
        "target_mean": [float(v) for v in stats[0]],
        "target_std": [float(v) for v in stats[1]],
        "training": {
            k: getattr(args, k) for k in ("hidden", "layers", "heads", "epochs", "patience", "seed")
        },
        "evaluation": report,
    }
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return path


def train(args) -> dict:
    """Load, cross-validate, train the final model, score the test rows, export."""
    if args.threads:
        torch.set_num_threads(args.threads)
    takes = data.read_csv(args.csv, args.channels, args.fps)
    if (args.csv.parent / "SYNTHETIC.txt").is_file():  # written by make_communication_data.py
        args.caveat = SYNTHETIC_CAVEAT
    channels = tuple(args.channels.split()) if args.channels else takes[0].channels
    longest = max(len(t.curves) / t.fps for t in takes)
    spec = SequenceSpec(
        channels, args.model_fps, args.length or int(np.ceil(longest * args.model_fps))
    )
    ds = Tensors(takes, spec)
    train_idx = np.array([i for i, t in enumerate(takes) if not t.test])
    test_idx = np.array([i for i, t in enumerate(takes) if t.test])
    if args.folds == 2:
        raise InputError(
            "Use --folds 1 (no cross-validation) or at least 3 (test, validation, train)."
        )
    if len(train_idx) < 3 * args.folds:
        raise InputError(f"{len(train_idx)} training takes are too few for {args.folds} folds.")
    report: dict = {"takes": len(takes), "training_takes": len(train_idx)}
    if args.folds > 1:
        report["cross_validation"] = cross_validate(ds, train_idx, spec, args)
        args.final_epochs = report["cross_validation"]["median_best_epoch"]
    stats = standardise(ds, train_idx)
    net = make_net(spec, args)
    report["final_epochs"], losses = (
        args.final_epochs,
        fit(net, ds, train_idx, None, stats, args)[1],
    )
    report["epoch_losses"] = losses
    if len(test_idx):
        report["held_out"] = score(net, ds, test_idx, stats)
        report["held_out_baseline"] = baseline(ds, train_idx, test_idx)
    report["onnx"] = str(export(net, ds, spec, stats, report, args))
    return report


def build_parser() -> argparse.ArgumentParser:
    """The command-line options (``--tiny`` changes the size defaults)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--csv", type=Path, required=True, help="takes → audience scores")
    p.add_argument("--channels", default="", help="channel names of .npy takes / model order")
    p.add_argument("--fps", type=float, default=24.0, help="fps of .npy takes without a column")
    p.add_argument("--model-fps", type=float, default=24.0)
    p.add_argument("--length", type=int, default=0, help="frames per take (0: the longest)")
    p.add_argument("--folds", type=int, default=5, help="1: no cross-validation; else >= 3")
    p.add_argument("--epochs", type=int, default=200, help="most epochs per fold")
    p.add_argument("--final-epochs", type=int, default=100, help="without cross-validation")
    p.add_argument("--patience", type=int, default=20)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's choice)")
    p.add_argument("--caveat", default="trained on the studio's own audience scores")
    p.add_argument("--tiny", action="store_true", help="CI configuration")
    p.add_argument("--out", type=Path, default=REPO / "out" / "communication_model")
    p.add_argument("--name", default="communication")
    return p


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parsed options; ``--tiny`` changes the defaults, options given explicitly still win."""
    parser = build_parser()
    if parser.parse_args(argv).tiny:
        parser.set_defaults(
            hidden=16,
            layers=1,
            heads=2,
            model_fps=8.0,
            epochs=80,
            patience=10,
            batch_size=64,
            lr=3e-3,
            threads=1,
        )
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
