"""The performance's timed phones travel through its JSON document and the .blend store."""

from __future__ import annotations

import dataclasses

import pytest

from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.phonemes import Phone
from facial_affect_addon.pipeline import store
from facial_affect_addon.pipeline.performance import performance_from_json, performance_to_json
from facial_affect_addon.pipeline.text import performance_from_weights

PHONES = (
    Phone("SIL", 0.0, 0.1),
    Phone("M", 0.1, 0.18, word="map"),
    Phone("AE", 0.18, 0.3, stress=1, word="map"),
    Phone("P", 0.3, 0.38, word="map"),
)


def with_phones():
    base = performance_from_weights({"happiness": 1.0}, 2.0)
    return dataclasses.replace(base, phones=PHONES)


def test_phones_round_trip_through_json_and_store():
    perf = with_phones()
    doc = performance_to_json(perf, with_timeline=True)
    assert doc["phones"][1] == {"symbol": "M", "start_s": 0.1, "end_s": 0.18, "word": "map"}
    for back in (performance_from_json(doc), store.decode(store.encode(perf))):
        assert [(p.symbol, p.start, p.end, p.word) for p in back.phones] == [
            (p.symbol, p.start, p.end, p.word) for p in PHONES
        ]


def test_documents_without_phones_stay_valid():
    perf = performance_from_weights({"anger": 1.0}, 2.0)
    doc = performance_to_json(perf, with_timeline=True)
    assert "phones" not in doc
    assert performance_from_json(doc).phones == ()


@pytest.mark.parametrize(
    "bad",
    [
        "not a list",
        [{"symbol": "QQ", "start_s": 0, "end_s": 1}],
        [{"symbol": "M", "start_s": 1, "end_s": 0.5}],
        [{"symbol": "M", "start_s": float("nan"), "end_s": 1}],
        [{"symbol": "M", "end_s": 1}],
        [{"symbol": "M", "start_s": 0.5, "end_s": 1}, {"symbol": "P", "start_s": 0, "end_s": 0.1}],
        [{"symbol": "M", "start_s": 0, "end_s": 1, "word": 3}],
        ["M"],
    ],
)
def test_bad_phones_are_an_input_error(bad):
    doc = performance_to_json(with_phones(), with_timeline=True)
    doc["phones"] = bad
    with pytest.raises(InputError, match="unreadable"):
        performance_from_json(doc)
