"""Scene settings of the add-on (``scene.faceaff``) and their conversion to typed options.

The analysis result is stored twice: as a JSON document (``analysis_json``, what Bake reads back)
and as small collections (emotion weights, timeline segments) that the panel draws. Nothing
secret is ever stored here: the LLM key lives only in the add-on preferences.
"""

from __future__ import annotations

import bpy
from bpy.props import (
    BoolProperty,
    CollectionProperty,
    EnumProperty,
    FloatProperty,
    IntProperty,
    PointerProperty,
    StringProperty,
)

from ..core.emotions import EMOTION_NAMES
from ..pipeline_options import PerformanceOptions

_EMOTION_ITEMS = [(name, name.capitalize(), f"Pure {name}") for name in EMOTION_NAMES]

INPUT_SOURCES = (
    ("TEXT", "Text", "A line of dialogue typed in the panel (or a Text datablock)", "TEXT", 0),
    ("AUDIO", "Audio file", "A recorded line: speech-to-text, one event per utterance", "SOUND", 1),
    ("MIC", "Microphone", "Speak live: used by the live preview", "REC", 2),
    ("VIDEO", "Video file", "A face's emotion, or its own expression (mirror)", "FILE_MOVIE", 3),
    (
        "WEBCAM",
        "Webcam",
        "A camera: used by the live preview",
        "CAMERA_DATA",
        4,
    ),
)


def _is_mesh(_self, obj) -> bool:
    return obj.type == "MESH"


class FACEAFF_PG_weight(bpy.types.PropertyGroup):
    """One emotion's share of the analysed mixture (drawn as a bar)."""

    value: FloatProperty(name="Weight", min=0.0, max=1.0, subtype="FACTOR")


class FACEAFF_PG_segment(bpy.types.PropertyGroup):
    """One timeline event of the analysis (an utterance or a typed line)."""

    start_s: FloatProperty(name="Start", unit="TIME_ABSOLUTE")
    end_s: FloatProperty(name="End", unit="TIME_ABSOLUTE")
    text: StringProperty(name="Text")
    dominant: StringProperty(name="Emotion")
    intensity: FloatProperty(name="Intensity", min=0.0, max=1.0, subtype="FACTOR")
    source: StringProperty(name="Source")


class FACEAFF_PG_settings(bpy.types.PropertyGroup):
    """Everything the Affect panel edits, stored on the scene."""

    # --- target ------------------------------------------------------------------------
    target: PointerProperty(
        name="Target",
        description="Mesh whose shape keys receive the performance (empty: the active object)",
        type=bpy.types.Object,
        poll=_is_mesh,
    )
    # --- input -------------------------------------------------------------------------
    input_source: EnumProperty(
        name="Input", description="What to read the emotion from", items=INPUT_SOURCES
    )
    text: StringProperty(name="Line", description="The line of dialogue to analyse", default="")
    text_block: PointerProperty(
        name="Script",
        description="A Text datablock: one line of dialogue per line (used instead of Line "
        "when set; the live preview plays the lines one after another)",
        type=bpy.types.Text,
    )
    audio_path: StringProperty(
        name="Audio", description="Recorded speech (wav, flac, ogg, mp3...)", subtype="FILE_PATH"
    )
    video_path: StringProperty(name="Video", description="A video of a face", subtype="FILE_PATH")
    video_drive: EnumProperty(
        name="Use",
        description="What the video gives the head",
        items=[
            (
                "EMOTION",
                "Emotion",
                "Read the face's emotion over time; the engine performs it on the rig",
            ),
            (
                "CAPTURE",
                "Mirror",
                "Copy the face's own expression (landmark capture), every frame",
            ),
        ],
        default="EMOTION",
    )
    video_sample_fps: FloatProperty(
        name="Sample rate",
        description="Frames analysed per second for Emotion (paper 000: 2; 0: every frame). "
        "Mirror always reads every frame",
        default=2.0,
        min=0.0,
        max=120.0,
    )
    video_neutral_auto: BoolProperty(
        name="Auto neutral",
        description="Mirror: use the frame the emotion model finds most neutral as the "
        "reference face (else the time below)",
        default=True,
    )
    video_neutral_at: FloatProperty(
        name="Neutral at",
        description="Mirror: time of a frame where the actor's face is at rest",
        default=0.0,
        min=0.0,
        unit="TIME_ABSOLUTE",
    )
    # --- analysis result ---------------------------------------------------------------
    analysis_json: StringProperty(
        name="Analysis", description="The analysed performance as JSON (read by Bake)"
    )
    transcript: StringProperty(name="Transcript")
    analysis_models: StringProperty(name="Models", description="Models that produced it")
    analysis_warnings: StringProperty(name="Warnings")
    weights: CollectionProperty(type=FACEAFF_PG_weight)
    segments: CollectionProperty(type=FACEAFF_PG_segment)
    # --- background job ----------------------------------------------------------------
    job_status: StringProperty(name="Status", description="What the background job is doing")
    job_progress: FloatProperty(
        name="Progress", min=0.0, max=1.0, subtype="FACTOR", options={"SKIP_SAVE"}
    )
    job_running: BoolProperty(name="Running", options={"SKIP_SAVE"})
    job_error: BoolProperty(name="Failed", description="The last job ended with an error")
    # --- bake --------------------------------------------------------------------------
    emotion: EnumProperty(
        name="Emotion",
        description="Built-in emotion to perform when no other input is analysed",
        items=_EMOTION_ITEMS,
        default="happiness",
    )
    intensity: FloatProperty(
        name="Intensity", description="Overall strength", default=1.0, min=0.0, max=1.0
    )
    duration: FloatProperty(
        name="Duration",
        description="Length of the performance in seconds",
        default=3.0,
        min=0.1,
        max=3600.0,
        unit="TIME_ABSOLUTE",
    )
    length_from_input: BoolProperty(
        name="Length from input",
        description="Bake an analysed performance over its whole length (else: Duration)",
        default=True,
    )
    frame_start: IntProperty(
        name="Start frame", description="First frame to bake", default=1, min=-1048574
    )
    mode: EnumProperty(
        name="Synthesis",
        items=[
            ("DYNAMIC", "Dynamic", "Rise, hold and fall with semantic re-weighting"),
            ("STATIC", "Static", "A constant expression template (the papers' baseline)"),
        ],
        default="DYNAMIC",
    )
    micro: BoolProperty(
        name="Micro-expressions", description="Add 40–200 ms micro-expression bursts"
    )
    life: BoolProperty(name="Blinks and asymmetry", description="Natural blinks", default=True)
    seed: IntProperty(name="Seed", description="Seed for blinks and bursts", default=0, min=0)
    sparse: BoolProperty(
        name="Sparse keys",
        description="Write a few editable Bezier keys instead of one key per frame",
        default=False,
    )
    take_name: StringProperty(name="Take", description="Name of the take to bake", default="Affect")
    replace_take: BoolProperty(
        name="Replace take",
        description="Replace a take of the same name instead of adding a numbered one",
        default=False,
    )
    take_index: IntProperty(name="Take", description="Selected take", default=-1)
    # --- live preview and render -------------------------------------------------------
    live_source: EnumProperty(
        name="Live source",
        items=[
            ("SCRIPT", "Script", "Play the Line / Script lines, analysed offline, in real time"),
            ("MIC", "Microphone", "Listen to the microphone: speech → emotion as you talk"),
            ("WEBCAM", "Webcam", "Watch a camera: the face in it drives the head"),
        ],
        default="SCRIPT",
    )
    live_camera: StringProperty(
        name="Camera",
        description="Camera index (0 is the first camera), or a video file to play as if it "
        "were a live camera",
        default="0",
    )
    live_face_mode: EnumProperty(
        name="Face",
        items=[
            (
                "EMOTION",
                "Emotion",
                "The face's emotion (7 classes) drives the head's emotion engine",
            ),
            (
                "MIRROR",
                "Mirror",
                "Landmark capture copies the face's expression key by key "
                "(calibrated on the first second: start with a neutral face)",
            ),
        ],
        default="EMOTION",
    )
    live_record: BoolProperty(
        name="Record take", description="Save the live session as a new take when it stops"
    )
    live_running: BoolProperty(name="Live", options={"SKIP_SAVE"})
    render_engine: EnumProperty(
        name="Engine",
        items=[
            ("AUTO", "Auto", "Eevee when a GPU context exists, else Workbench"),
            ("BLENDER_EEVEE", "Eevee", "Realistic, needs a GPU context"),
            ("BLENDER_WORKBENCH", "Workbench", "Fast solid shading; works everywhere"),
        ],
        default="AUTO",
    )
    render_size: IntProperty(
        name="Size", description="Preview render size (pixels, square)", default=256, min=16
    )

    def performance_options(self, scene: bpy.types.Scene) -> PerformanceOptions:
        """These settings as the engine's typed options, frame rate taken from the scene."""
        fps = scene_fps(scene)
        return PerformanceOptions(
            fps=fps,
            frame_start=self.frame_start,
            n_frames=max(0, round(self.duration * fps)),
            mode=self.mode.lower(),
            intensity=self.intensity,
            micro=self.micro,
            life=self.life,
            seed=self.seed,
            drive=self.drive(),
        )

    def drive(self) -> str:
        """``"capture"`` when a video is mirrored, else ``"emotion"``."""
        mirror = self.input_source == "VIDEO" and self.video_drive == "CAPTURE"
        return "capture" if mirror else "emotion"

    def lines(self) -> list[str]:
        """The dialogue lines to analyse: the Script's non-empty lines, else the Line."""
        if self.text_block is not None:
            return [ln.body.strip() for ln in self.text_block.lines if ln.body.strip()]
        return [self.text.strip()] if self.text.strip() else []

    def clear_analysis(self) -> None:
        """Forget the analysed performance (Bake then uses the preset emotion)."""
        self.analysis_json = ""
        self.transcript = ""
        self.analysis_models = ""
        self.analysis_warnings = ""
        self.weights.clear()
        self.segments.clear()


def scene_fps(scene: bpy.types.Scene) -> float:
    """The scene's real frame rate (fps / fps_base)."""
    return scene.render.fps / scene.render.fps_base


def target_object(context) -> bpy.types.Object | None:
    """The panel's target, or the active object when no target is set."""
    settings = context.scene.faceaff
    return settings.target or context.active_object


classes = (FACEAFF_PG_weight, FACEAFF_PG_segment, FACEAFF_PG_settings)


def register() -> None:
    """Register the settings groups and attach them to scenes."""
    for cls in classes:
        bpy.utils.register_class(cls)
    bpy.types.Scene.faceaff = PointerProperty(type=FACEAFF_PG_settings)


def unregister() -> None:
    """Remove the scene property and the settings groups."""
    del bpy.types.Scene.faceaff
    for cls in reversed(classes):
        bpy.utils.unregister_class(cls)
