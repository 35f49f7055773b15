"""Face + voice from one video: the clip's speech read, fused with its face, lip-synced.

:func:`add_video_speech` takes what :func:`.video.analyze_video` read from the frames and adds
what the sound track says (issue 17 §5):

1. The sound track is read by :func:`..adapters.video_audio.read_video_audio` (PyAV, else
   Blender's ``aud``). A video without one comes back unchanged, so it behaves as before.
2. It is transcribed by the chosen speech engine (default: the offline Whisper) and each
   utterance's text is read by the text pipeline (:class:`.text.LineReader`: the LLM when
   configured, else the offline model).
3. Per utterance, the face's evidence over the same span (:func:`face_evidence`) and the text's
   (:meth:`.text_analysis.TextAnalysis.as_evidence`) are fused by
   :func:`..core.fusion.fuse_face_text` (confidence-weighted geometric pool).
4. The spoken stretches replace the face-only segments they overlap; outside speech the face's
   own segments stay (source ``"video"``). Spoken segments carry their text (so the
   articulation and lip-sync know where speech is), source ``"fused"`` and a reason naming
   both sources. The clip weights are the duration × intensity mean of the new segments.
5. The video's own speech gives the lip-sync: each spoken segment's words are aligned to its
   own samples (:func:`..adapters.phone_align.align_transcript`, PocketSphinx; a speaking-rate
   estimate with a notice when it cannot align) into :attr:`.performance.Performance.phones`.

Both sources per utterance are also kept in a :class:`VideoSpeech` (the CLI's JSON ``speech``
block).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..core.emotions import EmotionWeights
from ..core.errors import CancelledError, InputError
from ..core.fusion import Evidence, FusedEmotion, fuse_face_text
from .audio import align_utterances
from .models import text_model_label
from .performance import Performance, Segment, clip_weights, timeline_from_segments
from .services import ServiceSettings

MIN_FACE_PIECE_S = 0.25
"""A face-only segment cut by speech keeps the pieces at least this long (shorter ones are
dropped: the spoken segments next to them already show the face)."""


@dataclass(frozen=True)
class SpokenSpan:
    """One utterance of the video with both readings and their fusion.

    Attributes:
        start_s: Start in seconds from the start of the video.
        end_s: End in seconds.
        text: The transcribed words.
        face: The face's evidence over the span (None when no sampled frame covers it).
        speech: The text analysis' evidence.
        fused: The fused mixture.
    """

    start_s: float
    end_s: float
    text: str
    face: Evidence | None
    speech: Evidence
    fused: FusedEmotion


@dataclass(frozen=True)
class VideoSpeech:
    """What the sound track added to a video's performance.

    Attributes:
        spans: The utterances, each with face, speech and fused readings.
        engine: The speech engine that transcribed it.
        decoder: What read the sound track (``"pyav"`` or ``"aud"``).
    """

    spans: tuple[SpokenSpan, ...]
    engine: str
    decoder: str

    @property
    def transcript(self) -> str:
        """All utterance texts joined."""
        return " ".join(s.text for s in self.spans)

    def to_json(self) -> dict[str, Any]:
        """The JSON ``speech`` block: the transcript and, per utterance, both sources and the
        fused result (weights, confidence, and each source's share in the fusion)."""
        return {
            "transcript": self.transcript,
            "engine": self.engine,
            "decoder": self.decoder,
            "utterances": [_span_json(s) for s in self.spans],
        }


def _evidence_json(e: Evidence | FusedEmotion | None) -> dict[str, Any] | None:
    if e is None:
        return None
    weights = {k: round(v, 6) for k, v in e.weights.as_dict().items()}
    return {"weights": weights, "confidence": round(float(e.confidence), 4)}


def _span_json(s: SpokenSpan) -> dict[str, Any]:
    fused = _evidence_json(s.fused) or {}
    fused["shares"] = {name: round(w, 4) for name, w in s.fused.shares}
    return {
        "start_s": round(s.start_s, 4),
        "end_s": round(s.end_s, 4),
        "text": s.text,
        "sources": {
            "face": _evidence_json(s.face),
            "speech": {**(_evidence_json(s.speech) or {}), "model": s.speech.source},
            "fused": fused,
        },
    }


def face_evidence(
    times: np.ndarray, probs: np.ndarray, found: np.ndarray, start_s: float, end_s: float
) -> Evidence | None:
    """The face's opinion over ``[start_s, end_s]``: the mean of its sampled frames.

    Frames with times inside the span count; a span between two samples (shorter than the
    sampling step) uses the sampled frame nearest its middle. Confidence is the mean top-class
    probability of those frames times the share of them where a face was actually found (the
    others hold interpolated values), so a face missing through the utterance says little.

    Returns:
        The evidence (source ``"face"``), or None without sampled frames.
    """
    if len(times) == 0:
        return None
    inside = np.flatnonzero((times >= start_s) & (times <= end_s))
    if inside.size == 0:
        inside = np.array([int(np.argmin(np.abs(times - 0.5 * (start_s + end_s))))])
    p = probs[inside]
    confidence = float(np.clip(p.max(axis=1).mean() * found[inside].mean(), 0.0, 1.0))
    return Evidence(EmotionWeights.from_array(p.mean(axis=0)), confidence, "face")


def _reason(span: SpokenSpan) -> str:
    face = "no face" if span.face is None else f"face {span.face.weights.dominant()}"
    if span.face is not None:
        face += f" (c {span.face.confidence:.2f})"
    speech = f"speech {span.speech.weights.dominant()} (c {span.speech.confidence:.2f})"
    return f"Fused {span.fused.weights.dominant()}: {face}; {speech}."


def lay_out_segments(
    face_segments: Sequence[Segment], spoken: Sequence[Segment]
) -> tuple[Segment, ...]:
    """The face's segments with the spoken ones put in their place, in time order.

    Each face segment keeps the parts outside every spoken span that last at least
    :data:`MIN_FACE_PIECE_S`.
    """
    spans = sorted((s.start_s, s.end_s) for s in spoken)
    out = list(spoken)
    for seg in face_segments:
        t = seg.start_s
        for a, b in spans:
            if b <= t or a >= seg.end_s:
                continue
            if a - t >= MIN_FACE_PIECE_S:
                out.append(replace(seg, start_s=t, end_s=a))
            t = max(t, b)
        if seg.end_s - t >= MIN_FACE_PIECE_S:
            out.append(replace(seg, start_s=t, end_s=seg.end_s))
    return tuple(sorted(out, key=lambda s: (s.start_s, s.end_s)))


def _read_utterances(utterances, analysis, services, should_cancel):
    """Each utterance's text analysis fused with the face: (spans, segments, text warnings)."""
    from .text import LineReader

    reader = LineReader(services.llm)
    spans: list[SpokenSpan] = []
    segments: list[Segment] = []
    warnings: list[str] = []
    end = analysis.performance.duration_s
    for u in utterances:
        if should_cancel():
            raise CancelledError("Analysis cancelled.")
        start, stop = min(u.start_s, end), min(u.end_s, end)
        if stop <= start:  # spoken after the last frame: no face to put it on
            continue
        text = reader.read(u.text)
        warnings.extend(w for w in text.warnings if w not in warnings)
        face = face_evidence(
            analysis.times, analysis.probabilities, analysis.face_found, start, stop
        )
        fused = fuse_face_text(face, text.as_evidence())
        span = SpokenSpan(start, stop, text.text, face, text.as_evidence(), fused)
        spans.append(span)
        intensity = float(np.max(fused.weights.as_array()))
        segments.append(
            Segment(start, stop, text.text, fused.weights, intensity, "fused", _reason(span))
        )
    return spans, segments, warnings


def add_video_speech(
    analysis,
    path: str | os.PathLike,
    *,
    services: ServiceSettings | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> tuple[Performance, VideoSpeech | None]:
    """Add the video's speech to its face analysis (see the module docstring).

    Args:
        analysis: What :func:`.video.analyze_video` read from the same file.
        path: The video.
        services: Speech engine and LLM (default: offline Whisper and the offline text model).
        should_cancel: Polled before transcribing and between utterances.

    Returns:
        ``(performance, speech)``: the performance with fused speech segments, transcript and
        phones, and the per-utterance readings; ``(analysis.performance, None)`` when the video
        has no sound track, and the same with a warning when the track cannot be read or holds
        no words.

    Raises:
        ModelError: The speech or text model is missing.
        CancelledError: ``should_cancel`` returned True.
    """
    from .transcribers import transcribe_clip

    services = services or ServiceSettings()
    cancel = should_cancel or (lambda: False)
    performance = analysis.performance
    clip, decoder, note = _read_sound(path)
    if clip is None:
        return _warned(performance, note), None
    transcript = transcribe_clip(
        clip, services.stt_engine, openai_config=services.stt_config, should_cancel=cancel
    )
    utterances = [u for u in transcript.utterances if u.text.strip()]
    spans, spoken, text_warnings = _read_utterances(utterances, analysis, services, cancel)
    if not spoken:
        name = Path(path).name
        note = f"No speech was found in the sound of '{name}'; the face alone was used."
        return _warned(performance, *transcript.warnings, note), None
    segments = lay_out_segments(performance.segments, spoken)
    # each utterance aligned on its own span (no margin: the video path never used one)
    aligned = align_utterances(clip.samples, clip.sample_rate, spoken, cancel, margin_s=0.0)
    models = dict(performance.models)
    models["speech"] = transcript.engine
    models["text"] = text_model_label(spans[0].speech.source.removeprefix("text:"), services.llm)
    fused = replace(
        performance,
        weights=clip_weights(segments),
        timeline=timeline_from_segments(segments),
        segments=segments,
        warnings=(*performance.warnings, *transcript.warnings, *text_warnings, *aligned.notices),
        models=models,
        phones=aligned.phones,
    )
    return fused, VideoSpeech(tuple(spans), transcript.engine, decoder)


def _read_sound(path: str | os.PathLike) -> tuple[Any, str, str]:
    """``(clip or None, decoder, a note for the user or "")`` for the video's sound track."""
    from ..adapters.video_audio import NO_DECODER, read_video_audio

    try:
        clip, decoder = read_video_audio(path)
    except InputError as exc:
        return None, "", str(exc)
    if decoder == NO_DECODER:
        return None, decoder, "The video's sound was not read: it needs PyAV or Blender's aud."
    return clip, decoder, ""


def _warned(performance: Performance, *notes: str) -> Performance:
    """The performance with ``notes`` added to its warnings (each once)."""
    warnings = list(performance.warnings)
    warnings.extend(n for n in notes if n and n not in warnings)
    return replace(performance, warnings=tuple(warnings))
