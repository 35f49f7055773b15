"""The expressiveness report (issue 16): paper 000's metrics, plots and static vs dynamic.

:func:`build_report` takes a performance (or the CLI's performance / analysis JSON document),
synthesises its AU curves (dynamic mode, blinks off so they do not swamp the expression; no
micro-expressions or speech articulation) and computes:

* per-AU activation energy ``E_AU = sum_f I**2``, temporal structure (rise / hold / fall, peak
  count) and smoothness (RMS jerk) (:mod:`..core.metrics`);
* spatial spread: energy share per face region and its entropy;
* micro-expressions listed in the document (count, durations);
* static vs dynamic synthesis of the same input (:mod:`.report_compare`);
* the communication score, a formula labelled "heuristic, not learned"
  (:mod:`..core.communication`), with a user model's outputs beside it when one is given;
* the take's legibility when the caller judged rendered frames (Blender's Score Take).

:func:`write_report` writes ``report.json`` (every number), the PNG plots and one
self-contained ``report.html`` (PNGs embedded as base64), all atomically.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..core.communication import CommunicationScore, communication_score
from ..core.emotions import EMOTION_NAMES
from ..core.errors import CancelledError, InputError
from ..core.facs import AU_CHANNELS, channel_region
from ..core.metrics import RegionStats, region_entropy, smoothness, spatial_distribution
from ..core.metrics import temporal_structure as curve_timing
from ..core.synthesis import synthesize_au
from ..core.synthesis_options import SynthesisOptions
from ..core.take_legibility import TakeLegibility
from .performance import Performance, performance_from_json, timeline_from_segments
from .report_compare import StaticDynamic, compare_modes

REPORT_FPS = 24.0
TOP_AUS = 5
_ACTIVE = 1e-3
_EMPTY_TIMELINE = {"schema_version": 1, "kind": "timeline", "events": []}

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class AUMetric:
    """Paper 000's metrics of one AU channel.

    Attributes:
        channel: Engine channel (``AU12_L``).
        region: Face region of the channel.
        energy: ``sum_f I**2``.
        peak: Largest value.
        peak_time_s: Time of the first maximum.
        rise_s: Onset (10 % of peak) to apex (90 %).
        hold_s: Time at >= 90 % of peak around the peak.
        fall_s: Apex end to the activation's end.
        peaks: Separate runs at >= 50 % of the channel's peak.
        rms_jerk: Root mean square jerk (units/s**3; lower is smoother).
    """

    channel: str
    region: str
    energy: float
    peak: float
    peak_time_s: float
    rise_s: float
    hold_s: float
    fall_s: float
    peaks: int
    rms_jerk: float


@dataclass(frozen=True)
class MicroSummary:
    """The document's ``micro_expressions`` list, summarised.

    Attributes:
        count: How many.
        durations_s: Offset minus onset of each.
        emotions: Emotion of each.
    """

    count: int
    durations_s: tuple[float, ...]
    emotions: tuple[str, ...]

    @property
    def mean_duration_s(self) -> float:
        """Mean duration (0 without any)."""
        return float(np.mean(self.durations_s)) if self.durations_s else 0.0


@dataclass(frozen=True)
class VideoTrack:
    """A video analysis's face-model probabilities (``video`` block of the document).

    Attributes:
        times: (n,) seconds.
        probabilities: (n, 7) in ``EMOTION_NAMES`` order.
        peaks: ``{emotion: time_s}`` of each emotion's peak frame.
    """

    times: np.ndarray
    probabilities: np.ndarray
    peaks: Mapping[str, float]


@dataclass(frozen=True, eq=False)
class Report:
    """Everything the report shows.

    Attributes:
        kind: The performance's kind (text, audio, video, emotion, ...).
        fps: Frame rate of the analysed curves.
        duration_s: Length of the take.
        channels: Column names of ``au_values`` (the engine's AU channels).
        au_values: (frames, channels) dynamic-mode AU curves.
        emotion_weights: (frames, 7) intended emotion weights per frame (``EMOTION_NAMES``).
        segments: ``(start_s, end_s, dominant emotion)`` of each timeline segment.
        au_metrics: One entry per channel that moves, most energetic first.
        regions: Energy per face region.
        region_entropy: Entropy (bits) of the region shares.
        micro: The listed micro-expressions.
        static_dynamic: Static vs dynamic synthesis of the same input.
        communication: The heuristic score and its terms.
        legibility: Judged legibility of the take, when frames were judged.
        prediction: A user model's outputs (``{name: value}``), when a model was given.
        video: The face model's track, for a video analysis.
        warnings: Notes for the reader.
    """

    kind: str
    fps: float
    duration_s: float
    channels: tuple[str, ...]
    au_values: np.ndarray
    emotion_weights: np.ndarray
    segments: tuple[tuple[float, float, str], ...]
    au_metrics: tuple[AUMetric, ...]
    regions: Mapping[str, RegionStats]
    region_entropy: float
    micro: MicroSummary
    static_dynamic: StaticDynamic
    communication: CommunicationScore
    legibility: TakeLegibility | None = None
    prediction: Mapping[str, Any] | None = None
    video: VideoTrack | None = None
    warnings: tuple[str, ...] = field(default=())

    @property
    def total_energy(self) -> float:
        """Sum of every channel's energy."""
        return float(sum(m.energy for m in self.au_metrics))

    @property
    def top_channels(self) -> tuple[str, ...]:
        """The :data:`TOP_AUS` most energetic channels."""
        return tuple(m.channel for m in self.au_metrics[:TOP_AUS])

    @property
    def mean_rms_jerk(self) -> float:
        """Energy-weighted mean RMS jerk of the moving channels (0 without any)."""
        total = self.total_energy
        if total <= 0:
            return 0.0
        return float(sum(m.rms_jerk * m.energy for m in self.au_metrics) / total)

    def to_json(self) -> dict[str, Any]:
        """Every number of the report as a JSON-ready document (see :func:`report_to_json`)."""
        return report_to_json(self)


def _performance(source: Performance | Mapping[str, Any]) -> tuple[Performance, Mapping]:
    """The performance and the raw document (empty for a Performance object)."""
    if isinstance(source, Performance):
        return source, {}
    if not isinstance(source, Mapping):
        raise InputError("The report needs a performance or the CLI's JSON document (an object).")
    doc = dict(source)
    rebuild = "timeline_events" not in doc
    if rebuild:
        doc["timeline_events"] = _EMPTY_TIMELINE
    doc.pop("capture", None)  # the report reads emotions, not the landmark capture
    performance = performance_from_json(doc)
    if rebuild:
        timeline = timeline_from_segments(performance.segments)
        performance = replace(performance, timeline=timeline)
    return performance, source


def frame_weights(performance: Performance, n_frames: int, fps: float) -> np.ndarray:
    """(n_frames, 7) intended weights per frame: the covering segment's, neutral elsewhere."""
    out = np.zeros((n_frames, len(EMOTION_NAMES)))
    out[:, EMOTION_NAMES.index("neutral")] = 1.0
    times = np.arange(n_frames) / fps
    for s in performance.segments:
        mask = (times >= s.start_s) & (times < s.end_s)
        out[mask] = s.weights.as_array()
    return out


def _peak_runs(curve: np.ndarray) -> int:
    top = float(curve.max()) if len(curve) else 0.0
    if top <= 0:
        return 0
    above = (curve >= 0.5 * top).astype(np.int8)
    return int(above[0] + np.count_nonzero(np.diff(above) == 1))


def au_metrics(values: np.ndarray, fps: float) -> tuple[AUMetric, ...]:
    """Metrics of each channel that moves, most energetic first."""
    out = []
    for i, channel in enumerate(AU_CHANNELS):
        v = values[:, i]
        if len(v) == 0 or v.max() <= _ACTIVE:
            continue
        timing = curve_timing(v, fps)
        out.append(
            AUMetric(
                channel,
                channel_region(channel),
                float(np.dot(v, v)),
                float(timing.peak_value),
                (timing.peak_frame or 0) / fps,
                timing.rise_s,
                timing.hold_s,
                timing.fall_s,
                _peak_runs(v),
                smoothness(v, fps).rms_jerk,
            )
        )
    return tuple(sorted(out, key=lambda m: -m.energy))


def _micro(doc: Mapping) -> MicroSummary:
    items = doc.get("micro_expressions", []) or []
    if not isinstance(items, list):
        raise InputError("'micro_expressions' must be a list.")
    durations, emotions = [], []
    for i, item in enumerate(items):
        try:
            onset, offset = float(item["onset"]), float(item["offset"])
        except (KeyError, TypeError, ValueError):
            raise InputError(
                f"Micro-expression {i + 1} needs numeric 'onset' and 'offset'."
            ) from None
        if not (math.isfinite(onset) and math.isfinite(offset)) or offset < onset:
            raise InputError(f"Micro-expression {i + 1} has an offset before its onset.")
        durations.append(offset - onset)
        emotions.append(str(item.get("emotion", "")))
    return MicroSummary(len(items), tuple(durations), tuple(emotions))


def _video(doc: Mapping) -> VideoTrack | None:
    block = doc.get("video")
    if not block:
        return None
    try:
        times = np.asarray(block["times"], dtype=float)
        probs = np.asarray(block["probabilities"], dtype=float)
        peaks = {str(k): float(v["time_s"]) for k, v in (block.get("peaks") or {}).items()}
    except (KeyError, TypeError, ValueError):
        raise InputError(
            "The document's 'video' block is unreadable; analyse the video again."
        ) from None
    if probs.ndim != 2 or probs.shape != (len(times), len(EMOTION_NAMES)):
        raise InputError("The document's video probabilities do not match its times.")
    if not (np.all(np.isfinite(times)) and np.all(np.isfinite(probs))):
        raise InputError("The document's video track holds NaN or infinity.")
    return VideoTrack(times, probs, peaks)


def load_predictor(path: str | Path) -> Any:
    """A user-trained communication model (paper 003) for :func:`build_report`'s ``predictor``.

    Raises:
        InputError: The file is missing or not a model; ModelError: it cannot be loaded.
    """
    try:
        from ..ml.communication_net import load_user_model
    except ImportError:
        raise InputError(
            "This build has no communication model support (ml/communication_net)."
        ) from None
    return load_user_model(path)


def _prediction(predictor: Any, values: np.ndarray, fps: float) -> dict[str, Any] | None:
    if predictor is None:
        return None
    result = predictor.predict(values, AU_CHANNELS, fps)
    data = asdict(result) if hasattr(result, "__dataclass_fields__") else dict(result)
    if hasattr(result, "engagement_class"):
        data["engagement_class"] = result.engagement_class
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in data.items()}


def _curves(performance: Performance, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """(frames, channels) dynamic AU curves without blinks, and (frames, 7) intended weights."""
    n_frames = max(4, math.ceil(performance.duration_s * fps))
    options = SynthesisOptions(fps=fps, n_frames=n_frames, life=False)
    values = synthesize_au(performance.timeline, options).values
    return values, frame_weights(performance, n_frames, fps)


def _check(cancel: Callable[[], bool]) -> None:
    if cancel():
        raise CancelledError("Report cancelled.")


def _score(
    values: np.ndarray,
    weights: np.ndarray,
    metrics: tuple[AUMetric, ...],
    legibility: TakeLegibility | None,
) -> CommunicationScore:
    """The heuristic score; rise and hold come from the most energetic AU."""
    top = metrics[0] if metrics else None
    return communication_score(
        au_values=values,
        emotion_weights=weights,
        rise_s=top.rise_s if top else 0.0,
        hold_s=top.hold_s if top else 0.0,
        legibility=legibility.share if legibility is not None and legibility.readings else None,
    )


def build_report(
    performance_or_analysis_dict: Performance | Mapping[str, Any],
    *,
    legibility: TakeLegibility | None = None,
    predictor: Any = None,
    progress: Progress | None = None,
    should_cancel: Callable[[], bool] | None = None,
    fps: float = REPORT_FPS,
) -> Report:
    """Compute the report of a performance.

    Args:
        performance_or_analysis_dict: A :class:`Performance`, or the JSON document ``cli
            text|audio|video|emotion --json`` writes (or a stored performance document).
        legibility: The take's judged frames (Score Take / ``.blend`` input), or None.
        predictor: A user-trained communication model (``.predict(values, channels, fps)``),
            or None: the heuristic score is always computed.
        progress: Called with (fraction, message).
        should_cancel: Polled between steps; True stops with CancelledError.
        fps: Frame rate of the analysed curves.

    Raises:
        InputError: The document is not a performance or analysis, or holds bad values.
        CancelledError: ``should_cancel()`` became True.
    """
    step = progress or (lambda _f, _m="": None)
    cancel = should_cancel or (lambda: False)
    performance, doc = _performance(performance_or_analysis_dict)
    micro, video = _micro(doc), _video(doc)
    step(0.1, "synthesising curves")
    values, weights = _curves(performance, fps)
    step(0.3, "metrics")
    metrics = au_metrics(values, fps)
    regions = spatial_distribution(dict(zip(AU_CHANNELS, values.T, strict=True)))
    _check(cancel)
    step(0.5, "static vs dynamic")
    labels = [EMOTION_NAMES[i] for i in weights.argmax(axis=1)]
    compare = compare_modes(performance.timeline, labels, fps, should_cancel=cancel)
    score = _score(values, weights, metrics, legibility)
    still = () if metrics else ("No AU moves in this take: every metric is zero.",)
    step(1.0, "done")
    return Report(
        kind=str(performance.kind),
        fps=float(fps),
        duration_s=float(performance.duration_s),
        channels=tuple(AU_CHANNELS),
        au_values=values,
        emotion_weights=weights,
        segments=tuple((s.start_s, s.end_s, s.weights.dominant()) for s in performance.segments),
        au_metrics=metrics,
        regions=regions,
        region_entropy=region_entropy(regions),
        micro=micro,
        static_dynamic=compare,
        communication=score,
        legibility=legibility,
        prediction=_prediction(predictor, values, fps),
        video=video,
        warnings=(*performance.warnings, *still),
    )


def _clean(value: Any) -> Any:
    """JSON-safe copy: numpy to Python, non-finite floats to None, tuples to lists."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return _clean(value.tolist())
    if isinstance(value, (np.floating, float)):
        f = float(value)
        return round(f, 6) if math.isfinite(f) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def report_to_json(report: Report) -> dict[str, Any]:
    """Every number of the report, JSON-ready (non-finite values become null)."""
    r = report
    doc: dict[str, Any] = {
        "schema_version": 1,
        "kind": "expressiveness_report",
        "input_kind": r.kind,
        "fps": r.fps,
        "duration_s": r.duration_s,
        "frames": len(r.au_values),
        "total_energy": r.total_energy,
        "mean_rms_jerk": r.mean_rms_jerk,
        "top_channels": list(r.top_channels),
        "au_metrics": [asdict(m) for m in r.au_metrics],
        "regions": {k: asdict(v) for k, v in r.regions.items()},
        "region_entropy_bits": r.region_entropy,
        "micro_expressions": {
            "count": r.micro.count,
            "durations_s": list(r.micro.durations_s),
            "mean_duration_s": r.micro.mean_duration_s,
            "emotions": list(r.micro.emotions),
        },
        "static_vs_dynamic": asdict(r.static_dynamic),
        "communication": asdict(r.communication),
        "user_model": r.prediction,
        "segments": [{"start_s": a, "end_s": b, "emotion": e} for a, b, e in r.segments],
        "channels": list(r.channels),
        "au_values": r.au_values,
        "emotions": list(EMOTION_NAMES),
        "emotion_weights": r.emotion_weights,
        "warnings": list(r.warnings),
    }
    if r.legibility is not None:
        doc["legibility"] = {
            "judge": r.legibility.judge,
            "share": r.legibility.share,
            "segments": [asdict(s) | {"share": s.share} for s in r.legibility.segments],
            "readings": [asdict(x) for x in r.legibility.readings],
        }
    if r.video is not None:
        doc["video"] = {
            "times": r.video.times,
            "probabilities": r.video.probabilities,
            "peaks": dict(r.video.peaks),
        }
    return _clean(doc)


def write_report(report: Report, out_dir: str | Path, thumbnails: Sequence[Any] = ()) -> list[Path]:
    """Write the report's files into ``out_dir`` (:func:`.report_write.write_report`)."""
    from .report_write import write_report as write

    return write(report, out_dir, thumbnails)
