"""The built-in AU → shape-key tables (data only; :mod:`.rigs` turns them into profiles).

Each table maps a shape-key name to ``{AU name: weight}``; an AU named without a side
(``"AU1"``) drives the key with the mean of both sides. Keys with an empty mapping belong to the
naming scheme (they help auto-detection) but no AU drives them (gaze, tongue, jaw sideways).

The mappings are our engineering judgement, not a published standard. Where one action needs
several keys the weights split it (AU6 narrows the eye from below, so it also feeds
``eyeSquint`` a little); where a rig has no dedicated key the closest one stands in (AU23, lip
tightener, becomes lip press / roll-in on ARKit, which has no tightener).
"""

from __future__ import annotations

from .facs import AU_CATALOGUE

# ARKit's 52 blendshapes in Live Link Face's CSV column order.
ARKIT_52: tuple[str, ...] = (
    "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft",
    "eyeSquintLeft", "eyeWideLeft", "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight",
    "eyeLookOutRight", "eyeLookUpRight", "eyeSquintRight", "eyeWideRight", "jawForward",
    "jawRight", "jawLeft", "jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthRight",
    "mouthLeft", "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight",
    "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthPressLeft",
    "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthUpperUpLeft",
    "mouthUpperUpRight", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft",
    "browOuterUpRight", "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "noseSneerLeft",
    "noseSneerRight", "tongueOut",
)  # fmt: skip

_JAW_OPEN = {"AU25": 0.15, "AU26": 0.6, "AU27": 1.0}


def _arkit() -> dict[str, dict[str, float]]:
    table: dict[str, dict[str, float]] = {name: {} for name in ARKIT_52}
    for word, s in (("Left", "L"), ("Right", "R")):
        table.update(
            {
                f"browOuterUp{word}": {f"AU2_{s}": 1.0},
                f"browDown{word}": {f"AU4_{s}": 1.0},
                f"eyeWide{word}": {f"AU5_{s}": 1.0},
                f"cheekSquint{word}": {f"AU6_{s}": 1.0},
                f"eyeSquint{word}": {f"AU7_{s}": 1.0, f"AU6_{s}": 0.4},
                f"noseSneer{word}": {f"AU9_{s}": 1.0},
                f"mouthUpperUp{word}": {f"AU10_{s}": 1.0, f"AU9_{s}": 0.3},
                f"mouthSmile{word}": {f"AU12_{s}": 1.0},
                f"mouthDimple{word}": {f"AU14_{s}": 1.0},
                f"mouthFrown{word}": {f"AU15_{s}": 1.0},
                f"mouthLowerDown{word}": {f"AU16_{s}": 1.0, "AU25": 0.25},
                f"mouthStretch{word}": {f"AU20_{s}": 1.0},
                f"mouthPress{word}": {"AU24": 1.0, "AU23": 0.5},
                f"eyeBlink{word}": {f"AU43_{s}": 1.0, f"AU45_{s}": 1.0},
            }
        )
    table.update(
        {
            "browInnerUp": {"AU1": 1.0},
            "mouthShrugLower": {"AU17": 1.0},
            "mouthShrugUpper": {"AU17": 0.4},
            "mouthPucker": {"AU18": 1.0},
            "mouthFunnel": {"AU22": 1.0},
            "mouthRollUpper": {"AU28": 1.0, "AU23": 0.3},
            "mouthRollLower": {"AU28": 1.0, "AU23": 0.3},
            "jawOpen": dict(_JAW_OPEN),
            "cheekPuff": {"AU34": 1.0},
        }
    )
    return table


def _metahuman() -> dict[str, dict[str, float]]:
    table: dict[str, dict[str, float]] = {}
    for s in ("L", "R"):
        table.update(
            {
                f"browRaiseIn{s}": {f"AU1_{s}": 1.0},
                f"browRaiseOuter{s}": {f"AU2_{s}": 1.0},
                f"browDown{s}": {f"AU4_{s}": 1.0},
                f"browLateral{s}": {f"AU4_{s}": 0.8},
                f"eyeWiden{s}": {f"AU5_{s}": 1.0},
                f"eyeCheekRaise{s}": {f"AU6_{s}": 1.0},
                f"eyeSquintInner{s}": {f"AU7_{s}": 1.0},
                f"eyeBlink{s}": {f"AU43_{s}": 1.0, f"AU45_{s}": 1.0},
                f"noseWrinkle{s}": {f"AU9_{s}": 1.0},
                f"mouthUpperLipRaise{s}": {f"AU10_{s}": 1.0, f"AU9_{s}": 0.3},
                f"mouthCornerPull{s}": {f"AU12_{s}": 1.0},
                f"mouthDimple{s}": {f"AU14_{s}": 1.0},
                f"mouthCornerDepress{s}": {f"AU15_{s}": 1.0},
                f"mouthLowerLipDepress{s}": {f"AU16_{s}": 1.0, "AU25": 0.25},
                f"mouthStretch{s}": {f"AU20_{s}": 1.0},
                f"mouthUpperLipRollIn{s}": {"AU28": 1.0, "AU23": 0.3},
                f"mouthLowerLipRollIn{s}": {"AU28": 1.0, "AU23": 0.3},
                f"mouthCheekBlow{s}": {"AU34": 1.0},
            }
        )
    for q in ("UL", "UR", "DL", "DR"):
        table.update(
            {
                f"mouthLipsPurse{q}": {"AU18": 1.0},
                f"mouthFunnel{q}": {"AU22": 1.0},
                f"mouthLipsTighten{q}": {"AU23": 1.0},
                f"mouthLipsTogether{q}": {"AU24": 1.0, "AU23": 0.5},
            }
        )
    table.update(
        {
            "jawChinRaiseDL": {"AU17": 1.0},
            "jawChinRaiseDR": {"AU17": 1.0},
            "jawChinRaiseUL": {"AU17": 0.5},
            "jawChinRaiseUR": {"AU17": 0.5},
            "jawOpen": dict(_JAW_OPEN),
        }
    )
    return table


def _facs() -> tuple[dict[str, dict[str, float]], dict[str, tuple[str, ...]]]:
    """FACS-coded keys (``AU01``, ``AU12_L``...) and the combined keys' fallback rules."""
    table: dict[str, dict[str, float]] = {}
    fallbacks: dict[str, tuple[str, ...]] = {}
    for au in AU_CATALOGUE.values():
        base = f"AU{au.number:02d}"
        if au.sided:
            table[f"{base}_L"] = {f"{au.code}_L": 1.0}
            table[f"{base}_R"] = {f"{au.code}_R": 1.0}
            fallbacks[base] = (f"{base}_L", f"{base}_R")
        table[base] = {au.code: 1.0}
    return table, fallbacks


ARKIT_TABLE = _arkit()
METAHUMAN_TABLE = _metahuman()
FACS_TABLE, FACS_FALLBACKS = _facs()
