"""Add-on enable cost: cold import + ``register()`` of the built extension.

Runs ``tests/blender/addon_probe.py`` in a fresh interpreter (so no module is already imported)
on ``dist/facial_affect-<version>.zip`` (built if missing). The baseline, measured in the same
process, is enabling Blender's bundled Node Wrangler add-on; ``ratio`` = baseline / value.
Blender's one-time unpacking of the bundled wheels at install is reported in the note, not
counted: it happens once per install, outside the add-on's code.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run() -> list[dict]:
    """Probe the extension and return the ``addon_enable`` entry."""
    sys.path.insert(0, str(REPO / "tools"))
    from build_extension import built_zip

    zip_path = built_zip("linux-x64")
    probe = REPO / "tests" / "blender" / "addon_probe.py"
    done = subprocess.run(
        [sys.executable, str(probe), str(zip_path)], capture_output=True, text=True, check=True
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    value, baseline = report["register_s"], report["reference_enable_s"]
    return [
        {
            "name": "addon_enable",
            "value": value,
            "unit": "s",
            "baseline": baseline,
            "ratio": baseline / value,
            "note": f"baseline: enabling Node Wrangler; heavy modules loaded: "
            f"{report['heavy_after_register'] or 'none'}; one-time install incl. wheel "
            f"unpacking {report['install_s']:.2f} s",
        }
    ]
