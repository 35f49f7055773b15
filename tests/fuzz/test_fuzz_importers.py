"""Hostile files through every importer, called directly: each returns or raises one
:class:`~facial_affect_addon.core.errors.FacialAffectError` of one line, nothing else.

Importers: curves, timeline and capture JSON (:mod:`~facial_affect_addon.core.formats`), the
Live Link Face CSV, rig profiles (:mod:`~facial_affect_addon.core.rig_profile`) and a
performance stored in a .blend (:mod:`~facial_affect_addon.pipeline.store`). The documents are
one-place mutations of a valid document (hypothesis, fixed seed) and hand-made hostile files:
wrong encodings, JSON nested thousands deep, numbers past every limit, a CSV field over the csv
module's limit, time codes far in the future.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import strategies as st

from facial_affect_addon.core import formats, rig_profile, rigs
from facial_affect_addon.core.capture import CaptureResult
from facial_affect_addon.core.curveset import CurveSet
from facial_affect_addon.core.rig_tables import ARKIT_52
from facial_affect_addon.pipeline import store
from facial_affect_addon.pipeline.performance import performance_to_json
from facial_affect_addon.pipeline.text import performance_from_weights

from .generators import deep_json, draw, dump_json, gzip_bytes, mutations
from .promise import case_id, check_api

# --- valid documents, the seeds of the mutations -------------------------------------------------

CURVES = formats.curves_to_dict(
    CurveSet(1, 24.0, {"jawOpen": np.linspace(0, 1, 6), "mouthSmileLeft": np.linspace(1, 0, 6)})
)
TIMELINE = {
    "schema_version": 1,
    "kind": "timeline",
    "events": [
        {
            "start": 0.5,
            "duration": 2.0,
            "weights": {"happiness": 0.6},
            "intensity": 1.0,
            "label": "Hi",
        }
    ],
    "micro": [{"start": 1.2, "duration": 0.1, "apex": {"AU12_L": 0.4}, "emotion": "happiness"}],
}
CAPTURE = formats.capture_to_dict(
    CaptureResult(
        np.array([0.0, 0.1, 0.2]),
        ("jawOpen", "eyeBlinkLeft"),
        np.array([[0.1, 0.0], [0.5, 0.2], [0.2, 0.9]]),
        0,
        np.array([True, True, False]),
        np.zeros((3, 3)),
    )
)
PROFILE = next(iter(rigs.BUILTIN_PROFILES.values())).to_dict()
PERFORMANCE = performance_to_json(
    performance_from_weights({"happiness": 0.7, "surprise": 0.3}, 2.0), with_timeline=True
)
PASCAL = [n[0].upper() + n[1:] for n in ARKIT_52]


def _csv(header: list[str], rows: list[list[str]]) -> str:
    return "\n".join(",".join(r) for r in [header, *rows]) + "\n"


VALID_CSV = _csv(
    ["Timecode", "BlendShapeCount", "EyeBlinkLeft", "JawOpen"],
    [[f"00:00:00:{f:02d}.000", "2", "0.1", f"{f / 10:.2f}"] for f in range(10)],
)


def _load_capture(path: Path):
    loader = getattr(formats, "load_capture", None)
    if loader is not None:
        return loader(path)
    return formats.capture_from_dict(json.loads(Path(path).read_text("utf-8")))


def _decode_performance(path: Path):
    return store.decode(Path(path).read_text("utf-8", "surrogateescape"))


READERS = {
    "curves": formats.load_curves,
    "timeline": formats.load_timeline,
    "capture": _load_capture,
    "profile": rig_profile.load_profile,
    "csv": formats.read_live_link_csv,
}
TEMPLATES = {"curves": CURVES, "timeline": TIMELINE, "capture": CAPTURE, "profile": PROFILE}
SUFFIX = {"csv": ".csv"}

# --- one-place mutations (hypothesis, fixed seeds) -----------------------------------------------

MUTATED: list[tuple[str, str, str]] = []
for _n, (_reader, _doc) in enumerate(TEMPLATES.items()):
    for _i, _m in enumerate(draw(mutations(_doc), 22, 1300 + _n)):
        MUTATED.append((_reader, f"{_reader}-mut{_i:02d}", dump_json(_m)))
for _i, _m in enumerate(draw(mutations(PERFORMANCE), 22, 1399)):
    MUTATED.append(("performance", f"performance-mut{_i:02d}", dump_json(_m)))
_CAPTURE_IN_PERF = draw(mutations(CAPTURE), 8, 1398)
for _i, _m in enumerate(_CAPTURE_IN_PERF):
    MUTATED.append(
        ("performance", f"perf-capture-mut{_i:02d}", dump_json({**PERFORMANCE, "capture": _m}))
    )

_cell = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.from_regex(r"-?\d{1,12}:\d{1,3}:\d{1,3}:\d{1,5}(\.\d{1,5})?", fullmatch=True),
    st.text(max_size=12),
    st.sampled_from(["", "nan", "inf", "-inf", "1e308", "0", "1", "61", '"', '""', "\x00"]),
)
_header = st.lists(
    st.one_of(st.sampled_from([*PASCAL, "Timecode", "BlendShapeCount"]), st.text(max_size=10)),
    min_size=0,
    max_size=8,
)
_csv_doc = st.builds(
    lambda h, rows: _csv(["Timecode", "BlendShapeCount", *h], [[str(c) for c in r] for r in rows]),
    _header,
    st.lists(st.lists(_cell, min_size=0, max_size=10), min_size=0, max_size=6),
)
for _i, _text in enumerate(draw(_csv_doc, 26, 1377)):
    MUTATED.append(("csv", f"csv-hyp{_i:02d}", _text))


@pytest.mark.parametrize(
    ("reader", "text"), [(r, t) for r, _, t in MUTATED], ids=[c for _, c, _ in MUTATED]
)
def test_mutated_document(reader, text, tmp_path):
    path = tmp_path / f"doc{SUFFIX.get(reader, '.json')}"
    path.write_text(text, "utf-8", "surrogatepass")
    call = _decode_performance if reader == "performance" else READERS[reader]
    check_api(f"importer:{reader}:{path.name}", f"importer-{reader}", lambda: call(path))


# --- hand-made hostile files, through every file reader ------------------------------------------


def _utf16(text: str) -> bytes:
    return text.encode("utf-16")


RAW: dict[str, bytes | None] = {
    "empty": b"",
    "whitespace": b" \n\t\r\n",
    "null": b"null",
    "list": b"[]",
    "object": b"{}",
    "number": b"0",
    "string": b'"curves"',
    "nan-literal": b"NaN",
    "huge-literal": b"1e999",
    "int-5000-digits": b"1" * 5000,
    "deep-lists-100k": deep_json(100_000).encode(),
    "deep-objects-50k": (b'{"a":' * 50_000) + b"1" + b"}" * 50_000,
    "binary": bytes(np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8)),
    "nul-bytes": b'{"schema_version": 1,\x00 "kind": "curves"}',
    "gzip": gzip_bytes(json.dumps(CURVES).encode()),
    "latin1": json.dumps(
        {**CURVES, "channels": {"mâchoire": [0.0, 1.0]}}, ensure_ascii=False
    ).encode("latin-1"),
    "utf16": None,  # filled per reader from its valid document
    "utf8-bom": None,
    "big-string-5MB": b'"' + b"a" * 5_000_000 + b'"',
    "dup-keys": b'{"schema_version": 1, "schema_version": 99, "kind": "curves", "kind": 3}',
    "surrogate-escape": b'{"schema_version": 1, "kind": "\\ud800", "name": "\\udfff"}',
}


def _valid_text(reader: str) -> str:
    return VALID_CSV if reader == "csv" else json.dumps(TEMPLATES[reader])


RAW_CASES = [(reader, name) for reader in READERS for name in RAW]
SPECIAL = ["missing", "directory", "symlink-loop"]


@pytest.mark.parametrize(
    ("reader", "name"),
    RAW_CASES + [(r, s) for r in READERS for s in SPECIAL],
    ids=[f"{r}-{n}" for r, n in RAW_CASES] + [f"{r}-{s}" for r in READERS for s in SPECIAL],
)
def test_hostile_file(reader, name, tmp_path):
    path = tmp_path / f"doc{SUFFIX.get(reader, '.json')}"
    if name == "utf16":
        path.write_bytes(_utf16(_valid_text(reader)))
    elif name == "utf8-bom":
        path.write_bytes(b"\xef\xbb\xbf" + _valid_text(reader).encode())
    elif name == "directory":
        path.mkdir()
    elif name == "symlink-loop":
        path.symlink_to(path)
    elif name != "missing":
        path.write_bytes(RAW[name])
    check_api(f"importer:{reader}:{name}", f"importer-{reader}", lambda: READERS[reader](path))


# --- Live Link CSV, hand-made --------------------------------------------------------------------

_HEAD = ["Timecode", "BlendShapeCount", "EyeBlinkLeft", "JawOpen"]


def _rows(codes, values=("0.1", "0.2")) -> str:
    return _csv(_HEAD, [[c, "2", *values] for c in codes])


CSV_CASES: dict[str, bytes] = {
    "valid": VALID_CSV.encode(),
    "header-only": (",".join(_HEAD) + "\n").encode(),
    "no-arkit-columns": _csv(["Timecode", "A", "B"], [["00:00:00:00.000", "1", "2"]]).encode(),
    "far-future-timecode": _rows(["00:00:00:00.000", "99:59:59:29.999"]).encode(),
    "huge-hours": _rows(["00:00:00:00.000", "999999999:00:00:00.000"]).encode(),
    "negative-timecode": _rows(["-1:00:00:00.000", "00:00:00:01.000"]).encode(),
    "descending-timecodes": _rows([f"00:00:00:{f:02d}.000" for f in range(10, 0, -1)]).encode(),
    "same-timecode": _rows(["00:00:00:00.000"] * 50).encode(),
    "frame-over-1000": _rows(["00:00:00:00.000", "00:00:00:5000.000"]).encode(),
    "bad-timecode": _rows(["tomorrow", "00:00"]).encode(),
    "nan-values": _rows(["00:00:00:00.000", "00:00:00:01.000"], ("nan", "inf")).encode(),
    "huge-values": _rows(["00:00:00:00.000", "00:00:00:01.000"], ("1e308", "-1e308")).encode(),
    "text-values": _rows(["00:00:00:00.000"], ("smile", "")).encode(),
    "ragged-rows": (
        ",".join(_HEAD) + "\n00:00:00:00.000,2\n00:00:00:01.000,2,0.1,0.2,0.3,0.4\n"
    ).encode(),
    "field-over-csv-limit": _rows(["00:00:00:00.000"], ("0." + "1" * 200_000, "0")).encode(),
    "unterminated-quote": (",".join(_HEAD) + '\n"00:00:00:00.000,2,0.1,0.2\n').encode(),
    "nul-in-cell": _rows(["00:00:00:00.000"], ("0.\x001", "0")).encode(),
    "cr-only": VALID_CSV.replace("\n", "\r").encode(),
    "10k-columns": _csv(
        ["Timecode", "BlendShapeCount", *(PASCAL * 200)], [["00:00:00:00.000", "2"] + ["0"] * 10400]
    ).encode(),
    "200k-rows": _rows(
        [f"00:{m // 1440:02d}:{m // 24 % 60:02d}:{m % 24:02d}.000" for m in range(200_000)]
    ).encode(),
    "duplicate-columns": _csv(
        ["Timecode", "BlendShapeCount", "JawOpen", "jawopen", "JAWOPEN"],
        [["00:00:00:00.000", "3", "0.1", "0.9", "0.5"]],
    ).encode(),
}


@pytest.mark.parametrize("name", list(CSV_CASES), ids=[f"csv-{n}" for n in CSV_CASES])
def test_live_link_csv(name, tmp_path):
    path = tmp_path / "take.csv"
    path.write_bytes(CSV_CASES[name])
    check_api(f"importer:csv:{name}", "importer-csv", lambda: formats.read_live_link_csv(path))


# --- a performance stored in a .blend (store.decode) ---------------------------------------------


def _npz(**arrays) -> str:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return store.PREFIX + base64.b64encode(buffer.getvalue()).decode("ascii")


def _zip_bomb_ish() -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("doc.npy", b"\0" * 20_000_000)
    return store.PREFIX + base64.b64encode(buffer.getvalue()).decode("ascii")


STORED: dict[str, object] = {
    "empty": "",
    "prefix-only": store.PREFIX,
    "bad-base64": store.PREFIX + "!!!not base64!!!",
    "base64-garbage": store.PREFIX + base64.b64encode(b"garbage" * 100).decode(),
    "npz-no-doc": lambda: _npz(times=np.zeros(3)),
    "npz-doc-not-utf8": lambda: _npz(doc=np.frombuffer(b"\xff\xfe{", np.uint8)),
    "npz-doc-not-json": lambda: _npz(doc=np.frombuffer(b"{oops", np.uint8)),
    "npz-doc-list": lambda: _npz(doc=np.frombuffer(b"[1, 2]", np.uint8)),
    "npz-object-array": lambda: _npz(doc=np.array([{"a": 1}], dtype=object)),
    "npz-capture-shape-lies": lambda: _npz(
        doc=np.frombuffer(
            json.dumps(
                {**PERFORMANCE, "capture_meta": {"names": ["jawOpen"] * 5, "neutral_index": 99}}
            ).encode(),
            np.uint8,
        ),
        times=np.zeros(4),
        weights=np.zeros(3, np.float32),
        valid=np.ones(4, bool),
    ),
    "zip-20MB-zeros": _zip_bomb_ish,
    "json-deep": deep_json(100_000),
    "json-not-object": "{" + "}" * 3,
    "json-nan-duration": json.dumps({**PERFORMANCE, "duration_s": float("nan")}),
    "json-huge-duration": json.dumps({**PERFORMANCE, "duration_s": 1e308}),
    "json-kind-wrong": json.dumps({**PERFORMANCE, "kind": ["text"]}),
    "json-timeline-string": json.dumps({**PERFORMANCE, "timeline": "abc"}),
}


@pytest.mark.parametrize("name", list(STORED), ids=[f"stored-{n}" for n in STORED])
def test_stored_performance(name):
    value = STORED[name]
    text = value() if callable(value) else value
    check_api(f"importer:stored:{name}", "importer-stored", lambda: store.decode(text))


def test_the_ids_are_unique():
    ids = [c for _, c, _ in MUTATED]
    assert len(ids) == len(set(ids))
    assert case_id(1, "x") == "001-x"
