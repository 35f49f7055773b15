"""``cli text "..." --bake`` onto a ReadyPlayerMe-style head with Oculus ``viseme_*`` keys.

Issue 17 §2. The head is the demo head with its 52 ARKit keys kept and 15 ``viseme_*`` keys
added, each sculpted (``from_mix``) from our ARKit target of that viseme, as ReadyPlayerMe and
Avaturn heads carry both.
The phone times come from the run's own JSON. Every bilabial must raise ``viseme_PP`` and leave
the other visemes and the ARKit jaw low; the vowels drive their own viseme keys.
"""

from __future__ import annotations

import bpy
import numpy as np

from facial_affect_addon.core.visemes import ARKIT_TARGETS, VISEMES

from .helpers import evaluate, fcurve_for, replace_keys_with_mixes
from .test_lipsync_bake import BILABIALS, _bake_line, _frames

RPM_NAMES = {"ih": "I", "oh": "O", "ou": "U"}  # ReadyPlayerMe's spelling of three visemes
KEYS = [f"viseme_{RPM_NAMES.get(v, v)}" for v in VISEMES]


def _rpm_head_file(path) -> None:
    """Save the demo head with ``viseme_*`` keys added beside its ARKit keys to ``path``."""
    from tests.blender.conftest import DEMO_HEAD

    bpy.ops.wm.open_mainfile(filepath=str(DEMO_HEAD))
    mixes = {key: dict(ARKIT_TARGETS[v]) for v, key in zip(VISEMES, KEYS, strict=True)}
    replace_keys_with_mixes(bpy.data.objects["DemoHead"], mixes, drop=())
    bpy.ops.wm.save_as_mainfile(filepath=str(path))


def test_cli_text_bake_speaks_with_a_readyplayerme_heads_viseme_keys(tmp_path, clean_scene):
    _rpm_head_file(tmp_path / "rpm.blend")
    doc, head, take, fps = _bake_line(
        tmp_path, "--head", str(tmp_path / "rpm.blend"), "--object", "DemoHead"
    )
    assert "viseme_PP" in head.data.shape_keys.key_blocks
    shut = _frames(doc, fps, BILABIALS)
    assert len(shut) == 8
    pp = evaluate(fcurve_for(take, "viseme_PP"), shut)
    assert (pp > 0.6).all(), pp
    others = np.max([evaluate(fcurve_for(take, k), shut) for k in KEYS if k != "viseme_PP"], 0)
    assert (others < 0.25).all(), others
    jaw = fcurve_for(take, "jawOpen")  # the ARKit jaw carries only the emotion, sealed on a p
    assert jaw is None or (evaluate(jaw, shut) < 0.15).all()
    for symbols, key in (({"AE"}, "viseme_aa"), ({"IY"}, "viseme_I"), ({"OW"}, "viseme_O")):
        frames = _frames(doc, fps, symbols)[:1]
        assert frames, symbols
        own = evaluate(fcurve_for(take, key), frames)
        rest = np.max([evaluate(fcurve_for(take, k), frames) for k in KEYS if k != key], 0)
        assert (own > 0.35).all() and (own > rest).all(), (key, own, rest)
    smile = evaluate(fcurve_for(take, "mouthSmileLeft"), _frames(doc, fps, {"AE", "EY"}))
    assert smile.max() > 0.2  # the happy line keeps its smile on the ARKit keys
