"""The int8 MiniLM weights the extension zip ships: round trip and held-out accuracy."""

from __future__ import annotations

import csv
import shutil

import numpy as np
import pytest

from facial_affect_addon.core.emotions import EMOTION_NAMES
from facial_affect_addon.ml import minilm_int8
from facial_affect_addon.paths import REPO_DIR

pytest.importorskip("safetensors")
pytest.importorskip("tokenizers")
from safetensors.numpy import load_file, save_file

from facial_affect_addon.ml.minilm import MiniLMEncoder, find_model_dir
from facial_affect_addon.ml.text_emotion import TextEmotionModel


def test_round_trip_error_is_under_half_a_step_per_row():
    rng = np.random.default_rng(0)
    weights = {"w": rng.normal(0, 0.05, (384, 1536)).astype(np.float32), "b": np.ones(384)}
    stored = minilm_int8.quantise(weights)
    assert stored["w"].dtype == np.int8 and stored["b"].dtype == np.float32
    back = minilm_int8.dequantise(stored)
    assert set(back) == {"w", "b"}
    step = np.abs(weights["w"]).max(axis=1, keepdims=True) / 127.0
    assert np.all(np.abs(back["w"] - weights["w"]) <= step / 2 + 1e-7)
    np.testing.assert_array_equal(back["b"], weights["b"])


@pytest.fixture(scope="module")
def int8_dir(tmp_path_factory):
    src = find_model_dir()
    dest = tmp_path_factory.mktemp("minilm-int8")
    for name in ("config.json", "sentence_bert_config.json", "tokenizer.json"):
        shutil.copy2(src / name, dest / name)
    stored = minilm_int8.quantise(load_file(str(src / "model.safetensors")))
    save_file(stored, str(dest / minilm_int8.QUANTISED_FILE))
    return dest


def test_int8_weights_are_a_quarter_of_the_size(int8_dir):
    full = (find_model_dir() / "model.safetensors").stat().st_size
    assert (int8_dir / minilm_int8.QUANTISED_FILE).stat().st_size < 0.3 * full


def test_held_out_accuracy_is_unchanged_within_one_point(int8_dir):
    path = REPO_DIR / "data" / "text_emotion" / "sentences.csv"
    with path.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["split"] == "test"]
    texts = [r["text"] for r in rows]
    truth = np.array([EMOTION_NAMES.index(r["label"]) for r in rows])
    full = TextEmotionModel.load(encoder=MiniLMEncoder.load(find_model_dir()))
    small = TextEmotionModel.load(encoder=MiniLMEncoder.load(int8_dir))
    p_full, p_small = full.predict_proba(texts), small.predict_proba(texts)
    acc_full = float(np.mean(p_full.argmax(1) == truth))
    acc_small = float(np.mean(p_small.argmax(1) == truth))
    assert len(rows) >= 100
    assert abs(acc_small - acc_full) <= 0.01, (acc_small, acc_full)
    assert np.abs(p_small - p_full).max() < 0.1
