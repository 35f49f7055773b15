"""``cli report INPUT --out DIR``: the expressiveness report (issue 16). Split off :mod:`.cli`.

INPUT is the JSON ``cli text|audio|video|emotion --json`` writes (or a stored performance), or a
``.blend`` with ``--take NAME`` (and ``--object NAME``): then the take's frames are rendered and
judged (:func:`.blender.report_take.take_report_inputs`) and the report includes their
legibility. ``--model FILE.onnx`` adds a user-trained communication model's outputs beside the
heuristic score. ``--video CLIP`` (with a ``cli video --json`` analysis of CLIP) adds each
emotion's peak frame as a thumbnail (``peak_<emotion>.png``, shown in the HTML with its time).
Everything goes into DIR: ``report.json``, the PNG plots, the thumbnails and ``report.html``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .cli_guard import UsageError
from .core.atomic import check_output_path, shown
from .core.errors import InputError


def add_report(sub: Any) -> None:
    """The ``report`` command."""
    p = sub.add_parser(
        "report",
        allow_abbrev=False,
        help="a performance/analysis JSON or a .blend take → report.json, PNG plots, report.html",
    )
    p.add_argument("input", type=Path, help="a .json from --json, or a .blend (with --take)")
    p.add_argument("--out", type=Path, required=True, help="folder for the report's files")
    p.add_argument("--object", help="with a .blend: the head object (default: first with keys)")
    p.add_argument("--take", help="with a .blend: the take (action) to score")
    p.add_argument("--model", type=Path, help="a trained communication model (.onnx) to show")
    p.add_argument(
        "--video", type=Path, help="with a video analysis JSON: its clip, for peak-frame thumbnails"
    )
    p.add_argument(
        "--frames", type=int, help="with a .blend: how many frames to render and judge (default 12)"
    )


def _inputs(args: argparse.Namespace) -> tuple[Any, Any]:
    """The document and the legibility (None for a JSON input)."""
    from .core.limits import read_json

    path: Path = args.input
    if not path.is_file():
        raise InputError(f"No such file: {shown(path)}.")
    if path.suffix.lower() == ".blend":
        if args.video is not None:
            raise UsageError("--video applies only to a video analysis .json input.")
        if not args.take:
            raise UsageError("a .blend input needs --take NAME (and --object NAME).")
        if args.frames is not None and not 1 <= args.frames <= 1000:
            raise UsageError(f"--frames must be between 1 and 1000, got {args.frames}.")
        from .blender.report_take import take_report_inputs

        return take_report_inputs(path, args.object, args.take, n=args.frames)
    if args.take or args.object or args.frames is not None:
        raise UsageError("--take, --object and --frames apply only to a .blend input.")
    if args.video is not None and not args.video.is_file():
        raise InputError(f"No such video: {shown(args.video)}.")
    if path.suffix.lower() != ".json":
        raise InputError(f"{shown(path)} is neither a .json nor a .blend; give one of those.")
    return read_json(path, shown(path)), None


def run(args: argparse.Namespace) -> int:
    """Run ``report``: read, build, write; prints the headline numbers and the HTML path."""
    from .pipeline.report import build_report, load_predictor, write_report

    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {shown(out)} is a file; give a folder.")
    check_output_path(out / "report.html", what="--out")
    predictor = None
    if args.model is not None:
        predictor = load_predictor(args.model)
    doc, legibility = _inputs(args)
    report = build_report(doc, legibility=legibility, predictor=predictor)
    thumbnails = ()
    if args.video is not None:
        from .pipeline.report_thumbs import peak_thumbnails

        thumbnails = peak_thumbnails(doc, args.video)
    paths = write_report(report, out, thumbnails)
    c = report.communication
    print(
        f"energy {report.total_energy:.2f}, mean RMS jerk {report.mean_rms_jerk:.3g}, "
        f"communication {c.score:.3f} ({c.label}); {report.static_dynamic.direction}"
    )
    print(f"wrote {len(paths)} files → {shown(paths[-1])}")
    return 0
