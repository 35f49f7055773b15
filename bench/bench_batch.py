"""Batch throughput: the same 24 items (21 text lines, 3 spoken lines), analysed and baked on
the demo head by ``cli batch --scheduler`` on a Dask ``LocalCluster`` of 1 and of 2 worker
processes (one thread each). Value: items per second, wall clock, from submission to the last
result. The 1-worker run is the in-run baseline; ``ratio = value / baseline`` (the speed-up).

Model loads are excluded: before the timed run every worker bakes one spoken line into a scratch
folder, so it has imported bpy and loaded Whisper and the text model. Each run writes to a fresh
folder, so nothing is skipped. On a 2-core machine the second worker shares the cores with the
first (and with the client and scheduler), so 2x is the ceiling, not the expectation.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import replace
from pathlib import Path

TEXT_LINES = (
    "I'm so excited to see you!",
    "This is the best day of my life.",
    "Thank you, this gift is wonderful.",
    "I miss her so much, the house is empty now.",
    "Nothing will ever be the same again.",
    "Get out of my house right now!",
    "How dare you lie to me again!",
    "Wait, you're here? I had no idea!",
    "What? That can't be true!",
    "Did you hear that noise downstairs?",
    "Something is following us in the dark.",
    "This food is rotten and it smells vile.",
    "That is disgusting, take it away.",
    "The meeting is at three o'clock.",
    "Please pass me the salt.",
    "The train leaves from platform two.",
    "We won the championship, I can't believe it!",
    "He never came back, and I cried all night.",
    "I am furious about what you did.",
    "Please don't hurt me, I'm scared.",
    "I'm so happy and a little nervous.",
)
SPOKEN_LINES = (
    "I am so happy to see you again today.",
    "This is the worst thing that has ever happened to me.",
    "She was afraid of the dark and the cold wind.",
)


def _items(folder: Path):
    from facial_affect_addon.pipeline.batch_manifest import item_from_row

    exe = shutil.which("espeak-ng")
    if exe is None:
        raise RuntimeError("bench_batch needs espeak-ng (Debian package 'espeak-ng')")
    rows: list[dict] = [
        {"text": line, "take": f"line-{i:02d}"} for i, line in enumerate(TEXT_LINES)
    ]
    for k, line in enumerate(SPOKEN_LINES):
        wav = folder / f"speech-{k}.wav"
        subprocess.run([exe, "-v", "en-us", "-w", str(wav), line], check=True, capture_output=True)
        rows.insert(7 * k + 3, {"audio": wav.name})
    return [item_from_row(row, i, folder) for i, row in enumerate(rows)]


def _throughput(n_workers: int, items, config, scratch: Path) -> tuple[float, dict]:
    from distributed import Client, LocalCluster

    from facial_affect_addon.pipeline.batch import run_batch
    from facial_affect_addon.pipeline.batch_dask import execute_item

    with (
        LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        warm = next(i for i in items if i.path)
        for k, address in enumerate(client.scheduler_info()["workers"]):
            warm_config = replace(config, out_dir=str(scratch / f"warm-{n_workers}-{k}"))
            client.run(execute_item, warm, warm_config, workers=[address])
        out = replace(config, out_dir=str(scratch / f"run-{n_workers}"))
        start = time.perf_counter()
        summary = run_batch(items, out, scheduler=cluster.scheduler_address, stream=io.StringIO())
        seconds = time.perf_counter() - start
    if summary["counts"]["ok"] != len(items):
        raise RuntimeError(f"bench_batch: not every item was baked: {summary['counts']}")
    return len(items) / seconds, summary


def run() -> list[dict]:
    """Time the batch at 1 and 2 workers; see the module docstring. Prints nothing."""
    from facial_affect_addon.cli import bake_job
    from facial_affect_addon.pipeline.batch import BatchConfig

    with tempfile.TemporaryDirectory(prefix="bench_batch_") as tmp:
        scratch = Path(tmp)
        items = _items(scratch)
        config = BatchConfig(str(scratch / "unused"), bake_job)
        one, _ = _throughput(1, items, config, scratch)
        two, summary = _throughput(2, items, config, scratch)
    workers = len({i["worker"] for i in summary["items"]})
    common = (
        f"{len(items)} items (21 text lines, 3 espeak-ng spoken lines), each analysed and baked "
        f"on the demo head into its own .blend + JSON; Dask LocalCluster, 1 thread per worker "
        f"process, models loaded before timing; {os.cpu_count()} CPU cores"
    )
    return [
        {
            "name": "batch_items_per_s_1_worker",
            "value": one,
            "unit": "items/s",
            "baseline": one,
            "ratio": 1.0,
            "note": f"{common}; the baseline of the 2-worker entry",
        },
        {
            "name": "batch_items_per_s_2_workers",
            "value": two,
            "unit": "items/s",
            "baseline": one,
            "ratio": two / one,
            "note": f"{common}; baseline: the same items on 1 worker, this run "
            f"({workers} workers took items)",
        },
    ]
