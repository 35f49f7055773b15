"""Face identities across frames: gated association of face boxes to tracks (numpy only).

A track remembers where its face was, how fast it moved (constant velocity, in pixels per
processed frame) and what it looked like (a colour histogram of the face's centre). A new box
may join a track only inside a gate: its size within a factor :data:`SIZE_GATE`, its centre within
a few face sides of the track's *predicted* centre (wider the longer the track was lost) and its
colours within :data:`APPEARANCE_GATE`. Candidate pairs are taken cheapest first, each track and
box once. When two people cross, their boxes meet where both tracks predict them; the velocity
keeps each prediction on its own side before and after the crossing, and the appearance term
decides the frames where they overlap, so the identities do not swap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

Box = tuple[float, float, float, float]
SIZE_GATE = 1.6
"""Largest size ratio between a track's last box and a box joining it."""
APPEARANCE_GATE = 0.45
"""Largest histogram distance (0 = same colours, 1 = disjoint) for a box joining a track."""
HIST_BINS = 8


def box_iou(a: Box, b: Box) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def appearance(rgb: np.ndarray, box: Box) -> np.ndarray:
    """A per-channel colour histogram (3 x :data:`HIST_BINS`, each channel summing to 1) of the
    box's central half, where the face is and the background is not."""
    x, y, w, h = box
    x0, y0 = int(max(0, x + w / 4)), int(max(0, y + h / 4))
    x1, y1 = int(min(rgb.shape[1], x + 3 * w / 4)), int(min(rgb.shape[0], y + 3 * h / 4))
    patch = rgb[y0:y1, x0:x1].reshape(-1, 3)
    if not len(patch):
        return np.full(3 * HIST_BINS, 1.0 / HIST_BINS)
    bins = (patch.astype(np.int32) * HIST_BINS) // 256
    hist = np.stack([np.bincount(bins[:, c], minlength=HIST_BINS) for c in range(3)])
    return (hist / len(patch)).reshape(-1).astype(np.float64)


def appearance_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Half the L1 distance between two histograms, averaged over the channels (0..1)."""
    return float(np.abs(a - b).sum() / 6.0)


@dataclass
class Track:
    """One face identity.

    Attributes:
        face_id: Its number, in order of first appearance.
        box: Its last box (x, y, w, h).
        step: The processed-frame number of that box.
        velocity: Centre motion per processed frame (x, y).
        look: Its colour histogram (updated slowly).
    """

    face_id: int
    box: Box
    step: int
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2))
    look: np.ndarray | None = None

    def predicted_centre(self, step: int) -> np.ndarray:
        """Where the centre should be at ``step`` if the face kept its speed."""
        x, y, w, h = self.box
        return np.array([x + w / 2, y + h / 2]) + self.velocity * (step - self.step)

    def cost(self, box: Box, look: np.ndarray | None, step: int) -> float | None:
        """The cost of ``box`` joining this track at ``step``, or None outside the gate."""
        side, new_side = max(self.box[2], self.box[3]), max(box[2], box[3])
        ratio = new_side / max(side, 1e-6)
        if not 1 / SIZE_GATE <= ratio <= SIZE_GATE:
            return None
        centre = np.array([box[0] + box[2] / 2, box[1] + box[3] / 2])
        dist = float(np.linalg.norm(centre - self.predicted_centre(step))) / max(side, 1e-6)
        if dist > min(1.5 + 0.5 * (step - self.step - 1), 4.0):
            return None
        far = 0.0
        if look is not None and self.look is not None:
            far = appearance_distance(look, self.look)
            if far > APPEARANCE_GATE:
                return None
        return dist + abs(float(np.log(ratio))) + 2.0 * far

    def update(self, box: Box, look: np.ndarray | None, step: int) -> None:
        """Move the track to ``box`` (seen at ``step``)."""
        old = self.predicted_centre(self.step)
        new = np.array([box[0] + box[2] / 2, box[1] + box[3] / 2])
        moved = (new - old) / max(step - self.step, 1)
        self.velocity = 0.5 * self.velocity + 0.5 * moved if step > self.step else self.velocity
        self.box, self.step = tuple(float(v) for v in box), step  # type: ignore[assignment]
        if look is not None:
            self.look = look if self.look is None else 0.8 * self.look + 0.2 * look


def associate(
    tracks: list[Track], boxes: list[Box], looks: list[np.ndarray | None], step: int
) -> list[tuple[int, int]]:
    """Pairs (track index, box index) inside the gates, cheapest first, each used once."""
    pairs = []
    for i, track in enumerate(tracks):
        for j, (box, look) in enumerate(zip(boxes, looks, strict=True)):
            c = track.cost(box, look, step)
            if c is not None:
                pairs.append((c, i, j))
    used_t: set[int] = set()
    used_b: set[int] = set()
    out = []
    for _, i, j in sorted(pairs):
        if i not in used_t and j not in used_b:
            used_t.add(i)
            used_b.add(j)
            out.append((i, j))
    return out


def main_face_score(boxes: list[Box], frame_hw: tuple[int, int]) -> float:
    """How much a face is the main actor: summed over its frames, its height over the frame's
    times its centrality (1 at the centre, 0 at a corner)."""
    h, w = frame_hw
    half_diag = float(np.hypot(w, h)) / 2
    total = 0.0
    for x, y, bw, bh in boxes:
        off = float(np.hypot(x + bw / 2 - w / 2, y + bh / 2 - h / 2)) / half_diag
        total += bh / h * max(0.0, 1.0 - off)
    return total
