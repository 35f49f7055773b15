"""How operators tell the user what happened: one wrapper for errors, poll reasons, bakes.

Every operator's ``execute`` is wrapped with :func:`reports_errors`:

* a :class:`~..core.errors.FacialAffectError` raised anywhere below it becomes one ``ERROR``
  report (one line) and ``{'CANCELLED'}``. The pipeline validates before anything is written,
  so a cancelled operator leaves the file unchanged;
* any other exception is a bug: its traceback goes to the error log (:func:`error_log_path`)
  and the report is one line, ``internal error: <what> (details in <log path>)``; never the
  raw traceback.

In both cases actions the failed ``execute`` created are removed again, so a half-made take is
never left behind.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import bpy

from ..core import error_log
from ..core.errors import FacialAffectError
from .prefs import ADDON_ID

LOG_NAME = error_log.LOG_NAME
MAX_REPORT_CHARS = 500


def one_line(message: str, limit: int = MAX_REPORT_CHARS) -> str:
    """``message`` on one line (whitespace runs collapsed), cut to ``limit`` characters."""
    text = " ".join(str(message).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_log_path() -> Path:
    """Where tracebacks of internal errors go.

    The extension's own user folder when installed as an extension (it survives upgrades),
    else ``<temp>/facial_affect``; ``FACIAL_AFFECT_LOG_DIR`` overrides both.
    """
    if os.environ.get(error_log.LOG_DIR_ENV):
        return error_log.log_path()
    try:
        folder = Path(bpy.utils.extension_path_user(ADDON_ID, path="logs", create=True))
    except (ValueError, RuntimeError, OSError, AttributeError):  # not installed as an extension
        folder = None
    return error_log.log_path(folder)


def log_internal_error(exc: BaseException, where: str) -> str:
    """Write ``exc``'s traceback to the error log; return the one-line report for the user.

    Never raises: if the log cannot be written, the traceback goes to the console instead.
    """
    log = error_log.log_internal_error(exc, where, error_log_path())
    return error_log.internal_error_message(exc, log)


def _remove_new_actions(before: set[str]) -> None:
    """Remove actions created since ``before`` was taken (a failed execute's half-made take)."""
    for action in [a for a in bpy.data.actions if a.name not in before]:
        bpy.data.actions.remove(action)


def reports_errors(execute):
    """Decorate an operator's ``execute(self, context)`` to report every error in one line.

    Blender checks the argument count of ``execute``, so the wrapper keeps ``(self, context)``.
    """

    @functools.wraps(execute)
    def wrapper(self, context):
        before = {a.name for a in bpy.data.actions}
        try:
            return execute(self, context)
        except FacialAffectError as exc:
            message = one_line(str(exc))
        except Exception as exc:  # a bug: the traceback to the log, one line to the user
            message = log_internal_error(exc, getattr(self, "bl_idname", type(self).__name__))
        try:
            _remove_new_actions(before)
        except Exception as exc:  # never let the clean-up hide the first error
            log_internal_error(exc, "reports_errors clean-up")
        self.report({"ERROR"}, message)
        return {"CANCELLED"}

    return wrapper


def poll_with_reason(cls, problem: str | None) -> bool:
    """An operator poll result: show ``problem`` as the disabled button's tooltip, if any."""
    if problem:
        cls.poll_message_set(problem)
    return problem is None


def report_warnings(op, warnings) -> None:
    """Report each non-fatal warning once (on one line)."""
    for warning in warnings:
        op.report({"WARNING"}, one_line(warning))


def report_bake(op, result) -> None:
    """Report a bake's warnings and a one-line summary."""
    report_warnings(op, result.warnings)
    op.report(
        {"INFO"},
        f"Baked take {result.action_name!r}: {result.n_curves} curves, "
        f"frames {result.frame_start}–{result.frame_end}.",
    )
