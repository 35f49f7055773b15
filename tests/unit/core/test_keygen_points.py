"""core.keygen_points: the key points JSON of ``rig generate --points-out / --points``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.keygen_points import load_key_points, save_key_points
from facial_affect_addon.core.keygen_table import KEY_POINTS


def _marks() -> np.ndarray:
    rng = np.random.default_rng(0)
    marks = np.c_[
        rng.uniform(-0.07, 0.07, 468), rng.normal(-0.09, 0.005, 468), rng.uniform(-0.09, 0.06, 468)
    ]
    marks[33], marks[263] = [-0.045, -0.08, 0.0], [0.045, -0.08, 0.0]  # outer eye corners
    return marks


def test_round_trip_and_an_edited_key_point(tmp_path):
    marks = _marks()
    path = tmp_path / "points.json"
    save_key_points(path, marks, "Head")
    np.testing.assert_allclose(load_key_points(path), marks, atol=1e-7)
    data = json.loads(path.read_text())
    assert data["object"] == "Head" and len(data["key_points"]) == len(KEY_POINTS)
    data["key_points"]["mouth_corner_left"][2] += 0.005  # the user lifts the left corner
    path.write_text(json.dumps(data))
    moved = load_key_points(path)
    corner = KEY_POINTS["mouth_corner_left"]
    assert moved[corner, 2] == pytest.approx(marks[corner, 2] + 0.005, abs=1e-6)
    far = KEY_POINTS["mouth_corner_right"]
    assert np.allclose(moved[far], marks[far], atol=1e-7), "the other side does not follow"


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("{", "Cannot read"),
        ('{"format": "other"}', "not a key points file"),
        ('{"format": "facial_affect_key_points", "landmarks": [[0, 0, 0]]}', "expected 468"),
        ('{"format": "facial_affect_key_points", "landmarks": [[0, "a", 0]]}', "numbers"),
        ('{"format": "facial_affect_key_points", "landmarks": [[1e999, 0, 0]]}', "not finite"),
    ],
)
def test_bad_files_are_one_line_input_errors(tmp_path, content, match):
    path = tmp_path / "p.json"
    path.write_text(content)
    with pytest.raises(InputError, match=match) as err:
        load_key_points(path)
    assert "\n" not in str(err.value)
    with pytest.raises(InputError, match="not found"):
        load_key_points(tmp_path / "missing.json")


def test_unknown_key_point_is_refused(tmp_path):
    path = tmp_path / "p.json"
    save_key_points(path, _marks(), "Head")
    data = json.loads(path.read_text())
    data["key_points"]["third_eye"] = [0, 0, 0]
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="unknown key point 'third_eye'"):
        load_key_points(path)
