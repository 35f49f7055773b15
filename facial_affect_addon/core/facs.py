"""FACS Action Units: the catalogue, the emotion → AU prototype table, and compound blending.

**Catalogue.** Each :class:`ActionUnit` has its FACS number and name, a face region (one of
:data:`REGIONS`) and whether FACS scores it per side. Sided AUs become two engine channels
(``AU12_L``, ``AU12_R``; sides are the *subject's* own left/right, the FACS convention); midline
AUs are one channel (``AU26``). :data:`AU_CHANNELS` is the fixed channel order every AU array in
the engine uses.

**Prototypes (one table, cited).** EMFACS variants disagree (fear is ``1+2+4+5+20+26`` in some
reproductions and ``1+2+4+5+7+20+26`` in others; Cohn et al. 2005 list many variants per
emotion). We use exactly one: the EMFACS-7 emotion prototypes of Friesen & Ekman (1983) as
tabulated in Wikipedia's article "Facial Action Coding System", section "Emotions" (the same AU
sets appear in AiCure's OpenDBM documentation, "Emotional expressivity"). The strings are kept
verbatim in :data:`PROTOTYPE_SOURCE` and parsed, so the code cannot drift from the table.

Intensities: the table gives letters only for ``5B`` and ``R12A+R14A``. FACS letters map
linearly to A=0.2, B=0.4, C=0.6, D=0.8, E=1.0 (the 1-5 scale of OpenFace divided by 5).
An AU listed without a letter gets :data:`DEFAULT_INTENSITY_LETTER` ("E", 1.0). The table
describes full-blown prototypes, and intensity 1.0 is meant to *be* that full-blown face, its
primary shape keys near 1.0; head-room for weaker faces is what the intensity controls are for
(an earlier default of "D" left every face at 80 % of what the rig can show and the faces read
weak). Where the table does give a letter it is kept: surprise's upper lid is raised only
slightly (``5B``), which is what tells it from fear's wide stare. ``R``/``L``
prefixes (contempt's ``R12A``) act on one side only. Neutral has no AUs. Contempt is kept
because the table has it (and it feeds the co-occurrence counts of :mod:`.micro`), but it is not
one of the seven :data:`~.emotions.EMOTION_NAMES`, so :func:`blend_matrix` never uses it.

**Compound blending.** A compound emotion is a weight mixture, so its AU vector is the sum of
prototypes, each scaled by its felt share (:func:`felt_shares`: a share of 0.5 shows as that
emotion felt at 0.5) and an optional per-emotion amplitude (see :mod:`.curves`). Plain sums of
*antagonistic* actions make rigs fight themselves (AU12 pulls the lip corners up while AU15 pulls
them down). :data:`ANTAGONISTS` lists such pairs of AU groups, the group that wins a tie first.
The rule (net force with a priority side) is documented on :func:`blend_matrix`, and a smile
takes the sad brow's lowerer and lid droop (:func:`_yield_to_smile`); antagonism between *shape
keys* of a rig (and blinks against a wide eye) is :mod:`.antagonists`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .curves import displacement_for_intensity
from .emotions import EMOTION_NAMES, EmotionWeights, canonical_emotion_name
from .errors import InputError
from .names import normalize_name

REGIONS: tuple[str, ...] = ("brows", "eyes", "cheeks", "nose", "mouth", "jaw")


@dataclass(frozen=True)
class ActionUnit:
    """One FACS Action Unit.

    Attributes:
        number: The FACS number (12 for AU12).
        name: The FACS name ("Lip Corner Puller").
        region: The face region, one of :data:`REGIONS`.
        sided: True when FACS scores it per side, so the engine keeps ``_L``/``_R`` channels.
    """

    number: int
    name: str
    region: str
    sided: bool

    @property
    def code(self) -> str:
        """``"AU12"``."""
        return f"AU{self.number}"

    def channels(self) -> tuple[str, ...]:
        """The engine channels of this AU (``AU12_L``, ``AU12_R`` or just ``AU26``)."""
        return (f"{self.code}_L", f"{self.code}_R") if self.sided else (self.code,)


_CATALOGUE_ROWS: tuple[tuple[int, str, str, bool], ...] = (
    (1, "Inner Brow Raiser", "brows", True),
    (2, "Outer Brow Raiser", "brows", True),
    (4, "Brow Lowerer", "brows", True),
    (5, "Upper Lid Raiser", "eyes", True),
    (6, "Cheek Raiser", "cheeks", True),
    (7, "Lid Tightener", "eyes", True),
    (9, "Nose Wrinkler", "nose", True),
    (10, "Upper Lip Raiser", "mouth", True),
    (12, "Lip Corner Puller", "mouth", True),
    (14, "Dimpler", "mouth", True),
    (15, "Lip Corner Depressor", "mouth", True),
    (16, "Lower Lip Depressor", "mouth", True),
    (17, "Chin Raiser", "jaw", False),
    (18, "Lip Pucker", "mouth", False),
    (20, "Lip Stretcher", "mouth", True),
    (22, "Lip Funneler", "mouth", False),
    (23, "Lip Tightener", "mouth", False),
    (24, "Lip Pressor", "mouth", False),
    (25, "Lips Part", "mouth", False),
    (26, "Jaw Drop", "jaw", False),
    (27, "Mouth Stretch", "jaw", False),
    (28, "Lip Suck", "mouth", False),
    (34, "Cheek Puff", "cheeks", False),
    (43, "Eyes Closed", "eyes", True),
    (45, "Blink", "eyes", True),
)

AU_CATALOGUE: dict[str, ActionUnit] = {
    f"AU{n}": ActionUnit(n, name, region, sided) for n, name, region, sided in _CATALOGUE_ROWS
}
AU_CHANNELS: tuple[str, ...] = tuple(ch for au in AU_CATALOGUE.values() for ch in au.channels())
CHANNEL_INDEX: dict[str, int] = {ch: i for i, ch in enumerate(AU_CHANNELS)}

_AU_PATTERN = re.compile(r"^au(\d+)([lr])?$")


def parse_au(name: str) -> tuple[ActionUnit, str | None]:
    """Parse an AU name in any common spelling.

    Args:
        name: ``"AU12"``, ``"AU01_L"``, ``"au12 left"``, ``"AU12R"``...

    Returns:
        The :class:`ActionUnit` and the side ``"L"``/``"R"`` or None.

    Raises:
        InputError: For unknown AUs, or a side on a midline AU.
    """
    match = _AU_PATTERN.match(normalize_name(name))
    if not match or f"AU{int(match.group(1))}" not in AU_CATALOGUE:
        known = ", ".join(AU_CATALOGUE)
        raise InputError(f"Unknown Action Unit {name!r}; known AUs are {known} (e.g. 'AU12_L').")
    au = AU_CATALOGUE[f"AU{int(match.group(1))}"]
    side = match.group(2).upper() if match.group(2) else None
    if side and not au.sided:
        raise InputError(f"{au.code} ({au.name}) has no left/right variant; write {au.code!r}.")
    return au, side


def expand_au(name: str, weight: float = 1.0) -> list[tuple[str, float]]:
    """Engine channels (with weights) that an AU name refers to.

    A sided AU named without a side (``"AU12"``) means both sides, each at half the weight, so a
    single shape key driven by it follows the mean of the two sides.

    Raises:
        InputError: As :func:`parse_au`.
    """
    au, side = parse_au(name)
    if side:
        return [(f"{au.code}_{side}", weight)]
    channels = au.channels()
    return [(ch, weight / len(channels)) for ch in channels]


def channel_region(channel: str) -> str:
    """The face region of an engine channel (``"AU12_L"`` -> ``"mouth"``).

    Raises:
        InputError: If the name is not an AU.
    """
    return parse_au(channel)[0].region


# --- the prototype table -------------------------------------------------------------------

PROTOTYPE_SOURCE: dict[str, str] = {
    "neutral": "",
    "happiness": "6+12",
    "sadness": "1+4+15",
    "surprise": "1+2+5B+26",
    "fear": "1+2+4+5+7+20+26",
    "anger": "4+5+7+23",
    "disgust": "9+15+16",
    "contempt": "R12A+R14A",
}
"""EMFACS-7 prototypes (Friesen & Ekman 1983) verbatim from Wikipedia, "Facial Action Coding
System", section "Emotions"."""

INTENSITY_LETTERS: dict[str, float] = {"A": 0.2, "B": 0.4, "C": 0.6, "D": 0.8, "E": 1.0}
DEFAULT_INTENSITY_LETTER = "E"
_CODE_PATTERN = re.compile(r"^([LR])?(\d+)([A-E])?$")


def parse_prototype(formula: str) -> dict[str, float]:
    """Parse a FACS formula such as ``"1+2+5B+26"`` or ``"R12A+R14A"`` into channel intensities.

    Args:
        formula: AU codes joined by ``+``; optional ``L``/``R`` prefix and A-E intensity letter.

    Returns:
        ``{channel: intensity}``; an unprefixed sided AU sets both sides.

    Raises:
        InputError: On a malformed code or an AU missing from the catalogue.
    """
    out: dict[str, float] = {}
    for raw in filter(None, (p.strip() for p in formula.split("+"))):
        match = _CODE_PATTERN.match(raw.upper())
        if not match:
            raise InputError(f"Malformed FACS code {raw!r} in {formula!r}; expected e.g. 'R12A'.")
        side, number, letter = match.groups()
        value = INTENSITY_LETTERS[letter or DEFAULT_INTENSITY_LETTER]
        au, _ = parse_au(f"AU{number}")
        targets = [f"{au.code}_{side}"] if side and au.sided else list(au.channels())
        for ch in targets:
            out[ch] = max(out.get(ch, 0.0), value)
    return out


EXPRESSION_SOURCE: dict[str, str] = {
    "neutral": "",
    "happiness": "6+10B+12+25",
    "sadness": "1+4C+15+17B+43C",
    "surprise": "1+2+5+22D+26+27A",
    "fear": "1+4C+5+20+25",
    "anger": "4+5C+7C+10D+16B+20B+25+26B",
    "disgust": "4C+6C+9+10A+15C+17C",
    "contempt": "R12A+R14A",
}
"""The faces the engine animates and the legibility readback compares against.

:data:`PROTOTYPE_SOURCE` (the cited EMFACS-7 table) codes *which* AUs an emotion involves,
mostly without intensities, and rendered as written its faces did not read: to an emotion model
trained on people the demo head showed anger, surprise and fear as neutral, and disgust bared
its lower teeth (legibility harness, issue 11). Each row here keeps the table's AUs except where
noted, adds intensity letters from Ekman & Friesen's descriptions (*Unmasking the Face*, 1975)
and, where that book or Du, Tao & Martinez (PNAS 111(15), 2014, Table 1: the AUs coded in people
posing each emotion) name them, the AUs the table leaves out. What we chose, and why:

* happiness ``6+10B+12+25``: Du et al. code lips parted (AU25) in most happy faces, and a broad
  smile lifts the upper lip off the teeth (10B); the closed smile read as neutral from the front.
* sadness ``1+4C+15+17B+43C``: the brows are drawn together (4C, not full: a full AU4 pulled
  the inner corners back down and undid AU1), and the upper lids droop (43C; *Unmasking*: in
  sadness "the upper eyelids may droop"). The chin raiser (AU17) is in Du et al.'s sad set; at
  17D it pushed the lower lip into a pout that read as neutral. Before the droop the emotion
  model read the front view at 0.6 as neutral (neutral 0.48, sadness 0.31); with it, sadness
  0.37 (neutral 0.34). The droop gives way to a raised lid in a compound (:data:`ANTAGONISTS`).
* surprise ``1+2+5+22D+26+27A``: *Unmasking*: "the white of the eye shows above the iris" and
  "the jaw drops open ... there is no tension or stretching of the mouth". The table's ``5B``
  showed no sclera (issue 11), so AU5 is full; 26 with a little 27 drops the jaw further than
  26 alone (0.8 of ``jawOpen`` instead of 0.6), and a funnel (22D, not in the table) rounds the
  relaxed mouth into the oval that tells it from fear's stretched one. With a slight funnel
  (22B) the emotion model read the front view as fear below full intensity (0.6: fear 0.39,
  surprise 0.34); with 22D, surprise 0.52 (and 0.59 at 1.0, up from 0.54). A wider jaw drop
  (27C) read more fearful, not less.
* fear ``1+4C+5+20+25``: Du et al.'s fear set (1, 4, 20, 25 with 5); AU2 is dropped
  (*Unmasking*: the fearful brows are raised *and drawn together*), and AU7 too: a full lid
  tightener closed the wide eye. The brow lowerer is moderate (4C): with 4B the brow still arched
  like surprise's (front readback: surprise 0.81 against fear 0.76). The mouth is *Unmasking*'s
  tense, drawn-back one: lips parted and stretched (25, 20), no jaw drop. With the table's 26
  (``26B``) from 3/4 the landmark model saw the jaw far better than the brow (``browInnerUp``
  0.11, ``jawOpen`` 0.18) and the readback read fear at 1.0 as surprise (0.67 against 0.56;
  26A: fear by 0.01). Without it: fear from both views at 1.0 and 0.6 (3/4: 0.82 / 0.73 against
  surprise's 0.70 / 0.57), and the emotion model's fear is 0.90 / 0.80 from the front (was
  0.69 / 0.87) and 0.49 / 0.42 from 3/4 (was 0.60 / 0.58), its top class in every view.
* anger ``4+5C+7C+10D+16B+20B+25+26B``: *Unmasking*'s open, squarish mouth of anger (upper lip
  raised, lower lip lowered, lips parted: EMFACS's ``4+5+7+10+22+23+25,26`` family) instead of
  the table's pressed lips (``23``), which read as a neutral face; the glare keeps a moderate
  5 and 7 so the stare is hard but the eye stays open. AU22/23 are left out: the lip tightener
  fights the open mouth on an ARKit rig (it maps to ``mouthPress``).
* disgust ``4C+6C+9+10A+15C+17C``: Du et al.'s disgust set (9, 10, 17 with 4; AU9 already lifts
  the upper lip 0.8 on an ARKit rig, so a trace of 10 (A) takes it to 1.0); AU16, the table's
  lower-lip depressor, bared the lower teeth at full strength and read as anger, so the lower
  lip is pushed *up* instead (17), the other variant *Unmasking* describes. The eyes follow
  *Unmasking* too: "the cheeks are raised", and "lines show below the lower lid, and the lid is
  pushed up but not tense", which is a cheek raiser (6C), not the tense lid tightener (7C) this
  row had. With 7C the legibility harness's geometric readback read the front view as happiness
  (the raised cheeks were there, from AU9, but the prototype had no AU6 to match them); with
  6C it reads disgust at 1.0 and 0.6 (similarity 0.65 / 0.66 against anger's 0.59 / 0.60). The
  emotion model reads both versions as anger (0.74 before, 0.67 after, at 1.0 from the front).

Contempt is the table's. :data:`PROTOTYPE_SOURCE` stays as cited and still feeds the AU
co-occurrence counts of :mod:`.micro` (paper 002 builds its graph from coded data, not from the
faces we choose to animate).
"""

PROTOTYPES: dict[str, dict[str, float]] = {
    name: parse_prototype(formula) for name, formula in EXPRESSION_SOURCE.items()
}


def prototype_matrix() -> np.ndarray:
    """Prototype intensities as a (7, n_channels) array in :data:`EMOTION_NAMES` order."""
    mat = np.zeros((len(EMOTION_NAMES), len(AU_CHANNELS)))
    for row, emotion in enumerate(EMOTION_NAMES):
        for ch, value in PROTOTYPES[emotion].items():
            mat[row, CHANNEL_INDEX[ch]] = value
    return mat


_PROTOTYPE_MATRIX = prototype_matrix()

# Pairs of AU groups that move the same tissue in opposite directions. The first group of each
# pair has priority: it wins a tie (see blend_matrix). The priorities follow the compound
# expressions of Du, Tao & Martinez (PNAS 111(15), 2014, Table 1): "happily disgusted" keeps AU12
# and drops disgust's AU15 (a smile survives mixing), "angrily surprised" keeps AU4 and drops
# surprise's AU1+2, and their open-mouthed compounds keep AU25/26 (no compound presses the lips).
# The upper lid cannot be raised (AU5) and drooped (AU43, sadness) at once; the raised lid having
# priority is our choice (the table has no compound with both), so "sadly surprised" stares.
ANTAGONISTS: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...] = (
    ((12,), (15,)),  # lip corners up vs down (both insert at the modiolus)
    ((4,), (1, 2)),  # brows lowered vs raised
    ((25, 26, 27), (24,)),  # lips parted / jaw dropped vs lips pressed together
    ((5,), (43,)),  # upper lid raised (surprise, fear, anger) vs drooped (sadness)
)
PRIORITY = 2.0
"""How many times its strength the priority side of an antagonist pair counts (``rho``)."""


def _side_groups(group: tuple[int, ...], side: str) -> list[int]:
    chans = []
    for number in group:
        au = AU_CATALOGUE[f"AU{number}"]
        chans.append(f"{au.code}_{side}" if au.sided else au.code)
    return [CHANNEL_INDEX[ch] for ch in dict.fromkeys(chans)]


def _antagonist_channel_pairs() -> list[tuple[list[int], list[int]]]:
    pairs = []
    for first, second in ANTAGONISTS:
        sides = ("L", "R") if any(AU_CATALOGUE[f"AU{n}"].sided for n in first + second) else ("",)
        pairs.extend((_side_groups(first, s), _side_groups(second, s)) for s in sides)
    return pairs


_ANTAGONIST_PAIRS = _antagonist_channel_pairs()


def _inhibit(contrib: np.ndarray, first: list[int], second: list[int]) -> None:
    """Apply the antagonist rule for one pair in place (see :func:`blend_matrix`)."""
    has_first = _PROTOTYPE_MATRIX[:, first].max(axis=1) > 0
    has_second = _PROTOTYPE_MATRIX[:, second].max(axis=1) > 0
    first_only = has_first & ~has_second
    second_only = has_second & ~has_first
    if not first_only.any() or not second_only.any():
        return
    s_p = contrib[:, first_only][:, :, first].max(axis=2).sum(axis=1)
    s_o = contrib[:, second_only][:, :, second].max(axis=2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        keep_p = (PRIORITY * s_p - s_o) / ((PRIORITY - 1.0) * s_p)
        keep_o = (s_o - PRIORITY * s_p) / s_o
    f_p = np.where(s_p > 0, np.clip(keep_p, 0.0, 1.0), 1.0)
    f_o = np.where(s_o > 0, np.clip(keep_o, 0.0, 1.0), 1.0)
    rows = np.arange(len(contrib))
    contrib[np.ix_(rows, np.flatnonzero(first_only), first)] *= f_p[:, None, None]
    contrib[np.ix_(rows, np.flatnonzero(second_only), second)] *= f_o[:, None, None]


SMILE_YIELDS: tuple[int, ...] = (4, 43)
"""AUs that a raised inner brow's emotion gives up to a smile in a compound (see
:func:`_yield_to_smile`)."""


def _yield_to_smile(contrib: np.ndarray, shares: np.ndarray) -> None:
    """A smile in a compound takes away the brow lowerer and lid droop of the sad brow (in place).

    Sadness and fear raise the inner brow and draw it together (1+4); sadness also droops the
    upper lid (43). Alone these read. Mixed with a smile, whose cheek raise (AU6 and the lifted
    lip corners) pushes the lower face up toward the eyes, they did not: the bittersweet face
    (happiness 0.5 + sadness 0.5) baked ``browInnerUp`` 0.75 with ``browDown`` 0.45 and the
    geometric readback of its render read the inner brow raise at 0.15 (sadness alone at 0.5:
    0.30), and with the droop the lids read half closed (``eyeBlink`` 0.32 / 0.37). Without them
    it read 0.45, about what full sadness reads (0.44), with open eyes (0.11 / 0.08) and the
    smile kept (0.61 / 0.48). Unmasking the Face (Ekman & Friesen 1975) describes blends as one
    emotion's brow with another's mouth; Du, Tao & Martinez (2014) code no compound of happiness
    with sadness or fear, so this rule is ours, fitted to that measurement.

    Each emotion whose prototype raises the inner brow (AU1) keeps
    ``clip(1 - s / c_e, 0, 1)`` of its :data:`SMILE_YIELDS` AUs per side, where ``s`` is the
    smile (AU12) that the other emotions show after the antagonist rule and ``c_e`` its own
    strength (felt share times amplitude): gone once the smile is as strong as the emotion,
    untouched while the frown has cancelled the smile (happiness 0.2 + sadness 0.8). The rule is
    continuous in the weights and leaves pure emotions alone (they have no one else's smile).

    Args:
        contrib: (E, 7, C) per-emotion AU contributions after the antagonist rule.
        shares: (E, 7) felt share times amplitude of each emotion.
    """
    raisers = _PROTOTYPE_MATRIX[:, CHANNEL_INDEX["AU1_L"]] > 0
    for side in ("L", "R"):
        smile = contrib[:, ~raisers, CHANNEL_INDEX[f"AU12_{side}"]].sum(axis=1)
        yields = [CHANNEL_INDEX[f"AU{n}_{side}"] for n in SMILE_YIELDS]
        for e in np.flatnonzero(raisers):
            with np.errstate(divide="ignore", invalid="ignore"):
                keep = np.where(shares[:, e] > 0, 1.0 - smile / shares[:, e], 1.0)
            contrib[:, e, yields] *= np.clip(keep, 0.0, 1.0)[:, None]


def felt_shares(weights: np.ndarray) -> np.ndarray:
    """How strongly each emotion of a mixture shows: its share read as a felt intensity.

    A compound is not a cross-fade. Du, Tao & Martinez (2014) code each component's AUs as
    present in the compound face, and a share of 0.5 blended linearly moved the keys half way,
    which the legibility harness showed to be too little to read even for one emotion alone
    (:func:`.curves.displacement_for_intensity`). So each share goes through the same ease-out
    as an intensity: 0.5 of happiness moves its keys as happiness felt at 0.5 does (75 %), a
    pure emotion (share 1) is unchanged, and the mapping is monotone and smooth. A trace stays a
    trace, if a larger one (0.1 moves 19 %).

    Args:
        weights: (E, 7) weight rows.

    Returns:
        (E, 7) shares in [0, 1].
    """
    return displacement_for_intensity(weights)


def blend_matrix(
    weights: np.ndarray,
    amplitudes: np.ndarray | None = None,
    intensities: np.ndarray | None = None,
) -> np.ndarray:
    """Blend prototypes for many weight vectors at once.

    Each emotion ``e`` contributes ``f(w_e) * m_e * P_e``: its felt share (:func:`felt_shares`,
    the weight eased like an intensity), amplitude and prototype.
    **Antagonists: net force with a priority side.** For each pair of opposing AU groups of
    :data:`ANTAGONISTS` (per side), emotions whose prototype contains both groups (fear's
    ``1+2+4``, sadness's ``1+4``) are left alone: the table itself licenses that co-activation.
    Among the others, the group strengths ``s_p`` (the priority group: the smile, the lowered
    brow) and ``s_o`` (sum over emotions of their strongest AU in the group) oppose each other
    like forces on the same tissue, the priority side counting :data:`PRIORITY` (``rho = 2``)
    times:

    * while ``s_p >= s_o`` the priority side keeps all of its contribution and the other side is
      cancelled, so a tie keeps a full (if, by its weight, reduced) feature instead of leaving it
      at rest: bittersweet (happiness 0.5 + sadness 0.5) smiles at its felt share 0.75 with
      sadness's raised inner brows and no frown;
    * as ``s_o`` grows from ``s_p`` to ``rho * s_p`` the priority side fades linearly to 0;
    * beyond that the other side shows its net force ``(s_o - rho * s_p) / s_o`` of its share
      (happiness 0.2 + sadness 0.8, felt 0.36 and 0.96, frowns at 0.24 and does not smile).

    Then a smile takes away the sad brow's lowerer and lid droop (:func:`_yield_to_smile`).

    The opposing features are therefore never both driven, and the rule is continuous in the
    weights (both sides are 0 where the winner changes), so blends never jump. The choice of a
    priority side is ours (the source table has no compounds); see :data:`ANTAGONISTS`.

    Args:
        weights: (E, 7) weight rows in :data:`EMOTION_NAMES` order (already validated).
        amplitudes: (7,) per-emotion amplitude ``m_e``; ones if None.
        intensities: (E,) per-row intensity ``i_v``; ones if None.

    Returns:
        (E, n_channels) AU intensities in [0, 1].
    """
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    m = np.ones(len(EMOTION_NAMES)) if amplitudes is None else np.asarray(amplitudes, float)
    shares = felt_shares(w) * m
    contrib = shares[:, :, None] * _PROTOTYPE_MATRIX[None, :, :]
    for plus, minus in _ANTAGONIST_PAIRS:
        _inhibit(contrib, plus, minus)
    _yield_to_smile(contrib, shares)
    out = contrib.sum(axis=1)
    if intensities is not None:
        out *= np.asarray(intensities, dtype=float)[:, None]
    return np.clip(out, 0.0, 1.0)


def blend_prototypes(
    weights: EmotionWeights,
    *,
    amplitudes: Mapping[str, float] | None = None,
    intensity: float = 1.0,
) -> dict[str, float]:
    """The AU intensities of one (possibly compound) emotion.

    Args:
        weights: The emotion mixture.
        amplitudes: Optional per-emotion amplitude ``m_e`` (missing emotions count as 1).
        intensity: Overall intensity ``i_v`` in [0, 1].

    Returns:
        ``{channel: intensity}`` for every channel with a non-zero value.

    Raises:
        InputError: If the intensity is outside [0, 1] or an amplitude is negative or not finite.
    """
    if not np.isfinite(intensity) or not 0.0 <= intensity <= 1.0:
        raise InputError(f"Intensity must be between 0 and 1, got {intensity}.")
    amp = amplitude_vector(amplitudes)
    row = blend_matrix(weights.as_array()[None, :], amp, np.array([intensity]))[0]
    return {AU_CHANNELS[i]: float(v) for i, v in enumerate(row) if v > 0}


def amplitude_vector(amplitudes: Mapping[str, float] | None) -> np.ndarray:
    """Per-emotion amplitudes as a (7,) array (missing names count as 1).

    Raises:
        InputError: On unknown emotions or negative / non-finite values.
    """
    out = np.ones(len(EMOTION_NAMES))
    for name, value in (amplitudes or {}).items():
        v = float(value)
        if not np.isfinite(v) or v < 0:
            raise InputError(f"Amplitude for {name!r} must be a non-negative number, got {value}.")
        out[EMOTION_NAMES.index(canonical_emotion_name(name))] = v
    return out
