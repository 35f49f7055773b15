"""Write a synthetic communication-effect set whose audience scores follow a KNOWN rule.

No real audience data exists here, so ``tools/train_communication.py`` is verified on takes whose
"scores" are a fixed function of their AU curves: a network that recovers the function from
examples has learnt something real about curves, while saying nothing about real audiences.

**Takes.** Each take is 3-4 s at 24 fps (72-96 frames) of the 8 :data:`CHANNELS`. Every channel
holds 0-3 Gaussian bursts (peak 0.2-1.0, sd 0.2-0.4 s, centres anywhere in the take) plus
Gaussian noise (sd 0.02), clipped to [0, 1]; AU12_L and AU12_R share their bursts, the right side
scaled by 0.85-1.0 (a slight asymmetry).

**The rule** (``smile = (AU12_L + AU12_R) / 2``, ``E(x) = mean over frames of x²``, the mean
activation energy of paper 000, and ``peaks(x)`` = rises to 0.5, each counted once until the
curve falls below 0.3 again):

* ``resonance = 4·E(smile) + 2·E(AU6) − 2·E(AU4)``
* ``shareability = 0.3·peaks(smile) + 1.5·mean(AU25)``
* ``engagement`` = tercile (low / medium / high) of ``resonance + shareability`` over the set.

**Files.** ``OUT/seq_NNNN.npy`` (float32 (T, 8)) for three takes in four and our curves document
(``core.formats.curves_to_dict``) ``OUT/seq_NNNN.json`` for the fourth, and ``OUT/scores.csv``
with the columns of ``train_communication.py`` (``sequence, engagement, resonance,
shareability, split, fps, channels``); ``--test-share`` of the takes have ``split = test``.
``OUT/SYNTHETIC.txt`` (this description) marks the set as synthetic: the training tool then
writes the synthetic caveat into the model's .json.

Usage: ``python tools/make_communication_data.py --out out/communication_synth --n 400``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO)]

from facial_affect_addon.core.curveset import CurveSet  # noqa: E402
from facial_affect_addon.core.formats import curves_to_dict  # noqa: E402

CHANNELS = ("AU1", "AU4", "AU6", "AU12_L", "AU12_R", "AU15", "AU25", "AU45")
FPS = 24.0
LABELS = ("low", "medium", "high")
SYNTHETIC_MARKER = "SYNTHETIC.txt"


def _bursts(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """0-3 Gaussian bursts over times ``t``."""
    out = np.zeros_like(t)
    for _ in range(int(rng.integers(0, 4))):
        centre, sd = rng.uniform(0, t[-1]), rng.uniform(0.2, 0.4)
        out += rng.uniform(0.2, 1.0) * np.exp(-0.5 * ((t - centre) / sd) ** 2)
    return out


def make_take(rng: np.random.Generator) -> np.ndarray:
    """One random take, (T, len(CHANNELS)) in [0, 1]."""
    t = np.arange(int(rng.integers(72, 97))) / FPS
    cols = {c: _bursts(rng, t) for c in CHANNELS if c != "AU12_R"}
    cols["AU12_R"] = cols["AU12_L"] * rng.uniform(0.85, 1.0)
    x = np.stack([cols[c] for c in CHANNELS], axis=1)
    return np.clip(x + rng.normal(0.0, 0.02, x.shape), 0.0, 1.0)


def peaks(x: np.ndarray, high: float = 0.5, low: float = 0.3) -> int:
    """Rises of ``x`` to ``high``, each counted once until ``x`` falls below ``low`` again.

    The hysteresis keeps sensor-like noise near ``high`` from counting one burst twice.
    """
    count, armed = 0, True
    for v in x:
        if armed and v >= high:
            count, armed = count + 1, False
        elif v < low:
            armed = True
    return count


def rule(x: np.ndarray) -> tuple[float, float]:
    """The known ``(resonance, shareability)`` of one take (see the module docstring)."""
    col = {c: x[:, i] for i, c in enumerate(CHANNELS)}
    smile = 0.5 * (col["AU12_L"] + col["AU12_R"])
    energy = {k: float(np.mean(v**2)) for k, v in (("smile", smile), *col.items())}
    resonance = 4.0 * energy["smile"] + 2.0 * energy["AU6"] - 2.0 * energy["AU4"]
    share = 0.3 * peaks(smile) + 1.5 * float(np.mean(col["AU25"]))
    return resonance, share


def write_set(out: Path, n: int, seed: int = 0, test_share: float = 0.2) -> Path:
    """Write ``n`` takes and ``scores.csv`` into ``out``; returns the CSV path."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    takes = [make_take(rng) for _ in range(n)]
    scores = np.array([rule(x) for x in takes])
    total = scores.sum(axis=1)
    cuts = np.quantile(total, [1 / 3, 2 / 3])
    engagement = np.searchsorted(cuts, total, side="right")
    test = set(rng.choice(n, round(n * test_share), replace=False).tolist())
    rows = []
    for i, x in enumerate(takes):
        if i % 4 == 3:
            name = f"seq_{i:04d}.json"
            curves = CurveSet(1, FPS, {c: x[:, j] for j, c in enumerate(CHANNELS)})
            (out / name).write_text(json.dumps(curves_to_dict(curves)), encoding="utf-8")
        else:
            name = f"seq_{i:04d}.npy"
            np.save(out / name, x.astype(np.float32))
        rows.append(
            {
                "sequence": name,
                "engagement": LABELS[int(engagement[i])],
                "resonance": f"{scores[i, 0]:.6f}",
                "shareability": f"{scores[i, 1]:.6f}",
                "split": "test" if i in test else "train",
                "fps": FPS,
                "channels": " ".join(CHANNELS),
            }
        )
    # The marker makes train_communication.py label its export as trained on synthetic data.
    (out / SYNTHETIC_MARKER).write_text(__doc__, encoding="utf-8")
    path = out / "scores.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def main(argv: list[str] | None = None) -> int:
    """Write the set and print the CSV path."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=REPO / "out" / "communication_synth")
    p.add_argument("--n", type=int, default=400)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--test-share", type=float, default=0.2)
    args = p.parse_args(argv)
    print(write_set(args.out, args.n, args.seed, args.test_share))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
