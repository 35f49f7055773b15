"""Several faces through a video: track each from its landmarks, detect only when needed.

:class:`FaceTracker` follows every known face from the previous frame's landmarks (MediaPipe's
tracking: one mesh pass per face, no detector) and runs the detector pyramid only when a face is
lost, when there is none yet, or every ``redetect_every`` frames to notice new faces (one pyramid
level per such pass, in turn; an interval that backs off to :data:`REDETECT_MAX` while those
passes find nothing new). New
detections join a known identity through :func:`~..core.face_tracks.associate` (gated by size,
predicted position and colours) or start a new one; identities are numbered in order of first
appearance, left to right within a frame. For :data:`RECENTLY_LOST` frames after a face is lost
(hidden, turned away, out of frame) the detector runs on every frame so it comes back quickly.
When two tracked faces collapse onto one face (one person passes in front of the other), the
identity that fits it worse is marked lost rather than allowed to take the other's place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core.face_tracks import Track, appearance, associate, box_iou
from .faces import MAX_FACES, FaceAnalyzer, FaceObservation

THUMB = 48
"""Side (px) of each identity's thumbnail, for the panel's face list."""
REDETECT_EVERY = 10
"""Processed frames between detector passes while every face is tracked (to find new faces)."""
REDETECT_MAX = 40
"""The interval doubles, up to this, each time a periodic pass finds no new face: on a steady
shot the pyramid (15-20 ms at 640x480 on LiteRT, several mesh passes' worth) stops dominating
the tracked frames' cost; a new or lost face resets it to ``redetect_every``."""
RECENTLY_LOST = 6
"""For this many frames after losing a face, the detector runs on every frame to find it again."""
MERGED_IOU = 0.4
"""Two tracked boxes overlapping more than this have locked onto the same face."""


@dataclass(frozen=True)
class TrackedFace:
    """One face in one frame.

    Attributes:
        face_id: Its identity, in order of first appearance.
        observation: Box, landmarks and scores.
        tracked: True when followed from the previous frame, False when the detector found it.
    """

    face_id: int
    observation: FaceObservation
    tracked: bool


class FaceTracker:
    """Faces with identities through consecutive (sampled) frames of one video."""

    def __init__(
        self,
        analyzer: FaceAnalyzer,
        max_faces: int = MAX_FACES,
        redetect_every: int = REDETECT_EVERY,
    ) -> None:
        """Args:
        analyzer: Detector and mesh (its ``min_face_px`` sets the smallest face).
        max_faces: Most faces followed at once.
        redetect_every: Frames between detector passes while all faces are tracked.
        """
        self.analyzer = analyzer
        self.max_faces = max_faces
        self.redetect_every = max(1, int(redetect_every))
        self._interval = self.redetect_every
        self._sweep = 0  # the pyramid level the next periodic detector pass runs
        self.tracks: list[Track] = []
        self._last: dict[int, FaceObservation] = {}
        self._shape: dict[int, np.ndarray] = {}
        self._step = -1
        self._last_detect = -(10**9)
        self.n_detect = 0

    def process(self, rgb: np.ndarray) -> list[TrackedFace]:
        """The faces of the next frame, with their identities (sorted by identity)."""
        self._step += 1
        followed = self._follow_all(rgb)
        lost = len(followed) < len(self._last)
        recent = any(
            t.face_id not in followed and self._step - t.step <= RECENTLY_LOST for t in self.tracks
        )
        due = self._step - self._last_detect >= (1 if recent else self._interval)
        out = [TrackedFace(fid, obs, True) for fid, obs in followed.items()]
        if not followed or lost or due:
            periodic = bool(followed) and not lost and not recent
            new = self._detect(rgb, followed, periodic)
            steady = periodic and not new
            top = max(REDETECT_MAX, self.redetect_every)
            self._interval = min(2 * self._interval, top) if steady else self.redetect_every
            out += new
        self._last = {f.face_id: f.observation for f in out}
        for f in out:
            track = next(t for t in self.tracks if t.face_id == f.face_id)
            track.update(f.observation.box, appearance(rgb, f.observation.box), self._step)
        return sorted(out, key=lambda f: f.face_id)

    def _follow_all(self, rgb: np.ndarray) -> dict[int, FaceObservation]:
        """Each face of the previous frame followed into this one; merged tracks resolved."""
        found: dict[int, FaceObservation] = {}
        for fid, prev in self._last.items():
            track = next(t for t in self.tracks if t.face_id == fid)
            shift = track.velocity * (self._step - track.step)
            obs = self.analyzer.follow(rgb, prev, self._box_mapper(fid), tuple(shift))
            if obs is not None:
                found[fid] = obs
        if len(found) < 2:  # nothing to merge: skip the appearance costs
            return found
        ids = sorted(found, key=lambda i: self._fit(i, found[i], rgb))
        for k, a in enumerate(ids):
            for b in ids[k + 1 :]:
                if a in found and b in found and box_iou(found[a].box, found[b].box) > MERGED_IOU:
                    del found[b]  # b fits the shared face worse: its own face is hidden
        return found

    def _fit(self, fid: int, obs: FaceObservation, rgb: np.ndarray) -> float:
        track = next(t for t in self.tracks if t.face_id == fid)
        cost = track.cost(obs.box, appearance(rgb, obs.box), self._step)
        return float("inf") if cost is None else cost

    def _detect(
        self, rgb: np.ndarray, followed: dict[int, FaceObservation], periodic: bool = False
    ) -> list[TrackedFace]:
        """Detector pass: new faces join a lost identity or start a new one.

        A ``periodic`` pass (every face still tracked, looking for new ones) runs one level of
        the pyramid, the next one each time, so its cost is one level's, not the whole pyramid's
        (at 1080p the finest level is about 3/4 of it).
        """
        self._last_detect, self.n_detect = self._step, self.n_detect + 1
        room = self.max_faces - len(followed)
        if room <= 0:
            return []
        known = tuple(o.box for o in followed.values())
        level = self._sweep if periodic else None
        self._sweep += periodic
        faces = self.analyzer.detect_faces(rgb, self.max_faces, known, level)
        faces = [
            f for f in faces if not any(box_iou(f.box, o.box) > 0.3 for o in followed.values())
        ][:room]
        faces.sort(key=lambda f: f.box[0])
        idle = [t for t in self.tracks if t.face_id not in followed]
        looks = [appearance(rgb, f.box) for f in faces]
        pairs = associate(idle, [f.box for f in faces], looks, self._step)
        ids = {j: idle[i].face_id for i, j in pairs}
        out = []
        for j, face in enumerate(faces):
            if j not in ids:
                ids[j] = len(self.tracks)
                self.tracks.append(Track(ids[j], face.box, self._step))
            self._remember_shape(ids[j], face)
            out.append(TrackedFace(ids[j], face, False))
        return out

    def _remember_shape(self, fid: int, face: FaceObservation) -> None:
        """The detector's box relative to the mesh's bounding square, so tracked boxes (made
        from the mesh) keep the detector's framing, which the emotion model's crop expects."""
        if face.landmarks is None:
            return
        lo, hi = face.landmarks[:, :2].min(0), face.landmarks[:, :2].max(0)
        side = float(max(hi - lo))
        centre = (lo + hi) / 2
        x, y, w, h = face.box
        self._shape[fid] = np.array([x - centre[0], y - centre[1], w, h]) / max(side, 1e-6)

    def _box_mapper(self, fid: int):
        shape = self._shape.get(fid)
        if shape is None:
            return None

        def to_box(points: np.ndarray) -> tuple[float, float, float, float]:
            lo, hi = points[:, :2].min(0), points[:, :2].max(0)
            side = float(max(hi - lo))
            cx, cy = (lo + hi) / 2
            dx, dy, w, h = shape * side
            return (float(cx + dx), float(cy + dy), float(w), float(h))

        return to_box


@dataclass(frozen=True)
class FaceSummary:
    """One identity over the whole video, for the JSON ``video.faces`` list and the panel.

    Attributes:
        face_id: Its identity (order of first appearance).
        first_row: The sampled frame (0-based) where it first appeared.
        n_frames: Sampled frames it was seen in.
        mean_box: Its mean box (x, y, w, h) in frame pixels.
        main_score: :func:`~..core.face_tracks.main_face_score` over its frames.
        thumbnail: (THUMB, THUMB, 3) uint8 RGB of the face where it was largest, or None.
    """

    face_id: int
    first_row: int
    n_frames: int
    mean_box: tuple[float, float, float, float]
    main_score: float
    thumbnail: np.ndarray | None = field(default=None, compare=False, repr=False)


class ActorFaceAnalyzer:
    """A face analyzer for one actor of a video: ``analyze(rgb)`` returns that actor's face.

    Every face is tracked (:class:`FaceTracker`); the actor is identity ``face_index`` when given,
    else the main actor: the largest and most central face (:func:`~..core.face_tracks.
    main_face_score`) of the first frame that has one, followed for as long as its identity is
    seen. Only when that identity is absent from a frame that has faces (a shot cut, the face
    lost and found again as a new identity) does the choice move to that frame's main face;
    :attr:`used` records which identities were analysed in how many frames, and
    :meth:`better_actor` tells afterwards whether another identity scored clearly higher over
    the clip. Other attributes (warnings, description, ...) pass through to the wrapped
    :class:`~.faces.FaceAnalyzer`.
    """

    def __init__(self, analyzer: FaceAnalyzer, face_index: int | None = None, **tracker) -> None:
        self._analyzer = analyzer
        self.tracker = FaceTracker(analyzer, **tracker)
        self.face_index = face_index
        self.chosen: int | None = face_index
        self.used: dict[int, int] = {}
        self._rows = 0
        self._seen: dict[int, list] = {}  # id -> [first_row, n, box_sum, score]
        self._thumbs: dict[int, tuple[float, np.ndarray]] = {}  # id -> (box height, RGB)

    def __getattr__(self, name: str):
        return getattr(self._analyzer, name)

    def analyze(self, rgb: np.ndarray) -> FaceObservation | None:
        """The chosen actor's face in the next frame of the video, or None."""
        from ..core.face_tracks import main_face_score

        row, self._rows = self._rows, self._rows + 1
        faces = self.tracker.process(rgb)
        scores = {}
        for f in faces:
            seen = self._seen.setdefault(f.face_id, [row, 0, np.zeros(4), 0.0])
            scores[f.face_id] = main_face_score([f.observation.box], rgb.shape[:2])
            seen[1] += 1
            seen[2] = seen[2] + np.asarray(f.observation.box)
            seen[3] += scores[f.face_id]
            self._keep_thumbnail(f.face_id, rgb, f.observation.box)
        if self.face_index is None and faces and self.chosen not in scores:
            self.chosen = max(scores, key=lambda i: (scores[i], -i))
        if self.chosen in scores:
            self.used[self.chosen] = self.used.get(self.chosen, 0) + 1
        return next((f.observation for f in faces if f.face_id == self.chosen), None)

    def _keep_thumbnail(self, fid: int, rgb: np.ndarray, box) -> None:
        """The face's square crop (20 % margin) at THUMB px, from its largest sighting."""
        import cv2

        x, y, w, h = box
        if fid in self._thumbs and self._thumbs[fid][0] >= h:
            return
        side, cx, cy = 1.2 * max(w, h), x + w / 2, y + h / 2
        x0, y0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
        crop = rgb[y0 : int(cy + side / 2), x0 : int(cx + side / 2)]
        if crop.size:
            thumb = cv2.resize(crop, (THUMB, THUMB), interpolation=cv2.INTER_AREA)
            self._thumbs[fid] = (h, thumb)

    @property
    def analysed(self) -> int | None:
        """The identity analysed in the most frames (``face_index`` when given)."""
        if self.face_index is not None or not self.used:
            return self.face_index
        return max(self.used, key=lambda i: (self.used[i], -i))

    def summaries(self) -> list[FaceSummary]:
        """Every identity seen so far, in id order."""
        out = []
        for fid, s in sorted(self._seen.items()):
            box = tuple(float(v) for v in s[2] / s[1])
            thumb = self._thumbs.get(fid, (0.0, None))[1]
            out.append(FaceSummary(fid, s[0], s[1], box, float(s[3]), thumb))  # type: ignore[arg-type]
        return out

    def better_actor(self) -> int | None:
        """An identity that scored clearly higher (1.5x) as main actor than the chosen one."""
        if self.face_index is not None or self.analysed is None:
            return None
        best = max(self._seen, key=lambda i: self._seen[i][3])
        if best not in self.used and self._seen[best][3] > 1.5 * self._seen[self.analysed][3]:
            return best
        return None
