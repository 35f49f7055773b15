"""Hostile files through every importer (issue 13): one InputError naming the file, nothing big
allocated, no RecursionError, no traceback-worthy exception.

One named test per class of bad input; caps are lowered through ``limits=`` so the tests stay
fast (the defaults are documented in :mod:`facial_affect_addon.core.limits`).
"""

from __future__ import annotations

import csv
import json
import time
from dataclasses import replace

import numpy as np
import pytest

from facial_affect_addon.core import formats, rigs
from facial_affect_addon.core.curveset import CurveSet
from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.limits import DEFAULT_LIMITS, Limits

HEADER = "Timecode,BlendShapeCount,JawOpen,MouthSmileLeft,Notes"
PROFILE = {
    "schema_version": 1,
    "kind": "rig_profile",
    "name": "mine",
    "keys": {"smile_L": {"AU12_L": 1.0}, "frown_L": {"AU15_L": 1.0}},
    "antagonists": [["smile_L", "frown_L"]],
}


def _refused(call, *match: str) -> str:
    """Run ``call``; it must raise one single-line InputError matching every pattern."""
    with pytest.raises(InputError) as info:
        call()
    message = str(info.value)
    assert "\n" not in message and len(message) < 400, message
    for pattern in match:
        assert pattern.lower() in message.lower(), message
    return message


def _csv_text(rows: int = 3, note: str = "ok") -> str:
    lines = [HEADER] + [f"00:00:00:{i:02d}.000,2,0.{i % 10},0.5,{note}" for i in range(rows)]
    return "\n".join(lines) + "\n"


def _curves_doc(**changes) -> dict:
    doc = formats.curves_to_dict(CurveSet(1, 24.0, {"jawOpen": np.linspace(0, 1, 5)}))
    doc.update(changes)
    return doc


def _write(tmp_path, name: str, data) -> str:
    path = tmp_path / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


# --- Encodings -------------------------------------------------------------------------------


def test_csv_in_utf16_is_refused_by_name(tmp_path):
    with_bom = _write(tmp_path, "bom16.csv", _csv_text().encode("utf-16"))
    _refused(lambda: formats.read_live_link_csv(with_bom), "bom16.csv", "not UTF-8", "UTF-16")
    no_bom = _write(tmp_path, "le16.csv", _csv_text().encode("utf-16-le"))
    _refused(lambda: formats.read_live_link_csv(no_bom), "le16.csv", "UTF-16", "save it as UTF-8")


def test_csv_in_latin1_is_refused_by_name(tmp_path):
    path = _write(tmp_path, "latin.csv", _csv_text(note="café crème").encode("latin-1"))
    _refused(lambda: formats.read_live_link_csv(path), "latin.csv", "not UTF-8", "Latin-1")


def test_csv_with_utf8_bom_is_read(tmp_path):
    path = _write(tmp_path, "bom.csv", b"\xef\xbb\xbf" + _csv_text(note="café").encode())
    curves = formats.read_live_link_csv(path, fps=60)
    assert curves.n_frames == 3 and curves.channels["mouthSmileLeft"][0] == pytest.approx(0.5)


def test_json_in_utf16_is_refused_and_bom_accepted(tmp_path):
    doc = json.dumps(_curves_doc())
    bad = _write(tmp_path, "c16.json", doc.encode("utf-16"))
    _refused(lambda: formats.load_curves(bad), "c16.json", "UTF-16")
    good = _write(tmp_path, "bom.json", b"\xef\xbb\xbf" + doc.encode())
    assert formats.load_curves(good).n_frames == 5


# --- CSV fields, time codes and caps -----------------------------------------------------------


def test_csv_field_over_the_csv_module_limit(tmp_path):
    path = _write(tmp_path, "huge.csv", _csv_text(note="x" * (csv.field_size_limit() + 10)))
    _refused(lambda: formats.read_live_link_csv(path), "huge.csv", "longer than", "characters")


def test_csv_time_code_far_in_the_future_allocates_nothing(tmp_path):
    text = f"{HEADER}\n00:00:00:00.000,2,0,0,a\n99:59:59:59.000,2,1,1,b\n"
    path = _write(tmp_path, "future.csv", text)
    start = time.perf_counter()
    _refused(lambda: formats.read_live_link_csv(path, fps=60), "future.csv", "h limit")
    assert time.perf_counter() - start < 1.0
    far = f"{HEADER}\n00:00:00:00.000,2,0,0,a\n999999999:00:00:00.000,2,1,1,b\n"
    _refused(lambda: formats.parse_live_link_csv(far), "Bad timecode")
    _refused(lambda: formats.parse_timecode("-1:00:00:00"), "Bad timecode")
    _refused(lambda: formats.parse_timecode("00:61:00:00"), "Bad timecode")


def test_nan_or_infinite_frame_start_is_refused(tmp_path):
    for bad in (float("nan"), float("inf"), -float("inf"), 1e300, 2.5):
        _refused(lambda b=bad: formats.curves_from_dict(_curves_doc(frame_start=b)), "frame_start")
        _refused(lambda b=bad: formats.parse_live_link_csv(_csv_text(), frame_start=b))
    for bad in (float("nan"), float("inf"), 0, -24, 1e9):
        _refused(lambda b=bad: formats.curves_from_dict(_curves_doc(fps=b)), "fps")
    # JSON's own NaN/Infinity constants are not JSON: refused while parsing.
    text = json.dumps(_curves_doc()).replace('"frame_start": 1', '"frame_start": NaN')
    path = _write(tmp_path, "nan.json", text)
    _refused(lambda: formats.load_curves(path), "nan.json", "NaN")
    big = json.dumps(_curves_doc()).replace('"frame_start": 1', '"frame_start": ' + "9" * 5000)
    path = _write(tmp_path, "bigint.json", big)
    _refused(lambda: formats.load_curves(path), "bigint.json")


def test_wrong_type_where_a_list_belongs():
    for channel in ("0.1,0.2", {"a": 1}, 3, [[0.1], [0.2]], ["0.1"], [None], [True, False]):
        doc = _curves_doc(channels={"jawOpen": channel})
        _refused(lambda d=doc: formats.curves_from_dict(d), "jawOpen")
    _refused(lambda: formats.curves_from_dict(_curves_doc(warnings="oops")), "warnings")
    long_name = _curves_doc(channels={"k" * 100_000: [0.0, 1.0]})
    assert len(_refused(lambda: formats.curves_from_dict(long_name), "characters")) < 200
    capture = {"schema_version": 1, "kind": "capture", "times": "abc", "names": ["jawOpen"]}
    _refused(lambda: formats.capture_from_dict(capture), "times", "list")
    capture.update(times=[0.0], weights={"a": 1}, valid=[True], neutral_index=0)
    _refused(lambda: formats.capture_from_dict(capture), "weights")
    timeline = {"schema_version": 1, "kind": "timeline", "events": {"start": 0}}
    _refused(lambda: formats.timeline_from_dict(timeline), "lists")
    for field, value in (("antagonists", "smile_L,frown_L"), ("fallbacks", {"smile_L": "x"})):
        _refused(lambda f=field, v=value: rigs.profile_from_dict({**PROFILE, f: v}), field)
    _refused(lambda: rigs.profile_from_dict({**PROFILE, "keys": [["smile_L"]]}), "keys")


def test_json_nested_10000_deep_is_refused_without_recursion_error(tmp_path):
    for name, text in (
        ("lists.json", "[" * 10_000 + "]" * 10_000),
        ("objects.json", '{"a":' * 10_000 + "1" + "}" * 10_000),
        (
            "inside.json",
            json.dumps(_curves_doc())[:-1] + ', "x": ' + "[" * 10_000 + "]" * 10_000 + "}",
        ),
    ):
        path = _write(tmp_path, name, text)
        _refused(lambda p=path: formats.load_curves(p), name, "nested")
        _refused(lambda p=path: formats.load_timeline(p), name, "nested")
        _refused(lambda p=path: formats.load_capture(p), name, "nested")
        _refused(lambda p=path: rigs.load_profile(p), name, "nested")
    # Brackets inside strings are not nesting.
    doc = _curves_doc(warnings=["[" * 10_000])
    assert formats.load_curves(_write(tmp_path, "str.json", doc)).n_frames == 5


def test_too_many_rows_and_columns_in_a_csv(tmp_path):
    path = _write(tmp_path, "long.csv", _csv_text(rows=30))
    _refused(
        lambda: formats.read_live_link_csv(path, limits=Limits(max_rows=20)), "long.csv", "rows"
    )
    assert formats.read_live_link_csv(path, fps=60, limits=Limits(max_rows=30)).n_frames == 30
    _refused(lambda: formats.read_live_link_csv(path, limits=Limits(max_channels=4)), "columns")
    _refused(lambda: formats.read_live_link_csv(path, limits=Limits(max_bytes=100)), "MiB limit")
    frames = Limits(max_frames=10)  # 30 rows at 60 fps resample to 30 frames
    _refused(lambda: formats.read_live_link_csv(path, fps=60, limits=frames), "frames")


def test_too_many_channels_frames_or_samples_in_a_curves_file(tmp_path):
    doc = _curves_doc(channels={f"k{i}": [0.0] * 20 for i in range(10)})
    path = _write(tmp_path, "wide.json", doc)
    _refused(
        lambda: formats.load_curves(path, limits=Limits(max_channels=5)), "wide.json", "channels"
    )
    _refused(lambda: formats.load_curves(path, limits=Limits(max_frames=10)), "frames")
    _refused(lambda: formats.load_curves(path, limits=Limits(max_samples=100)), "samples")
    _refused(lambda: formats.load_curves(path, limits=Limits(max_duration_s=0.5)), "h limit")
    _refused(lambda: formats.load_curves(path, limits=Limits(max_bytes=50)), "MiB limit")
    assert len(formats.load_curves(path).channels) == 10


def test_too_many_events_or_capture_samples(tmp_path):
    events = [{"start": i, "duration": 0.5, "weights": {"happiness": 1}} for i in range(5)]
    doc = {"schema_version": 1, "kind": "timeline", "events": events}
    _refused(lambda: formats.timeline_from_dict(doc, limits=Limits(max_items=3)), "events")
    far = {**doc, "events": [{"start": 1e12, "duration": 1.0, "weights": {"happiness": 1}}]}
    _refused(lambda: formats.timeline_from_dict(far), "h limit")
    path = _write(tmp_path, "far.json", far)
    _refused(lambda: formats.load_timeline(path), "far.json", "h limit")
    capture = {
        **{"schema_version": 1, "kind": "capture", "times": [0.0, 0.1, 0.2], "names": ["a"]},
        **{"weights": [[0.0], [0.1], [0.2]], "valid": [True] * 3, "neutral_index": 0},
    }
    assert len(formats.capture_from_dict(capture).times) == 3
    _refused(lambda: formats.capture_from_dict(capture, limits=Limits(max_frames=2)), "samples")
    for bad in ({"neutral_index": float("nan")}, {"times": [0, float("inf"), 1]}):
        _refused(lambda b=bad: formats.capture_from_dict({**capture, **b}))


def test_missing_file_or_folder_names_the_file(tmp_path):
    _refused(lambda: formats.read_live_link_csv(tmp_path / "none.csv"), "none.csv", "Cannot read")
    _refused(lambda: formats.load_curves(tmp_path), "Cannot read", "not a file")
    _refused(lambda: rigs.load_profile(str(tmp_path / "a\0b.json")), "Cannot read")


# --- The rig-profile loader --------------------------------------------------------------------


def test_rig_profile_encodings(tmp_path):
    text = json.dumps({**PROFILE, "description": "visage à l'aise"}, ensure_ascii=False)
    for name, data in (("p16.json", text.encode("utf-16")), ("p1.json", text.encode("latin-1"))):
        path = _write(tmp_path, name, data)
        _refused(lambda p=path: rigs.load_profile(p), name, "Rig profile", "not UTF-8")
    path = _write(tmp_path, "bom.json", b"\xef\xbb\xbf" + text.encode())
    assert rigs.load_profile(path).name == "mine"


def test_rig_profile_numbers_and_names(tmp_path):
    for weight in ("NaN", "Infinity", "1e999", "9" * 400):
        text = json.dumps(PROFILE).replace('"AU12_L": 1.0', f'"AU12_L": {weight}')
        path = _write(tmp_path, "w.json", text)
        _refused(lambda p=path: rigs.load_profile(p), "w.json")
    long_key = {**PROFILE, "keys": {"k" * 100_000: {"AU12_L": 1.0}}}
    message = _refused(lambda: rigs.profile_from_dict(long_key), "characters")
    assert len(message) < 200
    _refused(lambda: rigs.profile_from_dict({**PROFILE, "schema_version": True}), "schema_version")
    _refused(lambda: rigs.profile_from_dict({**PROFILE, "description": ["x"]}), "description")


def test_rig_profile_caps(tmp_path):
    many = {**PROFILE, "keys": {f"k{i}": {"AU12_L": 1.0} for i in range(20)}, "antagonists": []}
    path = _write(tmp_path, "many.json", many)
    _refused(
        lambda: rigs.load_profile(path, limits=Limits(max_channels=10)), "many.json", "entries"
    )
    pairs = {**PROFILE, "antagonists": [["smile_L", "frown_L"]] * 20}
    _refused(lambda: rigs.profile_from_dict(pairs, limits=Limits(max_items=10)), "pairs")
    small = replace(DEFAULT_LIMITS, max_bytes=64)
    _refused(lambda: rigs.load_profile(path, limits=small), "many.json", "MiB limit")
    assert len(rigs.load_profile(path).keys) == 20


def test_timeline_numbers_and_names_are_checked_before_use():
    def doc(weights: dict, apex: dict | None = None) -> dict:
        micro = [{"start": 0.2, "duration": 0.1, "apex": apex or {"AU12_L": 0.4}}]
        event = {"start": 0.0, "duration": 2.0, "weights": weights}
        return {"schema_version": 1, "kind": "timeline", "events": [event], "micro": micro}

    for weights in ({"happiness": 10**400}, {"happiness": "0.5"}, {"happiness": None}, [0.5]):
        _refused(lambda w=weights: formats.timeline_from_dict(doc(w)), "Event 0 weights")
    message = _refused(lambda: formats.timeline_from_dict(doc({"x" * 100_000: 1.0})), "too long")
    assert len(message) < 200
    _refused(lambda: formats.timeline_from_dict(doc({"happiness": 1}, {"AU12_L": 1e999})), "apex")
