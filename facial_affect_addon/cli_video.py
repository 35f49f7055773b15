"""The CLI's ``video`` sub-command: its arguments (the command itself runs in :mod:`.cli`).

``--no-audio`` skips the sound track; by default a video's speech is transcribed, fused with the
face and lip-synced (:mod:`.pipeline.video_speech`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any


def add_video(sub: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add the ``video`` sub-command to ``sub`` (``add_common``: the options every command has)."""
    p = sub.add_parser(
        "video", allow_abbrev=False, help="a video file → face emotions over time → curves"
    )
    p.add_argument("path", type=Path)
    p.add_argument(
        "--sample-fps",
        type=float,
        default=None,
        help="frames analysed per second (0: every frame; default 2, or every frame with "
        "--capture)",
    )
    p.add_argument(
        "--capture",
        action="store_true",
        help="bake the face's own expression (landmark capture) instead of its emotion",
    )
    p.add_argument(
        "--neutral-at",
        type=float,
        metavar="SECONDS",
        help="time of a frame with a neutral face, the capture's reference (default: auto)",
    )
    p.add_argument(
        "--face",
        type=int,
        metavar="N",
        help="analyse face N (numbered from 0 in order of first appearance, left to right "
        "within a frame; JSON: video.faces lists them); default: the main actor",
    )
    p.add_argument(
        "--stt",
        choices=("whisper", "pocketsphinx", "openai"),
        default="whisper",
        help="speech engine for the video's sound (default: offline Whisper)",
    )
    p.add_argument(
        "--no-audio",
        action="store_true",
        help="ignore the video's sound (default without --capture: transcribe its speech, fuse "
        "it with the face and lip-sync to it; JSON: speech)",
    )
    p.add_argument(
        "--head-target",
        metavar="OBJECT[:BONE]",
        help="with --bake: also bake the captured head rotation (yaw, pitch, roll) onto this "
        "object, or this armature's bone, as its own NLA track",
    )
    _add_micro_spot(p)
    add_common(p)


def _add_micro_spot(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--micro-spot",
        action="store_true",
        help="spot micro-expressions (every frame); JSON: micro_expressions, macro_expressions",
    )
    p.add_argument(
        "--spot-bake",
        choices=("emotion", "mirror"),
        default="emotion",
        help="with --micro-spot --bake: bake found bursts as bursts of their emotion or "
        "their own AUs (with --capture the capture keeps them)",
    )
