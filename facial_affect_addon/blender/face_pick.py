"""The faces a video analysis found, as thumbnails in the panel; clicking one picks it.

After a video analysis, :func:`show_faces` (main thread) turns each identity's thumbnail
(:class:`~..ml.face_tracking.FaceSummary`) into an image datablock named ``FaceAff face N`` and
records the ids on the scene. :func:`draw_faces` shows them under the video input, each with a
button; :class:`FACEAFF_OT_pick_face` sets the panel's Face number (Main actor off) and starts
the same background job as Analyze (:func:`.operators_analysis.start_analysis`: progress,
Cancel) for that person. The face the stored analysis is of is marked under the thumbnails.
"""

from __future__ import annotations

import bpy
import numpy as np
from bpy.props import IntProperty

from .reporting import poll_with_reason, reports_errors

FACES_PROP = "faceaff_video_faces"
"""Scene ID property: the ids of the faces the last video analysis found (saved with the .blend)."""
ANALYSED_FACE_PROP = "faceaff_analysed_face"
"""Scene ID property: the face id the stored analysis is of (absent without tracking)."""
IMAGE_PREFIX = "FaceAff face "


def show_faces(scene, faces, face_id: int | None = None) -> None:
    """Make one image per found face (replacing the last analysis's) and record their ids.

    ``face_id`` (the identity analysed) is recorded too, or forgotten when None.
    """
    if face_id is None:
        scene.pop(ANALYSED_FACE_PROP, None)
    else:
        scene[ANALYSED_FACE_PROP] = int(face_id)
    for image in [i for i in bpy.data.images if i.name.startswith(IMAGE_PREFIX)]:
        bpy.data.images.remove(image)
    ids = []
    for face in faces:
        thumb = getattr(face, "thumbnail", None)
        if thumb is None:
            continue
        h, w = thumb.shape[:2]
        image = bpy.data.images.new(f"{IMAGE_PREFIX}{face.face_id}", w, h)
        rgba = np.concatenate([thumb[::-1] / 255.0, np.ones((h, w, 1))], axis=2)  # bottom row first
        image.pixels.foreach_set(rgba.astype(np.float32).ravel())  # type: ignore[attr-defined]
        image.pack()
        ids.append(int(face.face_id))
    if len(ids) > 1:
        scene[FACES_PROP] = ids
    else:
        scene.pop(FACES_PROP, None)


def draw_faces(layout, scene) -> None:
    """Thumbnails of the found faces (only when the last video had more than one)."""
    ids = list(scene.get(FACES_PROP, ()))
    if not ids:
        return
    settings = scene.faceaff
    analysed = scene.get(ANALYSED_FACE_PROP) if settings.has_analysis else None
    layout.label(text="Faces found (click one to analyse it):")
    grid = layout.grid_flow(columns=min(len(ids), 4), even_columns=True, align=True)
    grid.enabled = not settings.job_running
    for fid in ids:
        col = grid.column(align=True)
        image = bpy.data.images.get(f"{IMAGE_PREFIX}{fid}")
        if image is not None:
            col.template_icon(icon_value=layout.icon(image), scale=3.0)
        text = f"Face {fid} (analysed)" if analysed == fid else f"Face {fid}"
        op = col.operator("faceaff.pick_face", text=text, depress=analysed == fid)
        op.index = fid
    if analysed is not None:
        layout.label(text=f"The analysis is of face {analysed}.", icon="CHECKMARK")


class FACEAFF_OT_pick_face(bpy.types.Operator):
    """Analyse this face of the video in the background (as Analyze does; Cancel stops it)"""

    bl_idname = "faceaff.pick_face"
    bl_label = "Pick Face"
    bl_options = {"REGISTER"}  # changes only the Face number and, when the job ends, the analysis

    index: IntProperty(name="Face", min=0, max=63, default=0, options={"SKIP_SAVE"})

    @classmethod
    def poll(cls, context):
        from .operators_analysis import input_problem  # it imports this module

        return poll_with_reason(cls, input_problem(context.scene.faceaff))

    @reports_errors
    def execute(self, context):
        from .operators_analysis import start_analysis

        settings = context.scene.faceaff
        settings.video_face_auto = False
        settings.video_face_index = self.index
        return start_analysis(self, context)


classes = (FACEAFF_OT_pick_face,)
# fake-bpy-module 5.0 types register_classes_factory() as returning None, not the pair.
register, unregister = bpy.utils.register_classes_factory(classes)  # type: ignore[func-returns-value,misc]
