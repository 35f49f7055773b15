"""Convert the shipped MediaPipe TFLite face models to ONNX, for the runtime bench only.

``bench/bench_runtime.py`` compares cv2.dnn, TFLite (ai-edge-litert) and onnxruntime on the same
models; onnxruntime needs ONNX files. tf2onnx reads TFLite only through TensorFlow, so this runs
in its own environment (``make bench-peer`` makes ``.venv-tf`` with tensorflow-cpu and tf2onnx);
the add-on never uses the result. Output: ``.cache/face_onnx/<stem>.onnx``.

Usage: ``.venv-tf/bin/python tools/convert_face_models_onnx.py``
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STEMS = ("face_detection_short_range", "face_landmark")
OPSET = 17


def main() -> int:
    """Convert each model whose ONNX copy is missing; one line per model."""
    try:
        import tf2onnx.convert
    except ImportError as exc:
        print(f"convert_face_models_onnx: needs tf2onnx and tensorflow ({exc})", file=sys.stderr)
        return 2
    out_dir = REPO / ".cache" / "face_onnx"
    out_dir.mkdir(parents=True, exist_ok=True)
    for stem in STEMS:
        source, target = REPO / "models" / f"{stem}.tflite", out_dir / f"{stem}.onnx"
        if not source.is_file():
            print(f"convert_face_models_onnx: {source} is missing; run make setup", file=sys.stderr)
            return 2
        if target.is_file() and target.stat().st_mtime >= source.stat().st_mtime:
            continue
        partial = target.with_suffix(".part.onnx")
        tf2onnx.convert.from_tflite(str(source), opset=OPSET, output_path=str(partial))
        partial.replace(target)
        print(f"{source.name} -> {target.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
