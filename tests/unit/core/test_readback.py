"""Reading an expression back: AU vectors and captured ARKit weights → the nearest prototype."""

from __future__ import annotations

import numpy as np
import pytest

from facial_affect_addon.core.capture import CAPTURE_NAMES
from facial_affect_addon.core.emotions import EMOTION_NAMES
from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.facs import AU_CHANNELS, CHANNEL_INDEX, prototype_matrix
from facial_affect_addon.core.readback import (
    NEUTRAL_NORM,
    classify_aus,
    confusion_matrix,
    group_values,
    observable_groups,
    read_weights,
)
from facial_affect_addon.core.retarget import arkit_au_matrix, solve_aus

EXPRESSIVE = [e for e in EMOTION_NAMES if e != "neutral"]
CAPTURE_GROUPS = observable_groups(arkit_au_matrix(CAPTURE_NAMES))


def _aus(**values: float) -> np.ndarray:
    out = np.zeros(len(AU_CHANNELS))
    for name, value in values.items():
        out[CHANNEL_INDEX[name]] = value
    return out


def _arkit(**values: float) -> np.ndarray:
    return np.array([values.get(n, 0.0) for n in CAPTURE_NAMES])


@pytest.mark.parametrize("emotion", EXPRESSIVE)
@pytest.mark.parametrize("groups", [None, CAPTURE_GROUPS], ids=["all-channels", "capture"])
def test_every_prototype_reads_as_itself_at_any_strength(emotion, groups):
    proto = prototype_matrix()[EMOTION_NAMES.index(emotion)]
    for scale in (1.0, 0.6, 0.3):
        reading = classify_aus(scale * proto, groups)
        assert reading.emotion == emotion, (scale, reading.similarity)
        assert reading.similarity[emotion] == max(reading.similarity.values())
    assert classify_aus(proto, groups).similarity[emotion] == pytest.approx(1.0)


def test_a_weak_or_empty_vector_reads_as_neutral():
    assert classify_aus(np.zeros(len(AU_CHANNELS))).emotion == "neutral"
    faint = _aus(AU12_L=0.05, AU12_R=0.05)  # norm 0.07
    reading = classify_aus(faint)
    assert reading.emotion == "neutral"
    assert reading.strength == pytest.approx(np.hypot(0.05, 0.05))
    assert set(reading.similarity) == set(EXPRESSIVE)
    assert classify_aus(faint, neutral_norm=0.05).emotion == "happiness"
    assert classify_aus(_aus(AU12_L=NEUTRAL_NORM)).emotion == "happiness"


def test_a_lone_smile_is_happiness_and_a_lone_brow_raise_is_surprise():
    assert classify_aus(_aus(AU12_L=0.5, AU12_R=0.4)).emotion == "happiness"
    assert classify_aus(_aus(AU1_L=0.6, AU1_R=0.6, AU2_L=0.6, AU2_R=0.6)).emotion == "surprise"
    assert classify_aus(_aus(AU9_L=0.7, AU9_R=0.7, AU15_L=0.3, AU15_R=0.3)).emotion == "disgust"


def test_groups_merge_what_the_capture_cannot_tell_apart_and_drop_what_it_cannot_see():
    groups = {tuple(AU_CHANNELS[c] for c in g.channels): g.gains for g in CAPTURE_GROUPS}
    assert groups[("AU25", "AU26", "AU27")] == pytest.approx((0.15, 0.6, 1.0))  # jawOpen only
    assert groups[("AU43_L", "AU45_L")] == pytest.approx((1.0, 1.0))  # eyeBlinkLeft only
    assert groups[("AU1_L", "AU1_R")] == pytest.approx((0.5, 0.5))  # browInnerUp is unsided
    assert ("AU12_L",) in groups and ("AU12_R",) in groups
    # mouthUpperUp (AU9 0.8 + AU10) and noseSneer (AU9) together tell AU10 from AU9.
    assert ("AU10_L",) in groups and ("AU9_L",) in groups
    seen = {AU_CHANNELS[c] for g in CAPTURE_GROUPS for c in g.channels}
    assert not {"AU16_L", "AU20_L", "AU23"} & seen  # no captured key drives them


def test_the_jaw_split_between_au26_and_au27_does_not_change_the_reading():
    brows = {"AU1_L": 0.8, "AU1_R": 0.8, "AU2_L": 0.8, "AU2_R": 0.8}
    as_26 = classify_aus(_aus(**brows, AU26=0.8), CAPTURE_GROUPS)
    as_27 = classify_aus(_aus(**brows, AU27=0.48), CAPTURE_GROUPS)  # 0.6 * 0.8 = 1.0 * 0.48
    assert as_26.emotion == as_27.emotion == "surprise"
    assert as_27.similarity == pytest.approx(as_26.similarity)
    assert classify_aus(_aus(**brows, AU27=0.48)).similarity["surprise"] < 0.9  # ungrouped


def test_group_values_are_the_gain_weighted_sums():
    x = np.stack([_aus(AU26=0.5, AU27=0.2), _aus(AU12_L=1.0)])
    values = group_values(x, CAPTURE_GROUPS)
    jaw = next(i for i, g in enumerate(CAPTURE_GROUPS) if CHANNEL_INDEX["AU26"] in g.channels)
    assert values.shape == (2, len(CAPTURE_GROUPS))
    assert values[0, jaw] == pytest.approx(0.6 * 0.5 + 1.0 * 0.2)
    assert values[1].sum() == pytest.approx(1.0)


def test_observable_groups_of_a_small_matrix():
    a = np.zeros((2, len(AU_CHANNELS)))
    a[0, 0], a[0, 1], a[1, 2] = 1.0, 2.0, 0.5  # channels 0 and 1 parallel, 2 alone
    groups = observable_groups(a)
    assert [g.channels for g in groups] == [(0, 1), (2,)]
    assert groups[0].gains == pytest.approx((1.0, 2.0))


def test_captured_weights_read_back_through_aus():
    smile = _arkit(mouthSmileLeft=0.5, mouthSmileRight=0.4, cheekSquintLeft=0.3)
    reading, aus = read_weights(CAPTURE_NAMES, smile)
    assert reading.emotion == "happiness"
    assert aus[CHANNEL_INDEX["AU12_L"]] == pytest.approx(0.5, abs=1e-3)
    surprise = _arkit(browInnerUp=0.5, browOuterUpLeft=0.5, browOuterUpRight=0.5, jawOpen=0.5)
    assert read_weights(CAPTURE_NAMES, surprise)[0].emotion == "surprise"
    frown = _arkit(browDownLeft=0.5, browDownRight=0.5, eyeSquintLeft=0.5, eyeSquintRight=0.5)
    assert read_weights(CAPTURE_NAMES, frown)[0].emotion == "anger"
    reading, aus = read_weights(CAPTURE_NAMES, _arkit())
    assert reading.emotion == "neutral" and not aus.any()


def test_solve_aus_is_public_and_keeps_the_input_shape():
    one = solve_aus(CAPTURE_NAMES, _arkit(mouthSmileRight=0.7))
    assert one.shape == (len(AU_CHANNELS),)
    assert one[CHANNEL_INDEX["AU12_R"]] == pytest.approx(0.7, abs=1e-3)
    many = solve_aus(CAPTURE_NAMES, np.stack([_arkit(), _arkit(jawOpen=1.0)]))
    assert many.shape == (2, len(AU_CHANNELS)) and not many[0].any()
    with pytest.raises(InputError, match="names but weights"):
        solve_aus(CAPTURE_NAMES, np.zeros(3))


def test_bad_shapes_are_refused():
    with pytest.raises(InputError, match="AUs"):
        classify_aus(np.zeros(5))
    with pytest.raises(InputError, match="AUs"):
        classify_aus(np.zeros(len(AU_CHANNELS)), prototypes=np.zeros((3, 3)))


def test_confusion_matrix_counts_pairs_and_missing_predictions():
    truth = ["neutral", "happiness", "happiness", "anger", "disgust"]
    predicted = ["neutral", "happiness", "neutral", None, "contempt"]
    m = confusion_matrix(truth, predicted)
    assert m.shape == (7, 8) and m.sum() == 5
    assert m[0, 0] == 1 and m[1, 1] == 1 and m[1, 0] == 1
    assert m[EMOTION_NAMES.index("anger"), 7] == 1  # no face → "none"
    assert m[EMOTION_NAMES.index("disgust"), 7] == 1  # not one of the labels → "none"
    with pytest.raises(InputError, match="predictions"):
        confusion_matrix(["neutral"], [])
    with pytest.raises(InputError, match="not one of"):
        confusion_matrix(["joy"], ["neutral"])
