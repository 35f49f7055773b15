"""Headless entry point: ``python -m facial_affect_addon.cli {text,audio,video,emotion,demo}``
and ``... cli batch MANIFEST --out DIR``.

Every command prints the clip-level emotion weights, can write the performance as JSON
(``--json FILE``: clip ``weights`` and the ``timeline``) and bake it onto a head
(``--bake FILE.blend``; the built-in demo head unless ``--head FILE --object NAME``).
Errors print one clear line and exit with status 2; nothing is written after an error.

The commands are thin: ``text``, ``audio`` and ``video`` build the same
:class:`~.pipeline.analysis.AnalysisRequest` the panel's Analyze button builds and call
:func:`~.pipeline.analysis.run_analysis`; ``emotion`` calls
:func:`~.pipeline.text.performance_from_weights` like the panel's Bake Emotion; ``--bake``
turns the performance into curves with :func:`~.pipeline.curves.performance_curves`.
``batch`` runs many such lines from a manifest (:mod:`~.pipeline.batch`), here or on a Dask
cluster, baking each with :func:`bake_job`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .core.emotions import COMPOUND_PRESETS, EMOTION_NAMES, expand_mixture
from .core.errors import FacialAffectError, InputError
from .pipeline.options import FaceMode, PerformanceOptions, SynthesisMode, SynthesisOptions

if TYPE_CHECKING:
    from .pipeline.batch import BakeJob
    from .pipeline.performance import Performance

DEMO_LINE = "I'm so excited to see you!"
BATCH_HELP = """Run every item of a manifest: one .blend (baked take) and one JSON per item in
--out, then --out/summary.json. A manifest is a .csv (header row) or .json (a list of objects) whose
items name one input (text, audio or video) and optionally take, head, object and the options
mode, intensity, micro, life, seed, sparse, duration, stt, sample_fps, capture, neutral_at; or a
folder, whose audio, video and .txt files are the items. Finished items are skipped on a re-run.
Exit status: 0 all done, 1 an item failed (the rest still ran), 2 bad manifest (nothing written).
"""


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", type=Path, help="write the performance (weights, timeline) here")
    p.add_argument("--bake", type=Path, help="bake onto the head and save this .blend")
    p.add_argument("--png", type=Path, help="with --bake: render the apex frame to this PNG")
    p.add_argument("--head", type=Path, help="head .blend to bake onto (default: demo head)")
    p.add_argument("--object", help="object in the head file (default: first with shape keys)")
    p.add_argument("--take", default="Affect", help="take name (default: Affect)")
    p.add_argument("--sparse", action="store_true", help="write sparse editable Bezier keys")
    p.add_argument("--mode", choices=tuple(SynthesisMode), default=SynthesisMode.DYNAMIC)
    p.add_argument("--intensity", type=float, default=1.0, help="global intensity 0..1")
    p.add_argument("--micro", action="store_true", help="add micro-expression bursts")
    p.add_argument("--no-life", action="store_true", help="no blinks or asymmetry")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--fps", type=float, default=24.0, help="frame rate without --bake")
    p.add_argument("--llm", action="store_true", help="ask the configured LLM (see README)")
    p.add_argument("--llm-base-url", default=os.environ.get("OPENAI_BASE_URL"))
    p.add_argument("--llm-model", default=os.environ.get("FACIAL_AFFECT_LLM_MODEL", "gpt-4o-mini"))
    p.add_argument("--llm-timeout", type=float, default=10.0)


def build_parser() -> argparse.ArgumentParser:
    """The CLI's argument parser."""
    parser = argparse.ArgumentParser(prog="python -m facial_affect_addon.cli", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("text", help="a line of dialogue → emotion → curves")
    p.add_argument("text")
    p.add_argument("--duration", type=float, help="seconds (default: from the word count)")
    _add_common(p)
    p = sub.add_parser("audio", help="a recorded line (wav/flac/mp3) → transcript → curves")
    p.add_argument("path", type=Path)
    p.add_argument("--stt", choices=("whisper", "pocketsphinx", "openai"), default="whisper")
    _add_common(p)
    p = sub.add_parser("video", help="a video file → face emotions over time → curves")
    p.add_argument("path", type=Path)
    p.add_argument(
        "--sample-fps",
        type=float,
        default=None,
        help="frames analysed per second (0: every frame; default 2, or every frame with "
        "--capture)",
    )
    p.add_argument(
        "--capture",
        action="store_true",
        help="bake the face's own expression (landmark capture) instead of its emotion",
    )
    p.add_argument(
        "--neutral-at",
        type=float,
        metavar="SECONDS",
        help="time of a frame with a neutral face, the capture's reference (default: auto)",
    )
    _add_common(p)
    p = sub.add_parser(
        "emotion",
        help="an emotion mixture or compound preset, e.g. happiness=0.6,surprise=0.4 or "
        "bittersweet or happily_surprised=0.5,anger=0.5",
    )
    p.add_argument(
        "weights",
        help="name[=weight],... with emotions (" + ", ".join(EMOTION_NAMES[1:]) + ", neutral) "
        "and compound presets (" + ", ".join(COMPOUND_PRESETS) + "); a weight defaults to 1",
    )
    p.add_argument("--duration", type=float, default=3.0)
    _add_common(p)
    p = sub.add_parser("demo", help="the text path on the demo head → out/demo.blend, .png")
    p.add_argument("--text", default=DEMO_LINE)
    p.add_argument("--out", type=Path, default=Path("out"))
    _add_batch(sub)
    return parser


def parse_weights(spec: str) -> dict[str, float]:
    """Parse a mixture such as ``"happiness=0.6,surprise=0.4"`` into emotion weights.

    Names may be emotions or compound presets, alone or mixed (``"bittersweet"``,
    ``"happily_surprised=0.5,anger=0.5"``); a bare name weighs 1 and a preset's weight is
    shared out by its mixture (:func:`~.core.emotions.expand_mixture`). Not normalised.

    Raises:
        FacialAffectError: A weight that is not a number, or an unknown name.
    """
    parts: list[tuple[str, float]] = []
    for part in filter(None, (s.strip() for s in spec.split(","))):
        name, _, value = part.partition("=")
        try:
            parts.append((name.strip(), float(value) if value else 1.0))
        except ValueError:
            raise FacialAffectError(f"Weight for {name!r} is not a number: {value!r}.") from None
    return expand_mixture(parts)


def _llm_config(args):
    if not getattr(args, "llm", False):
        return None
    from .pipeline.services import llm_config

    return llm_config(args.llm_base_url, args.llm_model, args.llm_timeout)


def analysis_request(args):
    """The :class:`~.pipeline.analysis.AnalysisRequest` of a text, audio or video command."""
    from .pipeline.analysis import AnalysisRequest
    from .pipeline.options import InputSource
    from .pipeline.services import ServiceSettings

    services = ServiceSettings(llm=_llm_config(args), stt_engine=getattr(args, "stt", "whisper"))
    if args.command in ("text", "demo"):
        return AnalysisRequest(
            InputSource.TEXT,
            (args.text,),
            services=services,
            duration_s=getattr(args, "duration", None),
        )
    if args.command == "audio":
        return AnalysisRequest(InputSource.AUDIO, path=str(args.path), services=services)
    sample_fps = args.sample_fps
    if sample_fps is None:
        sample_fps = 0.0 if args.capture else 2.0
    return AnalysisRequest(
        InputSource.VIDEO,
        path=str(args.path),
        services=services,
        sample_fps=sample_fps,
        neutral_at_s=args.neutral_at,
    )


def make_performance(args):
    """Analyse the command's input.

    Returns:
        (the :class:`~.pipeline.performance.Performance`, the JSON document for ``--json``).
    """
    from .pipeline.analysis import AnalysisResult, run_analysis
    from .pipeline.text import performance_from_weights

    if args.command == "emotion":
        result = AnalysisResult(
            performance_from_weights(parse_weights(args.weights), args.duration)
        )
    else:
        result = run_analysis(analysis_request(args))
    if getattr(args, "capture", False) and result.performance.capture is None:
        raise FacialAffectError(
            f"No face landmarks in {args.path.name}, so there is no capture to bake; "
            "drop --capture to bake its emotion."
        )
    return result.performance, result.to_json()


def _options(args, fps: float) -> PerformanceOptions:
    synthesis = SynthesisOptions(
        fps=fps,
        frame_start=1,
        n_frames=None,
        mode=SynthesisMode(getattr(args, "mode", SynthesisMode.DYNAMIC)),
        intensity=getattr(args, "intensity", 1.0),
        micro=getattr(args, "micro", False),
        life=not getattr(args, "no_life", False),
        seed=getattr(args, "seed", 0),
    )
    face = FaceMode.MIRROR if getattr(args, "capture", False) else FaceMode.EMOTION
    return PerformanceOptions(synthesis, face=face)


def _print_weights(performance) -> None:
    for name, value in sorted(performance.weights.as_dict().items(), key=lambda kv: -kv[1]):
        print(f"{name:>10}  {value:5.3f}  {'#' * round(value * 40)}")
    if performance.transcript:
        print(f"transcript: {performance.transcript}")
    for what, model in performance.models.items():
        print(f"{what} model: {model}")
    for warning in performance.warnings:
        print(f"warning: {warning}", file=sys.stderr)


def bake(args, performance, blend: Path, png: Path | None) -> None:
    """Bake the performance onto the head (real Blender, imported only here)."""
    from .blender import bake as bake_module
    from .blender.headless import bake_to_file
    from .pipeline.curves import performance_curves
    from .pipeline.models import demo_head_path

    head = getattr(args, "head", None) or demo_head_path()

    def make_curves(names, fps):
        return performance_curves(performance, names, _options(args, fps))

    result = bake_to_file(
        make_curves,
        head_path=Path(head),
        out_blend=blend,
        object_name=getattr(args, "object", None),
        options=bake_module.BakeOptions(
            take_name=getattr(args, "take", "Affect"), sparse=getattr(args, "sparse", False)
        ),
        png_path=png,
    )
    b = result.bake
    print(
        f"baked take {b.action_name!r} on {result.object_name!r}: {b.n_curves} curves, "
        f"frames {b.frame_start}-{b.frame_end}, apex {result.apex_frame} → {result.blend_path}"
    )
    for warning in b.warnings:
        print(f"warning: {warning}", file=sys.stderr)


def _add_batch(sub: Any) -> None:
    p = sub.add_parser(
        "batch",
        help="many lines from a CSV/JSON manifest or a folder → one .blend + JSON each",
        description=BATCH_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("manifest", type=Path, help="a .csv or .json manifest, or a folder")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="run the items on this Dask scheduler's workers (shared --out and inputs)",
    )
    p.add_argument(
        "--gather-outputs",
        action="store_true",
        help="with --scheduler: workers send each item's files back and this machine writes "
        "them (no shared --out needed; the inputs must still be readable by the workers)",
    )
    p.add_argument("--head", type=Path, help="head .blend for items without one (default: demo)")
    p.add_argument("--object", help="object in the head file for items without one")
    p.add_argument("--no-bake", action="store_true", help="write each item's JSON only")


def bake_job(performance: Performance, job: BakeJob) -> dict[str, Any]:
    """Bake one item as ``cli ... --bake`` does; the :data:`~.pipeline.batch.Baker` of the CLI.

    Returns:
        The object, action, curve and key counts, frame range, apex frame and warnings.

    Raises:
        InputError: The head file is missing or unreadable.
        RigError: No usable object with shape keys.
    """
    from .blender import bake as bake_module
    from .blender.headless import bake_to_file
    from .pipeline.curves import performance_curves
    from .pipeline.models import demo_head_path

    def make_curves(names, fps):
        synthesis = replace(job.options.synthesis, fps=fps)
        return performance_curves(performance, names, replace(job.options, synthesis=synthesis))

    done = bake_to_file(
        make_curves,
        head_path=Path(job.head) if job.head else demo_head_path(),
        out_blend=Path(job.out_blend),
        object_name=job.object_name,
        options=bake_module.BakeOptions(take_name=job.take, sparse=job.sparse),
    )
    b = done.bake
    return {
        "object": done.object_name,
        "action": b.action_name,
        "n_curves": b.n_curves,
        "n_keys": b.n_keys,
        "frame_start": b.frame_start,
        "frame_end": b.frame_end,
        "apex_frame": done.apex_frame,
        "warnings": list(b.warnings),
    }


def run_batch_command(args: argparse.Namespace) -> int:
    """Run the ``batch`` command; returns the exit status."""
    from .pipeline.batch import BatchConfig, run_batch
    from .pipeline.batch_manifest import load_manifest

    try:
        items = load_manifest(args.manifest)
        if args.head is not None and not args.head.is_file():
            raise InputError(f"Head file not found: {args.head}")
        head = str(args.head.resolve()) if args.head is not None else None
        items = tuple(
            replace(i, head=i.head or head, object_name=i.object_name or args.object) for i in items
        )
        baker = None if args.no_bake else bake_job
        config = BatchConfig(str(args.out.resolve()), baker, gather_outputs=args.gather_outputs)
        print(f"batch: {len(items)} items → {args.out}", file=sys.stderr)
        doc = run_batch(
            items, config, manifest=str(args.manifest), scheduler=args.scheduler or None
        )
    except FacialAffectError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    counts = doc["counts"]
    print(
        f"batch: {counts['ok']} done, {counts['skipped']} skipped, {counts['failed']} failed "
        f"in {doc['seconds']:.1f} s → {args.out / 'summary.json'}"
    )
    return 1 if counts["failed"] else 0


def run(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit status."""
    args = build_parser().parse_args(argv)
    if args.command == "batch":
        return run_batch_command(args)
    if args.command == "demo":
        args.out.mkdir(parents=True, exist_ok=True)
        args.json = args.out / "demo.json"
        args.bake, args.png = args.out / "demo.blend", args.out / "demo.png"
    try:
        performance, doc = make_performance(args)
        _print_weights(performance)
        if args.bake is not None:
            bake(args, performance, args.bake, args.png)
        if args.json is not None:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(doc, indent=2) + "\n")
            print(f"wrote {args.json}")
    except FacialAffectError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
