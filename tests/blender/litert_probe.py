"""Run by a *bare* Python (only ``bpy`` and its numpy): install the zip, run LiteRT from it.

Usage: ``python litert_probe.py ZIP``. Prints one JSON object on its last line.

Issue 18: the zip's slim ``ai_edge_litert`` (the interpreter alone) must load the shipped
``models/face_landmark.tflite`` and run it. The same input also goes through the zip's OpenCV
(``cv2.dnn``, the fallback runtime) so the test can check that the two agree.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
import tempfile

tmp = tempfile.mkdtemp(prefix="faceaff-installed-")
os.environ["BLENDER_USER_RESOURCES"] = os.path.join(tmp, "user")
os.environ["XDG_CACHE_HOME"] = os.path.join(tmp, "cache")

import bpy  # noqa: E402
import numpy as np  # noqa: E402

MODULE = "bl_ext.user_default.facial_affect"


def landmarks(model: str) -> dict:
    """One face-mesh inference on LiteRT and on cv2.dnn, from the installed extension."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=model, num_threads=1)
    it.allocate_tensors()
    spec = it.get_input_details()[0]
    h, w = int(spec["shape"][1]), int(spec["shape"][2])
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    image = np.stack([xx / w, yy / h, 0.5 + 0.5 * np.sin(xx / 9.0) * np.cos(yy / 7.0)], axis=-1)
    it.set_tensor(spec["index"], image[None].astype(np.float32))
    it.invoke()
    outputs = {d["name"]: it.get_tensor(d["index"]) for d in it.get_output_details()}
    mesh = max(outputs.values(), key=lambda a: a.size).reshape(-1)

    import cv2

    net = cv2.dnn.readNetFromTFLite(model)
    net.setInput(np.ascontiguousarray(image[None].transpose(0, 3, 1, 2)))
    names = net.getUnconnectedOutLayersNames()
    other = max(net.forward(names), key=lambda a: a.size).reshape(-1)
    return {
        "input_shape": [int(s) for s in spec["shape"]],
        "mesh_size": int(mesh.size),
        "finite": bool(np.isfinite(mesh).all()),
        "spread": float(mesh.std()),
        "max_diff_vs_cv2": float(np.abs(mesh - other).max()),
        "litert_from": os.path.dirname(sys.modules["ai_edge_litert"].__file__),
        "litert_version": importlib.import_module("ai_edge_litert").__version__,
    }


def main(zip_path: str) -> dict:
    bpy.ops.wm.read_homefile(use_empty=True, use_factory_startup=True)
    preinstalled = importlib.util.find_spec("ai_edge_litert") is not None
    bpy.ops.extensions.package_install_files(
        filepath=zip_path, repo="user_default", enable_on_install=True
    )
    report = {
        "python": sys.version.split()[0],
        "bpy": bpy.app.version_string,
        "numpy": np.__version__,
        "preinstalled": preinstalled,  # must be False: the interpreter is bare
        "enabled": MODULE in bpy.context.preferences.addons,
        "litert_after_enable": "ai_edge_litert" in sys.modules,  # must be False: lazy import
    }
    if report["enabled"]:
        root = os.path.dirname(importlib.import_module(MODULE).__file__)
        report.update(landmarks(os.path.join(root, "models", "face_landmark.tflite")))
    return report


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
