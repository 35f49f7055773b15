"""The demo head's ARKit-52 deformation table: now :mod:`facial_affect_addon.core.keygen_table`.

Kept as a name for the tools that import it; ``cli rig generate`` evaluates the same table on
any key-less head.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from facial_affect_addon.core.keygen_table import *  # noqa: F403
from facial_affect_addon.core.keygen_table import (  # noqa: F401
    ARKIT_NAMES,
    GROUPS_LEFT,
    GROUPS_MIDLINE,
    KEY_POINTS,
    KEY_TABLE,
    REGIONS,
    SIDED_POINTS,
)
