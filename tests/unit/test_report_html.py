"""report.html in a real browser: headless Chromium (Debian's ``chromium``) screenshots the page
that ``cli report`` wrote for the README's demo performance, and the test finds the heat map PNG,
pixel for pixel, in the screenshot.

Skipped only where chromium is not installed and ``CI`` is unset; in CI (``.ci/run`` installs
it) a missing browser fails the test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facial_affect_addon.cli import DEMO_LINE

REPO = Path(__file__).resolve().parents[2]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed; .ci/run installs it (apt-get install chromium).")
    pytest.skip("chromium is not installed (apt-get install chromium); CI requires it.")


def _cli(*args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "facial_affect_addon.cli", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr


def find_image(screen: np.ndarray, image: np.ndarray, tolerance: int = 4) -> tuple[int, int] | None:
    """Top-left (x, y) where ``image`` appears in ``screen`` (per-channel tolerance), or None."""
    h, w = image.shape[:2]
    big = screen.astype(np.int16)
    small = image.astype(np.int16)
    hs, ws = big.shape[0] - h + 1, big.shape[1] - w + 1
    if hs <= 0 or ws <= 0:
        return None
    ok = np.ones((hs, ws), dtype=bool)
    for y, x in [
        (h // 2, 0),
        (h // 2, w // 2),
        (h // 2, w - 1),
        (0, 0),
        (h - 1, w - 1),
        (h // 3, w // 3),
    ]:
        ok &= (np.abs(big[y : y + hs, x : x + ws] - small[y, x]) <= tolerance).all(axis=2)
    for y, x in zip(*np.nonzero(ok), strict=True):
        diff = np.abs(big[y : y + h, x : x + w] - small)
        if diff.mean() < 1.5 and (diff.max(axis=2) <= tolerance).mean() > 0.99:
            return int(x), int(y)
    return None


def screenshot(browser: str, page: Path, tmp_path: Path, height: int) -> Path:
    """A headless Chromium screenshot (1000 px wide, ``height`` tall) of ``page``; its path."""
    shot = tmp_path / "shot.png"
    done = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            f"--window-size=1000,{height}",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shot.is_file(), done.stderr[-2000:]
    return shot


def test_chromium_screenshot_shows_the_heatmap(tmp_path: Path) -> None:
    browser = _chromium()
    performance, out = tmp_path / "demo.json", tmp_path / "report"
    _cli("text", DEMO_LINE, "--json", str(performance))
    _cli("report", str(performance), "--out", str(out))
    shot = screenshot(browser, out / "report.html", tmp_path, height=1000)
    screen = np.asarray(Image.open(shot).convert("RGB"))
    heatmap = np.asarray(Image.open(out / "heatmap.png").convert("RGB"))
    where = find_image(screen, heatmap)
    assert where is not None, "the heat map is not visible in the screenshot"
    # the found block is the heat map itself, not a blank area: it holds hot (yellow) cells
    x, y = where
    block = screen[y : y + heatmap.shape[0], x : x + heatmap.shape[1]].astype(int)
    hot = (block[..., 0] > 220) & (block[..., 1] > 200) & (block[..., 2] < 120)
    assert hot.sum() > 1000


def test_find_image_needs_the_image() -> None:
    rng = np.random.default_rng(1)
    screen = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
    patch = screen[30:70, 50:110].copy()
    assert find_image(screen, patch) == (50, 30)
    assert find_image(screen, 255 - patch) is None
