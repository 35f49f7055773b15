"""The worker-thread side of a background job: run the work, post typed messages.

A front end (the Blender layer's :mod:`~..blender.jobs`) starts a thread on :func:`run_work`
and drains the messages on its main thread. The work never touches bpy; it reports progress
and polls ``should_cancel``. Exactly one final message follows the progress messages:
:class:`JobDone`, :class:`JobFailed` or :class:`JobCancelled`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core import error_log
from ..core.errors import CancelledError, FacialAffectError, MissingPackageError

Work = Callable[[Callable[[float, str], None], Callable[[], bool]], Any]


@dataclass(frozen=True)
class JobProgress:
    """How far a job is, what it is doing, and about how long it has left.

    ``eta_s`` is None until the estimate means something (see :func:`eta_seconds`).
    """

    job_id: int
    fraction: float
    message: str = ""
    eta_s: float | None = None


ETA_MIN_ELAPSED_S = 2.0
ETA_MIN_FRACTION = 0.02


def eta_seconds(elapsed_s: float, fraction: float) -> float | None:
    """Seconds left at the average rate so far, or None while it would be a guess.

    Long clips are analysed at a steady rate per sampled frame, so the mean rate since the
    start is a fair estimate; no estimate before :data:`ETA_MIN_ELAPSED_S` seconds or
    :data:`ETA_MIN_FRACTION` of the work, nor once the work is done.
    """
    if elapsed_s < ETA_MIN_ELAPSED_S or not ETA_MIN_FRACTION <= fraction < 1.0:
        return None
    return elapsed_s * (1.0 - fraction) / fraction


def format_eta(eta_s: float) -> str:
    """``"about 40 s left"``, ``"about 3 min left"``, ``"about 1 h 5 min left"``."""
    if eta_s < 60:
        return f"about {max(1, round(eta_s))} s left"
    minutes = round(eta_s / 60)
    if minutes < 60:
        return f"about {minutes} min left"
    return f"about {minutes // 60} h {minutes % 60} min left"


def with_eta(message: str, eta_s: float | None) -> str:
    """``message`` with its ETA appended in parentheses (unchanged without one)."""
    return message if eta_s is None else f"{message} ({format_eta(eta_s)})"


@dataclass(frozen=True)
class JobDone:
    """The job finished; ``result`` is what the work returned."""

    job_id: int
    result: Any


@dataclass(frozen=True)
class JobFailed:
    """The job failed; ``message`` is the one line to show."""

    job_id: int
    message: str


@dataclass(frozen=True)
class JobCancelled:
    """The job stopped because the user cancelled it; nothing it computed is kept."""

    job_id: int


JobMessage = JobProgress | JobDone | JobFailed | JobCancelled


def run_work(
    job_id: int,
    work: Work,
    cancel: threading.Event,
    post: Callable[[JobMessage], None],
    log: Path | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Run ``work(progress, should_cancel)`` and post its messages (worker thread).

    Each progress message carries an ETA from the rate so far (``clock`` measures it).

    Domain errors and missing packages become a one-line :class:`JobFailed`; any other
    exception is a bug: its traceback goes to the error log (``log``, else
    :func:`~..core.error_log.log_path`) and the user reads
    ``internal error: <Type>: <message> (details in <log>)``.
    """

    start = clock()

    def progress(fraction: float, message: str = "") -> None:
        eta = eta_seconds(clock() - start, float(fraction))
        post(JobProgress(job_id, float(fraction), str(message), eta))

    try:
        result = work(progress, cancel.is_set)
    except CancelledError:
        post(JobCancelled(job_id))
    except FacialAffectError as exc:
        post(JobFailed(job_id, str(exc)))
    except ImportError as exc:
        post(JobFailed(job_id, str(MissingPackageError.from_import(exc))))
    except Exception as exc:  # a bug: the traceback to the log, one line in the panel
        written = error_log.log_internal_error(exc, f"background job {job_id}", log)
        post(JobFailed(job_id, error_log.internal_error_message(exc, written)))
    else:
        post(JobCancelled(job_id) if cancel.is_set() else JobDone(job_id, result))
