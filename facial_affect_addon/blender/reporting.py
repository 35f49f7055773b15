"""How operators tell the user what happened: one wrapper for domain errors, poll reasons, bakes.

Every operator's ``execute`` is wrapped with :func:`reports_errors`: a
:class:`~..core.errors.FacialAffectError` raised anywhere below it becomes one ``ERROR`` report
and ``{'CANCELLED'}``. The pipeline validates before anything is written, so a cancelled
operator leaves the file unchanged. Programming errors still raise (Blender shows the traceback).
"""

from __future__ import annotations

import functools

from ..core.errors import FacialAffectError


def reports_errors(execute):
    """Decorate an operator's ``execute(self, context)`` to report domain errors.

    Blender checks the argument count of ``execute``, so the wrapper keeps ``(self, context)``.
    """

    @functools.wraps(execute)
    def wrapper(self, context):
        try:
            return execute(self, context)
        except FacialAffectError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}

    return wrapper


def poll_with_reason(cls, problem: str | None) -> bool:
    """An operator poll result: show ``problem`` as the disabled button's tooltip, if any."""
    if problem:
        cls.poll_message_set(problem)
    return problem is None


def report_warnings(op, warnings) -> None:
    """Report each non-fatal warning once."""
    for warning in warnings:
        op.report({"WARNING"}, warning)


def report_bake(op, result) -> None:
    """Report a bake's warnings and a one-line summary."""
    report_warnings(op, result.warnings)
    op.report(
        {"INFO"},
        f"Baked take {result.action_name!r}: {result.n_curves} curves, "
        f"frames {result.frame_start}–{result.frame_end}.",
    )
