"""Headless entry point: ``python -m facial_affect_addon.cli {text,audio,video,emotion,demo}``
and ``... cli batch MANIFEST --out DIR``; ``rig``, ``report``: :mod:`.cli_rig`, :mod:`.cli_report`.

Every command prints the clip-level emotion weights, can write the performance as JSON (``--json
FILE``: clip ``weights`` and the ``timeline``) and bake it onto a head (``--bake FILE.blend``; the
built-in demo head unless ``--head FILE --object NAME``). Errors print one clear line and exit with
status 2 (:mod:`.cli_guard`); every option is checked and every output path validated before any
work (:mod:`.cli_checks`), and all outputs are written under temporary names and renamed together at
the end, so a failed run writes nothing.

The commands are thin: ``text``, ``audio`` and ``video`` build the same
:class:`~.pipeline.analysis.AnalysisRequest` the panel's Analyze button builds and call
:func:`~.pipeline.analysis.run_analysis`; ``emotion`` calls
:func:`~.pipeline.text.performance_from_weights` like the panel's Bake Emotion; ``--bake`` turns
the performance into curves with :func:`~.pipeline.curves.performance_curves`. ``batch`` runs many
such lines from a manifest (:mod:`~.pipeline.batch`), here or on a Dask cluster, baking each with
:func:`bake_job`.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import cli_checks, cli_micro, cli_report, cli_rig, cli_video
from .cli_guard import Parser, UsageError, check_dashes, guarded, interrupts_deferred
from .core.atomic import OutputSet, shown
from .core.emotions import COMPOUND_PRESETS, EMOTION_NAMES, expand_mixture
from .core.errors import FacialAffectError, InputError
from .core.micro_spot import micro_bursts
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
    p.add_argument("--head", type=Path, help="with --bake: head .blend (default: demo head)")
    p.add_argument(
        "--object", help="with --bake: object in the head file (default: first with keys)"
    )
    p.add_argument("--take", help="with --bake: take name (default: Affect)")
    p.add_argument("--profile", type=Path, help="with --bake: JSON rig profile for the keys")
    p.add_argument("--sparse", action="store_true", help="with --bake: sparse editable Bezier keys")
    p.add_argument(
        "--layers",
        action="store_true",
        help="with --bake: emotion, speech, micro-expressions and blinks as NLA layers",
    )
    p.add_argument("--mode", choices=tuple(SynthesisMode), default=SynthesisMode.DYNAMIC)
    p.add_argument("--intensity", type=float, default=1.0, help="global intensity 0..1")
    p.add_argument("--micro", action="store_true", help="add micro-expression bursts")
    cli_micro.add_arguments(p)
    p.add_argument("--no-life", action="store_true", help="no blinks or asymmetry")
    p.add_argument("--seed", type=int, default=0, help="0..2**32-1")
    p.add_argument("--fps", type=float, help="frame rate without --bake (default 24)")
    p.add_argument("--llm", action="store_true", help="ask the configured LLM (see README)")
    p.add_argument("--llm-base-url", help="with --llm (default: $OPENAI_BASE_URL)")
    p.add_argument(
        "--llm-model", help="with --llm (default: $FACIAL_AFFECT_LLM_MODEL, gpt-4o-mini)"
    )
    p.add_argument("--llm-timeout", type=float, help="with --llm: seconds (default 10)")


def _add_text(sub: Any) -> None:
    p = sub.add_parser(
        "text",
        help="a line of dialogue → emotion → curves",
        description="A line of dialogue (text that starts with '-' goes after --: "
        "text -- '-hello there'), or the lines of a UTF-8 text file (--file). "
        f"At most {cli_checks.MAX_LINE_CHARS:,} characters a line.",
        allow_abbrev=False,
    )
    p.add_argument("text", nargs="?")
    p.add_argument("--file", type=Path, help="a UTF-8 text file: one line of dialogue a line")
    p.add_argument("--duration", type=float, help="seconds (default: from the word count)")
    _add_common(p)


def build_parser() -> argparse.ArgumentParser:
    """The CLI's argument parser."""
    parser = Parser(
        prog="python -m facial_affect_addon.cli", description=__doc__, allow_abbrev=False
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _add_text(sub)
    p = sub.add_parser(
        "audio", allow_abbrev=False, help="a recorded line (wav/flac/mp3) → transcript → curves"
    )
    p.add_argument("path", type=Path)
    p.add_argument("--stt", choices=("whisper", "pocketsphinx", "openai"), default="whisper")
    _add_common(p)
    cli_video.add_video(sub, _add_common)
    p = sub.add_parser(
        "emotion",
        allow_abbrev=False,
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
    p = sub.add_parser(
        "demo", allow_abbrev=False, help="the text path on the demo head → out/demo.blend, .png"
    )
    p.add_argument("--text", default=DEMO_LINE)
    p.add_argument("--out", type=Path, default=Path("out"))
    _add_batch(sub)
    cli_rig.add_rig(sub)
    cli_report.add_report(sub)
    return parser


def _dash_scope(parser: argparse.ArgumentParser, argv: list[str]):
    """``rig`` has sub-commands of its own: check dashes against ``rig``'s parser."""
    if argv[:1] != ["rig"]:
        return parser, argv
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices["rig"], argv[1:]


def _load_profile(args: argparse.Namespace):
    """The ``--profile`` file through the limits-checked loader (None without; needs --bake)."""
    path = getattr(args, "profile", None)
    if path is None:
        return None
    if args.bake is None:
        raise UsageError("--profile is only used with --bake; add --bake FILE.blend or drop it.")
    if getattr(args, "capture", False):
        raise UsageError("--profile is not used with --capture (it retargets through ARKit).")
    from .core.rig_profile import load_profile

    return load_profile(path)


def parse_weights(spec: str) -> dict[str, float]:
    """Parse a mixture such as ``"happiness=0.6,surprise=0.4"`` into emotion weights.

    Names may be emotions or compound presets, alone or mixed (``"bittersweet"``,
    ``"happily_surprised=0.5,anger=0.5"``); a bare name weighs 1 and a preset's weight is
    shared out by its mixture (:func:`~.core.emotions.expand_mixture`). Not normalised.

    Raises:
        FacialAffectError: A weight that is not a finite number >= 0, an unknown name (cut to
            60 characters in the message), or no name at all.
    """
    parts: list[tuple[str, float]] = []
    for part in filter(None, (s.strip() for s in spec.split(","))):
        name, _, value = (s.strip() for s in part.partition("="))
        try:
            expand_mixture([(name, 1.0)])
        except InputError:
            raise InputError(
                f"Unknown emotion or preset '{shown(name, 60)}'; emotions: "
                f"{', '.join(EMOTION_NAMES)}; presets: {', '.join(COMPOUND_PRESETS)}."
            ) from None
        try:
            weight = float(value) if value else 1.0
        except ValueError:
            raise InputError(f"Weight for {name} is not a number: '{shown(value, 60)}'.") from None
        if not math.isfinite(weight) or weight < 0:
            raise InputError(
                f"Weight for {name} must be a finite number >= 0, got '{shown(value, 60)}'."
            )
        parts.append((name, weight))
    if not parts:
        raise InputError("No emotion given; e.g. happiness=0.6,surprise=0.4 or bittersweet.")
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
            tuple(getattr(args, "lines", None) or (args.text,)),
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
        face_index=args.face,
        micro_spot=args.micro_spot,
        video_audio=not (args.no_audio or args.capture),
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
            f"No face landmarks in {shown(args.path.name)}, so there is no capture to bake; "
            "drop --capture to bake its emotion."
        )
    if result.spotted is not None:  # --micro-spot: found bursts are baked too
        args.spotted_bursts = micro_bursts(result.spotted.micro, args.spot_bake)
    return result.performance, result.to_json()


def _options(args, fps: float) -> PerformanceOptions:
    synthesis = SynthesisOptions(
        fps=fps,
        frame_start=1,
        n_frames=None,
        mode=SynthesisMode(getattr(args, "mode", SynthesisMode.DYNAMIC)),
        intensity=getattr(args, "intensity", 1.0),
        micro=getattr(args, "micro", False),
        micro_bursts=(*getattr(args, "micro_bursts", ()), *getattr(args, "spotted_bursts", ())),
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


def bake(args, performance, blend: Path, png: Path | None, outputs: OutputSet) -> None:
    """Bake the performance onto the head (real Blender, imported only here).

    The .blend and PNG are written to temporary names in ``outputs``, renamed when it commits.
    """
    from .blender import bake as bake_module
    from .blender.headless import bake_to_file
    from .pipeline.curves import performance_curves
    from .pipeline.layers import layer_curves
    from .pipeline.models import demo_head_path

    head = getattr(args, "head", None) or demo_head_path()
    layers = getattr(args, "layers", False)

    def make_curves(names, fps):
        opts = _options(args, fps)
        make = layer_curves if layers else performance_curves
        return make(performance, names, opts, profile=args.rig_profile)

    with interrupts_deferred():  # Ctrl-C during the bake: raised after it, outputs discarded
        result = bake_to_file(
            make_curves,
            head_path=Path(head),
            out_blend=blend,
            object_name=getattr(args, "object", None),
            options=bake_module.BakeOptions(
                take_name=getattr(args, "take", None) or "Affect",
                sparse=getattr(args, "sparse", False),
                layers=layers,
            ),
            png_path=png,
            outputs=outputs,
            performance=performance,  # kept on the take: cli report / Score Take read it
            head_target=getattr(args, "head_target", None),
        )
    b = result.bake
    print(
        f"baked take {b.action_name!r} on {result.object_name!r}: {b.n_curves} curves, "
        f"frames {b.frame_start}-{b.frame_end}, apex {result.apex_frame} → {shown(blend)}"
    )
    if result.head is not None:
        h = result.head
        print(f"baked head rotation {h.action_name!r} on {h.target!r} (NLA track)")
    for warning in (*b.warnings, *(result.head.warnings if result.head else ())):
        print(f"warning: {warning}", file=sys.stderr)


def _check_head(args) -> None:
    """Open the head before the analysis: its object and (for --png) camera are checked now."""
    from .blender.headless import open_head
    from .pipeline.models import demo_head_path

    head = getattr(args, "head", None) or demo_head_path()
    with interrupts_deferred():
        open_head(Path(head), getattr(args, "object", None), need_camera=args.png is not None)
        if getattr(args, "head_target", None):  # a wrong --head-target fails before the analysis
            from .blender.bake_head import resolve_head_target

            resolve_head_target(args.head_target)


def _add_batch(sub: Any) -> None:
    p = sub.add_parser(
        "batch",
        allow_abbrev=False,
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
    from .pipeline.batch import job_profile
    from .pipeline.curves import performance_curves
    from .pipeline.models import demo_head_path

    profile = job_profile(job.profile)  # the manifest's profile column, limits-checked

    def make_curves(names, fps):
        synthesis = replace(job.options.synthesis, fps=fps)
        opts = replace(job.options, synthesis=synthesis)
        return performance_curves(performance, names, opts, profile=profile)

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

    cli_checks.check_batch(args)
    items = load_manifest(args.manifest)
    head = str(args.head.resolve()) if args.head is not None else None
    items = tuple(
        replace(i, head=i.head or head, object_name=i.object_name or args.object) for i in items
    )
    baker = None if args.no_bake else bake_job
    config = BatchConfig(str(args.out.resolve()), baker, gather_outputs=args.gather_outputs)
    print(f"batch: {len(items)} items → {shown(args.out)}", file=sys.stderr)
    doc = run_batch(items, config, manifest=str(args.manifest), scheduler=args.scheduler or None)
    counts = doc["counts"]
    print(
        f"batch: {counts['ok']} done, {counts['skipped']} skipped, {counts['failed']} failed "
        f"in {doc['seconds']:.1f} s → {shown(args.out / 'summary.json')}"
    )
    return 1 if counts["failed"] else 0


def run(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit status (0, 1: a batch item failed, 2: an error).

    Every failure, expected or not, prints one line on stderr (:func:`~.cli_guard.guarded`).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    return guarded(lambda: _run(argv))


def _run(argv: list[str]) -> int:
    parser = build_parser()
    check_dashes(*_dash_scope(parser, argv))
    args = parser.parse_args(argv)
    own = {"batch": run_batch_command, "rig": cli_rig.run_rig_command, "report": cli_report.run}
    if args.command in own:  # commands with options and outputs of their own
        return own[args.command](args)
    warnings = cli_checks.check_command(args)
    args.rig_profile = _load_profile(args)
    args.micro_bursts = cli_micro.authored_bursts(args)
    if getattr(args, "head_target", None) and args.bake is None:
        raise UsageError("--head-target is only used with --bake; add --bake FILE.blend.")
    if args.bake is not None:
        _check_head(args)
    performance, doc = make_performance(args)
    if args.micro_bursts:  # spotted bursts (--micro-spot) may already be listed: append
        doc.setdefault("micro_expressions", []).extend(cli_micro.records(args.micro_bursts))
    for warning in warnings:  # after the analysis: a failure stays one line
        print(f"warning: {warning}", file=sys.stderr)
    _print_weights(performance)
    with OutputSet() as outputs:
        if args.bake is not None:
            bake(args, performance, args.bake, args.png, outputs)
        if args.json is not None:
            temp = outputs.temp(args.json)
            try:
                with open(temp, "w", encoding="utf-8") as fh:  # streamed: no whole-doc string
                    json.dump(doc, fh, indent=2)
                    fh.write("\n")
            except OSError as exc:
                raise InputError(
                    f"Cannot write {shown(args.json)}: {exc.strerror}; choose another folder."
                ) from None
    if args.json is not None:
        print(f"wrote {shown(args.json)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
