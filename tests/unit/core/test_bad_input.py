"""Bad input raises a FacialAffectError subclass whose message tells the user what to do."""

from __future__ import annotations

import pytest

from facial_affect_addon.core.emotions import EmotionWeights
from facial_affect_addon.core.errors import FacialAffectError
from facial_affect_addon.core.facs import parse_au
from facial_affect_addon.core.rigs import RigProfile, profile_from_dict
from facial_affect_addon.core.timeline import EmotionEvent, Timeline

HAPPY = EmotionWeights.pure("happiness")


def test_negative_weight():
    with pytest.raises(FacialAffectError, match="must not be negative: sadness"):
        EmotionWeights.from_mapping({"happiness": 1.0, "sadness": -0.5})


def test_nan_weight():
    with pytest.raises(FacialAffectError, match="NaN"):
        EmotionWeights.from_mapping({"happiness": float("nan")})


def test_unknown_emotion_lists_the_valid_names():
    with pytest.raises(FacialAffectError, match="Unknown emotion 'glee'; use one of: neutral"):
        EmotionWeights.from_mapping({"glee": 1.0})


def test_unknown_compound_lists_the_presets():
    with pytest.raises(FacialAffectError, match="happily_surprised"):
        EmotionWeights.compound("sleepily_hungry")


def test_unknown_au_lists_the_known_ones():
    with pytest.raises(FacialAffectError, match=r"Unknown Action Unit 'AU99'.*AU12"):
        parse_au("AU99")


def test_overlapping_events_name_both_and_say_what_to_do():
    events = [EmotionEvent(0.0, 2.0, HAPPY, label="hi"), EmotionEvent(1.0, 1.0, HAPPY, label="yo")]
    with pytest.raises(FacialAffectError, match=r"overlap: hi \(0-2 s\) and yo.*shorten or move"):
        Timeline.from_events(events)


def test_zero_length_event():
    with pytest.raises(FacialAffectError, match=r"zero length.*at least 1 ms"):
        EmotionEvent(1.0, 0.0, HAPPY)


def test_empty_profile():
    with pytest.raises(FacialAffectError, match="empty; give it at least one key"):
        RigProfile("mine", ())


def test_empty_profile_from_json():
    with pytest.raises(FacialAffectError, match="empty"):
        profile_from_dict({"schema_version": 1, "name": "mine", "keys": {}})
