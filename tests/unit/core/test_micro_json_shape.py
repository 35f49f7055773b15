"""``"micro_expressions"`` entries have one shape, whether authored or spotted (issue 15).

Both paths write the same key set with the same JSON types, so a reader (a pipeline tool, the
report) never branches on where a burst came from.
"""

from __future__ import annotations

import json

import numpy as np

from facial_affect_addon import cli
from facial_affect_addon.cli_micro import records
from facial_affect_addon.core.micro import RECORD_FIELDS
from facial_affect_addon.core.micro_spot import BurstKind, SpotBake, SpottedBurst, micro_bursts
from facial_affect_addon.pipeline.micro_spot import MicroSpotResult

FIELDS = {"onset", "apex", "offset", "aus", "keys", "emotion", "confidence"}


def _shape(record: dict) -> dict[str, object]:
    """Each field's JSON type, looking inside the list and the mapping."""
    assert set(record) == FIELDS, sorted(record)
    for name in ("onset", "apex", "offset", "confidence"):
        assert type(record[name]) is float, (name, type(record[name]))
    assert record["onset"] <= record["apex"] <= record["offset"]
    assert 0.0 <= record["confidence"] <= 1.0
    assert type(record["aus"]) is list and record["aus"]
    assert all(type(a) is str and a.startswith("AU") and a[2:].isdigit() for a in record["aus"])
    assert type(record["keys"]) is dict and record["keys"]
    assert all(type(k) is str and type(v) is float and v > 0 for k, v in record["keys"].items())
    assert type(record["emotion"]) is str and record["emotion"]
    return {name: type(value) for name, value in record.items()}


def _spotted() -> SpottedBurst:
    # As the spotter makes them: numpy scalars from the flow arrays.
    keys = {"browInnerUp": np.float64(0.41), "browOuterUpLeft": np.float32(0.3)}
    return SpottedBurst(
        np.float64(1.4), np.float64(1.5), np.float64(1.62), ("AU1", "AU2"), keys,
        "surprise", np.float64(0.72), BurstKind.MICRO, ("brows",),
        (("AU1_L", np.float64(0.5)), ("AU1_R", np.float64(0.5)), ("AU2_L", 0.4)),
    )  # fmt: skip


def test_authored_and_spotted_records_have_the_same_keys_and_types(tmp_path):
    out = tmp_path / "authored.json"
    argv = ["emotion", "neutral", "--duration", "3", "--json", str(out)]
    argv += ["--micro-at", "1.2:fear:0.4:120ms", "--micro-at", "2.0:AU12L:0.6"]
    assert cli.run(argv) == 0
    authored = json.loads(out.read_text(encoding="utf-8"))["micro_expressions"]
    spot = MicroSpotResult((_spotted(),), (), 30.0, np.zeros(1), np.zeros((1, 1)))
    spotted = json.loads(json.dumps(spot.to_json()))["micro_expressions"]
    direct = _spotted().to_json()  # before any JSON round trip: numpy must not leak out
    rebaked = records(micro_bursts([_spotted()], SpotBake.EMOTION))  # found, re-authored
    shapes = [_shape(r) for r in (*authored, *spotted, direct, *rebaked)]
    assert len(shapes) == 5 and all(s == shapes[0] for s in shapes)
    assert tuple(authored[0]) == tuple(direct) == RECORD_FIELDS  # same order too
    assert "AU12" in authored[1]["aus"] and authored[1]["emotion"] == "happiness"
    assert direct["apex"] == 1.5 and direct["keys"] == {"browInnerUp": 0.41, "browOuterUpLeft": 0.3}
