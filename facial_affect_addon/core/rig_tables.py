"""The built-in AU → shape-key tables (data only; :mod:`.rigs` turns them into profiles).

Each table maps a shape-key name to ``{AU name: weight}``; an AU named without a side
(``"AU1"``) drives the key with the mean of both sides. Keys with an empty mapping belong to the
naming scheme (they help auto-detection) but no AU drives them (gaze, tongue, jaw sideways).

The mappings are our engineering judgement, not a published standard; each ARKit key follows
Apple's one-line description of it (``ARFaceAnchor.BlendShapeLocation``) and each AU the
muscle the FACS catalogue names (Wikipedia, "Facial Action Coding System", list of AUs). Where
one action needs several keys the weights split it; where a rig has no dedicated key the closest
one stands in. The choices that are not one AU to one key at 1.0:

* AU6 (cheek raiser, orbicularis oculi pars orbitalis) narrows the eye from below, so it also
  feeds ``eyeSquint`` (0.4) besides ``cheekSquint``.
* AU9 (nose wrinkler) is levator labii superioris *alaeque nasi*, which inserts in the nostril
  wing and in the upper lip: it raises the upper lip too, a little less than AU10 (levator labii
  superioris) does, so it drives ``mouthUpperUp`` at 0.8. Disgust's prototype (``9+15+16``) has
  no AU10, and at the earlier 0.3 its raised upper lip peaked at 0.22 and did not read.
* AU23 (lip tightener) has no ARKit key; lip press (0.8) and a little roll-in (0.3) stand in.
* AU25/26/27 all open the jaw: AU27 (mouth stretch, the jaw pulled far down) is ``jawOpen``'s
  full range; AU26 (jaw drop, the jaw only relaxed open) reaches 0.6 of it, which with the
  full-intensity prototypes (letter E) opens surprise's and fear's mouths to 0.6 (0.48 before);
  AU25 (lips part) opens it a little (0.15) and parts the lower lip (0.25).
* AU17 (chin raiser) pushes the lower lip up and out (``mouthShrugLower``, Apple: "outward
  movement of the lower lip") and the upper lip with it (``mouthShrugUpper`` 0.4).

Shape keys that undo each other are listed per profile (:data:`ARKIT_ANTAGONISTS`...) and kept
apart by :mod:`.antagonists`; :data:`ARKIT_PRIMARY_KEYS` names the keys that carry each emotion's
prototype on an ARKit rig (the calibration target: near 1.0 at intensity 1.0).
"""

from __future__ import annotations

from .antagonists import KeyAntagonist
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
_UPPER_LIP_BY_AU9 = 0.8


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
                f"mouthUpperUp{word}": {f"AU10_{s}": 1.0, f"AU9_{s}": _UPPER_LIP_BY_AU9},
                f"mouthSmile{word}": {f"AU12_{s}": 1.0},
                f"mouthDimple{word}": {f"AU14_{s}": 1.0},
                f"mouthFrown{word}": {f"AU15_{s}": 1.0},
                f"mouthLowerDown{word}": {f"AU16_{s}": 1.0, "AU25": 0.25},
                f"mouthStretch{word}": {f"AU20_{s}": 1.0},
                f"mouthPress{word}": {"AU24": 1.0, "AU23": 0.8},
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
                f"mouthUpperLipRaise{s}": {f"AU10_{s}": 1.0, f"AU9_{s}": _UPPER_LIP_BY_AU9},
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


def _arkit_antagonists() -> tuple[KeyAntagonist, ...]:
    pairs = []
    for w in ("Left", "Right"):
        pairs += [
            KeyAntagonist(f"eyeBlink{w}", f"eyeWide{w}", first_overrides=True),
            KeyAntagonist(f"mouthSmile{w}", f"mouthFrown{w}"),
            KeyAntagonist(f"browDown{w}", f"browOuterUp{w}"),
            KeyAntagonist("mouthPucker", f"mouthStretch{w}"),
            KeyAntagonist(f"eyeLookUp{w}", f"eyeLookDown{w}"),
            KeyAntagonist(f"eyeLookIn{w}", f"eyeLookOut{w}"),
        ]
    return (*pairs, KeyAntagonist("mouthLeft", "mouthRight"), KeyAntagonist("jawLeft", "jawRight"))


def _metahuman_antagonists() -> tuple[KeyAntagonist, ...]:
    pairs = []
    for s in ("L", "R"):
        pairs += [
            KeyAntagonist(f"eyeBlink{s}", f"eyeWiden{s}", first_overrides=True),
            KeyAntagonist(f"mouthCornerPull{s}", f"mouthCornerDepress{s}"),
            KeyAntagonist(f"browDown{s}", f"browRaiseOuter{s}"),
        ]
        pairs += [KeyAntagonist(f"mouthLipsPurse{v}{s}", f"mouthStretch{s}") for v in "UD"]
    return tuple(pairs)


def _facs_antagonists() -> tuple[KeyAntagonist, ...]:
    """FACS-coded keys: closure over upper-lid raise, 12 vs 15, pucker vs stretch, 24 vs 25.

    AU2 with AU4 is not a pair here: FACS keys are the AUs themselves, and FACS scores ``1+2+4``
    as one valid combination (fear's brow); it is ARKit's ``browDown`` (the *outer* brow down)
    that collides with ``browOuterUp``.
    """
    pairs = [KeyAntagonist("AU24", "AU25")]
    for s in ("_L", "_R", ""):
        pairs += [
            KeyAntagonist(f"AU45{s}", f"AU05{s}", first_overrides=True),
            KeyAntagonist(f"AU43{s}", f"AU05{s}", first_overrides=True),
            KeyAntagonist(f"AU12{s}", f"AU15{s}"),
            KeyAntagonist("AU18", f"AU20{s}"),
        ]
    return tuple(pairs)


ARKIT_TABLE = _arkit()
METAHUMAN_TABLE = _metahuman()
FACS_TABLE, FACS_FALLBACKS = _facs()
ARKIT_ANTAGONISTS = _arkit_antagonists()
"""ARKit key pairs that undo each other (Apple's descriptions: ``browDown`` lowers and
``browOuterUp`` raises the *outer* brow; ``mouthSmile``/``mouthFrown`` move one corner up/down;
``eyeBlink`` closes the lids ``eyeWide`` widens; ``mouthPucker`` draws the corners in that
``mouthStretch`` pulls out, AU18 against AU20; gaze and sideways pairs by their names). Pucker
with a smile is left alone: speech rounds the lips of a smiling face (:mod:`.articulation`)."""
METAHUMAN_ANTAGONISTS = _metahuman_antagonists()
FACS_ANTAGONISTS = _facs_antagonists()

ARKIT_PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "happiness": ("mouthSmileLeft", "mouthSmileRight", "cheekSquintLeft", "cheekSquintRight"),
    "sadness": ("browInnerUp", "mouthFrownLeft", "mouthFrownRight"),
    "anger": ("browDownLeft", "browDownRight"),
    "surprise": (
        "browInnerUp",
        "browOuterUpLeft",
        "browOuterUpRight",
        "eyeWideLeft",
        "eyeWideRight",
    ),
    "fear": ("browInnerUp", "eyeWideLeft", "eyeWideRight", "mouthStretchLeft", "mouthStretchRight"),
    "disgust": ("noseSneerLeft", "noseSneerRight", "mouthUpperUpLeft", "mouthUpperUpRight"),
}
"""The ARKit keys that carry each emotion's face (:data:`.facs.EXPRESSION_SOURCE`): what makes it
read (AU12+6 for happiness; AU1 and AU15 for sadness; AU4 for anger; AU1+2+5 for surprise; AU1, AU5
and AU20 for fear; AU9+10 for disgust). At intensity 1.0 each peaks near 1.0, at 0.5 near three
quarters of that (:func:`.curves.displacement_for_intensity`). Keys set below full on purpose are
left out: anger's moderate glare (5C+7C) and its open mouth (``mouthUpperUp`` 0.8,
``mouthLowerDown`` 0.65, ``jawOpen`` 0.39), surprise's ``jawOpen`` 0.8, the moderate
``browDown`` (4C) of sadness and fear."""
