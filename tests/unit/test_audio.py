"""Audio files, resampling, the energy VAD (batch and streaming) and the microphone chunk path."""

from __future__ import annotations

import itertools
import shutil
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pytest

from facial_affect_addon.adapters.audio import (
    SAMPLE_RATE,
    MicrophoneStream,
    StreamingSegmenter,
    VadParams,
    load_audio,
    resample,
    segment_speech,
    segment_stream,
)
from facial_affect_addon.core.errors import InputError

from . import speech_fixtures as fx
from .speech_fixtures import (
    TwoSentences,
    needs_soundfile,
    read_wav,
    write_wav,
)

# Session fixtures shared by module attribute (tests/unit/conftest.py belongs to others).
speech_corpus = fx.speech_corpus
speech_dir = fx.speech_dir
two_sentences = fx.two_sentences

BOUNDARY_TOLERANCE_S = 0.3


def _tone(freq: float, seconds: float, rate: int, amp: float = 0.5) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _spans(segments) -> list[tuple[int, int]]:
    return [(s.start, s.end) for s in segments]


# -- resampling ---------------------------------------------------------------------------------


def test_resample_22050_keeps_pitch_length_and_level() -> None:
    x = _tone(1000.0, 1.0, 22050)
    y = resample(x, 22050, SAMPLE_RATE)
    assert y.dtype == np.float32 and len(y) == SAMPLE_RATE
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    peak_hz = np.argmax(spectrum) * SAMPLE_RATE / len(y)
    assert abs(peak_hz - 1000.0) <= 1.0
    core = slice(1000, -1000)  # away from the filter's edge transients
    assert np.sqrt(np.mean(y[core] ** 2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.01)


def test_resample_filters_what_16k_cannot_hold() -> None:
    # A 10 kHz tone is above the 8 kHz Nyquist limit: it must vanish, not alias to 6 kHz.
    y = resample(_tone(10000.0, 1.0, 22050), 22050, SAMPLE_RATE)
    assert 20 * np.log10(np.sqrt(np.mean(y[1000:-1000] ** 2)) / (0.5 / np.sqrt(2))) < -40


# -- files --------------------------------------------------------------------------------------


@needs_soundfile
def test_espeak_wav_is_read_as_16k_mono(speech_corpus) -> None:
    _, path = speech_corpus[0]
    raw, rate = read_wav(path)
    clip = load_audio(path)
    assert (rate, clip.source_rate, clip.sample_rate, clip.source_channels) == (
        22050,
        22050,
        16000,
        1,
    )
    assert clip.samples.dtype == np.float32 and clip.samples.ndim == 1
    assert clip.duration_s == pytest.approx(len(raw) / rate, abs=1e-3)
    assert not clip.is_silent


@needs_soundfile
def test_stereo_is_mixed_down(tmp_path: Path) -> None:
    left = _tone(440.0, 0.5, 44100, 0.4)
    right = np.zeros_like(left)
    path = write_wav(tmp_path / "stereo.wav", np.stack([left, right], axis=1), 44100)
    clip = load_audio(path)
    assert clip.source_channels == 2 and clip.source_rate == 44100
    assert len(clip.samples) == 8000
    assert np.max(np.abs(clip.samples)) == pytest.approx(0.2, abs=0.01)  # the channels' mean


def _convert(src: Path, dst: Path) -> Path:
    if shutil.which("sox"):
        subprocess.run(["sox", str(src), str(dst)], check=True, capture_output=True)
    else:  # libsndfile >= 1.1 writes FLAC and MP3 too
        import soundfile

        data, rate = soundfile.read(str(src))
        soundfile.write(str(dst), data, rate)
    return dst


@needs_soundfile
def test_flac_decodes_identically_to_wav(speech_corpus, tmp_path: Path) -> None:
    _, wav = speech_corpus[2]
    flac = _convert(wav, tmp_path / "s.flac")
    a, b = load_audio(wav).samples, load_audio(flac).samples
    assert len(a) == len(b)
    assert np.max(np.abs(a - b)) < 1e-4  # lossless


@needs_soundfile
def test_mp3_decodes_to_the_same_sound(speech_corpus, tmp_path: Path) -> None:
    _, wav = speech_corpus[2]
    mp3 = _convert(wav, tmp_path / "s.mp3")
    a, b = load_audio(wav).samples, load_audio(mp3).samples
    assert abs(len(a) - len(b)) < 0.1 * SAMPLE_RATE  # encoder delay and frame padding only
    from scipy.signal import correlate

    corr = correlate(b, a, mode="full", method="fft")
    lag = int(np.argmax(corr)) - (len(a) - 1)
    assert 0 <= lag < 0.1 * SAMPLE_RATE  # mp3 only ever delays
    assert corr.max() / np.sqrt(np.dot(a, a) * np.dot(b, b)) > 0.95
    rms = lambda x: float(np.sqrt(np.mean(x**2)))  # noqa: E731
    assert 20 * np.log10(rms(b) / rms(a)) == pytest.approx(0.0, abs=1.0)


@needs_soundfile
@pytest.mark.skipif(find_spec("av") is None, reason="PyAV not installed (a dev dependency)")
def test_m4a_goes_through_the_pyav_fallback(speech_corpus, tmp_path: Path) -> None:
    import av

    x = load_audio(speech_corpus[2][1]).samples
    path = tmp_path / "s.m4a"  # AAC in MP4: a container libsndfile cannot open
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
        frame = av.AudioFrame.from_ndarray(x[None, :], format="fltp", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    clip = load_audio(path)
    assert clip.sample_rate == SAMPLE_RATE
    assert clip.duration_s == pytest.approx(len(x) / SAMPLE_RATE, abs=0.15)  # AAC priming


@needs_soundfile
def test_m4a_without_pyav_says_to_convert(tmp_path: Path, monkeypatch) -> None:
    # The extension bundles no PyAV (issue 12): such a file gets one line naming it and the fix.
    monkeypatch.setitem(sys.modules, "av", None)  # makes `import av` raise ImportError
    path = tmp_path / "line.m4a"
    path.write_bytes(b"\x00\x00\x00\x20ftypM4A " + bytes(200))
    with pytest.raises(InputError) as info:
        load_audio(path)
    message = str(info.value)
    assert "\n" not in message and "'line.m4a'" in message
    assert "M4A" in message and "convert it to WAV, FLAC or MP3" in message


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_audio(tmp_path / "nope.wav")


def test_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="folder"):
        load_audio(tmp_path)


def test_zero_byte_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        load_audio(path)


@needs_soundfile
def test_garbage_wav_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "garbage.wav"
    path.write_bytes(np.random.default_rng(0).bytes(20000))
    with pytest.raises(InputError, match=r"garbage\.wav.*damaged or not really WAV"):
        load_audio(path)


@needs_soundfile
def test_wav_without_samples_is_an_input_error(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "header_only.wav", np.zeros(0), 16000)
    with pytest.raises(InputError, match="no samples"):
        load_audio(path)


@needs_soundfile
def test_too_short_audio_is_an_input_error(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "blip.wav", _tone(300.0, 0.05, 16000), 16000)
    with pytest.raises(InputError, match=r"too short \(50 ms\)"):
        load_audio(path)


@needs_soundfile
def test_silence_loads_and_says_it_is_silent(tmp_path: Path) -> None:
    clip = load_audio(write_wav(tmp_path / "quiet.wav", np.zeros(32000), 16000))
    assert clip.is_silent and clip.peak_dbfs == -np.inf
    assert segment_speech(clip.samples) == []


# -- voice activity -----------------------------------------------------------------------------


@needs_soundfile
def test_two_sentences_give_two_utterances_at_the_silence(two_sentences: TwoSentences) -> None:
    clip = load_audio(two_sentences.path)
    segs = segment_speech(clip.samples, clip.sample_rate)
    assert len(segs) == 2
    first, second = segs
    assert first.start_s <= 0.1
    assert abs(first.end_s - two_sentences.first_speech_end_s) <= BOUNDARY_TOLERANCE_S
    assert abs(second.start_s - two_sentences.second_speech_start_s) <= BOUNDARY_TOLERANCE_S
    assert first.end_s < second.start_s
    assert second.end_s == pytest.approx(clip.duration_s, abs=0.3)
    assert len(first.samples) == first.end - first.start


@needs_soundfile
@pytest.mark.parametrize("chunk_samples", [480, 137])  # 30 ms, and an awkward size
def test_streaming_matches_batch(two_sentences: TwoSentences, chunk_samples: int) -> None:
    samples = load_audio(two_sentences.path).samples
    batch = segment_speech(samples)
    seg = StreamingSegmenter()
    streamed = []
    for i in range(0, len(samples), chunk_samples):
        streamed += seg.feed(samples[i : i + chunk_samples])
    streamed += seg.flush()
    assert _spans(streamed) == _spans(batch) and len(batch) == 2
    for s, b in zip(streamed, batch, strict=True):
        assert np.array_equal(s.samples, b.samples)


@needs_soundfile
def test_first_utterance_is_emitted_before_the_stream_ends(two_sentences: TwoSentences) -> None:
    samples = load_audio(two_sentences.path).samples
    seg = StreamingSegmenter()
    emitted_at = []
    for i in range(0, len(samples), 480):
        if seg.feed(samples[i : i + 480]):
            emitted_at.append(seg.position_s)
    # closed min_silence_s (0.5 s) after the last speech frame, well before sentence two ends
    assert len(emitted_at) == 1
    assert emitted_at[0] < two_sentences.second_speech_start_s


@needs_soundfile
def test_microphone_callback_chunks_segment_like_the_file(two_sentences: TwoSentences) -> None:
    """Feed real audio through the PortAudio callback path (no device needed) and the queue."""
    samples = load_audio(two_sentences.path).samples
    mic = MicrophoneStream(max_queue=10_000)
    received: list[int] = []
    mic.on_chunk = lambda c: received.append(len(c))
    block = 480
    for i in range(0, len(samples), block):
        indata = samples[i : i + block, None]  # PortAudio hands (frames, channels) float32
        mic._on_audio(indata, len(indata), None, 0)
    chunks = mic.drain()
    assert sum(received) == len(samples) and mic.dropped == 0
    assert _spans(segment_stream(chunks)) == _spans(segment_speech(samples))


def test_microphone_queue_drops_oldest_when_full() -> None:
    mic = MicrophoneStream(max_queue=3)
    for k in range(5):
        mic._on_audio(np.full((480, 1), k, np.float32), 480, None, 0)
    assert mic.dropped == 2
    assert [int(c[0]) for c in mic.drain()] == [2, 3, 4]
    assert mic.read(timeout=0.01) is None


def test_microphone_without_portaudio_or_device_is_a_clear_error() -> None:
    mic = MicrophoneStream()
    try:
        mic.start()
    except InputError as exc:
        assert any(w in str(exc) for w in ("PortAudio", "microphone", "sounddevice"))
        assert not mic.active
    else:  # a machine with a real input device: the happy path worked, nothing to check here
        mic.stop()
        pytest.skip("a working input device exists on this machine")


def test_short_click_is_not_an_utterance() -> None:
    x = np.zeros(SAMPLE_RATE * 2, np.float32)
    x[16000:16800] = _tone(500.0, 0.05, SAMPLE_RATE)  # 50 ms < min_speech_s
    assert segment_speech(x) == []


def test_long_speech_is_cut_at_max_utterance() -> None:
    x = _tone(300.0, 3.0, SAMPLE_RATE, 0.3)
    segs = segment_speech(x, params=VadParams(max_utterance_s=1.0))
    assert len(segs) == 3
    assert segs[0].start == 0 and segs[-1].end > len(x) - 0.1 * SAMPLE_RATE
    assert all(a.end == b.start for a, b in itertools.pairwise(segs))


def test_quiet_noise_is_not_speech_but_a_voice_above_it_is() -> None:
    rng = np.random.default_rng(1)
    noise = (rng.standard_normal(SAMPLE_RATE * 3) * 10 ** (-55 / 20)).astype(np.float32)
    assert segment_speech(noise) == []
    x = noise.copy()
    x[16000:32000] += _tone(200.0, 1.0, SAMPLE_RATE, 0.2)
    (seg,) = segment_speech(x)
    assert seg.start_s == pytest.approx(1.0 - 0.2, abs=0.05)
    assert seg.end_s == pytest.approx(2.0 + 0.2, abs=0.05)


def test_vad_params_are_validated() -> None:
    with pytest.raises(ValueError, match="pad_s"):
        VadParams(pad_s=0.6, min_silence_s=0.5)
    with pytest.raises(ValueError, match="hysteresis"):
        VadParams(start_db=-50, stop_db=-40)
