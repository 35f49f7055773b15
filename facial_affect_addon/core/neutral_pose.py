"""Which of the most-neutral frames also shows the head in its usual pose (issue 18 follow-up).

An emotion model's P(neutral) says nothing about where the head points, so the most neutral-scoring
frame can be a turned one; used as the capture's neutral reference it makes every other frame read
as turned (the golden clip's frame at 0.5 s read a 24-degree turn and became the reference).

**The rule.** The *candidates* are the valid frames whose score is within
:data:`NEUTRAL_SCORE_MARGIN` of the best. Each valid frame's head pose (pitch, yaw, roll from
:mod:`.head_pose`, relative to the best-scoring frame) is compared with the clip's median pose (the
per-angle median over all valid frames: where the head usually points). The pick is the
best-scoring candidate whose largest angle difference from that median is at most
:data:`POSE_TOLERANCE_DEG`; if no candidate is that close, the candidate nearest the median pose.
So an upright best frame is kept, and a turned one gives way to an almost as neutral upright one.
"""

from __future__ import annotations

import numpy as np

from .head_pose import RIGID_POINTS, orthographic_rotation, subject_angles

# Candidates: P(neutral) at most this far below the clip's best. With 7 classes a 0.1 gap is a
# small share of the probability mass, so the candidates look about as neutral as the best one.
NEUTRAL_SCORE_MARGIN = 0.1
# A candidate within this many degrees (every angle) of the clip's median pose counts as upright.
# Landmark pose jitter on a still face stays under ~2 degrees; a deliberate turn is larger.
POSE_TOLERANCE_DEG = 10.0


def pose_offsets(landmarks: np.ndarray, valid: np.ndarray, ref: int) -> np.ndarray:
    """Each valid frame's largest angle (degrees) away from the clip's median head pose.

    Args:
        landmarks: (n, 468, 3) mesh points per frame (pixels).
        valid: (n,) indices of the frames that have landmarks.
        ref: A valid frame whose 3-D shape serves as the head model.

    Returns:
        (len(valid),) max over pitch, yaw, roll of ``|angle - median angle|``.
    """
    idx = list(RIGID_POINTS)
    model = np.asarray(landmarks[ref][idx], dtype=float)
    angles = np.array(
        [
            subject_angles(orthographic_rotation(model, np.asarray(landmarks[i][idx], float)))
            for i in valid
        ]
    )
    return np.abs(angles - np.median(angles, axis=0)).max(axis=1)


def pick_upright_neutral(landmarks: np.ndarray, valid: np.ndarray, scores: np.ndarray) -> int:
    """The most neutral frame among those near the clip's median head pose (module rule).

    Args:
        landmarks: (n, 468, 3) mesh points per frame (pixels).
        valid: (k,) indices of the frames that have landmarks (k >= 1).
        scores: (k,) neutrality of those frames (NaN already replaced by -inf).

    Returns:
        The chosen frame's index into ``landmarks``.
    """
    best = int(np.argmax(scores))
    candidates = np.flatnonzero(scores >= scores[best] - NEUTRAL_SCORE_MARGIN)
    if len(candidates) < 2:
        return int(valid[best])
    offsets = pose_offsets(landmarks, valid, int(valid[best]))[candidates]
    upright = candidates[offsets <= POSE_TOLERANCE_DEG]
    if len(upright):
        return int(valid[upright[np.argmax(scores[upright])]])
    return int(valid[candidates[np.argmin(offsets)]])
