"""``cli batch`` bakes a manifest row's ``micro_at`` bursts where asked (± 1 frame), in Blender."""

from __future__ import annotations

import json

import bpy
import numpy as np

from .helpers import evaluate, fcurve_for, run_cli


def test_a_manifest_row_s_micro_at_bursts_peak_where_asked(tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "text,take,life,micro_at\n"
        '"[anger] Get out of my house.",burst,no,"1.5:surprise:0.9; 2.5:AU12:0.8:120ms"\n'
        '"[anger] Get out of my house.",plain,no,\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    done = run_cli("batch", str(manifest), "--out", str(out))
    assert done.returncode == 0, done.stderr
    peaks = {}
    for take in ("burst", "plain"):
        bpy.ops.wm.open_mainfile(filepath=str(out / f"{take}.blend"))
        scene = bpy.context.scene
        fps = scene.render.fps / scene.render.fps_base
        action = bpy.data.objects["DemoHead"].data.shape_keys.animation_data.action
        for key, at in (("browInnerUp", 1.5), ("mouthSmileLeft", 2.5)):
            asked = 1 + at * fps
            frames = np.arange(round(asked) - 8, round(asked) + 9)
            values = evaluate(fcurve_for(action, key), frames)
            peaks[take, key] = (int(frames[np.argmax(values)]) - asked, values.max() - values[0])
    for key in ("browInnerUp", "mouthSmileLeft"):
        off_by, rise = peaks["burst", key]
        assert abs(off_by) <= 1 and rise > 0.2, (key, off_by, rise)
        assert peaks["plain", key][1] < 0.1, (key, peaks["plain", key])  # no burst, no rise
    records = json.loads((out / "burst.json").read_text(encoding="utf-8"))["micro_expressions"]
    assert [r["apex"] for r in records] == [1.5, 2.5]
