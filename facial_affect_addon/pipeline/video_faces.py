"""Which face of a video is analysed: the main actor or the identity the user picked.

:func:`actor_analyzer` wraps the face analyzer in :class:`~..ml.face_tracking.ActorFaceAnalyzer`
(every face tracked with an identity; ``analyze`` answers for one of them), and
:func:`check_face_choice` reports, once the frames are read, which identities were found,
refuses a ``face_index`` that never appeared and warns when another face looked more like the
main actor than the ones analysed.
"""

from __future__ import annotations

from ..core.errors import InputError


def actor_analyzer(analyzer, face_index: int | None):
    """``analyzer`` tracking every face and answering for one actor.

    None: a :class:`~..ml.faces.FaceAnalyzer` that finds faces down to
    :data:`~..ml.face_models.MIN_FACE_PX` tall. An analyzer without
    :meth:`~..ml.faces.FaceAnalyzer.detect_faces` (a stand-in with only ``analyze``) is
    returned as it is, unless a ``face_index`` asks for tracking.
    """
    if face_index is not None and int(face_index) < 0:
        raise InputError(f"The face index must be 0 or more (got {face_index}).")
    if analyzer is None:
        from ..ml.face_models import MIN_FACE_PX
        from ..ml.faces import FaceAnalyzer

        analyzer = FaceAnalyzer(min_face_px=MIN_FACE_PX)
    if not hasattr(analyzer, "detect_faces"):
        if face_index is not None:
            raise InputError("Picking a face needs the MediaPipe face models (`make setup`).")
        return analyzer
    from ..ml.face_tracking import ActorFaceAnalyzer

    return ActorFaceAnalyzer(analyzer, face_index)


def check_face_choice(actor, face_index: int | None, name: str) -> tuple[tuple, list[str]]:
    """((the faces found, the identity analysed), notes for the user), after the frames.

    Raises:
        InputError: ``face_index`` never appeared in the video.
    """
    if not hasattr(actor, "summaries"):
        return ((), None), []
    found = tuple(actor.summaries())
    ids = [f.face_id for f in found]
    if face_index is not None and face_index not in ids:
        listed = ", ".join(map(str, ids)) or "none"
        raise InputError(
            f"There is no face {face_index} in {name}; the faces found are: {listed} "
            "(numbered in order of first appearance)."
        )
    better, used = actor.better_actor(), sorted(actor.used)
    notes = []
    if better is not None:
        notes.append(
            f"Face {actor.analysed} was analysed (the main actor when faces first appeared), "
            f"but face {better} is larger and more central over the clip; pick it with --face "
            f"{better} or the panel's Face number."
        )
    if len(used) > 1:
        notes.append(
            f"Faces {', '.join(map(str, used))} were analysed in turn: when the main actor's face "
            "was lost, the main face then in view was taken (a cut, or the face found again "
            "elsewhere). Pick one with --face N or the panel's Face number."
        )
    elif len(found) > 1:
        notes.append(f"{len(found)} faces found; analysed face {actor.analysed}.")
    return (found, actor.analysed), notes


def faces_to_json(analysis) -> dict:
    """The ``faces`` list, ``face_id`` and ``face_boxes`` of the JSON ``video`` block.

    Each face: ``id``, ``first_time_s``, ``frames`` (sampled frames it was seen in), its mean
    ``box`` [x, y, w, h] in pixels and ``main_score`` (larger = more the main actor).
    ``face_boxes``: the analysed face's box in each sampled frame, null where none was found.
    """
    times = analysis.times
    faces = [
        {
            "id": f.face_id,
            "first_time_s": round(float(times[f.first_row]), 4) if len(times) else 0.0,
            "frames": f.n_frames,
            "box": [round(v, 1) for v in f.mean_box],
            "main_score": round(f.main_score, 4),
        }
        for f in analysis.faces
    ]
    boxes = [None if b is None else [round(float(v), 1) for v in b] for b in analysis.face_boxes]
    return {"faces": faces, "face_id": analysis.face_id, "face_boxes": boxes}
