"""A small numpy raster plotter: RGB canvas, lines, rectangles, a 5x7 bitmap font, PNG bytes.

Why not matplotlib: the report's plots must also come out of the installed extension (the
Score Take button), whose zip has a hard budget of 150 MB per platform (issue 12; macos-x64 was
128 MB). matplotlib 3.11.2 with its closure (pillow, fonttools, kiwisolver, contourpy, cycler,
pyparsing, python-dateutil, six, packaging) is 18.4 MB of macos-x64 wheels per Python, 36.8 MB for
the two bundled Pythons (3.11 and 3.13), which would take that zip to about 165 MB. Heat maps,
line charts and bars need little: this module draws them with numpy array writes and encodes
PNG with ``zlib`` + ``struct`` (no pillow). Text uses a hand-made 5x7 upper-case bitmap font
(lower case is drawn as upper case), enough for axis labels, AU names and emotion names.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

Color = tuple[int, int, int]
WHITE: Color = (255, 255, 255)
BLACK: Color = (0, 0, 0)
GREY: Color = (150, 150, 150)
LIGHT: Color = (225, 225, 225)

# 5x7 glyphs, one string per character: 7 rows of 5 pixels, "#" on.
_FONT_ROWS: dict[str, str] = {
    "A": ".###.#...##...#######...##...##...#",
    "B": "####.#...##...#####.#...##...#####.",
    "C": ".###.#...##....#....#....#...#.###.",
    "D": "####.#...##...##...##...##...#####.",
    "E": "######....#....####.#....#....#####",
    "F": "######....#....####.#....#....#....",
    "G": ".###.#...##....#.####...##...#.###.",
    "H": "#...##...##...#######...##...##...#",
    "I": ".###...#....#....#....#....#...###.",
    "J": "..###...#....#....#....#.#..#..##..",
    "K": "#...##..#.#.#..##...#.#..#..#.#...#",
    "L": "#....#....#....#....#....#....#####",
    "M": "#...###.###.#.##...##...##...##...#",
    "N": "#...###..##.#.##..###...##...##...#",
    "O": ".###.#...##...##...##...##...#.###.",
    "P": "####.#...##...#####.#....#....#....",
    "Q": ".###.#...##...##...##.#.##..#..##.#",
    "R": "####.#...##...#####.#.#..#..#.#...#",
    "S": ".####.....#.....###.....#....#####.",
    "T": "#####..#....#....#....#....#....#..",
    "U": "#...##...##...##...##...##...#.###.",
    "V": "#...##...##...##...##...#.#.#...#..",
    "W": "#...##...##...##.#.##.#.##.#.#.#.#.",
    "X": "#...##...#.#.#...#...#.#.#...##...#",
    "Y": "#...##...#.#.#...#....#....#....#..",
    "Z": "#####....#...#...#...#...#....#####",
    "0": ".###.#...##..###.#.###..##...#.###.",
    "1": "..#...##....#....#....#....#...###.",
    "2": ".###.#...#....#...#...#...#...#####",
    "3": "#####...#...#.....#.....##...#.###.",
    "4": "...#...##..#.#.#..#.#####...#....#.",
    "5": "######....####.....#....##...#.###.",
    "6": "..##..#...#....####.#...##...#.###.",
    "7": "#####....#...#...#...#....#....#...",
    "8": ".###.#...##...#.###.#...##...#.###.",
    "9": ".###.#...##...#.####....#...#..##..",
    " ": "...................................",
    ".": "..............................##...",
    ",": ".........................##...#..#.",
    ":": ".......##...##.........##...##.....",
    "-": "................###................",
    "+": ".......#....#..#####..#....#.......",
    "_": "..............................#####",
    "/": ".........#...#...#...#...#.........",
    "%": "##...##..#...#...#...#...#..##...##",
    "(": "...#...#...#....#....#.....#.....#.",
    ")": ".#.....#.....#....#....#...#...#...",
    "=": "..........#####.....#####..........",
    "?": ".###.#...#....#...#...#.........#..",
    "|": "..#....#....#....#....#....#....#..",
    "*": ".......#..#.#.#.###.#.#.#..#.......",
    "<": "...#...#...#...#.....#.....#.....#.",
    ">": ".#.....#.....#.....#...#...#...#...",
    "^": "..#...#.#.#...#" + "....." * 4,
}
GLYPH_W, GLYPH_H = 5, 7


def _glyph(rows: str) -> np.ndarray:
    bits = rows.ljust(35, ".")[:35]
    return np.array([c == "#" for c in bits], dtype=bool).reshape(GLYPH_H, GLYPH_W)


FONT: dict[str, np.ndarray] = {ch: _glyph(rows) for ch, rows in _FONT_ROWS.items()}
_UNKNOWN = _glyph("#####" + "#...#" * 5 + "#####")


def text_width(text: str, scale: int = 1) -> int:
    """Pixel width of ``text`` drawn at ``scale`` (one pixel column between glyphs)."""
    return max(0, len(text) * (GLYPH_W + 1) - 1) * scale


class Canvas:
    """An RGB image (``pixels``: (height, width, 3) uint8) with simple drawing operations.

    Coordinates are pixels, x to the right and y down; everything is clipped to the canvas.
    """

    def __init__(self, width: int, height: int, background: Color = WHITE) -> None:
        self.pixels = np.empty((int(height), int(width), 3), dtype=np.uint8)
        self.pixels[:] = background

    @property
    def width(self) -> int:
        """Width in pixels."""
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        """Height in pixels."""
        return int(self.pixels.shape[0])

    def rect(self, x0: int, y0: int, x1: int, y1: int, color: Color) -> None:
        """Fill the rectangle [x0, x1) x [y0, y1)."""
        x0, x1 = max(0, int(x0)), min(self.width, int(x1))
        y0, y1 = max(0, int(y0)), min(self.height, int(y1))
        if x0 < x1 and y0 < y1:
            self.pixels[y0:y1, x0:x1] = color

    def frame(self, x0: int, y0: int, x1: int, y1: int, color: Color = BLACK) -> None:
        """A one-pixel outline of the rectangle [x0, x1) x [y0, y1)."""
        self.rect(x0, y0, x1, y0 + 1, color)
        self.rect(x0, y1 - 1, x1, y1, color)
        self.rect(x0, y0, x0 + 1, y1, color)
        self.rect(x1 - 1, y0, x1, y1, color)

    def blit(self, x0: int, y0: int, image: np.ndarray) -> None:
        """Copy an (h, w, 3) uint8 image with its top-left corner at (x0, y0)."""
        h, w = image.shape[:2]
        xs, ys = max(0, -x0), max(0, -y0)
        xe, ye = min(w, self.width - x0), min(h, self.height - y0)
        if xs < xe and ys < ye:
            self.pixels[y0 + ys : y0 + ye, x0 + xs : x0 + xe] = image[ys:ye, xs:xe]

    def polyline(self, xs: np.ndarray, ys: np.ndarray, color: Color, width: int = 2) -> None:
        """Connect the points (xs[i], ys[i]) with straight segments ``width`` pixels thick."""
        x, y = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
        if len(x) == 0:
            return
        if len(x) == 1:
            x, y = np.repeat(x, 2), np.repeat(y, 2)
        steps = np.maximum(1, np.ceil(np.maximum(np.abs(np.diff(x)), np.abs(np.diff(y))))).astype(
            int
        )
        t = np.concatenate([np.arange(n) / n for n in steps] + [np.array([1.0])])
        seg = np.concatenate([np.full(n, i) for i, n in enumerate(steps)] + [[len(steps) - 1]])
        px = x[seg] + (x[seg + 1] - x[seg]) * t
        py = y[seg] + (y[seg + 1] - y[seg]) * t
        lo = -(width // 2)
        for dx in range(lo, lo + width):
            for dy in range(lo, lo + width):
                cx = np.rint(px).astype(int) + dx
                cy = np.rint(py).astype(int) + dy
                ok = (cx >= 0) & (cx < self.width) & (cy >= 0) & (cy < self.height)
                self.pixels[cy[ok], cx[ok]] = color

    def text(self, x: int, y: int, text: str, color: Color = BLACK, scale: int = 1) -> None:
        """Draw ``text`` with its top-left corner at (x, y); lower case is drawn as upper case."""
        for i, ch in enumerate(text.upper()):
            glyph = FONT.get(ch, _UNKNOWN)
            if scale > 1:
                glyph = np.kron(glyph, np.ones((scale, scale), dtype=bool))
            gx = x + i * (GLYPH_W + 1) * scale
            h, w = glyph.shape
            xs, ys = max(0, -gx), max(0, -y)
            xe, ye = min(w, self.width - gx), min(h, self.height - y)
            if xs < xe and ys < ye:
                region = self.pixels[y + ys : y + ye, gx + xs : gx + xe]
                region[glyph[ys:ye, xs:xe]] = color

    def to_png(self) -> bytes:
        """The canvas as PNG bytes (8-bit RGB, no interlace)."""
        return encode_png(self.pixels)


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def encode_png(pixels: np.ndarray) -> bytes:
    """Encode an (h, w, 3) uint8 array as PNG (filter 0 on every row, zlib level 6)."""
    image = np.ascontiguousarray(pixels, dtype=np.uint8)
    if image.ndim != 3 or image.shape[2] != 3 or 0 in image.shape:
        raise ValueError(f"encode_png needs a non-empty (h, w, 3) array, got {image.shape}.")
    h, w = image.shape[:2]
    rows = np.concatenate([np.zeros((h, 1), dtype=np.uint8), image.reshape(h, w * 3)], axis=1)
    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
        + _chunk(b"IEND", b"")
    )


_HEAT_ANCHORS = np.array(
    [  # dark blue -> purple -> orange -> pale yellow (a perceptually ordered ramp)
        (13, 8, 135),
        (126, 3, 168),
        (204, 71, 120),
        (248, 149, 64),
        (240, 249, 33),
    ],
    dtype=float,
)


def heat_colors(values: np.ndarray) -> np.ndarray:
    """Map values in [0, 1] to RGB (uint8, shape + (3,)); brighter is hotter, monotone in value."""
    v = np.clip(np.asarray(values, dtype=float), 0.0, 1.0) * (len(_HEAT_ANCHORS) - 1)
    i = np.minimum(v.astype(int), len(_HEAT_ANCHORS) - 2)
    f = (v - i)[..., None]
    rgb = _HEAT_ANCHORS[i] * (1 - f) + _HEAT_ANCHORS[i + 1] * f
    return np.rint(rgb).astype(np.uint8)


def heat_value(rgb: np.ndarray) -> np.ndarray:
    """Invert :func:`heat_colors` (nearest colour of a fine ramp); for tests and readers."""
    ramp = np.linspace(0.0, 1.0, 1001)
    colors = heat_colors(ramp).astype(float)
    flat = np.asarray(rgb, dtype=float).reshape(-1, 3)
    dist = ((flat[:, None, :] - colors[None, :, :]) ** 2).sum(axis=2)
    return ramp[dist.argmin(axis=1)].reshape(np.asarray(rgb).shape[:-1])
