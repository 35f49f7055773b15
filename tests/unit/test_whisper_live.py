"""Whisper with the encoder cut to the utterance (the live correction's recogniser)."""

from __future__ import annotations

import numpy as np

from facial_affect_addon.adapters.audio import load_audio
from facial_affect_addon.adapters.stt import word_error_rate
from facial_affect_addon.ml.whisper_live import MARGIN_S, ShortContextWhisper

from .speech_fixtures import SENTENCES, espeak, needs_soundfile, needs_whisper


@needs_soundfile
@needs_whisper
def test_a_short_context_reads_an_utterance_as_well_as_the_full_window(tmp_path):
    whisper = ShortContextWhisper()
    pad = np.zeros(3200, np.float32)  # the VAD keeps 0.2 s either side
    for text in SENTENCES[1:3]:
        audio = np.concatenate([pad, load_audio(espeak(text, tmp_path / "s.wav")).samples, pad])
        short = whisper._model.transcribe(audio, context_s=audio.size / 16000 + MARGIN_S)
        assert short.is_speech and word_error_rate(text, short.text) <= 0.2
        assert whisper.recognize(audio).text == short.text  # the short pass is the one used


@needs_whisper
def test_no_speech_falls_back_to_the_full_window_and_stays_empty():
    whisper = ShortContextWhisper()
    t = np.arange(2 * 16000) / 16000
    for audio in (np.zeros(2 * 16000), 0.5 * np.sin(2 * np.pi * 1000 * t)):
        recognition = whisper.recognize(audio.astype(np.float32))
        assert recognition.text == "" and recognition.confidence is None
