"""Issue 13's leftovers: hostile numbers, stored analyses and bugs give one line, never a traceback.

* a number too large for a float (``10**400``) is refused, and never echoed in full;
* the analysis stored in a .blend is depth-checked, size-capped and type/range-checked;
* a bug in a background job is ``internal error: <Type>: <msg> (details in <log>)``, its
  traceback in the log file, as in the operators and the CLI (one shared ``core.error_log``).
"""

from __future__ import annotations

import base64
import io
import json
import math
import re
import threading

import numpy as np
import pytest

from facial_affect_addon.core import error_log
from facial_affect_addon.core.emotions import EmotionWeights, expand_mixture, non_negative_number
from facial_affect_addon.core.errors import InputError
from facial_affect_addon.pipeline import store, worker
from facial_affect_addon.pipeline.performance import performance_from_json, performance_to_json
from facial_affect_addon.pipeline.text import performance_from_weights

from .test_store import captured

HUGE = 10**400
MAX_ECHO = 70  # a refused value is echoed in at most ~60 characters


@pytest.fixture
def log_dir(tmp_path, monkeypatch):
    folder = tmp_path / "logs"
    monkeypatch.setenv(error_log.LOG_DIR_ENV, str(folder))
    return folder


def _doc() -> dict:
    perf = performance_from_weights({"happiness": 0.7, "surprise": 0.3}, 3.0)
    return performance_to_json(perf, with_timeline=True, with_capture=False)


def _one_line(message: str) -> str:
    assert "\n" not in message and "Traceback" not in message, message
    return message


# 1. numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [HUGE, -HUGE, 10**5000, "9" * 5000, math.inf, math.nan],
    ids=["1e400", "-1e400", "1e5000", "5000_nines", "inf", "nan"],
)
def test_non_negative_number_refuses_overflow_and_clips_the_echo(value):
    with pytest.raises(InputError) as info:
        non_negative_number(value, "gain")
    message = _one_line(str(info.value))
    assert message.startswith("The gain must be")
    assert len(message) < len("The gain must be a finite number, non-negative (>= 0), got ") + 70


def test_huge_weights_and_names_in_a_mixture_are_one_short_line():
    for call in (
        lambda: EmotionWeights.from_mapping({"happiness": HUGE}),
        lambda: EmotionWeights.from_mapping({"x" * 10_000: 1.0}),
        lambda: EmotionWeights.from_mapping(["happiness", 1.0]),  # not a mapping
        lambda: EmotionWeights.from_mapping({"happiness": True}),
        lambda: EmotionWeights.from_array([HUGE, 0, 0, 0, 0, 0, 0]),
        lambda: EmotionWeights.from_array(["a", 0, 0, 0, 0, 0, 0]),
        lambda: expand_mixture([("x" * 10_000, 1.0)]),
        lambda: expand_mixture([("happiness", HUGE)]),
    ):
        with pytest.raises(InputError) as info:
            call()
        message = _one_line(str(info.value))
        assert "x" * 61 not in message and "0" * 61 not in message and len(message) < 500


# 2. the stored analysis --------------------------------------------------------------------------


def _npz_text(**arrays) -> str:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return store.PREFIX + base64.b64encode(buffer.getvalue()).decode("ascii")


def _doc_bytes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


@pytest.mark.parametrize("form", ["json", "npz"])
def test_a_deeply_nested_stored_analysis_is_refused_not_a_recursion_error(form):
    deep = '{"timeline": ' + "[" * 100_000 + "]" * 100_000 + "}"
    text = deep if form == "json" else _npz_text(doc=_doc_bytes(deep))
    with pytest.raises(InputError, match=r"nested more than 64 levels.*analyse again"):
        store.decode(text)


@pytest.mark.parametrize(
    "doc",
    ["[1, 2]", '"text"', "1e999", '{"timeline": "x"}', '{"timeline": [1]}', '{"kind": {}}'],
)
def test_a_stored_analysis_of_the_wrong_shape_is_one_line(doc):
    for text in (doc, _npz_text(doc=_doc_bytes(doc))):
        if not text.lstrip().startswith("{") and not text.startswith(store.PREFIX):
            continue
        with pytest.raises(InputError, match="analyse again") as info:
            store.decode(text)
        _one_line(str(info.value))


def test_stored_arrays_that_unpack_too_large_are_refused_before_reading(monkeypatch):
    text = store.encode(captured(300))
    monkeypatch.setattr(store, "MAX_STORED_BYTES", 1000)
    with pytest.raises(InputError, match=r"over the .* limit; analyse again"):
        store.decode(text)


def test_stored_arrays_with_unexpected_names_or_a_non_text_document_are_refused():
    doc = _doc_bytes(json.dumps(_doc()))
    with pytest.raises(InputError, match="unexpected contents"):
        store.decode(_npz_text(doc=doc, extra=np.zeros(3)))
    with pytest.raises(InputError, match="not text"):
        store.decode(_npz_text(doc=np.zeros(3)))


@pytest.mark.parametrize(
    "change",
    [
        {"times": np.array([0.0, math.nan, 1.0])},
        {"times": np.array([0.0, math.inf, 1.0])},
        {"weights": np.full((3, 2), math.nan, dtype=np.float32)},
        {"weights": np.zeros((4, 2), dtype=np.float32)},
        {"valid": np.array([1, 0, 1])},
        {"head_rotation": np.zeros((3, 2))},
    ],
    ids=["nan_time", "inf_time", "nan_weights", "wrong_shape", "valid_ints", "rotation"],
)
def test_a_stored_capture_with_bad_arrays_is_refused(change):
    doc = _doc()
    doc["capture_meta"] = {"names": ["jawOpen", "mouthClose"], "neutral_index": 0}
    arrays = {
        "doc": _doc_bytes(json.dumps(doc)),
        "times": np.array([0.0, 0.5, 1.0]),
        "weights": np.zeros((3, 2), dtype=np.float32),
        "valid": np.ones(3, dtype=bool),
    }
    store.decode(_npz_text(**arrays))  # the unchanged arrays are fine
    arrays.update(change)
    with pytest.raises(InputError, match="analyse again") as info:
        store.decode(_npz_text(**arrays))
    _one_line(str(info.value))


@pytest.mark.parametrize(
    "meta",
    [[1], {"names": "ab", "neutral_index": 0}, {"names": [1, 2], "neutral_index": 0},
     {"names": ["a", "b"], "neutral_index": 7}, {"names": ["a", "b"], "neutral_index": 1e999},
     {"names": ["a", "b"], "neutral_index": 0, "warnings": 5}],
)  # fmt: skip
def test_stored_capture_metadata_is_type_checked(meta):
    doc = _doc()
    doc["capture_meta"] = meta
    arrays = {"times": np.zeros(3), "weights": np.zeros((3, 2)), "valid": np.ones(3, bool)}
    with pytest.raises(InputError, match="analyse again"):
        store.decode(_npz_text(doc=_doc_bytes(json.dumps(doc)), **arrays))


# 3. segment times --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("start_s", math.nan),
        ("start_s", math.inf),
        ("end_s", -math.inf),
        ("end_s", math.nan),
        ("start_s", -1.0),
        ("end_s", 1e12),
        ("start_s", HUGE),
        ("start_s", "0.5"),
        ("start_s", True),
        ("intensity", math.nan),
        ("intensity", 5.0),
        ("text", 7),
        ("weights", [1, 2]),
    ],
)
def test_performance_refuses_bad_segment_values(field, value):
    doc = _doc()
    doc["timeline"][0][field] = value
    with pytest.raises(InputError, match="analyse again") as info:
        performance_from_json(doc)
    assert len(_one_line(str(info.value))) < 300


def test_an_end_before_its_start_and_a_bad_duration_are_refused():
    doc = _doc()
    doc["timeline"][0]["start_s"], doc["timeline"][0]["end_s"] = 2.0, 1.0
    with pytest.raises(InputError, match="end must be between 2"):
        performance_from_json(doc)
    for duration in (math.nan, math.inf, -1.0, 1e9):
        doc = _doc()
        doc["duration_s"] = duration
        with pytest.raises(InputError, match="duration"):
            performance_from_json(doc)


def test_an_infinite_time_in_stored_json_text_is_refused():
    text = re.sub(r'"start_s": [0-9.e-]+', '"start_s": 1e999', json.dumps(_doc()), count=1)
    assert '"start_s": 1e999' in text
    with pytest.raises(InputError, match="finite number"):
        store.decode(text)


def test_a_valid_stored_analysis_still_round_trips():
    doc = _doc()
    back = store.decode(json.dumps(doc))
    assert performance_to_json(back, with_timeline=True, with_capture=False) == doc


# 4. bugs in background jobs ----------------------------------------------------------------------


def test_a_bug_in_a_job_is_an_internal_error_with_the_traceback_in_the_log(log_dir):
    posted: list = []
    worker.run_work(3, lambda p, c: 1 / 0, threading.Event(), posted.append)
    (failed,) = posted
    log = log_dir / error_log.LOG_NAME
    assert isinstance(failed, worker.JobFailed)
    assert (
        failed.message == f"internal error: ZeroDivisionError: division by zero (details in {log})"
    )
    text = log.read_text(encoding="utf-8")
    assert "Traceback" in text and "1 / 0" in text and "background job 3" in text


def test_a_job_may_name_its_log(tmp_path):
    posted: list = []
    log = tmp_path / "mine.log"
    worker.run_work(1, lambda p, c: {}["missing"], threading.Event(), posted.append, log)
    assert posted[0].message.startswith("internal error: KeyError: 'missing' (details in ")
    assert "KeyError" in log.read_text(encoding="utf-8")


def test_internal_error_message_is_one_escaped_clipped_line():
    exc = ValueError("line one\nline two\x1b[31m" + "x" * 1000)
    message = error_log.internal_error_message(exc, None)
    assert message.startswith("internal error: ValueError: line one line two\\x1b[31m")
    assert message.endswith("… (details in the system console)")
    assert len(message) < 300 and "\n" not in message and "\x1b" not in message
    assert error_log.internal_error_message(KeyError(), None).startswith(
        "internal error: KeyError ("
    )


def test_an_unwritable_log_falls_back_to_the_console(tmp_path, capsys, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setattr("sys.__stderr__", __import__("sys").stderr)
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        assert error_log.log_internal_error(exc, "test", blocker / "sub" / "x.log") is None
    assert "Traceback" in capsys.readouterr().err


def test_the_log_is_started_afresh_past_its_cap(tmp_path):
    log = tmp_path / "x.log"
    log.write_text("old" * 100)
    assert error_log.write_traceback(ValueError("new"), log, "here", max_bytes=100)
    assert "new" in log.read_text() and "old" in (tmp_path / "x.log.1").read_text()


def test_the_log_folder_follows_the_environment_then_the_default(tmp_path, monkeypatch):
    monkeypatch.delenv(error_log.LOG_DIR_ENV, raising=False)
    assert error_log.log_dir(tmp_path) == tmp_path
    assert error_log.log_dir().name == "facial_affect"
    monkeypatch.setenv(error_log.LOG_DIR_ENV, str(tmp_path / "env"))
    assert error_log.log_path(tmp_path) == tmp_path / "env" / error_log.LOG_NAME
