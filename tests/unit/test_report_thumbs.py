"""Peak-frame thumbnails in the expressiveness report (issue 16): ``cli video --json`` on the
astronaut clip, then ``cli report --video``; the thumbnails are the clip's peak frames (checked
against the frames OpenCV reads), and report.html shows each with its emotion and time."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest

from facial_affect_addon import cli
from tests.unit.video_fixtures import moving_face_frames, write_video

cv2 = pytest.importorskip("cv2")


@pytest.fixture(scope="module")
def analysed(tmp_path_factory) -> tuple[Path, Path, dict]:
    folder = tmp_path_factory.mktemp("thumbs")
    clip = write_video(folder / "astronaut.avi", moving_face_frames(8))
    doc = folder / "analysis.json"
    assert cli.run(["video", str(clip), "--no-audio", "--json", str(doc)]) == 0
    return clip, doc, json.loads(doc.read_text())


def _frame(clip: Path, index: int) -> np.ndarray:
    cap = cv2.VideoCapture(str(clip))
    try:
        for _ in range(index + 1):
            ok, bgr = cap.read()
            assert ok
    finally:
        cap.release()
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def test_report_writes_peak_thumbnails_the_html_shows(analysed, tmp_path) -> None:
    clip, doc_path, doc = analysed
    peaks = doc["video"]["peaks"]
    assert peaks, "the analysis found no peak frames"
    out = tmp_path / "report"
    assert cli.run(["report", str(doc_path), "--out", str(out), "--video", str(clip)]) == 0
    page = (out / "report.html").read_text()
    listed = json.loads((out / "report.json").read_text())["peak_thumbnails"]
    assert sorted(t["emotion"] for t in listed) == sorted(peaks)
    boxes = dict(zip(doc["video"]["frame_indices"], doc["video"]["face_boxes"], strict=True))
    for item in listed:
        emotion, name = item["emotion"], item["file"]
        assert name == f"peak_{emotion}.png"
        thumb = cv2.cvtColor(cv2.imread(str(out / name)), cv2.COLOR_BGR2RGB)
        assert thumb.shape[1] == 160
        assert item["frame_index"] == peaks[emotion]["frame_index"]
        # the thumbnail is that frame's face (crop around its box), not another frame or grey
        frame = _frame(clip, item["frame_index"])
        box = boxes[item["frame_index"]]
        assert box is not None
        x, y, w, h = (int(v) for v in box)
        face = cv2.resize(frame[y : y + h, x : x + w], (32, 32), interpolation=cv2.INTER_AREA)
        th, tw = thumb.shape[:2]
        m = 0.35 / 1.7  # the margin's share of the thumbnail on each side
        inner = thumb[int(th * m) : th - int(th * m), int(tw * m) : tw - int(tw * m)]
        inner = cv2.resize(inner, (32, 32), interpolation=cv2.INTER_AREA)
        assert np.abs(inner.astype(int) - face.astype(int)).mean() < 25
        assert thumb.std() > 20  # a picture, not a flat grey frame
        # the page embeds the same PNG (self-contained) and labels it with its emotion and time
        embedded = base64.b64encode((out / name).read_bytes()).decode("ascii")
        assert f'data-file="{name}" src="data:image/png;base64,{embedded}"' in page
        caption = f"{emotion} at {peaks[emotion]['time_s']:.2f} s"
        assert caption in page
    assert len(re.findall(r'<figure class=peak><img data-file="peak_', page)) == len(peaks)


def test_report_without_video_has_no_thumbnails(analysed, tmp_path) -> None:
    _, doc_path, _ = analysed
    out = tmp_path / "report"
    assert cli.run(["report", str(doc_path), "--out", str(out)]) == 0
    assert not list(out.glob("peak_*.png"))
    assert "Peak frames" not in (out / "report.html").read_text()


def test_video_from_another_clip_is_one_line_error(analysed, tmp_path, capsys) -> None:
    _, doc_path, doc = analysed
    last = max(p["frame_index"] for p in doc["video"]["peaks"].values())
    assert last >= 2, "the test needs a peak after the short clip's end"
    short = write_video(tmp_path / "short.avi", moving_face_frames(8)[:2])
    out = tmp_path / "report"
    argv = ["report", str(doc_path), "--out", str(out), "--video", str(short)]
    assert cli.run(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: short.avi has no frame ") and "\n" not in err
    assert not out.exists()


def test_video_needs_a_video_analysis(tmp_path, capsys) -> None:
    doc = tmp_path / "emotion.json"
    assert cli.run(["emotion", "happy=1", "--duration", "2", "--json", str(doc)]) == 0
    clip = write_video(tmp_path / "c.avi", moving_face_frames(2))
    out = tmp_path / "report"
    assert cli.run(["report", str(doc), "--out", str(out), "--video", str(clip)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: --video needs a video analysis JSON (cli video --json) with peaks."


def test_chromium_shows_the_thumbnails(analysed, tmp_path) -> None:
    from PIL import Image

    from tests.unit.test_report_html import _chromium, find_image, screenshot

    browser = _chromium()
    clip, doc_path, _ = analysed
    out = tmp_path / "report"
    assert cli.run(["report", str(doc_path), "--out", str(out), "--video", str(clip)]) == 0
    # the page is self-contained: the thumbnail shows with the PNG files next to it gone
    thumb = np.asarray(Image.open(next(out.glob("peak_*.png"))).convert("RGB"))
    for png in out.glob("peak_*.png"):
        png.unlink()
    shot = screenshot(browser, out / "report.html", tmp_path, height=7000)
    screen = np.asarray(Image.open(shot).convert("RGB"))
    assert find_image(screen, thumb) is not None, "the thumbnail is not visible in the page"


def test_video_option_errors_are_one_line(analysed, tmp_path, capsys) -> None:
    clip, doc_path, _ = analysed
    out = tmp_path / "report"
    missing = tmp_path / "nope.avi"
    assert cli.run(["report", str(doc_path), "--out", str(out), "--video", str(missing)]) == 2
    assert capsys.readouterr().err.startswith("error: No such video: ")
    blend = tmp_path / "take.blend"
    blend.write_bytes(b"BLENDER")
    argv = ["report", str(blend), "--take", "T", "--out", str(out), "--video", str(clip)]
    assert cli.run(argv) == 2
    err = capsys.readouterr().err
    assert err == "error: --video applies only to a video analysis .json input.\n"
    assert not out.exists()
