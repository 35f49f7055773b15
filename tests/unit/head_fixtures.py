"""Frames of the astronaut photo turned in 3-D and with its irises moved, for head/gaze tests.

**How the head is turned.** The photo is flat, and a flat photo turned in 3-D only narrows (a
real head also shows its nose moving across the cheeks). So the face is given depth first: the
468-point mesh found on the frontal photo (its z is the model's depth estimate, in pixels) plus a
ring of points around the face and the frame corners (at the depth of the face's rim) are
triangulated (Delaunay on the frontal x, y). Every point is rotated about the vertical axis
through the face centre by the yaw angle, projected orthographically, and each triangle of the
photo is warped affinely onto its turned place, far triangles first. The result is the photo's
face as a relief turned by exactly that angle; the ground truth is the angle itself.

**How the gaze is shifted.** The iris disc (centre and radius from the iris model on the
frontal photo) is cut out of each eye and pasted a few pixels to one side, the hole it leaves
filled with the eye white's colour (the median of the eye's brightest pixels).
"""

from __future__ import annotations

import numpy as np
import pytest

from .video_fixtures import FRAME_H, FRAME_W, astronaut_rgb

cv2 = pytest.importorskip("cv2")
spatial = pytest.importorskip("scipy.spatial")


def frontal_frame() -> np.ndarray:
    """640x480 frame with the astronaut's head large (face ~190 px wide) in the middle."""
    head = cv2.resize(astronaut_rgb()[20:280, 90:350], (440, 440), interpolation=cv2.INTER_CUBIC)
    canvas = np.full((FRAME_H, FRAME_W, 3), 90, np.uint8)
    canvas[20:460, 100:540] = head
    return canvas


def _relief_points(points: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The mesh plus a ring around the face and the frame corners, all with depth."""
    centre = points[:, :2].mean(0)
    radius = float(np.linalg.norm(points[:, :2] - centre, axis=1).max())
    rim_z = float(np.percentile(points[:, 2], 90))
    ang = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    rings = [
        np.column_stack(
            [
                centre + r * radius * np.column_stack([np.cos(ang), np.sin(ang)]),
                np.full(len(ang), rim_z),
            ]
        )
        for r in (1.25, 1.8)
    ]
    h, w = shape
    corners = np.array([[0, 0], [w - 1, 0], [0, h - 1], [w - 1, h - 1]], float)
    edges = np.column_stack([corners, np.full(4, rim_z)])
    return np.vstack([points, *rings, edges])


def turned_face(rgb: np.ndarray, points: np.ndarray, yaw_deg: float) -> np.ndarray:
    """``rgb`` with its face (468 mesh ``points`` in pixels) turned by ``yaw_deg`` about the
    vertical axis; positive turns the face towards the image's right (the subject's left)."""
    pts = _relief_points(np.asarray(points, float), rgb.shape[:2])
    centre = pts[:468].mean(0)
    a = np.radians(yaw_deg)
    # Image axes: x right, y down, z away from the camera. Turning the face to the image right
    # moves its nose (nearest, smallest z) towards +x: x' = x cos a - z sin a.
    rel = pts - centre
    x = rel[:, 0] * np.cos(a) - rel[:, 2] * np.sin(a)
    z = rel[:, 0] * np.sin(a) + rel[:, 2] * np.cos(a)
    moved = np.column_stack([x + centre[0], pts[:, 1]])
    tri = spatial.Delaunay(pts[:, :2]).simplices
    order = np.argsort(-z[tri].mean(1))  # far first, near painted over them
    out = rgb.copy()
    h, w = rgb.shape[:2]
    for t in tri[order]:
        _warp_triangle(rgb, out, pts[t, :2].astype(np.float32), moved[t].astype(np.float32), w, h)
    return out


def _warp_triangle(src, dst, tri_src, tri_dst, w, h) -> None:
    x0, y0 = np.floor(tri_dst.min(0)).astype(int)
    x1, y1 = np.ceil(tri_dst.max(0)).astype(int) + 1
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 <= x0 or y1 <= y0:
        return
    m = cv2.getAffineTransform(tri_src, tri_dst - np.float32([x0, y0]))
    patch = cv2.warpAffine(
        src, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillConvexPoly(mask, np.round(tri_dst - [x0, y0]).astype(np.int32), 1)
    region = dst[y0:y1, x0:x1]
    region[mask.astype(bool)] = patch[mask.astype(bool)]


def shifted_irises(rgb: np.ndarray, irises: np.ndarray, dx: float, dy: float = 0.0) -> np.ndarray:
    """``rgb`` with both iris discs moved by (dx, dy) pixels.

    Args:
        irises: (2, 5, 2) iris centre and four edge points per eye, in pixels.
    """
    out = rgb.copy()
    for iris in irises:
        cx, cy = iris[0]
        r = float(np.linalg.norm(iris[1:] - iris[0], axis=1).mean()) * 1.15
        pad = int(np.ceil(r + abs(dx) + abs(dy) + 3))
        x0, y0 = int(cx) - pad, int(cy) - pad
        box = rgb[y0 : y0 + 2 * pad, x0 : x0 + 2 * pad].astype(np.float32)
        yy, xx = np.mgrid[0 : 2 * pad, 0 : 2 * pad]
        disc = (xx + x0 - cx) ** 2 + (yy + y0 - cy) ** 2 <= r * r
        gray = box.mean(2)
        white = np.median(box[gray >= np.percentile(gray, 80)], axis=0)
        patch = box.copy()
        patch[disc] = white
        m = np.float32([[1, 0, dx], [0, 1, dy]])
        moved = cv2.warpAffine(box, m, (2 * pad, 2 * pad), borderMode=cv2.BORDER_REFLECT)
        moved_disc = cv2.warpAffine(disc.astype(np.uint8), m, (2 * pad, 2 * pad)).astype(bool)
        patch[moved_disc] = moved[moved_disc]
        out[y0 : y0 + 2 * pad, x0 : x0 + 2 * pad] = np.clip(patch, 0, 255).astype(np.uint8)
    return out
