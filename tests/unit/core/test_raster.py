"""core.raster: the PNG decodes (pillow, a test-only reader) to the drawn pixels; glyphs, lines."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from facial_affect_addon.core import raster


def _decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_png_round_trips_exactly() -> None:
    pixels = np.random.default_rng(0).integers(0, 256, (37, 53, 3), dtype=np.uint8)
    assert np.array_equal(_decode(raster.encode_png(pixels)), pixels)


def test_drawing_lands_where_asked() -> None:
    canvas = raster.Canvas(100, 50)
    canvas.rect(10, 5, 20, 15, (255, 0, 0))
    canvas.polyline(np.array([0.0, 99.0]), np.array([40.0, 40.0]), (0, 0, 255), width=1)
    canvas.text(60, 2, "A1", raster.BLACK)
    img = _decode(canvas.to_png())
    assert (img[5:15, 10:20] == (255, 0, 0)).all() and (img[4, 10] == 255).all()
    assert (img[40, :] == (0, 0, 255)).all()
    glyph = (img[2:9, 60:65] == 0).all(axis=2)
    assert np.array_equal(glyph, raster.FONT["A"])
    assert np.array_equal((img[2:9, 66:71] == 0).all(axis=2), raster.FONT["1"])


def test_every_glyph_is_5x7_and_distinct() -> None:
    shapes = {k: v.tobytes() for k, v in raster.FONT.items()}
    assert all(v.shape == (7, 5) for v in raster.FONT.values())
    assert len(set(shapes.values())) == len(shapes)


def test_heat_colors_are_monotone_and_invertible() -> None:
    v = np.linspace(0.0, 1.0, 201)
    back = raster.heat_value(raster.heat_colors(v))
    assert np.max(np.abs(back - v)) < 0.01
    brightness = raster.heat_colors(v).astype(float).sum(axis=1)
    assert brightness[-1] > brightness[0]
