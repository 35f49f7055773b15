"""Batch items on a Dask distributed cluster (``cli batch ... --scheduler tcp://HOST:PORT``).

Each item is one task, :func:`execute_item`, that reads the item's inputs and writes its outputs
into the shared output folder itself (every worker must see the same ``--out`` path and the
inputs at the same paths), returning only the small :class:`~.batch.ItemResult`. With
``--gather-outputs`` (:attr:`~.batch.BatchConfig.gather_outputs`) the task runs into a private
temporary folder and returns the files' bytes instead (:func:`execute_item_for_bytes`); the
client checks for complete items and writes the files (:func:`~.batch.store_outputs`). The
client prints progress as tasks finish and the caller writes the summary.

**Workers that die.** When a worker process dies (killed, out of memory, its node lost), the
Dask scheduler hands its unfinished tasks to other workers (up to
``distributed.scheduler.allowed-failures`` times, then the item is reported as failed), and
finished tasks whose results lived on that worker are run again.
:func:`~.batch.run_item` is idempotent (whole outputs appear only by rename; a complete item is
skipped), so a retried item is produced exactly once and a half-written file never shows.

**One bpy thread per worker.** Blender's ``bpy`` crashes when it is called from a thread other
than the one that first used it, and Dask runs tasks on a pool of threads. Every task in a
worker process therefore runs on one dedicated thread of that process (:func:`_lane`).

``dask`` and ``distributed`` are imported only here, and only when a scheduler is given.
"""

from __future__ import annotations

import functools
import sys
import tempfile
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from ..core.errors import MissingPackageError, ServiceError
from .batch import BatchConfig, ItemResult, is_complete, run_item, store_outputs
from .batch_manifest import BatchItem

CONNECT_TIMEOUT_S = 30.0
MAX_RESUBMITS = 2


def _forget_inherited_blender_paths() -> None:
    """Drop the PyPI ``bpy``'s script folders that a worker inherited from its parent's sys.path.

    Importing the ``bpy`` wheel puts ``.../site-packages/bpy/<version>/scripts/modules`` (which
    holds Blender's *inner* ``bpy`` package) on ``sys.path``. A worker process spawned by a
    parent that had already imported bpy (a ``LocalCluster`` started from a test, a notebook)
    copies that path, and its own ``import bpy`` then finds the inner package and fails with
    "No module named '_bpy'". Inside Blender itself the script folders are not under a ``bpy``
    folder and are kept.
    """
    if "bpy" in sys.modules:
        return
    sys.path[:] = [p for p in sys.path if not _inside_bpy_wheel_scripts(p)]


def _inside_bpy_wheel_scripts(entry: str) -> bool:
    parts = entry.replace("\\", "/").split("/")
    return "bpy" in parts and "scripts" in parts[parts.index("bpy") :]


@functools.cache
def _lane() -> ThreadPoolExecutor:
    """The one thread of this process on which items (and so bpy) run."""
    return ThreadPoolExecutor(
        max_workers=1,
        thread_name_prefix="faceaff-item",
        initializer=_forget_inherited_blender_paths,
    )


def execute_item(item: BatchItem, config: BatchConfig) -> ItemResult:
    """The Dask task: run one item on this worker's item thread.

    Args:
        item: The item.
        config: Output folder (shared) and baker.

    Returns:
        The item's result (never raises for the item's own failures).
    """
    return _lane().submit(run_item, item, config).result()


def execute_item_for_bytes(
    item: BatchItem, config: BatchConfig
) -> tuple[ItemResult, dict[str, bytes]]:
    """The Dask task with ``config.gather_outputs``: make the outputs here, return their bytes.

    The item runs into a private temporary folder of this worker, which is removed afterwards.

    Returns:
        The item's result and, when it succeeded, output file name → bytes.
    """
    with tempfile.TemporaryDirectory(prefix="faceaff-item-") as tmp:
        result = execute_item(item, replace(config, out_dir=tmp))
        ok = result.status == "ok"
        files = {name: (Path(tmp) / name).read_bytes() for name in result.outputs} if ok else {}
    return result, files


def _connect(scheduler: str):
    try:
        from distributed import Client
    except ImportError as exc:
        raise MissingPackageError(
            "--scheduler needs the dask and distributed packages "
            f"(pip install dask distributed): {exc.name or exc} is missing."
        ) from None
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        raise ServiceError(f"Cannot reach the Dask scheduler at {scheduler}: {exc}") from None


def _lost(item: BatchItem, exc: BaseException) -> ItemResult:
    message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return ItemResult(item.index, item.take, item.label, "failed", 0.0, error=message)


def run_distributed(
    items: Sequence[BatchItem],
    config: BatchConfig,
    scheduler: str,
    on_result: Callable[[ItemResult], None],
) -> list[ItemResult]:
    """Run the items as Dask tasks on the cluster behind ``scheduler``.

    A task whose *result* could not be fetched (its worker died after the task finished and
    the client's re-fetch failed) is submitted again under a new key, at most
    :data:`MAX_RESUBMITS` times; being idempotent, it then finds its outputs complete and
    reports ``skipped``. A task the scheduler gave up on (``KilledWorker``: every worker that
    ran it died) is not resubmitted.

    Args:
        items: The items.
        config: Output folder (visible to every worker at this path) and baker.
        scheduler: ``tcp://HOST:PORT`` (or any address ``distributed.Client`` takes).
        on_result: Called on this thread with each result as its task finishes.

    Returns:
        One result per item; an item whose task could not be run at all (its workers kept
        dying, or it could not be sent) is a ``failed`` result.

    Raises:
        MissingPackageError: dask or distributed is not installed.
        ServiceError: The scheduler cannot be reached.
    """
    from distributed import as_completed

    results, todo = _already_complete(items, config, on_result)
    client = _connect(scheduler)
    try:
        run = uuid.uuid4().hex[:8]
        submit = functools.partial(_submit, client, config, run)
        futures = [submit(item, 0) for item in todo]
        pending = {f.key: (item, 0) for f, item in zip(futures, todo, strict=True)}
        completed = as_completed(futures)
        for future in completed:
            item, attempt = pending.pop(future.key)
            try:
                result = _collect(future.result(), item, config)
            except Exception as exc:
                if _is_killed_worker(exc) or attempt >= MAX_RESUBMITS:
                    result = _lost(item, exc)
                else:  # its result was lost, not its work: ask again (a complete item is skipped)
                    retry = submit(item, attempt + 1)
                    pending[retry.key] = (item, attempt + 1)
                    completed.add(retry)
                    continue
            results.append(result)
            on_result(result)
        return results
    finally:
        client.close()


def _already_complete(
    items: Sequence[BatchItem], config: BatchConfig, on_result: Callable[[ItemResult], None]
) -> tuple[list[ItemResult], list[BatchItem]]:
    """With gathered outputs the client checks for complete items itself (workers cannot)."""
    if not config.gather_outputs:
        return [], list(items)
    done, todo = [], []
    for item in items:
        if is_complete(item, config):
            done.append(run_item(item, config))  # a skip: reads nothing, writes nothing
            on_result(done[-1])
        else:
            todo.append(item)
    return done, todo


def _collect(value, item: BatchItem, config: BatchConfig) -> ItemResult:
    if not config.gather_outputs:
        return value
    result, files = value
    if result.status == "ok":
        store_outputs(item, config, files)
    return result


def _submit(client, config: BatchConfig, run: str, item: BatchItem, attempt: int):
    key = f"faceaff-{run}-{item.index}-{item.stem}-{attempt}"
    task = execute_item_for_bytes if config.gather_outputs else execute_item
    return client.submit(task, item, config, key=key, pure=False)


def _is_killed_worker(exc: BaseException) -> bool:
    """The scheduler gave up on the task: it was running on every worker that died."""
    return type(exc).__name__ == "KilledWorker"
