"""Naming families of face rigs: which engine channel a rig's shape key most likely is.

The engine's channels are Apple ARKit's 52 blendshapes (each one a fixed mix of AU channels,
:data:`.rig_tables.ARKIT_TABLE`), the AU channels themselves (``AU12_L``) and, for rigs whose keys
are whole expressions, the seven emotions (``emotion:happiness``). :func:`suggest_channels` reads
one key name; :func:`suggest_profile` (in :mod:`.rig_mapping`) turns all of a rig's names into a
:class:`~.rig_profile.RigProfile`.

**How a name is read.** :func:`.names.normalize_name` removes case, separator and side spelling
(``mouthSmileLeft``, ``mouth_smile_left``, ``MouthSmile_L`` and ``Mouth_Smile_L`` are one name);
then prefixes that exporters glue on (``facs_bs_``, ``facs_ctrl_``, ``facs_jnt_``, ``blendShape1.``,
``ARKit_``, ``CTRL_expressions_``...) and Daz's ``_div2`` suffix are dropped, and the rest is looked
up in the alias table; a name still unknown that has a dot is tried by what follows its last dot
(Maya's and FBX's ``node.target``, whatever the node is called). Names not in the table stay
unmapped: no fuzzy matching, because one wrong guess (``Mouth_Smile_Sharp`` as a smile is fine,
``Mouth_Sad`` as a frown is not) changes a face without the user noticing.

**Sources.** All names come from the families' public naming conventions as they appear in
their documentation, exported files and user forums, not from their SDKs; where a family was
not certain to us the entry says so. Users whose rig differs save a profile and edit it.

* ARKit: Apple's ``ARFaceAnchor.BlendShapeLocation`` names, in any case style, and a key for
  both sides of a pair (``mouthSmile``, ``eyeBlink``: it follows the two sides' mean).
  ReadyPlayerMe, Avaturn and Polywink ship ARKit names (sometimes behind a prefix), so they are
  ARKit here.
* MetaHuman: the face controls of :data:`.rig_tables.METAHUMAN_TABLE` (paper 000, Table 4),
  mapped to their AU channels.
* FACS: ``AU01``, ``AU12_L``... mapped to their AU channels.
* Character Creator 4 (Reallusion): the standard/extended expression morphs
  (``Brow_Raise_Inner_L``, ``Cheek_Raise_L``, ``Mouth_Smile_L``, ``Mouth_Funnel_Up_L``...).
  CC4 splits some ARKit channels into several keys (funnel, pucker and lip roll into
  upper/lower x left/right quarters, cheek puff per side); all of them take the channel.
  ``Tongue_Out`` is from CC3/CC4 viseme sets and less certain.
* Daz Genesis 8.1 / 9: the ARKit-style FACS morphs behind ``facs_bs_`` / ``facs_jnt_`` /
  ``facs_ctrl_`` prefixes (``facs_bs_MouthSmileLeft_div2``, ``facs_jnt_JawOpen``); Genesis
  splits a unit into a shape part and a joint part that are driven together, so both take it.
  Daz's older ``eCTRL`` expression morphs are not covered.
* MakeHuman / MPFB: the face pose units of ``face-poseunits`` (``LeftInnerBrowUp``,
  ``MouthLeftPullUp``, ``JawDrop``, ``LeftUpperLidClosed``, ``CheeksPump``, ``ChinLeft``...). In
  MakeHuman these are bone poses; a head that has them as shape keys (MPFB can bake them) maps
  by these names. MPFB's own ARKit keys are ARKit. ``MouthLeftPlatysma`` is left unmapped: the
  nearest channel (stretch) is already ``MouthLeftPullSide``'s, and two keys would double it.
* ReadyPlayerMe / Avaturn: ARKit's 52 names plus Oculus visemes (``viseme_aa``) and a few
  whole-mouth keys (``mouthOpen``, ``mouthSmile``, ``eyesClosed``, ``eyesLookUp``).
* VRoid / VRM: expression-level keys (``Fcl_ALL_Joy``, ``Fcl_BRW_Angry``, ``Fcl_EYE_Sorrow``,
  ``Fcl_MTH_Surprised``, VRM presets ``happy angry sad relaxed surprised``, VRM 0.x ``Joy Angry
  Sorrow Fun``) are driven by emotions (:data:`EMOTION_ALIASES`); their blink and viseme keys
  (``Fcl_EYE_Close_L``, ``Blink_L``, ``Fcl_MTH_A``, ``aa``, ``oh``) by channels.

**Fallback keys** (:func:`is_fallback`) take their channels only where no other key of the rig
does (:func:`.rig_mapping.suggest_profile` drops them otherwise): viseme keys, one key for both
sides (``mouthSmile``, ``Blink``, ``eyesClosed``) and ``MouthOpen``. A ReadyPlayerMe head has
``mouthSmile`` next to ``mouthSmileLeft``/``Right`` and ``mouthOpen`` next to ``jawOpen``; driving
both would double the smile and the jaw.

**Emotion choices** (expression-level keys; the engine has seven emotions, VRoid has five):
happiness, anger, sadness and surprise drive their own key at 1.0. Fear has no key: it drives
the surprise key at 0.6 (raised brows, wide eyes, open mouth) and the sorrow key at 0.4 (inner
brows up). Disgust drives the anger key at 0.6 (lowered brows, tight mouth: the nearest). Neutral
drives nothing (the rest pose is all keys at 0). ``Fun`` / ``relaxed`` (a calm content face)
are left unmapped rather than doubled onto happiness; map them in a profile if wanted.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from .emotions import EMOTION_NAMES
from .facs import CHANNEL_INDEX
from .names import name_tokens, normalize_name
from .rig_tables import ARKIT_52, FACS_TABLE, METAHUMAN_TABLE

__all__ = [
    "EMOTION_ALIASES",
    "EMOTION_PREFIX",
    "PREFIX_TOKENS",
    "alias_key",
    "family_of",
    "is_fallback",
    "suggest_channels",
]

EMOTION_PREFIX = "emotion:"
"""Channel names ``emotion:happiness``... name an emotion as the driver of a whole-face key."""

PREFIX_TOKENS: frozenset[str] = frozenset(
    {"facs", "bs", "jnt", "ctrl", "cbs", "blend", "shape", "blendshape", "blendshapes", "ar", "kit"}
    | {"expressions", "expression", "morph", "morphs", "sk", "key", "head", "face", "mesh", "rpm"}
    | {"lod", "shapes"}  # MetaHuman in Maya: head_lod0_mesh_blendShapes.brow_down_L
)
"""Leading name tokens exporters add in front of the real name (dropped before the lookup)."""

_SUFFIX_TOKENS: tuple[tuple[str, ...], ...] = (("div", "2"),)
_SIDES = (("Left", "L"), ("Right", "R"))

# A rig key alias -> {engine channel: weight}. Side placeholders: {W} = Left/Right (ARKit), {S} =
# L/R. One dict per family so family_of() can say where a name came from; on a clash the
# earlier family wins (CC4's Brow_Raise_Outer_R is MetaHuman's browRaiseOuterR: same AU).


def _sided(pairs: Mapping[str, str]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for word, s in _SIDES:
        for alias, channel in pairs.items():
            out[alias.format(S=s, W=word)] = {channel.format(S=s, W=word): 1.0}
    return out


def _both(channel: str) -> dict[str, float]:
    """One key for both sides of a sided channel: it follows their mean."""
    return {channel.format(W=word): 0.5 for word, _ in _SIDES}


def _arkit_unsided() -> dict[str, dict[str, float]]:
    """``mouthSmile``, ``eyeBlink``, ``browDown``...: one key for an ARKit left/right pair."""
    stems = {n.removesuffix("Left") for n in ARKIT_52 if n.endswith("Left")}
    return {stem: _both(stem + "{W}") for stem in sorted(stems)}


def _cc4() -> dict[str, dict[str, float]]:
    table = _sided(
        {
            "Brow_Raise_Inner_{S}": "browInnerUp",
            "Brow_Raise_Outer_{S}": "browOuterUp{W}",
            "Brow_Drop_{S}": "browDown{W}",
            "Eye_Blink_{S}": "eyeBlink{W}",
            "Eye_Squint_{S}": "eyeSquint{W}",
            "Eye_Wide_{S}": "eyeWide{W}",
            "Eye_{S}_Look_Up": "eyeLookUp{W}",
            "Eye_{S}_Look_Down": "eyeLookDown{W}",
            "Cheek_Raise_{S}": "cheekSquint{W}",
            "Cheek_Puff_{S}": "cheekPuff",
            "Nose_Sneer_{S}": "noseSneer{W}",
            "Mouth_Smile_{S}": "mouthSmile{W}",
            "Mouth_Frown_{S}": "mouthFrown{W}",
            "Mouth_Dimple_{S}": "mouthDimple{W}",
            "Mouth_Stretch_{S}": "mouthStretch{W}",
            "Mouth_Press_{S}": "mouthPress{W}",
            "Mouth_Tighten_{S}": "AU23",  # lip tightener: ARKit has no channel for it
            "Mouth_Up_Upper_{S}": "mouthUpperUp{W}",
            "Mouth_Down_Lower_{S}": "mouthLowerDown{W}",
            "Mouth_Funnel_Up_{S}": "mouthFunnel",
            "Mouth_Funnel_Down_{S}": "mouthFunnel",
            "Mouth_Pucker_Up_{S}": "mouthPucker",
            "Mouth_Pucker_Down_{S}": "mouthPucker",
            "Mouth_Roll_In_Upper_{S}": "mouthRollUpper",
            "Mouth_Roll_In_Lower_{S}": "mouthRollLower",
        }
    )
    # Eye_L_Look_L: the left eye looks to the character's left = out; Look_R = in.
    table.update(
        {
            "Eye_L_Look_L": {"eyeLookOutLeft": 1.0},
            "Eye_L_Look_R": {"eyeLookInLeft": 1.0},
            "Eye_R_Look_R": {"eyeLookOutRight": 1.0},
            "Eye_R_Look_L": {"eyeLookInRight": 1.0},
            "Jaw_Open": {"jawOpen": 1.0},
            "Jaw_Forward": {"jawForward": 1.0},
            "Jaw_L": {"jawLeft": 1.0},
            "Jaw_R": {"jawRight": 1.0},
            "Mouth_Close": {"mouthClose": 1.0},
            "Mouth_L": {"mouthLeft": 1.0},
            "Mouth_R": {"mouthRight": 1.0},
            "Mouth_Shrug_Upper": {"mouthShrugUpper": 1.0},
            "Mouth_Shrug_Lower": {"mouthShrugLower": 1.0},
            "Tongue_Out": {"tongueOut": 1.0},
        }
    )
    return table


def _daz() -> dict[str, dict[str, float]]:
    """Genesis 8.1/9 names beyond plain ARKit after the prefix is dropped (one brow per side)."""
    return {
        "BrowInnerUpLeft": {"browInnerUp": 1.0},
        "BrowInnerUpRight": {"browInnerUp": 1.0},
        "CheekPuffLeft": {"cheekPuff": 1.0},
        "CheekPuffRight": {"cheekPuff": 1.0},
    }


def _makehuman() -> dict[str, dict[str, float]]:
    table = _sided(
        {
            "{W}InnerBrowUp": "browInnerUp",
            "{W}OuterBrowUp": "browOuterUp{W}",
            "{W}BrowDown": "browDown{W}",
            "{W}CheekUp": "cheekSquint{W}",
            "{W}UpperLidClosed": "eyeBlink{W}",
            "{W}UpperLidOpen": "eyeWide{W}",
            "{W}LowerLidUp": "eyeSquint{W}",
            "{W}EyeUp": "eyeLookUp{W}",
            "{W}EyeDown": "eyeLookDown{W}",
            "Mouth{W}PullUp": "mouthSmile{W}",
            "Mouth{W}PullDown": "mouthFrown{W}",
            "Mouth{W}PullSide": "mouthStretch{W}",
        }
    )
    for eye in ("Right", "Left"):  # the right eye turning right looks out, turning left in
        table[f"{eye}Eyeturn{eye}"] = {f"eyeLookOut{eye}": 1.0}
        other = "Left" if eye == "Right" else "Right"
        table[f"{eye}Eyeturn{other}"] = {f"eyeLookIn{eye}": 1.0}
    table.update(
        {
            "NoseWrinkler": _both("noseSneer{W}"),
            "LipsKiss": {"mouthPucker": 1.0},
            "MouthOpen": {"jawOpen": 1.0},
            "JawDrop": {"jawOpen": 1.0},
            "ChinForward": {"jawForward": 1.0},
            "ChinLeft": {"jawLeft": 1.0},
            "ChinRight": {"jawRight": 1.0},
            "CheeksPump": {"cheekPuff": 1.0},
            "MouthMoveLeft": {"mouthLeft": 1.0},
            "MouthMoveRight": {"mouthRight": 1.0},
            "UpperLipUp": _both("mouthUpperUp{W}"),
            "LowerLipDown": _both("mouthLowerDown{W}"),
            "TongueOut": {"tongueOut": 1.0},
        }
    )
    return table


def _metahuman_extra() -> dict[str, dict[str, float]]:
    """MetaHuman controls whose name differs from ARKit's for the same unit."""
    return {"jawFwd": {"jawForward": 1.0}}


def _rpm() -> dict[str, dict[str, float]]:
    """ReadyPlayerMe's whole-mouth and both-eye keys (next to its ARKit 52)."""
    return {
        "eyesClosed": _both("eyeBlink{W}"),
        "eyesLookUp": _both("eyeLookUp{W}"),
        "eyesLookDown": _both("eyeLookDown{W}"),
    }


def _vrm_channels() -> dict[str, dict[str, float]]:
    """Blink and viseme keys of VRoid/VRM rigs (channel-level, unlike their emotion keys)."""
    return {
        "Fcl_EYE_Close_L": {"eyeBlinkLeft": 1.0},
        "Fcl_EYE_Close_R": {"eyeBlinkRight": 1.0},
        "Fcl_EYE_Close": _both("eyeBlink{W}"),
        "Blink": _both("eyeBlink{W}"),
        "Blink_L": {"eyeBlinkLeft": 1.0},
        "Blink_R": {"eyeBlinkRight": 1.0},
    }


VISEME_ALIASES: dict[str, dict[str, float]] = {
    # Mouth shapes, used only where the rig has no key for the channel (else they would double
    # it): A opens the jaw, O rounds the lips (funnel), U purses them (pucker). I and E widen the
    # lips for speech and have no emotional reading, so they stay unmapped.
    **{k: {"jawOpen": 1.0} for k in ("Fcl_MTH_A", "A", "aa", "viseme_aa")},
    **{k: {"mouthFunnel": 1.0} for k in ("Fcl_MTH_O", "O", "oh", "viseme_O")},
    **{k: {"mouthPucker": 1.0} for k in ("Fcl_MTH_U", "U", "ou", "viseme_U")},
}
"""Viseme keys (VRoid ``Fcl_MTH_A``, VRM ``A``/``aa``, ReadyPlayerMe ``viseme_aa``) -> channels."""

_FEAR = {"surprise": ("fear", 0.6), "sadness": ("fear", 0.4), "anger": ("disgust", 0.6)}


def _emotion_spec(emotion: str) -> dict[str, float]:
    spec = {emotion: 1.0}
    if emotion in _FEAR:
        extra, weight = _FEAR[emotion]
        spec[extra] = weight
    return spec


def _emotion_aliases() -> dict[str, dict[str, float]]:
    words = {
        "happiness": ("Joy", "happy"),
        "anger": ("Angry", "angry"),
        "sadness": ("Sorrow", "sad"),
        "surprise": ("Surprised", "surprised"),
    }
    out: dict[str, dict[str, float]] = {}
    for emotion, (vroid, vrm) in words.items():
        spec = _emotion_spec(emotion)
        out[f"Fcl_ALL_{vroid}"] = spec
        for part in ("BRW", "EYE", "MTH"):
            out[f"Fcl_{part}_{vroid}"] = spec
        out[vrm] = spec
        out[vroid] = spec
    return out


EMOTION_ALIASES: dict[str, dict[str, float]] = _emotion_aliases()
"""Expression-level key names -> ``{emotion: weight}`` (see the module docstring's choices)."""

_FAMILIES: dict[str, dict[str, dict[str, float]]] = {
    "arkit": {name: {name: 1.0} for name in ARKIT_52} | _arkit_unsided(),
    "cc4": _cc4(),
    "daz": _daz(),
    "makehuman": _makehuman(),
    "rpm": _rpm(),
    "vroid": _vrm_channels(),
    "metahuman": {k: dict(v) for k, v in METAHUMAN_TABLE.items() if v} | _metahuman_extra(),
    "facs": {k: dict(v) for k, v in FACS_TABLE.items() if v},
    "viseme": VISEME_ALIASES,
}


def alias_key(name: str) -> str:
    """The lookup form of a key name: normalised, exporter prefixes and ``_div2`` dropped.

    Examples:
        ``facs_bs_MouthSmileLeft_div2``, ``blendShape1.mouthSmileLeft`` and ``Mouth_Smile_L`` all
        give ``"mouthsmilel"``.
    """
    tokens = list(name_tokens(name))
    while len(tokens) > 1 and (tokens[0] in PREFIX_TOKENS or tokens[0].isdigit()):
        tokens.pop(0)
    for suffix in _SUFFIX_TOKENS:
        if len(tokens) > len(suffix) and tuple(tokens[-len(suffix) :]) == suffix:
            del tokens[-len(suffix) :]
    return "".join(tokens)


@lru_cache(maxsize=1)
def _index() -> dict[str, tuple[str, dict[str, float]]]:
    """Lookup form -> (family, {channel: weight}); earlier families win (ARKit first)."""
    index: dict[str, tuple[str, dict[str, float]]] = {}
    for family, table in _FAMILIES.items():
        for alias, spec in table.items():
            index.setdefault(alias_key(alias), (family, spec))
            index.setdefault(normalize_name(alias), (family, spec))
    for alias, spec in EMOTION_ALIASES.items():
        family = "vroid" if alias.startswith("Fcl_") else "vrm"
        emo = {f"{EMOTION_PREFIX}{e}": w for e, w in spec.items()}
        index.setdefault(normalize_name(alias), (family, emo))
    return index


def _check_tables() -> None:
    """Every channel the tables name exists (run once at import: a typo fails loudly)."""
    known = set(ARKIT_52) | set(CHANNEL_INDEX)
    for table in (*_FAMILIES.values(),):
        for alias, spec in table.items():
            for channel in spec:
                if channel not in known and not channel.upper().startswith("AU"):
                    raise AssertionError(f"alias {alias!r} names unknown channel {channel!r}")
    for spec in EMOTION_ALIASES.values():
        assert all(e in EMOTION_NAMES for e in spec)


_check_tables()


def _lookup(name: str) -> tuple[str, dict[str, float]] | None:
    """(family, spec) of a key name; a Maya/FBX ``node.target`` name by its target if need be."""
    index = _index()
    hit = index.get(normalize_name(name)) or index.get(alias_key(name))
    if hit is None and "." in name:  # "BS_Polywink.jawOpen": any node name before the dot
        tail = name.rsplit(".", 1)[1]
        hit = index.get(normalize_name(tail)) or index.get(alias_key(tail))
    return hit


def suggest_channels(name: str) -> dict[str, float] | None:
    """The engine channels a rig key most likely is, or None for a name no family uses.

    Args:
        name: A shape-key name as the rig spells it.

    Returns:
        ``{channel: weight}``: ARKit names (``"mouthSmileLeft"``), AU names (``"AU12_L"``) or
        emotions (``"emotion:happiness"``); a copy the caller may change.
    """
    hit = _lookup(name)
    return dict(hit[1]) if hit else None


def family_of(name: str) -> str | None:
    """The naming family a key name belongs to (``"arkit"``, ``"cc4"``, ``"vroid"``...)."""
    hit = _lookup(name)
    return hit[0] if hit else None


_FALLBACK_NAMES = frozenset({"mouthopen"})
"""Lookup forms of fallback keys that are neither visemes nor both-side keys."""


def is_fallback(name: str) -> bool:
    """True for a key that takes its channels only where no other key does (module docstring).

    Viseme keys, keys standing for both sides of a sided channel (``mouthSmile``, ``Blink``,
    ``eyesClosed``: a spec of two channels at 0.5) and ``MouthOpen``.
    """
    hit = _lookup(name)
    if hit is None:
        return False
    family, spec = hit
    both = len(spec) == 2 and all(w == 0.5 for w in spec.values())
    return family == "viseme" or both or alias_key(name) in _FALLBACK_NAMES
