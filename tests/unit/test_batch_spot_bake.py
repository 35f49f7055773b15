"""``cli batch``'s ``spot_bake`` column (issue 15, like ``--spot-bake emotion|mirror``): parsed into
the item's options, and a bad value or a ``spot_bake`` without ``micro_spot`` is a one-line error
naming the row, before anything runs. The bake itself is checked in Blender
(tests/blender/test_batch_spot_bake.py)."""

from __future__ import annotations

import json

import pytest

from facial_affect_addon import cli
from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.micro_spot import SpotBake
from facial_affect_addon.pipeline.batch_manifest import load_manifest

LINE = "[anger] Get out of my house."


def test_spot_bake_column_in_csv_and_json(tmp_path) -> None:
    (tmp_path / "m.csv").write_text(
        "video,take,micro_spot,spot_bake\n"
        "v.avi,a,yes,mirror\nv.avi,b,yes, EMOTION \nv.avi,c,yes,\nv.avi,d,no,\n",
        encoding="utf-8",
    )
    items = load_manifest(tmp_path / "m.csv")
    got = [i.options.spot_bake for i in items]
    assert got == [SpotBake.MIRROR, SpotBake.EMOTION, SpotBake.EMOTION, SpotBake.EMOTION]
    rows = [{"video": "v.avi", "micro_spot": True, "spot_bake": "mirror"}]
    (tmp_path / "m.json").write_text(json.dumps(rows), encoding="utf-8")
    assert load_manifest(tmp_path / "m.json")[0].options.spot_bake is SpotBake.MIRROR


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("m.csv", "video,take,micro_spot,spot_bake\nv.avi,a,yes,mirror\nv.avi,b,yes,sideways\n",
         "error: manifest item 2: bad spot_bake 'sideways' (not one of mirror, emotion)."),
        ("m.json", json.dumps([{"video": "v.avi", "micro_spot": True, "spot_bake": 1}]),
         "error: manifest item 1: bad spot_bake 1 (not one of mirror, emotion)."),
        ("m.json", json.dumps([{"video": "v.avi", "spot_bake": "mirror"}]),
         "error: manifest item 1: spot_bake applies only with micro_spot; "
         "add micro_spot or drop it."),
        ("m.csv", f'text,take,spot_bake\n"{LINE}",a,\n"{LINE}",b,emotion\n',
         "error: manifest item 2: spot_bake applies only with micro_spot; "
         "add micro_spot or drop it."),
    ],
)  # fmt: skip
def test_a_bad_spot_bake_is_one_line_naming_the_row(tmp_path, capsys, name, content, message):
    manifest = tmp_path / name
    manifest.write_text(content, encoding="utf-8")
    out = tmp_path / "out"
    assert cli.run(["batch", str(manifest), "--out", str(out), "--no-bake"]) == 2
    assert capsys.readouterr().err == message + "\n"
    assert not out.exists()
    with pytest.raises(InputError, match=r"^manifest item \d: "):
        load_manifest(manifest)
