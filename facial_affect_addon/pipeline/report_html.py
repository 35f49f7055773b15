"""One self-contained ``report.html``: headline numbers, tables, and the PNG plots as base64."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence

from ..core.communication import HOLD_MAX_S, HOLD_MIN_S, ONSET_S
from .report import Report
from .report_plots import Plot
from .report_thumbs import Thumbnail, thumbnails_html

_STYLE = """body{font-family:sans-serif;margin:24px;max-width:820px;color:#222}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #bbb;padding:3px 8px;
text-align:right}th{background:#eee}td:first-child,th:first-child{text-align:left}
.note{color:#555;font-size:90%}img{display:block;margin:8px 0 20px;max-width:100%}
.peaks{display:flex;flex-wrap:wrap;gap:8px}figure.peak{margin:0;font-size:85%}
figure.peak img{margin:0 0 4px}"""


def _num(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}g}"


def _p(value: float | None) -> str:
    if value is None:
        return "n/a"
    return "&lt;0.001" if value < 0.001 else f"{value:.3f}"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def _communication(report: Report) -> str:
    c = report.communication
    rows = [
        ["score", _num(c.score)],
        [f"legibility ({html.escape(c.legibility_source)})", _num(c.legibility)],
        ["intensity (95th pct of strongest AU)", _num(c.intensity)],
        [f"onset (rise / {ONSET_S:g} s, max 1)", _num(c.onset)],
        [f"hold (1 within {HOLD_MIN_S:g}-{HOLD_MAX_S:g} s)", _num(c.hold)],
        ["dynamics = onset x hold", _num(c.dynamics)],
    ]
    out = f"<h2>Communication score ({html.escape(c.label)})</h2>"
    out += "<p class=note>score = legibility &times; intensity &times; dynamics</p>"
    out += _table(["term", "value"], rows)
    if report.prediction is not None:
        pred = [[html.escape(k), html.escape(str(v))] for k, v in report.prediction.items()]
        out += "<h3>Your trained model</h3>" + _table(["output", "value"], pred)
    else:
        out += "<p class=note>No trained model given: only the formula is shown.</p>"
    return out


def _compare(report: Report) -> str:
    s = report.static_dynamic
    rows = [
        [
            html.escape(r.emotion),
            r.quantity.replace("_", " "),
            str(r.n),
            f"{r.dynamic_mean:.3g} &plusmn; {r.dynamic_sd:.3g}",
            f"{r.static_mean:.3g} &plusmn; {r.static_sd:.3g}",
            _num(r.t),
            _p(r.p),
            _num(r.cohens_d),
        ]
        for r in s.rows
    ]
    head = ["Emotion", "Quantity", "AUs", "Dynamic (M &plusmn; SD)", "Static (M &plusmn; SD)"]
    out = "<h2>Static vs dynamic synthesis (paper 000, Table 4 style)</h2>"
    out += _table([*head, "t", "p", "Cohen's d"], rows)
    out += f"<p><b>Result:</b> {html.escape(s.direction)}.</p>"
    return out + f"<p class=note>{html.escape(s.test)}; positive t: dynamic higher.</p>"


def _metrics(report: Report) -> str:
    rows = [
        [
            m.channel,
            m.region,
            f"{m.energy:.2f}",
            f"{m.peak:.2f}",
            f"{m.rise_s:.2f}",
            f"{m.hold_s:.2f}",
            f"{m.fall_s:.2f}",
            str(m.peaks),
            f"{m.rms_jerk:.3g}",
        ]
        for m in report.au_metrics
    ]
    head = ["AU", "region", "E_AU", "peak", "rise s", "hold s", "fall s", "peaks", "RMS jerk"]
    regions = [[r, f"{s.energy:.2f}", f"{s.share:.2f}"] for r, s in report.regions.items()]
    out = "<h2>Per-AU metrics (paper 000)</h2>" + _table(head, rows)
    out += "<h2>Spatial spread</h2>" + _table(["region", "energy", "share"], regions)
    out += f"<p>Region entropy: {report.region_entropy:.3f} bits (max 2.585).</p>"
    m = report.micro
    durations = ", ".join(f"{d:.3f}" for d in m.durations_s) or "none"
    return out + f"<h2>Micro-expressions</h2><p>{m.count} listed; durations (s): {durations}.</p>"


def _legibility(report: Report) -> str:
    leg = report.legibility
    if leg is None:
        return "<h2>Legibility</h2><p>Not measured: no rendered frames were judged.</p>"
    rows = [
        [html.escape(s.emotion), f"{s.start:.2f}-{s.end:.2f}", str(s.frames), f"{s.share:.2f}"]
        for s in leg.segments
    ]
    out = f"<h2>Legibility</h2><p>{leg.share:.2f} of frames read as intended "
    out += f"(judge: {html.escape(leg.judge)}).</p>"
    return out + _table(["emotion", "time (s)", "frames", "read as intended"], rows)


def render_html(report: Report, plots: Sequence[Plot], thumbnails: Sequence[Thumbnail] = ()) -> str:
    """The report as one HTML page with every plot embedded (no network); a video's peak-frame
    thumbnails are the PNG files written next to it."""
    c = report.communication
    head = (
        f"<p>Input: {html.escape(report.kind)}, {report.duration_s:.2f} s at {report.fps:g} fps. "
        f"Total energy {report.total_energy:.2f}; mean RMS jerk {report.mean_rms_jerk:.3g}; "
        f"communication score {c.score:.3f} ({html.escape(c.label)}).</p>"
    )
    images = "".join(
        f'<h3>{html.escape(p.title)}</h3><img id="{p.name.removesuffix(".png")}" '
        f'alt="{html.escape(p.title)}" src="data:image/png;base64,'
        f'{base64.b64encode(p.png).decode("ascii")}">'
        for p in plots
    )
    warnings = "".join(f"<li>{html.escape(w)}</li>" for w in report.warnings)
    return (
        "<!DOCTYPE html><html><head><meta charset=utf-8><title>Expressiveness report</title>"
        f"<style>{_STYLE}</style></head><body><h1>Expressiveness report</h1>{head}"
        f"{images}{thumbnails_html(thumbnails)}{_communication(report)}{_legibility(report)}{_compare(report)}"
        f"{_metrics(report)}"
        + (f"<h2>Warnings</h2><ul>{warnings}</ul>" if warnings else "")
        + "</body></html>\n"
    )
