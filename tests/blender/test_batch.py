"""A 24-line batch (21 text lines, 3 spoken lines) baked in real Blender: here, resumed, on a
2-worker Dask ``LocalCluster``, and on that cluster with one worker killed in the middle of an
item. Every run's outputs are compared with the local run's.

Item JSON files are compared byte for byte; .blend files hold save timestamps, so their baked
takes are compared through what the bake reported (curves, keys, frames, apex) and by opening
them.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import bpy
import pytest

from facial_affect_addon import cli
from tests.unit.speech_fixtures import espeak

from .conftest import reset_scene

TEXT_LINES = (
    "I'm so excited to see you!",
    "This is the best day of my life.",
    "We won the championship, I can't believe it!",
    "Thank you, this gift is wonderful.",
    "I miss her so much, the house is empty now.",
    "He never came back, and I cried all night.",
    "Nothing will ever be the same again.",
    "Get out of my house right now!",
    "How dare you lie to me again!",
    "I am furious about what you did.",
    "Wait, you're here? I had no idea!",
    "What? That can't be true!",
    "Did you hear that noise downstairs?",
    "Please don't hurt me, I'm scared.",
    "Something is following us in the dark.",
    "This food is rotten and it smells vile.",
    "That is disgusting, take it away.",
    "The meeting is at three o'clock.",
    "Please pass me the salt.",
    "The train leaves from platform two.",
    "I'm so happy and a little nervous.",
)
SPOKEN_LINES = (
    "I am so happy to see you again today.",
    "This is the worst thing that has ever happened to me.",
    "She was afraid of the dark and the cold wind.",
)


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> Path:
    """24 items: the text lines with a spoken line after every seventh."""
    folder = tmp_path_factory.mktemp("batch_inputs")
    items = [{"text": line, "take": f"line-{i:02d}"} for i, line in enumerate(TEXT_LINES)]
    for k, line in enumerate(SPOKEN_LINES):
        wav = espeak(line, folder / f"speech-{k}.wav")
        items.insert(7 * k + 3, {"audio": wav.name, "seed": k})
    path = folder / "lines.json"
    path.write_text(json.dumps(items, indent=1))
    return path


def run_batch(manifest: Path, out: Path, *extra: str) -> tuple[int, dict]:
    status = cli.run(["batch", str(manifest), "--out", str(out), *extra])
    return status, json.loads((out / "summary.json").read_text())


def item_files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.json")) if p.stem != "summary"}


def takes(summary: dict) -> dict[str, dict]:
    return {i["take"]: i["bake"] for i in summary["items"]}


def journal(out: Path) -> list[dict]:
    path = out / ".batch" / "journal.jsonl"
    return [json.loads(s) for s in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture(scope="module")
def local_run(manifest, tmp_path_factory):
    """The batch run here, once for the module: (out folder, exit status, summary)."""
    out = tmp_path_factory.mktemp("local")
    status, summary = run_batch(manifest, out)
    yield out, status, summary
    reset_scene()


def test_a_24_line_batch_bakes_one_blend_and_json_per_line(local_run):
    out, status, summary = local_run
    assert status == 0
    assert summary["n_items"] == 24 and summary["counts"] == {"ok": 24, "skipped": 0, "failed": 0}
    assert [i["take"] for i in summary["items"]][:5] == [
        "line-00",
        "line-01",
        "line-02",
        "speech-0",
        "line-03",
    ]
    for entry in summary["items"]:
        assert entry["outputs"] == [f"{entry['take']}.blend", f"{entry['take']}.json"]
        assert entry["bake"]["n_curves"] >= 20 and entry["bake"]["frame_end"] > 24
    speech = json.loads((out / "speech-1.json").read_text())
    assert speech["kind"] == "audio" and "worst thing" in speech["transcript"].lower()
    assert json.loads((out / "line-07.json").read_text())["dominant"] == "anger"
    for take in ("line-00", "speech-2"):
        bpy.ops.wm.open_mainfile(filepath=str(out / f"{take}.blend"))
        action = bpy.data.objects["DemoHead"].data.shape_keys.animation_data.action
        assert action.name == f"DemoHead {take}"
        bag = action.layers[0].strips[0].channelbag(action.slots[0])
        assert len(bag.fcurves) == takes(summary)[take]["n_curves"]
    assert not list(out.glob(".*tmp*"))


def test_a_rerun_skips_every_item_and_touches_no_output(manifest, local_run):
    out, _, _ = local_run
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.suffix == ".blend"}
    before = item_files(out)
    status, summary = run_batch(manifest, out)
    assert status == 0
    assert {i["status"] for i in summary["items"]} == {"skipped"}
    assert summary["counts"] == {"ok": 0, "skipped": 24, "failed": 0}
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.suffix == ".blend"} == mtimes
    assert item_files(out) == before
    assert len(journal(out)) == 24


@pytest.fixture(scope="module")
def cluster():
    """A 2-process Dask LocalCluster (one thread each) and a client to watch it."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as local_cluster,
        distributed.Client(local_cluster) as client,
    ):
        yield local_cluster, client


def test_a_2_worker_cluster_gives_the_local_outputs(manifest, local_run, cluster, tmp_path):
    """Here the workers send the files back (``--gather-outputs``); the killed-worker test
    below covers workers writing to the shared folder themselves."""
    local_out, _, local_summary = local_run
    local_cluster, _ = cluster
    scheduler = ("--scheduler", local_cluster.scheduler_address, "--gather-outputs")
    status, summary = run_batch(manifest, tmp_path, *scheduler)
    assert status == 0 and summary["counts"]["ok"] == 24
    assert summary["scheduler"] == local_cluster.scheduler_address
    assert len({i["worker"] for i in summary["items"]}) == 2
    assert item_files(tmp_path) == item_files(local_out)
    assert takes(summary) == takes(local_summary)
    assert sorted(p.name for p in tmp_path.glob("*.blend")) == sorted(
        p.name for p in local_out.glob("*.blend")
    )
    assert Counter(line["take"] for line in journal(tmp_path)) == Counter(list(takes(summary)))
    mtimes = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.blend")}
    status, again = run_batch(manifest, tmp_path, *scheduler)
    assert status == 0 and again["counts"]["skipped"] == 24
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.blend")} == mtimes


def executing(dask_worker) -> tuple[int, list[str]]:
    """Run on a worker: its process id and the keys of the tasks it is executing now.

    Sent by value (``cloudpickle.register_pickle_by_value``): importing this test module in a
    worker would import bpy on the worker's event-loop thread.
    """
    return os.getpid(), [str(ts.key) for ts in dask_worker.state.executing]


def kill_a_worker_mid_item(client, out: Path, killed: dict, stop: threading.Event) -> None:
    """Once an item is done, SIGKILL a worker process while it is executing a spoken line."""
    while not stop.is_set():
        done = len(journal(out))
        for pid, keys in client.run(executing).values():
            running = [k for k in keys if "speech" in k]
            if done and running:
                os.kill(pid, signal.SIGKILL)  # a crash: no goodbye to the scheduler
                killed.update(pid=pid, done_before=done, keys=running)
                return
        time.sleep(0.02)


def test_a_worker_killed_mid_run_leaves_every_item_done_exactly_once(
    manifest, local_run, cluster, tmp_path
):
    local_out, _, local_summary = local_run
    local_cluster, client = cluster
    cloudpickle = pytest.importorskip("cloudpickle")
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    killed: dict = {}
    stop = threading.Event()
    killer = threading.Thread(
        target=kill_a_worker_mid_item, args=(client, tmp_path, killed, stop), daemon=True
    )
    killer.start()
    try:
        status, summary = run_batch(
            manifest, tmp_path, "--scheduler", local_cluster.scheduler_address
        )
    finally:
        stop.set()
        killer.join()
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    assert "pid" in killed, "no worker was running a spoken line to kill"
    assert killed["done_before"] < 24  # the kill came mid-run
    assert status == 0
    assert summary["n_items"] == 24 and summary["counts"]["failed"] == 0
    done = Counter(line["take"] for line in journal(tmp_path) if line["event"] == "done")
    assert done == Counter({i["take"]: 1 for i in local_summary["items"]})  # exactly once
    interrupted = [
        i for i in summary["items"] if any(f"-{i['take']}-" in k for k in killed["keys"])
    ]
    assert len(interrupted) == 1
    # Redone by the other worker (or by the restarted one, which finds it complete if the
    # killed one had renamed its outputs into place just before it died).
    assert interrupted[0]["status"] == "skipped" or not interrupted[0]["worker"].endswith(
        f":{killed['pid']}"
    )
    assert item_files(tmp_path) == item_files(local_out)
    ok = {t: b for t, b in takes(summary).items() if b is not None}
    assert ok == {t: takes(local_summary)[t] for t in ok}
    assert not list(tmp_path.glob(".*tmp*"))
