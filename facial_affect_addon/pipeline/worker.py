"""The worker-thread side of a background job: run the work, post typed messages.

A front end (the Blender layer's :mod:`~..blender.jobs`) starts a thread on :func:`run_work`
and drains the messages on its main thread. The work never touches bpy; it reports progress
and polls ``should_cancel``. Exactly one final message follows the progress messages:
:class:`JobDone`, :class:`JobFailed` or :class:`JobCancelled`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core import error_log
from ..core.errors import CancelledError, FacialAffectError, MissingPackageError

Work = Callable[[Callable[[float, str], None], Callable[[], bool]], Any]


@dataclass(frozen=True)
class JobProgress:
    """How far a job is, and what it is doing."""

    job_id: int
    fraction: float
    message: str = ""


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
) -> None:
    """Run ``work(progress, should_cancel)`` and post its messages (worker thread).

    Domain errors and missing packages become a one-line :class:`JobFailed`; any other
    exception is a bug: its traceback goes to the error log (``log``, else
    :func:`~..core.error_log.log_path`) and the user reads
    ``internal error: <Type>: <message> (details in <log>)``.
    """

    def progress(fraction: float, message: str = "") -> None:
        post(JobProgress(job_id, float(fraction), str(message)))

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
