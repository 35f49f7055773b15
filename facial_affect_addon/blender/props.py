"""Scene settings of the add-on (``scene.faceaff``) and their conversion to typed options.

The analysis result is kept three ways: in memory (:mod:`..pipeline.store`, keyed by
``analysis_token``; what Bake reads), compactly in the .blend (``analysis_data``, for a reopened
file or undo) and as small collections (emotion weights, timeline segments) that the panel
draws. Nothing secret is ever stored here: the LLM key lives only in the add-on preferences.

Enum identifiers are the values of the pipeline's StrEnums (:class:`~..pipeline.options.
InputSource`, :class:`~..pipeline.options.FaceMode`...), so a property converts with
``FaceMode(settings.video_drive)``.
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

from ..core.emotions import COMPOUND_PRESETS, EMOTION_NAMES, CompoundEmotion, Emotion
from ..pipeline.options import (
    EmotionChoice,
    EmotionSource,
    FaceMode,
    InputSource,
    LiveSource,
    PerformanceOptions,
    SynthesisMode,
    SynthesisOptions,
)
from .props_mapping import FACEAFF_PG_map_row, FACEAFF_PG_mapping
from .props_micro import FACEAFF_PG_micro_burst, authored_bursts

_EMOTION_ITEMS = [(name, name.capitalize(), f"Pure {name}") for name in EMOTION_NAMES]
# Item numbers are stored in .blend files: keep the order, append new presets at the end.
_COMPOUND_ITEMS = [
    (
        str(preset),
        preset.label,
        " + ".join(f"{e} {w:.0%}" for e, w in COMPOUND_PRESETS[preset].items()),
        i,
    )
    for i, preset in enumerate(CompoundEmotion)
]
_EMOTION_SOURCE_ITEMS = [
    (EmotionSource.EMOTION, "Emotion", "One of the seven emotions"),
    (EmotionSource.PRESET, "Preset", "A named compound emotion (bittersweet, happily surprised…)"),
    (EmotionSource.MIX, "Mix", "Your own mixture: one weight per emotion (normalised to sum 1)"),
]

INPUT_SOURCES = (
    (InputSource.TEXT, "Text", "A line of dialogue typed in the panel (or a Text datablock)"),
    (InputSource.AUDIO, "Audio file", "A recorded line: speech-to-text, one event per utterance"),
    (InputSource.MIC, "Microphone", "Speak live: used by the live preview"),
    (InputSource.VIDEO, "Video file", "A face's emotion, or its own expression (mirror)"),
    (InputSource.WEBCAM, "Webcam", "A camera: used by the live preview"),
)
_SOURCE_ICONS = ("TEXT", "SOUND", "REC", "FILE_MOVIE", "CAMERA_DATA")
_INPUT_ITEMS = [
    (str(ident), name, text, icon, i)
    for i, ((ident, name, text), icon) in enumerate(zip(INPUT_SOURCES, _SOURCE_ICONS, strict=True))
]
# Item numbers are what a .blend stores: EMOTION stays 0 and MIRROR 1 (it was "CAPTURE").
_VIDEO_FACE_ITEMS = [
    (FaceMode.EMOTION, "Emotion", "Read the face's emotion over time; the engine performs it"),
    (FaceMode.MIRROR, "Mirror", "Copy the face's own expression (landmark capture), every frame"),
]
_LIVE_FACE_ITEMS = [
    (
        FaceMode.EMOTION,
        "Emotion",
        "The face's emotion (7 classes) drives the head's emotion engine",
    ),
    (
        FaceMode.MIRROR,
        "Mirror",
        "Landmark capture copies the face's expression key by key "
        "(calibrated on the first second: start with a neutral face)",
    ),
]


LEGACY_ANALYSIS = "analysis_json"  # where add-on 0.1 kept the analysis, as JSON


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


class FACEAFF_PG_mix(bpy.types.PropertyGroup):
    """The Mix mode's seven emotion weights (normalised to sum 1 when baked)."""

    neutral: FloatProperty(name="Neutral", min=0.0, max=1.0, subtype="FACTOR")
    happiness: FloatProperty(name="Happiness", min=0.0, max=1.0, default=0.5, subtype="FACTOR")
    sadness: FloatProperty(name="Sadness", min=0.0, max=1.0, default=0.5, subtype="FACTOR")
    anger: FloatProperty(name="Anger", min=0.0, max=1.0, subtype="FACTOR")
    surprise: FloatProperty(name="Surprise", min=0.0, max=1.0, subtype="FACTOR")
    fear: FloatProperty(name="Fear", min=0.0, max=1.0, subtype="FACTOR")
    disgust: FloatProperty(name="Disgust", min=0.0, max=1.0, subtype="FACTOR")

    def as_dict(self) -> dict[str, float]:
        """``{emotion name: weight}`` for the seven emotions."""
        return {name: float(getattr(self, name)) for name in EMOTION_NAMES}


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
        name="Input", description="What to read the emotion from", items=_INPUT_ITEMS
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
        items=[(str(ident), name, text) for ident, name, text in _VIDEO_FACE_ITEMS],
        default=str(FaceMode.EMOTION),
    )
    video_sample_fps: FloatProperty(
        name="Sample rate",
        description="Frames analysed per second for Emotion (paper 000: 2; 0: every frame). "
        "Mirror always reads every frame",
        default=2.0,
        min=0.0,
        max=120.0,
    )
    video_micro_spot: BoolProperty(
        name="Spot micro-expressions",
        description="Also find brief (40-500 ms) expressions in every frame; they appear as "
        "timeline markers ('micro fear 0.72') and the capture keeps them",
        default=False,
    )
    video_audio: BoolProperty(
        name="Use the sound",
        description="Emotion: also transcribe the video's speech, fuse what is said with the "
        "face and lip-sync to it (a video without sound is read from the face alone; Mirror "
        "does not use the sound: the capture moves the mouth)",
        default=True,
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
    video_face_auto: BoolProperty(
        name="Main actor",
        description="Analyse the largest, most central face (else the face number beside)",
        default=True,
    )
    video_face_index: IntProperty(
        name="Face",
        description="Face to analyse, numbered from 0 in order of first appearance (left to "
        "right within a frame); the analysis reports how many faces it found",
        default=0,
        min=0,
        max=63,
    )
    # --- analysis result ---------------------------------------------------------------
    analysis_data: StringProperty(
        name="Analysis",
        description="The analysed performance, compactly encoded (read by Bake after a reload)",
        options={"HIDDEN"},
    )
    analysis_token: StringProperty(
        name="Analysis token", description="Key of the analysis kept in memory", options={"HIDDEN"}
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
    emotion_source: EnumProperty(
        name="Perform",
        description="What Bake Emotion performs when nothing is analysed",
        items=[(str(ident), name, text) for ident, name, text in _EMOTION_SOURCE_ITEMS],
        default=str(EmotionSource.EMOTION),
    )
    emotion: EnumProperty(
        name="Emotion",
        description="Built-in emotion to perform when no other input is analysed",
        items=_EMOTION_ITEMS,
        default="happiness",
    )
    compound: EnumProperty(
        name="Preset",
        description="Compound emotion to perform (a preset mixture of the seven)",
        items=_COMPOUND_ITEMS,
        default=str(CompoundEmotion.BITTERSWEET),
    )
    mix: PointerProperty(type=FACEAFF_PG_mix, name="Mix")
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
            (
                SynthesisMode.DYNAMIC.name,
                "Dynamic",
                "Rise, hold and fall with semantic re-weighting",
            ),
            (SynthesisMode.STATIC.name, "Static", "A constant expression template (the baseline)"),
        ],
        default=SynthesisMode.DYNAMIC.name,
    )
    micro: BoolProperty(
        name="Micro-expressions",
        description="Scatter random 40–200 ms micro-expression bursts (AU co-occurrence model)",
    )
    micro_bursts: CollectionProperty(type=FACEAFF_PG_micro_burst)
    micro_index: IntProperty(name="Micro-expression", description="Selected burst", default=0)
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
    bake_layers: BoolProperty(
        name="Layers",
        description="Bake emotion, speech, micro-expressions and blinks as NLA layers of the "
        "take, each with its own mute and influence (played together they equal one action)",
        default=False,
    )
    take_index: IntProperty(name="Take", description="Selected take", default=-1)
    # --- live preview and render -------------------------------------------------------
    live_source: EnumProperty(
        name="Live source",
        items=[
            (LiveSource.SCRIPT, "Script", "Play the Line / Script lines, read in real time"),
            (
                LiveSource.MIC,
                "Microphone",
                "Listen to the microphone: speech → emotion as you talk",
            ),
            (LiveSource.WEBCAM, "Webcam", "Watch a camera: the face in it drives the head"),
        ],
        default=str(LiveSource.SCRIPT),
    )
    live_camera: StringProperty(
        name="Camera",
        description="Camera index (0 is the first camera), or a video file to play as if it "
        "were a live camera",
        default="0",
    )
    live_face_mode: EnumProperty(
        name="Face",
        items=[(str(ident), name, text) for ident, name, text in _LIVE_FACE_ITEMS],
        default=str(FaceMode.EMOTION),
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
        synthesis = SynthesisOptions(
            fps=fps,
            frame_start=self.frame_start,
            n_frames=max(0, round(self.duration * fps)),
            mode=SynthesisMode[self.mode],
            intensity=self.intensity,
            micro=self.micro,
            micro_bursts=authored_bursts(
                self.micro_bursts, mirror=self.face_mode() == FaceMode.MIRROR
            ),
            life=self.life,
            seed=self.seed,
        )
        return PerformanceOptions(synthesis, face=self.face_mode())

    def emotion_choice(self) -> EmotionChoice:
        """The emotion Bake Emotion performs (one emotion, a preset or the mix), typed."""
        return EmotionChoice(
            EmotionSource(self.emotion_source),
            Emotion(self.emotion),
            CompoundEmotion(self.compound),
            self.mix.as_dict(),
        )

    def face_mode(self) -> FaceMode:
        """MIRROR when a video is mirrored, else EMOTION."""
        mirror = self.input_source == InputSource.VIDEO and self.video_drive == FaceMode.MIRROR
        return FaceMode.MIRROR if mirror else FaceMode.EMOTION

    def lines(self) -> list[str]:
        """The dialogue lines to analyse: the Script's non-empty lines, else the Line."""
        if self.text_block is not None:
            return [ln.body.strip() for ln in self.text_block.lines if ln.body.strip()]
        return [self.text.strip()] if self.text.strip() else []

    @property
    def has_analysis(self) -> bool:
        """Whether an analysed performance is stored (Bake then bakes it)."""
        return bool(self.analysis_data or self.get(LEGACY_ANALYSIS))

    def stored_analysis(self) -> tuple[str, str]:
        """(memory token, compact text) of the stored analysis; the 0.1 JSON form if older."""
        return self.analysis_token, self.analysis_data or str(self.get(LEGACY_ANALYSIS, ""))

    def clear_analysis(self) -> None:
        """Forget the analysed performance (Bake then uses the preset emotion)."""
        self.analysis_data = ""
        self.analysis_token = ""
        if LEGACY_ANALYSIS in self:  # type: ignore[operator]  # stub: bpy_struct lacks __contains__
            del self[LEGACY_ANALYSIS]
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


classes = (
    FACEAFF_PG_micro_burst,
    FACEAFF_PG_weight,
    FACEAFF_PG_segment,
    FACEAFF_PG_mix,
    FACEAFF_PG_map_row,
    FACEAFF_PG_mapping,
    FACEAFF_PG_settings,
)


def register() -> None:
    """Register the settings groups and attach them to scenes (and the mapping to objects)."""
    for cls in classes:
        bpy.utils.register_class(cls)
    # Registration adds RNA properties at run time: mypy cannot know Scene.faceaff; and
    # fake-bpy-module 5.0 types PointerProperty() (like every bpy.props function) as returning None.
    bpy.types.Scene.faceaff = PointerProperty(type=FACEAFF_PG_settings)  # type: ignore[attr-defined,func-returns-value]
    bpy.types.Object.faceaff_mapping = PointerProperty(type=FACEAFF_PG_mapping)  # type: ignore[attr-defined,func-returns-value]


def unregister() -> None:
    """Remove the scene and object properties and the settings groups."""
    del bpy.types.Object.faceaff_mapping  # type: ignore[attr-defined]  # added by register()
    del bpy.types.Scene.faceaff  # type: ignore[attr-defined]  # added by register()
    for cls in reversed(classes):
        bpy.utils.unregister_class(cls)
