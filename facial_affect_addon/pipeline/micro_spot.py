"""Spot micro-expressions in a video, with no training: decode, align, flow, spot, read out.

The method (landmark-region optical flow against a sliding baseline, after the MEGC 2020
spotting baseline of He et al. and MDMD; published numbers and caveats in
:mod:`..core.micro_spot`) runs in three steps:

1. **Align and track.** Every frame's face is found the way :func:`..pipeline.video.analyze_video`
   finds it (:func:`.video_faces.actor_analyzer`: the detector pyramid sees faces from
   :data:`~..ml.face_models.MIN_FACE_PX` tall, the tracker keeps one actor) with the face mesh, and
   warped by a similarity transform on stable points (nose, face outline) onto a template crop
   of :data:`CROP` pixels, so head translation, scale and in-plane rotation are gone. Farneback
   optical flow between consecutive crops, sampled at the 468 template landmarks and minus the
   nose ridge's flow (residual head motion), is accumulated into a displacement track per
   landmark (eye-distance units).
2. **Spot.** The mean track of each face region goes to :func:`..core.micro_spot.region_scores`
   and :func:`..core.micro_spot.spot_intervals`; events of 40-500 ms are micro, longer ones macro.
3. **Read out.** The template landmarks moved by the tracked displacement at the burst's onset
   (baseline) and apex go through the capture path (:func:`..core.capture.expression_weights`,
   without the jitter deadzone: the spotter already decided this motion is real) to ARKit keys,
   which :func:`..core.retarget.solve_aus` solves into AUs; :func:`..core.micro_graph.
   classify_burst` completes the AUs the capture cannot see through the co-occurrence graph
   ``P(U_i | U_j)`` and reads the emotion (training-free stand-in for paper 002's AU-GCN).

Flow instead of the landmarks themselves: on the done-criterion clip (a real photo with brief
warps of 0.09 eye distances at the lip corners or brows) the face-mesh landmarks moved 0.01-0.03
eye distances, under their own jitter on real footage, while the flow follows the pixels.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..core.capture import expression_weights, similarity_align, to_face_coords
from ..core.emotions import EMOTION_NAMES
from ..core.errors import InputError
from ..core.facs import AU_CHANNELS
from ..core.limits import parse_json
from ..core.micro_authoring import (
    DEFAULT_DURATION,
    MICRO_FILE_KIND,
    MICRO_FILE_VERSION,
    PEAK_FRACTION,
    MicroSpec,
    specs_from_dict,
)
from ..core.micro_graph import classify_burst
from ..core.micro_spot import (
    BurstKind,
    SpotOptions,
    SpottedBurst,
    SpottedInterval,
    burst_kind,
    emotion_spec,
    region_scores,
    spot_confidence,
    spot_intervals,
)
from ..core.retarget import solve_aus
from .video_faces import actor_analyzer, check_face_choice

CROP = 160  # template crop side (px)
TEMPLATE_IOD = 48.0  # eye distance in the crop (px)
_EYES_AT = (80.0, 62.0)  # midpoint of the eyes in the crop
# Points that expressions barely move: nose ridge and tip, inner eye corners, face sides (not the
# forehead top: a brow raise drags it).
ALIGN_POINTS: tuple[int, ...] = (6, 168, 197, 195, 5, 4, 133, 362, 234, 454)
NOSE_POINTS: tuple[int, ...] = (6, 168, 197, 195)
REGIONS: dict[str, tuple[int, ...]] = {
    "brow_right": (107, 55, 65, 52, 70, 46),
    "brow_left": (336, 285, 295, 282, 300, 276),
    "eye_right": (159, 145, 158, 153),
    "eye_left": (386, 374, 385, 380),
    "mouth_right": (61, 185, 146),
    "mouth_left": (291, 409, 375),
    "lips": (13, 14, 0, 17),
    "nose_wings": (129, 358),
}
MIN_SAMPLE_FPS = 25.0
ANCHOR_S = 1.0  # flow is measured from an anchor frame, renewed this often (s)
KEY_MIN = 0.05  # keys under this are left out of a burst's readout
AU_MIN = 0.1  # AU activations under this are not listed


@dataclass(frozen=True)
class MicroSpotResult:
    """What :func:`spot_video` found.

    Attributes:
        micro: Spotted micro-expressions (40-500 ms), in time order.
        macro: Longer events, in time order.
        fps: The rate the video was analysed at (frames per second).
        times: (n,) analysed sample times (s).
        scores: (n, len(REGIONS)) per-region spotting scores (1.0 = threshold).
        warnings: Non-fatal problems for the user.
    """

    micro: tuple[SpottedBurst, ...]
    macro: tuple[SpottedBurst, ...]
    fps: float
    times: np.ndarray
    scores: np.ndarray
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict:
        """``{"micro_expressions": [...], "macro_expressions": [...]}`` for the CLI's JSON."""
        return {
            "micro_expressions": [b.to_json() for b in self.micro],
            "macro_expressions": [b.to_json() for b in self.macro],
        }


def spot_markers(result: MicroSpotResult | None) -> tuple[tuple[float, str], ...] | None:
    """Timeline markers for the found events: ``(apex time, "micro fear 0.72")``, time order.

    None when nothing was spotted for (no ``result``), so old markers are left alone.
    """
    if result is None:
        return None
    events = [*result.micro, *result.macro]
    return tuple(
        (b.apex, f"{b.kind} {b.emotion} {b.confidence:.2f}")
        for b in sorted(events, key=lambda b: b.apex)
    )


FOUND_INTENSITY = 0.5
"""Intensity of a found burst whose spot result is gone (a marker carries no size)."""


def found_bursts(result: MicroSpotResult | None) -> tuple[MicroSpec, ...] | None:
    """The spotted micro-expressions as bursts of their emotion, to author (None: no spot ran).

    Each is :func:`~..core.micro_spot.emotion_spec` (apex, duration and strongest key of what
    was found), as ``cli video --micro-spot --spot-bake emotion`` bakes them; neutral ones are
    left out.
    """
    if result is None:
        return None
    return tuple(spec for spec in map(emotion_spec, result.micro) if spec is not None)


def found_to_text(specs: Sequence[MicroSpec]) -> str:
    """Found bursts as a micro-expression timeline document (the ``--micro-file`` format)."""
    bursts = [
        {"time": round(s.time, 6), "emotion": s.emotion, "intensity": round(s.intensity, 6),
         "duration_ms": round(s.duration * 1000.0, 3)}
        for s in specs
    ]  # fmt: skip
    doc = {"schema_version": MICRO_FILE_VERSION, "kind": MICRO_FILE_KIND, "bursts": bursts}
    return json.dumps(doc)


def found_from_text(text: str) -> tuple[MicroSpec, ...]:
    """Read :func:`found_to_text`'s document back, checked like a ``--micro-file``.

    Raises:
        InputError: Not such a document (e.g. edited by hand in a .blend).
    """
    return specs_from_dict(parse_json(text, "The last spot result"))


def found_specs(
    markers: Sequence[tuple[float, str]],
    spotted: Sequence[MicroSpec] = (),
    duration: float = DEFAULT_DURATION,
) -> tuple[MicroSpec, ...]:
    """Spotted micro-expression markers as bursts to author (panel: Add Found Bursts to Bake).

    Reads the labels :func:`spot_markers` writes (``"micro fear 0.72"``); the marker's frame is
    the apex, so a marker the user moved moves its burst. Intensity and duration come from the
    last spot's burst of the same emotion nearest the marker (``spotted``, from
    :func:`found_bursts`); without one, :data:`FOUND_INTENSITY` and ``duration``. Macro events,
    neutral bursts, markers before the bake's start and labels renamed by hand are left out.

    Args:
        markers: ``(apex seconds from the bake's start, label)`` pairs, e.g. the scene's markers.
        spotted: The last spot's found bursts.
        duration: Length (s) of a burst with no spotted match.

    Returns:
        One emotion burst per micro marker, in time order.
    """
    out = []
    for time_s, label in sorted(markers):
        parts = label.split()
        if len(parts) != 3 or parts[0] != str(BurstKind.MICRO) or time_s < 0:
            continue
        emotion = parts[1]
        if emotion not in EMOTION_NAMES or emotion == "neutral":
            continue
        same = [s for s in spotted if s.emotion == emotion]
        match = min(same, key=lambda s: abs(s.time - time_s), default=None)
        size = (match.intensity, match.duration) if match else (FOUND_INTENSITY, duration)
        time_s = max(time_s, PEAK_FRACTION * size[1])
        out.append(MicroSpec(time_s, size[0], emotion, duration=size[1]))
    return tuple(out)


def _template(points: np.ndarray) -> np.ndarray:
    """The first face's landmarks moved into the crop (eyes level, :data:`TEMPLATE_IOD` apart)."""
    p = np.asarray(points, dtype=float)[:, :2]
    right, left = p[[33, 133]].mean(0), p[[263, 362]].mean(0)
    iod = float(np.linalg.norm(left - right))
    if iod <= 1e-6:
        raise InputError("The first face's landmarks are degenerate (eyes coincide).")
    ex = (left - right) / iod
    axes = np.array([ex, [-ex[1], ex[0]]])
    return (p - (left + right) / 2) @ axes.T * (TEMPLATE_IOD / iod) + np.array(_EYES_AT)


class _Tracker:
    """Aligns each face onto the template and tracks the template landmarks by optical flow.

    Flow runs from an anchor frame to the current one (not frame to frame: summing consecutive
    flows drifted by a third of a burst's size on the done-criterion clip); the anchor is renewed
    every :data:`ANCHOR_S` seconds, carrying its tracked position over.
    """

    def __init__(self) -> None:
        self.template: np.ndarray | None = None
        self.anchor: np.ndarray | None = None
        self.anchor_t = 0.0
        self.anchor_position = np.zeros((468, 2))
        self.position = np.zeros((468, 2))
        self.track: list[np.ndarray] = []
        self.found: list[bool] = []

    def add(self, rgb: np.ndarray, landmarks: np.ndarray | None, t: float) -> None:
        import cv2

        if landmarks is None:  # hold: no motion measured, restart the flow at the next face
            self.anchor = None
            self.track.append(self.position.astype(np.float32))
            self.found.append(False)
            return
        if self.template is None:
            self.template = _template(landmarks)
        idx = list(ALIGN_POINTS)
        scale, rot, shift = similarity_align(np.asarray(landmarks)[idx, :2], self.template[idx])
        matrix = np.hstack([scale * rot, shift[:, None]])
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        crop = cv2.warpAffine(gray, matrix, (CROP, CROP), flags=cv2.INTER_LINEAR)
        if self.anchor is not None:
            flow = cv2.calcOpticalFlowFarneback(self.anchor, crop, None, 0.5, 3, 13, 3, 5, 1.1, 0)
            self.position = self.anchor_position + self._sample(flow)
        if self.anchor is None or t - self.anchor_t >= ANCHOR_S:
            self.anchor, self.anchor_t = crop, t
            self.anchor_position = self.position.copy()
        self.track.append(self.position.astype(np.float32))
        self.found.append(True)

    def _sample(self, flow: np.ndarray) -> np.ndarray:
        """Flow at each template landmark (nearest pixel) minus the nose ridge's, in IOD."""
        assert self.template is not None
        xy = np.clip(np.rint(self.template).astype(int), 0, CROP - 1)
        at = flow[xy[:, 1], xy[:, 0]].astype(float)
        return (at - at[list(NOSE_POINTS)].mean(0)) / TEMPLATE_IOD


def _decode(path, sample_fps, progress, should_cancel, faces) -> tuple[_Tracker, list, object]:
    """Decode and track every sampled frame; returns the tracker, sample times and video info."""
    from ..adapters.video import DecodeStats, iter_frames, probe_video

    info = probe_video(path)
    tracker = _Tracker()
    times: list[float] = []
    stats = DecodeStats()
    for frame in iter_frames(info, sample_fps, should_cancel, stats):
        face = faces.analyze(frame.rgb)
        tracker.add(frame.rgb, None if face is None else face.landmarks, frame.time_s)
        times.append(frame.time_s)
        if progress is not None:
            progress(min(1.0, (frame.index + 1) / max(info.n_frames, 1)))
    return tracker, times, info


def spot_video(
    path: str | os.PathLike,
    *,
    sample_fps: float | None = None,
    progress: Callable[[float], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    options: SpotOptions | None = None,
    face_analyzer=None,
    face_index: int | None = None,
) -> MicroSpotResult:
    """Spot micro- (40-500 ms) and macro-expressions in a video and read each out.

    Args:
        path: The video (anything OpenCV's FFmpeg backend reads).
        sample_fps: Frames analysed per second; None or 0 analyses every frame (needed: a
            40 ms burst spans one frame at 25 fps).
        progress: Called with the fraction done (0..1) after every frame.
        should_cancel: Polled before every frame; True stops with CancelledError.
        options: Spotting thresholds and windows.
        face_analyzer: A :class:`~..ml.faces.FaceAnalyzer` (None: one that finds small faces).
        face_index: Which tracked identity to spot (numbered in order of first appearance, as
            in :func:`..pipeline.video.analyze_video`); None: the main actor.

    Returns:
        The micro and macro events, each with AUs, ARKit keys, emotion and confidence.

    Raises:
        InputError: Missing/unreadable video, fewer than 2 frames, no face with landmarks, or
            no face ``face_index``.
        ModelError: The face models are missing.
        CancelledError: The job was cancelled.
    """
    opts = options or SpotOptions()
    faces = actor_analyzer(face_analyzer, face_index)
    tracker, times, info = _decode(path, sample_fps or 0.0, progress, should_cancel, faces)
    warnings = list(faces.warnings)
    warnings += check_face_choice(faces, face_index, info.path.name)[1]
    if tracker.template is None:
        raise InputError(
            f"No face with landmarks found in {info.path.name}; spotting needs the face mesh "
            "on a frontal, lit face."
        )
    if len(times) < 2:
        raise InputError(f"{info.path.name} has fewer than 2 frames; nothing to spot.")
    fps = (len(times) - 1) / max(times[-1] - times[0], 1e-9)
    if fps < MIN_SAMPLE_FPS:
        warnings.append(
            f"Analysed at {fps:.0f} fps: bursts shorter than {2000 / fps:.0f} ms can be missed "
            f"(analyse every frame of a {MIN_SAMPLE_FPS:g}+ fps video)."
        )
    missing = len(tracker.found) - sum(tracker.found)
    if missing:
        warnings.append(f"No face in {missing} of {len(times)} frames; motion there is unknown.")
    track = np.array(tracker.track, dtype=float)
    t = np.array(times)
    tracks = np.stack([track[:, list(ix)].mean(1) for ix in REGIONS.values()], axis=1)
    scores = region_scores(tracks, t, opts)
    events = spot_intervals(scores, t, tuple(REGIONS), opts)
    micro, macro = _read_out(events, track, tracker.template, opts)
    return MicroSpotResult(tuple(micro), tuple(macro), fps, t, scores, tuple(warnings))


def _read_out(
    events: Sequence[SpottedInterval], track: np.ndarray, template: np.ndarray, opts: SpotOptions
) -> tuple[list[SpottedBurst], list[SpottedBurst]]:
    """Each event as a :class:`SpottedBurst`, sorted into micro and macro (too short: dropped)."""
    micro: list[SpottedBurst] = []
    macro: list[SpottedBurst] = []
    for ev in events:
        kind = burst_kind(ev.duration, opts)
        if kind is None:
            continue
        burst = read_burst(ev, track, template, kind)
        (micro if kind is BurstKind.MICRO else macro).append(burst)
    return micro, macro


def read_burst(
    event: SpottedInterval, track: np.ndarray, template: np.ndarray, kind: BurstKind
) -> SpottedBurst:
    """ARKit keys, AUs and emotion of one event: its apex against its onset baseline.

    Args:
        event: From :func:`..core.micro_spot.spot_intervals`.
        track: (n, 468, 2) tracked displacement per landmark (eye distances).
        template: (468, 2) template landmarks (crop pixels).
        kind: Micro or macro.
    """
    base = template + TEMPLATE_IOD * track[event.onset_index]
    apex = template + TEMPLATE_IOD * track[event.apex_index]
    neutral = to_face_coords(base, base)
    weights = expression_weights(to_face_coords(apex, base), neutral, deadzone=0.0)
    names = tuple(weights)
    values = np.array([weights[n] for n in names])
    au = solve_aus(names, values)
    active = np.flatnonzero(au >= AU_MIN)
    codes = {AU_CHANNELS[i].split("_")[0] for i in active}
    aus = tuple(sorted(codes, key=lambda c: int(c[2:])))
    reading = classify_burst({AU_CHANNELS[i]: float(au[i]) for i in active})
    return SpottedBurst(
        onset=event.onset,
        apex=event.apex,
        offset=event.offset,
        aus=aus,
        keys={n: float(v) for n, v in zip(names, values, strict=True) if v >= KEY_MIN},
        emotion=reading.emotion,
        confidence=spot_confidence(event.score) * reading.confidence,
        kind=kind,
        regions=event.regions,
        au_values=tuple((AU_CHANNELS[i], float(au[i])) for i in active),
    )
