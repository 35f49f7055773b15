"""Sliding-window spotting: window layout and merging (core.micro_windows)."""

from __future__ import annotations

import pytest

from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.micro_spot import BurstKind
from facial_affect_addon.core.micro_windows import WindowPrediction, merge_windows, window_starts


def test_windows_cover_the_clip_and_end_on_its_last_frame():
    assert window_starts(40, 16, 8) == [0, 8, 16, 24]
    assert window_starts(41, 16, 8) == [0, 8, 16, 24, 25]
    assert window_starts(10, 16, 8) == [0]
    with pytest.raises(InputError):
        window_starts(10, 1, 8)


def _p(start, onset, offset, score=0.9, end=None, emotion="fear"):
    end = start + 0.6 if end is None else end
    return WindowPrediction(start, end, onset, (onset + offset) / 2, offset, score, {}, emotion)


def test_overlapping_windows_merge_into_one_micro_burst():
    preds = [
        _p(0.0, 0.0, 0.6, 0.2),
        _p(0.3, 0.50, 0.70),
        _p(0.45, 0.54, 0.74, 0.6),
        _p(0.9, 1.0, 1.5, 0.1),
    ]
    (burst,) = merge_windows(preds, edge_s=0.04)
    assert burst.kind is BurstKind.MICRO and burst.windows == 2
    assert burst.onset == pytest.approx((0.9 * 0.50 + 0.6 * 0.54) / 1.5)
    assert burst.emotion == "fear" and burst.confidence == pytest.approx(0.9)


def test_a_burst_cut_by_a_window_edge_is_left_to_the_window_that_holds_it():
    cut = _p(0.3, 0.32, 0.5)  # starts on window 0.3-0.9's inner edge
    assert merge_windows([_p(0.0, 0.1, 0.3), cut], edge_s=0.04)[0].offset == pytest.approx(0.3)
    assert len(merge_windows([cut], edge_s=0.04)) == 1  # the clip's own first frame is exempt


def test_durations_sort_micro_macro_and_too_short():
    long = _p(0.0, 1.0, 1.8, end=3.0)
    short = _p(0.0, 2.0, 2.02, end=3.0)
    (burst,) = merge_windows([long, short])
    assert burst.kind is BurstKind.MACRO
    assert merge_windows([]) == []
