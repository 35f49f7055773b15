"""Model folders inside installed weights packages (development checkouts).

The extension zip ships extracted weights under ``models/``; a source checkout reads them from
the registry package they came from. The package is found with
:func:`importlib.util.find_spec`, so it is not imported.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from ..core.errors import ModelError


def package_model_dir(
    package: str, files: Sequence[str], not_installed: str
) -> tuple[Path, list[str]]:
    """The ``model`` folder inside ``package`` and which of ``files`` it lacks.

    Args:
        package: The importable name of the weights package.
        files: File names the folder must hold.
        not_installed: The message when the package is not installed.

    Returns:
        ``(folder, missing)``; the caller words the error for missing files.

    Raises:
        ModelError: ``not_installed`` when the package cannot be found.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(not_installed)
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return folder, [f for f in files if not (folder / f).is_file()]
