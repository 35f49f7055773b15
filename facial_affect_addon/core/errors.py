"""The project's one exception family.

Every error a user can cause or fix (bad input, a rig that lacks shape keys, an unreachable service,
a missing model file) is raised as a :class:`FacialAffectError` subclass with a message that says
what went wrong and what to do. Operators catch the base class and ``self.report`` the message;
the CLI prints it and exits non-zero. Programming errors stay ordinary Python exceptions.
"""

from __future__ import annotations


class FacialAffectError(Exception):
    """Base class of every error a user should see as a message, not a traceback."""


class InputError(FacialAffectError):
    """The input (weights, text, audio, video, curves, options) is invalid or empty."""


class RigError(FacialAffectError):
    """The target object cannot take the performance (no mesh, no shape keys, no usable keys)."""


class ModelError(FacialAffectError):
    """A model file is missing, unreadable, or does not carry its labels and preprocessing."""


class ServiceError(FacialAffectError):
    """An optional network service (LLM, cloud STT) failed, timed out or answered badly."""


class CancelledError(FacialAffectError):
    """The user cancelled a long-running job; nothing was written."""


class MissingPackageError(ModelError):
    """A Python package a model or service needs is not installed (or failed to import)."""

    @classmethod
    def from_import(cls, exc: ImportError) -> MissingPackageError:
        """The error for a failed import, naming the missing package."""
        return cls(f"A required package is missing: {exc.name or exc}.")
