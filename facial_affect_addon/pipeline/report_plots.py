"""The report's plots, drawn with :mod:`..core.raster` (numpy + zlib; why not matplotlib: there).

Each plot is a :class:`Plot`: its file name, title, PNG bytes and the pixel rectangle of its data
area (and, for the heat map, which channel each row shows), so tests and readers can check the
content, not only that a file exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..core.emotions import EMOTION_NAMES
from ..core.raster import BLACK, GREY, LIGHT, Canvas, Color, heat_colors, text_width
from .report import Report

EMOTION_COLORS: dict[str, Color] = {
    "neutral": (140, 140, 140),
    "happiness": (230, 160, 0),
    "sadness": (40, 90, 200),
    "anger": (210, 30, 30),
    "surprise": (150, 60, 200),
    "fear": (20, 150, 140),
    "disgust": (90, 140, 30),
}
SERIES_COLORS: tuple[Color, ...] = (
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
)
WIDTH = 760
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 40, 40


@dataclass(frozen=True)
class Plot:
    """One PNG plot.

    Attributes:
        name: File name (``heatmap.png``).
        title: Caption.
        png: The PNG bytes.
        area: ``(x0, y0, x1, y1)`` pixel rectangle of the data (x1, y1 exclusive).
        rows: For the heat map, the channel drawn in each row, top to bottom.
    """

    name: str
    title: str
    png: bytes
    area: tuple[int, int, int, int]
    rows: tuple[str, ...] = ()


def _time_axis(canvas: Canvas, area: tuple[int, int, int, int], duration: float) -> None:
    x0, _, x1, y1 = area
    step = next((s for s in (0.5, 1, 2, 5, 10, 30, 60, 300) if duration / s <= 10), 600)
    t = 0.0
    while t <= duration + 1e-9:
        x = x0 + round((x1 - x0 - 1) * t / max(duration, 1e-9))
        canvas.rect(x, y1, x + 1, y1 + 4, BLACK)
        label = f"{t:g}"
        canvas.text(x - text_width(label) // 2, y1 + 7, label)
        t += step
    canvas.text((x0 + x1) // 2 - text_width("TIME (S)") // 2, y1 + 20, "time (s)")


def _title(canvas: Canvas, title: str) -> None:
    canvas.text(LEFT, 10, title, scale=2)


def heatmap(report: Report) -> Plot:
    """AU x time heat map (value 0..1, brighter is hotter) with the emotion segments on top."""
    values = report.au_values
    moving = [i for i, m in enumerate(values.max(axis=0) if len(values) else []) if m > 1e-3]
    rows = moving or list(range(min(10, values.shape[1])))
    row_h = int(np.clip(420 // max(1, len(rows)), 8, 16))
    strip = 16
    x0, y0 = LEFT, TOP + strip + 6
    x1, y1 = WIDTH - RIGHT - 40, y0 + row_h * len(rows)
    canvas = Canvas(WIDTH, y1 + BOTTOM)
    _title(canvas, "AU activation over time")
    n = len(values)
    cols = np.minimum((np.arange(x1 - x0) * n) // max(1, x1 - x0), max(0, n - 1))
    cells = values[cols][:, rows].T if n else np.zeros((len(rows), x1 - x0))
    image = np.repeat(heat_colors(cells), row_h, axis=0)
    canvas.blit(x0, y0, image)
    for r, idx in enumerate(rows):
        label = report.channels[idx]
        canvas.text(x0 - 4 - text_width(label), y0 + r * row_h + (row_h - 7) // 2, label)
    duration = n / report.fps if n else 1.0
    for start, end, emotion in report.segments:
        sx0 = x0 + int((x1 - x0) * min(start, duration) / duration)
        sx1 = x0 + int((x1 - x0) * min(end, duration) / duration)
        canvas.rect(sx0, TOP, max(sx1, sx0 + 1), TOP + strip, EMOTION_COLORS[emotion])
        if text_width(emotion) < sx1 - sx0 - 4:
            canvas.text(sx0 + 3, TOP + 4, emotion, (255, 255, 255))
    ramp = heat_colors(np.linspace(1.0, 0.0, y1 - y0))[:, None, :].repeat(12, axis=1)
    canvas.blit(x1 + 12, y0, ramp)
    canvas.text(x1 + 27, y0, "1")
    canvas.text(x1 + 27, y1 - 7, "0")
    _time_axis(canvas, (x0, y0, x1, y1), duration)
    return Plot(
        "heatmap.png",
        "AU x time heat map",
        canvas.to_png(),
        (x0, y0, x1, y1),
        tuple(report.channels[i] for i in rows),
    )


def line_chart(
    name: str,
    title: str,
    times: np.ndarray,
    series: Sequence[tuple[str, np.ndarray, Color]],
    *,
    duration: float,
    markers: Sequence[tuple[float, Color]] = (),
    height: int = 300,
) -> Plot:
    """Lines over time on a 0..1 axis with a legend."""
    x0, y0 = LEFT, TOP + 14 * ((len(series) + 3) // 4)
    x1, y1 = WIDTH - RIGHT, y0 + height
    canvas = Canvas(WIDTH, y1 + BOTTOM)
    _title(canvas, title)
    for k, (label, _, color) in enumerate(series):
        lx, ly = LEFT + (k % 4) * 170, TOP - 8 + 14 * (k // 4)
        canvas.rect(lx, ly + 2, lx + 14, ly + 5, color)
        canvas.text(lx + 18, ly, label)
    for frac in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = y1 - 1 - round((y1 - y0 - 1) * frac)
        canvas.rect(x0, y, x1, y + 1, LIGHT)
        canvas.text(x0 - 6 - text_width(f"{frac:g}"), y - 3, f"{frac:g}")
    span = max(duration, 1e-9)
    for t, color in markers:
        x = x0 + round((x1 - x0 - 1) * t / span)
        canvas.rect(x, y0, x + 1, y1, color)
    t = np.asarray(times, dtype=float)
    for _, values, color in series:
        xs = x0 + (x1 - x0 - 1) * t / span
        ys = y1 - 1 - (y1 - y0 - 1) * np.clip(np.asarray(values, dtype=float), 0.0, 1.0)
        canvas.polyline(xs, ys, color)
    canvas.frame(x0, y0, x1, y1, GREY)
    _time_axis(canvas, (x0, y0, x1, y1), duration)
    return Plot(name, title, canvas.to_png(), (x0, y0, x1, y1))


def energy_bars(report: Report, limit: int = 20) -> Plot:
    """Horizontal bars of activation energy per AU channel (most energetic first)."""
    metrics = report.au_metrics[:limit]
    bar_h = 14
    x0, y0 = LEFT, TOP + 10
    x1, y1 = WIDTH - RIGHT - 60, y0 + bar_h * max(1, len(metrics))
    canvas = Canvas(WIDTH, y1 + BOTTOM)
    _title(canvas, "Activation energy per AU (sum of I^2)")
    top = metrics[0].energy if metrics else 1.0
    for k, m in enumerate(metrics):
        y = y0 + k * bar_h
        length = round((x1 - x0) * m.energy / top) if top > 0 else 0
        canvas.rect(x0, y + 2, x0 + max(1, length), y + bar_h - 2, SERIES_COLORS[0])
        canvas.text(x0 - 4 - text_width(m.channel), y + 3, m.channel)
        canvas.text(x0 + length + 4, y + 3, f"{m.energy:.1f}")
    if not metrics:
        canvas.text(x0, y0 + 3, "no AU moves")
    return Plot("energy.png", "Energy per AU", canvas.to_png(), (x0, y0, x1, y1))


def top_aus(report: Report, count: int = 5) -> list[tuple[str, np.ndarray]]:
    """The ``count`` most energetic AUs, sides merged (mean of ``_L`` and ``_R``)."""
    groups: dict[str, list[int]] = {}
    for i, channel in enumerate(report.channels):
        groups.setdefault(channel.split("_")[0], []).append(i)
    curves = {au: report.au_values[:, cols].mean(axis=1) for au, cols in groups.items()}
    ranked = sorted(curves, key=lambda au: -float(np.dot(curves[au], curves[au])))
    return [(au, curves[au]) for au in ranked[:count] if curves[au].max() > 1e-3]


def report_plots(report: Report) -> list[Plot]:
    """Every plot of the report: heat map, top-AU curves, energy bars, emotion weights, and
    the face model's probabilities for a video analysis."""
    n = len(report.au_values)
    times = np.arange(n) / report.fps
    duration = max(n / report.fps, 1e-3)
    top = [
        (au, curve, SERIES_COLORS[k % len(SERIES_COLORS)])
        for k, (au, curve) in enumerate(top_aus(report))
    ]
    weights = [
        (e, report.emotion_weights[:, k], EMOTION_COLORS[e]) for k, e in enumerate(EMOTION_NAMES)
    ]
    plots = [
        heatmap(report),
        line_chart("top_aus.png", "Top AUs over time", times, top, duration=duration),
        energy_bars(report),
        line_chart("emotions.png", "Intended emotion weights", times, weights, duration=duration),
    ]
    if report.video is not None:
        v = report.video
        probs = [(e, v.probabilities[:, k], EMOTION_COLORS[e]) for k, e in enumerate(EMOTION_NAMES)]
        peaks = [(t, EMOTION_COLORS.get(e, GREY)) for e, t in v.peaks.items()]
        end = max(duration, float(v.times.max()) if len(v.times) else 0.0)
        plots.append(
            line_chart(
                "video_probabilities.png",
                "Face model probabilities (peaks marked)",
                v.times,
                probs,
                duration=end,
                markers=peaks,
            )
        )
    return plots
