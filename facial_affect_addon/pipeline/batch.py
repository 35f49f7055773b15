"""Batch runs: many manifest items → one baked .blend and one JSON each, then a summary.

``cli batch MANIFEST --out DIR`` reads the manifest (:mod:`.batch_manifest`), runs every item
here, or as one Dask task per item with ``--scheduler`` (:mod:`.batch_dask`), and writes
``DIR/summary.json``. An item calls what the single-line commands call:
:func:`.analysis.run_analysis` with the same :class:`~.analysis.AnalysisRequest` the CLI builds,
then the bake the CLI's ``--bake`` does, through a :data:`Baker` the front end passes in (the
pipeline never imports bpy; the CLI's baker runs Blender's ``bpy`` in-process).

**Resumable and idempotent.** Every output is written to a temporary file in ``DIR`` and renamed
into place (``os.replace``), the .blend first and the item's JSON last, so the JSON's presence
means the item is complete. :func:`run_item` skips a complete item, so a re-run resumes, and a
task that Dask retries after its worker died produces each output exactly once. Each production
appends one line to ``DIR/.batch/journal.jsonl`` (who made it, when): the audit trail.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ..core import atomic, error_log
from ..core.errors import FacialAffectError, InputError
from ..core.micro import MicroBurst
from ..core.micro_authoring import arkit_keys, author_burst, burst_record
from ..core.micro_spot import micro_bursts
from ..core.rig_profile import RigProfile
from ..core.synthesis_options import SynthesisOptions
from .analysis import AnalysisRequest, AnalysisResult, run_analysis
from .batch_manifest import BatchItem
from .options import FaceMode, InputSource, PerformanceOptions
from .performance import Performance
from .services import ServiceSettings

SUMMARY_NAME = "summary.json"
JOURNAL = Path(".batch") / "journal.jsonl"
TEMP_MARK = atomic.TEMP_MARK


@dataclass(frozen=True)
class BakeJob:
    """One bake, as plain values: what a :data:`Baker` needs.

    Attributes:
        head: Head .blend (None: the demo head).
        object_name: Head object (None: the first mesh with shape keys).
        take: Take name.
        sparse: Write sparse Bezier keys.
        options: Curve options; the baker sets ``synthesis.fps`` to the head scene's rate.
        out_blend: Where to save the baked file (a temporary name the batch renames).
        profile: A JSON rig profile file for the bake (None: chosen from the key names); the
            baker reads it with ``job_profile(job.profile)``.
    """

    head: str | None
    object_name: str | None
    take: str
    sparse: bool
    options: PerformanceOptions
    out_blend: str
    profile: str | None = None


def job_profile(path: str | None) -> RigProfile | None:
    """A job's rig profile file through the limits-checked loader (None for no file).

    Raises:
        InputError: The file is missing, too large, not a valid profile (one line, naming it).
    """
    if not path:
        return None
    from ..core.rig_profile import load_profile

    return load_profile(path)


Baker = Callable[[Performance, BakeJob], Mapping[str, Any]]
"""Bakes a performance as the job says and saves ``job.out_blend``; returns what it baked
(action name, curves, frames, apex) as JSON-ready values. Raises FacialAffectError."""


@dataclass(frozen=True)
class BatchConfig:
    """How to run the items.

    Attributes:
        out_dir: Output folder (shared storage when items run on a cluster).
        baker: Bakes each item's .blend; None writes the JSON only.
        gather_outputs: On a cluster, workers write into a private temporary folder and return
            the files' bytes, which the client writes into ``out_dir`` (:func:`store_outputs`):
            no shared output folder needed (the inputs must still be readable by the workers).
    """

    out_dir: str
    baker: Baker | None = None
    gather_outputs: bool = False


@dataclass(frozen=True)
class ItemResult:
    """What happened to one item.

    Attributes:
        index: The item's position in the manifest.
        take: Take name.
        input: The text line or media path.
        status: ``ok`` (produced now), ``skipped`` (already complete) or ``failed``.
        seconds: Time spent on the item.
        outputs: Output file names, relative to the output folder.
        error: The failure's one-line message (None unless failed).
        warnings: Non-fatal notes from analysis and bake.
        bake: What the baker reported (None without a bake or when skipped).
        worker: ``host:pid`` of the process that ran it.
    """

    index: int
    take: str
    input: str
    status: str
    seconds: float
    outputs: tuple[str, ...] = ()
    error: str | None = None
    warnings: tuple[str, ...] = ()
    bake: Mapping[str, Any] | None = None
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")

    def to_json(self) -> dict[str, Any]:
        """The item's entry in ``summary.json``."""
        doc = asdict(self)
        doc["outputs"], doc["warnings"] = list(self.outputs), list(self.warnings)
        doc["bake"] = dict(self.bake) if self.bake is not None else None
        doc["seconds"] = round(self.seconds, 3)
        return doc


def item_outputs(item: BatchItem, config: BatchConfig) -> tuple[Path, ...]:
    """The item's output files, the completion marker (its JSON) last."""
    out = Path(config.out_dir)
    blend = (out / f"{item.stem}.blend",) if config.baker is not None else ()
    return (*blend, out / f"{item.stem}.json")


def is_complete(item: BatchItem, config: BatchConfig) -> bool:
    """True when every output of the item exists (each was renamed into place whole)."""
    return all(p.is_file() for p in item_outputs(item, config))


def analysis_request(item: BatchItem) -> AnalysisRequest:
    """The :class:`~.analysis.AnalysisRequest` that ``cli text/audio/video`` would build."""
    o = item.options
    services = ServiceSettings(stt_engine=o.stt)
    if item.source == InputSource.TEXT:
        return AnalysisRequest(
            InputSource.TEXT, item.lines, services=services, duration_s=o.duration_s
        )
    if item.source == InputSource.AUDIO:
        return AnalysisRequest(InputSource.AUDIO, path=item.path, services=services)
    sample_fps = o.sample_fps if o.sample_fps is not None else (0.0 if o.capture else 2.0)
    return AnalysisRequest(
        InputSource.VIDEO,
        path=item.path,
        services=services,
        sample_fps=sample_fps,
        neutral_at_s=o.neutral_at_s,
        micro_spot=o.micro_spot,
    )


def performance_options(
    item: BatchItem, spotted: tuple[MicroBurst, ...] = ()
) -> PerformanceOptions:
    """The curve options of the CLI's ``--bake`` for the item (fps set by the baker).

    Args:
        item: The item.
        spotted: Bursts found by ``micro_spot`` (:func:`~..core.micro_spot.micro_bursts`),
            baked after the item's authored ones.
    """
    o = item.options
    synthesis = SynthesisOptions(
        frame_start=1,
        n_frames=None,
        mode=o.mode,
        intensity=o.intensity,
        micro=o.micro,
        micro_bursts=(*authored_bursts(item), *spotted),
        life=o.life,
        seed=o.seed,
    )
    return PerformanceOptions(synthesis, face=FaceMode.MIRROR if o.capture else FaceMode.EMOTION)


def authored_bursts(item: BatchItem) -> tuple[MicroBurst, ...]:
    """The item's ``micro_at`` / ``micro_file`` bursts (checked when the manifest was read)."""
    return tuple(author_burst(spec) for spec in item.options.micro_specs)


def item_document(item: BatchItem, result: AnalysisResult) -> dict[str, Any]:
    """The item's JSON, as ``cli ... --json`` writes it: authored bursts after spotted ones."""
    doc = result.to_json()
    authored = authored_bursts(item)
    if authored:
        records = [burst_record(b, arkit_keys(b)) for b in authored]
        doc.setdefault("micro_expressions", []).extend(records)
    return doc


def _temp_path(final: Path) -> Path:
    # Same folder (so os.replace is atomic), hidden, unique per attempt, real suffix kept.
    return atomic.temp_path_for(final)


def _journal(config: BatchConfig, item: BatchItem, event: str) -> None:
    path = Path(config.out_dir) / JOURNAL
    path.parent.mkdir(parents=True, exist_ok=True)
    line = {
        "take": item.take,
        "index": item.index,
        "event": event,
        "worker": f"{socket.gethostname()}:{os.getpid()}",
        "time": round(time.time(), 3),
    }
    # One small O_APPEND write: whole lines on a local file system.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, (json.dumps(line) + "\n").encode())
    finally:
        os.close(fd)


def _produce(item: BatchItem, config: BatchConfig, temps: list[Path]) -> ItemResult:
    started = time.perf_counter()
    if config.baker is not None and item.profile:  # a bad profile fails before the analysis
        job_profile(item.profile)
    result = run_analysis(analysis_request(item))
    performance = result.performance
    if item.options.capture and performance.capture is None:
        raise InputError(
            f"No face landmarks in {Path(item.path).name}, so there is no capture to bake."
        )
    spotted: tuple[MicroBurst, ...] = ()
    if result.spotted is not None:
        spotted = micro_bursts(result.spotted.micro, item.options.spot_bake)
    options = performance_options(item, spotted)
    doc = item_document(item, result)
    outputs = item_outputs(item, config)
    baked: Mapping[str, Any] | None = None
    if config.baker is not None:
        temps.append(_temp_path(outputs[0]))
        job = BakeJob(
            item.head,
            item.object_name,
            item.take,
            item.options.sparse,
            options,
            str(temps[-1]),
            item.profile,
        )
        baked = dict(config.baker(performance, job))
    temps.append(_temp_path(outputs[-1]))
    temps[-1].write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    for temp, final in zip(temps, outputs, strict=True):
        os.replace(temp, final)
    _journal(config, item, "done")
    warnings = (*performance.warnings, *(baked or {}).get("warnings", ()))
    return ItemResult(
        item.index,
        item.take,
        item.label,
        "ok",
        time.perf_counter() - started,
        outputs=tuple(p.name for p in outputs),
        warnings=tuple(warnings),
        bake=baked,
    )


def store_outputs(item: BatchItem, config: BatchConfig, files: Mapping[str, bytes]) -> None:
    """Write an item's files, made elsewhere, into the output folder as :func:`run_item` does.

    Each file goes through a temporary file and a rename, the JSON last; then the journal line.

    Args:
        item: The item.
        config: Output folder.
        files: Output file name → bytes, for every name of :func:`item_outputs`.
    """
    outputs = item_outputs(item, config)
    outputs[0].parent.mkdir(parents=True, exist_ok=True)
    temps: list[Path] = []
    try:
        for final in outputs:
            temps.append(_temp_path(final))
            temps[-1].write_bytes(files[final.name])
        for temp, final in zip(temps, outputs, strict=True):
            os.replace(temp, final)
        _journal(config, item, "done")
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)


def run_item(item: BatchItem, config: BatchConfig) -> ItemResult:
    """Produce one item's outputs, or skip it when they are complete; never raises.

    Safe to run again, and on another machine (a retried Dask task): outputs appear only by
    rename, complete or not at all.

    Args:
        item: The item.
        config: Output folder and baker.

    Returns:
        The item's result; a failure carries its one-line message in ``error``.
    """
    started = time.perf_counter()
    if is_complete(item, config):
        names = tuple(p.name for p in item_outputs(item, config))
        return ItemResult(item.index, item.take, item.label, "skipped", 0.0, outputs=names)
    Path(config.out_dir).mkdir(parents=True, exist_ok=True)
    temps: list[Path] = []
    try:
        return _produce(item, config, temps)
    except FacialAffectError as exc:
        error = str(exc)
    except Exception as exc:  # an unexpected bug in one item must not stop the batch
        log = error_log.log_internal_error(exc, f"batch item {item.index} ({item.take})")
        error = error_log.internal_error_message(exc, log)
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)
    seconds = time.perf_counter() - started
    return ItemResult(item.index, item.take, item.label, "failed", seconds, error=error)


class ProgressReport:
    """Prints one line per finished item with the count, elapsed time and an ETA.

    The ETA is the wall-clock rate so far (items finished per second, whatever the number of
    workers) applied to the items left.
    """

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        """Start the clock for ``total`` items, printing to ``stream`` (default stderr)."""
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.started = time.perf_counter()

    def __call__(self, result: ItemResult) -> None:
        """Report one finished item."""
        self.done += 1
        elapsed = time.perf_counter() - self.started
        left = self.total - self.done
        eta = elapsed / self.done * left
        width = len(str(self.total))
        line = (
            f"[{self.done:>{width}}/{self.total}] {result.status:<7} {result.take} "
            f"({result.seconds:.2f} s) — elapsed {elapsed:.1f} s, ETA {eta:.1f} s"
        )
        if result.error:
            line += f"\n    error: {result.error}"
        print(line, file=self.stream, flush=True)


def run_local(
    items: Sequence[BatchItem], config: BatchConfig, on_result: Callable[[ItemResult], None]
) -> list[ItemResult]:
    """Run the items one after another in this process (bakes on the calling thread)."""
    results = []
    for item in items:
        results.append(run_item(item, config))
        on_result(results[-1])
    return results


def sweep_temporaries(out_dir: str | Path) -> int:
    """Remove temporary files that interrupted attempts left behind; returns how many.

    Call it only when no item is running (at the end of a batch).
    """
    removed = 0
    for path in Path(out_dir).glob(f".*{TEMP_MARK}.*"):
        path.unlink(missing_ok=True)
        removed += 1
    return removed


def summary_document(
    results: Iterable[ItemResult], *, manifest: str, scheduler: str | None, seconds: float
) -> dict[str, Any]:
    """``summary.json``: counts, wall time and one entry per item in manifest order."""
    ordered = sorted(results, key=lambda r: r.index)
    counts = {s: sum(r.status == s for r in ordered) for s in ("ok", "skipped", "failed")}
    return {
        "manifest": manifest,
        "scheduler": scheduler,
        "n_items": len(ordered),
        "counts": counts,
        "seconds": round(seconds, 3),
        "items": [r.to_json() for r in ordered],
    }


def write_json_atomic(path: Path, doc: Mapping[str, Any]) -> Path:
    """Write JSON through a temporary file in the same folder and rename it into place.

    Raises:
        InputError: It could not be written (the message names the path).
    """
    atomic.atomic_write_text(path, json.dumps(doc, indent=2) + "\n")
    return path


def run_batch(
    items: Sequence[BatchItem],
    config: BatchConfig,
    *,
    manifest: str = "",
    scheduler: str | None = None,
    stream: TextIO | None = None,
) -> dict[str, Any]:
    """Run every item (here, or on a Dask cluster) and write ``summary.json``.

    Args:
        items: From :func:`.batch_manifest.load_manifest`.
        config: Output folder and baker.
        manifest: The manifest's path, recorded in the summary.
        scheduler: ``tcp://HOST:PORT`` of a Dask scheduler (None: run here).
        stream: Where progress goes (default stderr).

    Returns:
        The summary document (also written to ``out_dir/summary.json``).

    Raises:
        ServiceError: The scheduler cannot be reached.
        MissingPackageError: ``scheduler`` given but dask/distributed are not installed.
    """
    started = time.perf_counter()
    report = ProgressReport(len(items), stream)
    if scheduler:
        from .batch_dask import run_distributed

        results = run_distributed(items, config, scheduler, report)
    else:
        results = run_local(items, config, report)
    sweep_temporaries(config.out_dir)
    seconds = time.perf_counter() - started
    doc = summary_document(results, manifest=manifest, scheduler=scheduler, seconds=seconds)
    write_json_atomic(Path(config.out_dir) / SUMMARY_NAME, doc)
    return doc
