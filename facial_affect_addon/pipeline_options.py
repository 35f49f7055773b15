"""Typed options that the Blender layer and the CLI hand to the pipeline (no heavy imports)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PerformanceOptions:
    """How to turn emotion into curves.

    Attributes:
        fps: Frames per second of the target scene.
        frame_start: First frame of the performance.
        n_frames: Number of frames to synthesise (None: the whole performance).
        mode: ``"dynamic"`` (rise–hold–fall) or ``"static"`` (constant template).
        intensity: Overall strength in [0, 1].
        micro: Insert micro-expression bursts.
        life: Add natural blinks and subtle asymmetry.
        seed: Seed for everything random, so results are reproducible.
        articulate: Move the jaw and lips while lines are spoken (rhythm, not lip-sync).
        drive: ``"emotion"`` synthesises from the emotion timeline; ``"capture"`` replays a
            video's landmark capture (the face's own expression) on the rig.
    """

    fps: float = 24.0
    frame_start: int = 1
    n_frames: int | None = None
    mode: str = "dynamic"
    intensity: float = 1.0
    micro: bool = False
    life: bool = True
    seed: int = 0
    articulate: bool = True
    drive: str = "emotion"
