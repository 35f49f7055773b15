"""tools/build_extension.py's wheel repacking: what stays, and a RECORD that still holds.

The built zips are checked in ``tests/blender/test_extension.py``; these run on small wheels made
here, so a change to the repacking is caught without a four-platform build.
"""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from build_extension import record_hash, record_mismatches, slim_litert, slim_pocketsphinx

METADATA = """Metadata-Version: 2.4
Name: ai-edge-litert
Version: 2.3.0
Requires-Dist: backports.strenum
Requires-Dist: numpy>=1.23.2
Requires-Dist: protobuf
Provides-Extra: npu-sdk
Requires-Dist: ai-edge-litert-sdk-qualcomm~=0.2.0; extra == "npu-sdk"

LiteRT is for mobile and embedded devices.
"""


def make_wheel(path: Path, files: dict[str, bytes]) -> Path:
    """A wheel with ``files`` and a RECORD listing each with its hash and size."""
    dist_info = next(n for n in files if ".dist-info/" in n).split("/")[0]
    record = f"{dist_info}/RECORD"
    rows = [[n, record_hash(d), str(len(d))] for n, d in files.items()] + [[record, "", ""]]
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in {**files, record: text.getvalue().encode()}.items():
            zf.writestr(name, data)
    return path


def record_problems(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return record_mismatches(zf)


def litert_wheel(tmp_path: Path, lib: str) -> Path:
    files = {
        f"ai_edge_litert/{n}": b"x" * 100
        for n in ("__init__.py", "interpreter.py", "metrics_interface.py", "metrics_portable.py",
                  "_pywrap_litert_interpreter_wrapper.so", lib, "libLiteRt.so", "compiled_model.py",
                  "_pywrap_litert_converter.so", "aot/__init__.py", "tools/benchmark.py")
    }  # fmt: skip
    files["ai_edge_litert-2.3.0.dist-info/METADATA"] = METADATA.encode()
    files["ai_edge_litert-2.3.0.dist-info/entry_points.txt"] = b"[console_scripts]\n"
    files["ai_edge_litert-2.3.0.dist-info/licenses/LICENSE"] = b"Apache-2.0"
    return make_wheel(tmp_path / "ai_edge_litert-2.3.0-cp313-cp313-x.whl", files)


@pytest.mark.parametrize("lib", ["libpywrap_litert_common.so", "libpywrap_litert_common.dylib"])
def test_slim_litert_keeps_the_interpreter_and_a_true_record(tmp_path, lib):
    wheel = litert_wheel(tmp_path, lib)
    dest = tmp_path / "out" / wheel.name
    dest.parent.mkdir()
    saved = slim_litert(wheel, dest)
    with zipfile.ZipFile(dest) as zf:
        names = sorted(zf.namelist())
        meta = zf.read("ai_edge_litert-2.3.0.dist-info/METADATA").decode()
    kept = {"__init__.py", "interpreter.py", "metrics_interface.py", "metrics_portable.py",
            "_pywrap_litert_interpreter_wrapper.so", lib}  # fmt: skip
    assert {n.split("/", 1)[1] for n in names if n.startswith("ai_edge_litert/")} == kept
    assert "ai_edge_litert-2.3.0.dist-info/entry_points.txt" not in names  # its tools are gone
    assert "ai_edge_litert-2.3.0.dist-info/licenses/LICENSE" in names
    assert [ln for ln in meta.splitlines() if ln.startswith(("Requires", "Provides"))] == [
        "Requires-Dist: numpy>=1.23.2"
    ]
    assert meta.endswith("LiteRT is for mobile and embedded devices.\n")
    assert record_problems(dest) == []
    assert saved > 0


def test_slim_litert_refuses_a_wheel_without_the_interpreter(tmp_path):
    wheel = make_wheel(
        tmp_path / "ai_edge_litert-9-cp313-cp313-x.whl",
        {"ai_edge_litert/__init__.py": b"", "ai_edge_litert-9.dist-info/METADATA": b"Name: x\n"},
    )
    with pytest.raises(SystemExit, match="interpreter files were not found"):
        slim_litert(wheel, tmp_path / "out.whl")


def test_slim_pocketsphinx_drops_only_the_language_models(tmp_path):
    files = {
        "pocketsphinx/__init__.py": b"import os\n",
        "pocketsphinx/model/en-us/en-us.lm.bin": b"\0" * 500,
        "pocketsphinx/model/en-us/en-us-phone.lm.bin": b"\0" * 200,
        "pocketsphinx/model/en-us/cmudict-en-us.dict": b"a AH\n",
        "pocketsphinx/model/en-us/en-us/mdef": b"mdef",
        "pocketsphinx-5.1.1.dist-info/METADATA": b"Name: pocketsphinx\n",
    }
    wheel = make_wheel(tmp_path / "pocketsphinx-5.1.1-cp313-cp313-x.whl", files)
    dest = tmp_path / "slim.whl"
    slim_pocketsphinx(wheel, dest)
    with zipfile.ZipFile(dest) as zf:
        names = set(zf.namelist())
    assert not {n for n in names if n.endswith(".lm.bin")}
    assert {
        "pocketsphinx/model/en-us/cmudict-en-us.dict",
        "pocketsphinx/model/en-us/en-us/mdef",
    } <= names
    assert record_problems(dest) == []
