"""Speech benchmark: a 3 s spoken sentence -> transcript -> emotion weights, offline, on the CPU.

Baselines are paper 000's published figures (Yang et al., Sensors 2025, Table 7, an i7-14700KF
with an RTX 4070 SUPER): 0.62 s for "audio capture and speech-to-text" and 2.47 s for the whole
"speech input to first facial frame" dialogue latency. ``ratio = baseline / value`` (above 1 is
faster than the paper).

* ``stt_3s_utterance``: decode the WAV, find the utterance (energy VAD), Whisper tiny.en
  (our numpy model, ``ml/whisper_np.py``, int8 weights, greedy) -> text. Warm model; median of
  ``REPEATS`` runs.
* ``stt_numpy_vs_faster_whisper``: the recogniser alone on the same 16 kHz samples, numpy vs
  faster-whisper (CTranslate2 int8, 2 threads, greedy: the same decoding) on the same weights,
  interleaved runs. ``ratio = faster-whisper / numpy`` (below 1: numpy is slower). Skipped when
  faster-whisper (a dev dependency, the reference) is not installed.
* ``speech_to_weights``: the same plus
  ``pipeline.text_analysis.analyze_text(text).weights``. When that module does not exist yet,
  only the transcript is timed and the entry's note says so.

The utterance is synthesised here with Debian's espeak-ng (en-us voice, 22,050 Hz WAV, which
also exercises the resampler). Model load times are reported in the notes, not in the values.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

SENTENCE = "I can't believe you did this to me, I am so angry."  # 3.0 s with espeak-ng 1.51
REPEATS = 5
PAPER_STT_S = 0.62
PAPER_TOTAL_S = 2.47


def _speak(text: str, folder: Path) -> Path:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise RuntimeError("bench_speech needs espeak-ng (Debian package 'espeak-ng')")
    path = folder / "utterance.wav"
    subprocess.run([exe, "-v", "en-us", "-w", str(path), text], check=True, capture_output=True)
    return path


def _median_time(fn, repeats: int = REPEATS) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _entry(name: str, value: float, baseline: float, note: str) -> dict:
    return {
        "name": name,
        "value": value,
        "unit": "s",
        "baseline": baseline,
        "ratio": baseline / value,
        "note": note,
    }


def _versus_faster_whisper(samples) -> list[dict]:
    """Numpy Whisper vs faster-whisper on the same samples; [] without faster-whisper."""
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        return []
    from facial_affect_addon.adapters.stt import word_error_rate
    from facial_affect_addon.ml.whisper_ct2 import _installed_model_dir
    from facial_affect_addon.ml.whisper_np import load_model

    ours = load_model()
    folder = str(_installed_model_dir())
    theirs = WhisperModel(folder, device="cpu", compute_type="int8", cpu_threads=2)

    def fw():
        segments, _ = theirs.transcribe(
            samples, language="en", beam_size=1, without_timestamps=True, vad_filter=False,
            condition_on_previous_text=False,
        )  # fmt: skip
        return " ".join(s.text.strip() for s in segments).strip()

    np_times, fw_times, np_text, fw_text = [], [], "", ""
    fw(), ours.transcribe(samples)  # warm both
    for _ in range(REPEATS):  # interleaved, so load from other processes hits both alike
        start = time.perf_counter()
        np_text = ours.transcribe(samples).text
        np_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        fw_text = fw()
        fw_times.append(time.perf_counter() - start)
    np_s, fw_s = statistics.median(np_times), statistics.median(fw_times)
    return [
        {
            "name": "stt_numpy_vs_faster_whisper",
            "value": np_s,
            "unit": "s",
            "baseline": fw_s,
            "ratio": fw_s / np_s,
            "note": (
                f"recogniser only, {samples.size / 16000:.2f} s of audio; numpy int8 "
                f"{np_text!r} (WER {word_error_rate(SENTENCE, np_text):.2f}) vs faster-whisper "
                f"int8 greedy {fw_s:.3f} s {fw_text!r} "
                f"(WER {word_error_rate(SENTENCE, fw_text):.2f}); median of {REPEATS}"
            ),
        }
    ]


def run() -> list[dict]:
    """Time the speech path; see the module docstring. Prints nothing."""
    from facial_affect_addon.adapters.audio import load_audio
    from facial_affect_addon.adapters.stt import word_error_rate
    from facial_affect_addon.pipeline.transcribers import get_transcriber, transcribe_file

    with tempfile.TemporaryDirectory(prefix="bench_speech_") as tmp:
        wav = _speak(SENTENCE, Path(tmp))
        audio_s = load_audio(wav).duration_s
        start = time.perf_counter()
        get_transcriber("whisper")
        load_s = time.perf_counter() - start
        transcribe_file(wav)  # the first call warms caches; not what we time

        stt_s, transcript = _median_time(lambda: transcribe_file(wav))
        text = transcript.text
        wer = word_error_rate(SENTENCE, text)
        common = f"{audio_s:.2f} s espeak-ng audio -> {text!r} (WER {wer:.2f}); median of {REPEATS}"
        entries = [
            _entry(
                "stt_3s_utterance",
                stt_s,
                PAPER_STT_S,
                f"{common}; whisper tiny.en, numpy, int8 weights; "
                f"model load {load_s:.2f} s not included",
            )
        ]

        entries += _versus_faster_whisper(load_audio(wav).samples)

        try:
            from facial_affect_addon.pipeline.text_analysis import analyze_text
        except ImportError as exc:
            entries.append(
                _entry(
                    "speech_to_weights",
                    stt_s,
                    PAPER_TOTAL_S,
                    f"pipeline.text_analysis.analyze_text is not available ({exc}); only the "
                    "transcript step is timed, so this is a lower bound",
                )
            )
            return entries

        start = time.perf_counter()
        analyze_text(text)  # loads the text model once
        text_load_s = time.perf_counter() - start

        def end_to_end():
            return analyze_text(transcribe_file(wav).text).weights

        total_s, weights = _median_time(end_to_end)
        text_s, _ = _median_time(lambda: analyze_text(text))
        top = weights.dominant()
        entries.append(
            _entry(
                "speech_to_weights",
                total_s,
                PAPER_TOTAL_S,
                f"{common}; then analyze_text ({text_s:.3f} s alone) -> dominant {top} "
                f"{weights[top]:.2f}; first analyze_text call (model load) {text_load_s:.2f} s "
                "not included",
            )
        )
        return entries
