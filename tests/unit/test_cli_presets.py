"""``cli emotion`` takes compound preset names, alone or mixed with emotions (in-process run)."""

from __future__ import annotations

import json

import pytest

from facial_affect_addon import cli
from facial_affect_addon.core.emotions import COMPOUND_PRESETS
from facial_affect_addon.core.errors import FacialAffectError


def _weights(tmp_path, spec: str) -> dict[str, float]:
    out = tmp_path / "w.json"
    assert cli.run(["emotion", spec, "--json", str(out)]) == 0
    return json.loads(out.read_text())["weights"]


def test_a_preset_alone(tmp_path, capsys):
    weights = _weights(tmp_path, "bittersweet")
    assert weights["happiness"] == pytest.approx(0.5) and weights["sadness"] == pytest.approx(0.5)
    assert "happiness  0.500" in capsys.readouterr().out


def test_presets_in_any_spelling_and_mixed_with_emotions(tmp_path):
    weights = _weights(tmp_path, "Happily-Surprised=0.5,anger=0.5")
    assert weights["happiness"] == pytest.approx(0.3)
    assert weights["surprise"] == pytest.approx(0.2)
    assert weights["anger"] == pytest.approx(0.5)
    assert _weights(tmp_path, "happily surprised") == _weights(
        tmp_path, "happiness=0.6,surprise=0.4"
    )


@pytest.mark.parametrize("preset", list(COMPOUND_PRESETS))
def test_every_preset_name_is_accepted(preset):
    parsed = cli.parse_weights(str(preset))
    assert parsed == pytest.approx(COMPOUND_PRESETS[preset])


def test_the_issue_presets_exist():
    assert {"happily_surprised", "fearfully_surprised", "sadly_angry", "bittersweet"} <= set(
        COMPOUND_PRESETS
    )
    assert COMPOUND_PRESETS["bittersweet"] == {"happiness": 0.5, "sadness": 0.5}


def test_plain_mixtures_parse_as_before():
    assert cli.parse_weights("happiness=0.6,surprise=0.4") == {"happiness": 0.6, "surprise": 0.4}
    assert cli.parse_weights("happy") == {"happiness": 1.0}


def test_unknown_names_are_one_clear_error(tmp_path, capsys):
    out = tmp_path / "w.json"
    assert cli.run(["emotion", "sleepily_hungry", "--json", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Unknown emotion or preset 'sleepily_hungry'" in err and "bittersweet" in err
    assert "Traceback" not in err and not out.exists()
    with pytest.raises(FacialAffectError, match="not a number"):
        cli.parse_weights("bittersweet=lots")
