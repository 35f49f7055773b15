"""Rig profiles: exact ARKit names, style-insensitive detection, coverage, JSON profiles."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from facial_affect_addon.core import rigs
from facial_affect_addon.core.errors import InputError, RigError
from facial_affect_addon.core.facs import AU_CHANNELS, CHANNEL_INDEX
from facial_affect_addon.core.names import normalize_name
from facial_affect_addon.core.rig_tables import ARKIT_52

# Apple's ARFaceAnchor.BlendShapeLocation names, alphabetical.
APPLE_52 = sorted(
    [
        "browDownLeft",
        "browDownRight",
        "browInnerUp",
        "browOuterUpLeft",
        "browOuterUpRight",
        "cheekPuff",
        "cheekSquintLeft",
        "cheekSquintRight",
        "eyeBlinkLeft",
        "eyeBlinkRight",
        "eyeLookDownLeft",
        "eyeLookDownRight",
        "eyeLookInLeft",
        "eyeLookInRight",
        "eyeLookOutLeft",
        "eyeLookOutRight",
        "eyeLookUpLeft",
        "eyeLookUpRight",
        "eyeSquintLeft",
        "eyeSquintRight",
        "eyeWideLeft",
        "eyeWideRight",
        "jawForward",
        "jawLeft",
        "jawOpen",
        "jawRight",
        "mouthClose",
        "mouthDimpleLeft",
        "mouthDimpleRight",
        "mouthFrownLeft",
        "mouthFrownRight",
        "mouthFunnel",
        "mouthLeft",
        "mouthLowerDownLeft",
        "mouthLowerDownRight",
        "mouthPressLeft",
        "mouthPressRight",
        "mouthPucker",
        "mouthRight",
        "mouthRollLower",
        "mouthRollUpper",
        "mouthShrugLower",
        "mouthShrugUpper",
        "mouthSmileLeft",
        "mouthSmileRight",
        "mouthStretchLeft",
        "mouthStretchRight",
        "mouthUpperUpLeft",
        "mouthUpperUpRight",
        "noseSneerLeft",
        "noseSneerRight",
        "tongueOut",
    ]
)
TABLE4 = [
    "browRaiseInL", "browRaiseInR", "browRaiseOuterL", "browLateralL", "browDownL",
    "mouthCornerPullL", "mouthCornerPullR", "mouthCornerDepressR", "mouthLipsTogetherDL",
    "mouthLipsTogetherDR", "mouthLipsTogetherUL", "mouthLipsTogetherUR", "mouthUpperLipRollInL",
    "mouthUpperLipRollInR", "noseWrinkleR",
]  # fmt: skip


def _pascal_underscore(name: str) -> str:
    """mouthSmileLeft -> MouthSmile_L."""
    name = re.sub(r"Left$", "_L", re.sub(r"Right$", "_R", name))
    return name[0].upper() + name[1:]


def _snake(name: str) -> str:
    """mouthSmileLeft -> mouth_smile_left."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def test_arkit_profile_has_exactly_the_52_apple_names():
    assert sorted(ARKIT_52) == APPLE_52
    assert sorted(rigs.BUILTIN_PROFILES["arkit52"].keys) == APPLE_52


def test_metahuman_profile_has_the_paper_table4_names():
    keys = set(rigs.BUILTIN_PROFILES["metahuman"].keys)
    assert set(TABLE4) <= keys


@pytest.mark.parametrize("style", [lambda n: n, _pascal_underscore, _snake])
def test_arkit_detected_in_three_naming_styles(style):
    names = ["Basis", *(style(n) for n in ARKIT_52)]
    match = rigs.detect_profile(names)
    assert match.profile.name == "arkit52"
    assert match.key_map["mouthSmileLeft"] == style("mouthSmileLeft")
    assert match.coverage.missing == ()
    assert len(match.key_map) == 52


def test_the_three_example_spellings_normalise_equal():
    assert {normalize_name(n) for n in ("mouthSmileLeft", "MouthSmile_L", "mouth_smile_left")} == {
        "mouthsmilel"
    }


@pytest.mark.parametrize("style", [lambda n: n, _pascal_underscore, _snake])
def test_metahuman_detected_in_three_styles(style):
    names = [style(n) for n in rigs.BUILTIN_PROFILES["metahuman"].keys]
    match = rigs.detect_profile(names)
    assert match.profile.name == "metahuman"
    assert match.coverage.missing == ()


@pytest.mark.parametrize("names", [["AU01_L", "AU01_R", "AU12_L", "AU12_R", "AU26"],
                                   ["au1_left", "au1_right", "au12_left", "au12_right", "au26"],
                                   ["Au01L", "Au01R", "Au12L", "Au12R", "Au26"]])  # fmt: skip
def test_facs_names_detected(names):
    match = rigs.detect_profile(names)
    assert match.profile.name == "facs"
    assert set(match.coverage.expressible) == {"AU1_L", "AU1_R", "AU12_L", "AU12_R", "AU26"}


def test_facs_combined_key_only_without_sided_keys():
    combined = rigs.detect_profile(["AU01", "AU26"])
    assert combined.key_map == {"AU01": "AU01", "AU26": "AU26"}
    row = combined.matrix()[combined.driven_keys.index("AU01")]
    assert row[CHANNEL_INDEX["AU1_L"]] == row[CHANNEL_INDEX["AU1_R"]] == 0.5
    sided = rigs.detect_profile(["AU01", "AU01_L", "AU01_R"])
    assert "AU01" not in sided.key_map


def test_common_prefix_is_ignored():
    names = ["CTRL_expressions_browRaiseInL", "CTRL_expressions_mouthCornerPullR",
             "CTRL_expressions_jawOpen"]  # fmt: skip
    match = rigs.detect_profile(names)
    assert match.key_map["mouthCornerPullR"] == "CTRL_expressions_mouthCornerPullR"


def test_coverage_report_names_missing_aus():
    names = [n for n in ARKIT_52 if not n.startswith(("cheekPuff", "mouthSmile", "noseSneer"))]
    match = rigs.detect_profile(names)
    missing = match.coverage.missing_aus()
    assert missing == ("AU12", "AU34")
    text = match.coverage.describe()
    assert "AU12 (Lip Corner Puller)" in text and "AU34 (Cheek Puff)" in text
    # AU9 lost noseSneer but still reaches mouthUpperUp a little: partial, not missing.
    assert "AU9_L" in match.coverage.partial


def test_coverage_reports_one_missing_side_and_partial():
    names = [n for n in ARKIT_52 if n != "mouthSmileLeft" and n != "cheekSquintLeft"]
    cov = rigs.detect_profile(names).coverage
    assert "AU12_L" in cov.missing_aus() and "AU12_R" not in cov.missing
    assert "AU6_L" in cov.partial  # still reaches eyeSquintLeft, lost cheekSquintLeft
    assert cov.fraction == pytest.approx(1 - 1 / len(AU_CHANNELS))


def test_matrix_maps_aus_to_keys():
    match = rigs.detect_profile(ARKIT_52)
    m = match.matrix()
    assert m.shape == (len(match.driven_keys), len(AU_CHANNELS))
    row = m[match.driven_keys.index("eyeSquintLeft")]
    assert row[CHANNEL_INDEX["AU7_L"]] == 1.0 and row[CHANNEL_INDEX["AU6_L"]] == 0.4
    assert "tongueOut" not in match.driven_keys  # known, but no AU drives it


def test_no_shape_keys_raises_rig_error():
    with pytest.raises(RigError, match="no shape keys"):
        rigs.detect_profile(["Basis"])


def test_unrecognised_keys_raise_rig_error_with_advice():
    with pytest.raises(RigError, match="JSON rig profile"):
        rigs.detect_profile(["Key 1", "Key 2", "smile_thing"])


def test_json_profile_round_trip(tmp_path):
    profile = rigs.RigProfile.from_mapping(
        "mine", {"Smile": {"AU12": 1.0}, "Frown_L": {"au15 left": 0.7}}, description="test"
    )
    path = tmp_path / "rig.json"
    rigs.save_profile(profile, path)
    data = json.loads(path.read_text())
    assert data["schema_version"] == 1 and data["kind"] == "rig_profile"
    loaded = rigs.load_profile(path)
    assert loaded == profile
    match = rigs.detect_profile(["smile", "frown.L"], [loaded])
    assert match.key_map == {"Smile": "smile", "Frown_L": "frown.L"}
    row = match.matrix()[match.driven_keys.index("smile")]
    assert row[CHANNEL_INDEX["AU12_L"]] == row[CHANNEL_INDEX["AU12_R"]] == 0.5


@pytest.mark.parametrize(
    "data",
    [
        {"schema_version": 2, "name": "x", "keys": {"a": {"AU12": 1}}},
        {"schema_version": 1, "name": "", "keys": {"a": {"AU12": 1}}},
        {"schema_version": 1, "name": "x", "keys": {"a": {"AU99": 1}}},
        {"schema_version": 1, "name": "x", "keys": {"a": {"AU12": -1}}},
        {"schema_version": 1, "name": "x", "keys": {"a": {"AU12": "lots"}}},
        {"schema_version": 1, "name": "x", "keys": {"a": {}}},
        {"schema_version": 1, "name": "x", "keys": {"a": {"AU12": 1}, "A": {"AU15": 1}}},
        [1, 2],
    ],
)
def test_invalid_json_profiles_raise_input_error(data):
    with pytest.raises(InputError):
        rigs.profile_from_dict(data)


def test_unreadable_profile_file(tmp_path):
    with pytest.raises(InputError, match="Cannot read"):
        rigs.load_profile(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        rigs.load_profile(bad)


def test_builtin_profiles_express_every_channel():
    for profile in rigs.BUILTIN_PROFILES.values():
        match = rigs.match_profile(profile, profile.keys)
        assert match.coverage.missing == (), profile.name
        assert np.all(match.matrix() >= 0)
