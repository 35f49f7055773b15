"""Batch manifests' ``profile`` column (issue 14): a JSON rig profile for that item's bake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from facial_affect_addon.core.errors import InputError
from facial_affect_addon.core.rig_profile import RigProfile, save_profile
from facial_affect_addon.pipeline import batch
from facial_affect_addon.pipeline.batch_manifest import load_manifest

LINE = "[happiness] Oh, it's you! Come in."


def _profile(tmp_path):
    profile = RigProfile.from_mapping(
        "cc4", {"Mouth_Smile_L": {"mouthSmileLeft": 1.0}}, key_gains={"Mouth_Smile_L": 0.5}
    )
    (tmp_path / "profiles").mkdir()
    save_profile(profile, tmp_path / "profiles" / "cc4.json")
    return profile


def test_csv_and_json_manifests_read_the_profile_column(tmp_path):
    _profile(tmp_path)
    (tmp_path / "m.csv").write_text(
        f'text,take,profile\n"{LINE}",a,profiles/cc4.json\n"{LINE}",b,\n'
    )
    (tmp_path / "m.json").write_text(
        json.dumps(
            [
                {"text": LINE, "take": "a", "profile": "profiles/cc4.json"},
                {"text": LINE, "take": "b"},
            ]
        )
    )
    items = load_manifest(tmp_path / "m.csv")
    assert items == load_manifest(tmp_path / "m.json")
    assert items[0].profile == str((tmp_path / "profiles" / "cc4.json").resolve())
    assert items[1].profile is None


def test_the_baker_gets_the_items_profile_through_the_checked_loader(tmp_path, monkeypatch):
    monkeypatch.setenv("FACIAL_AFFECT_LOG_DIR", str(tmp_path / "logs"))
    profile = _profile(tmp_path)
    (tmp_path / "m.json").write_text(
        json.dumps(
            [
                {"text": LINE, "take": "a", "profile": "profiles/cc4.json"},
                {"text": LINE, "take": "b"},
            ]
        )
    )
    seen = {}

    def baker(performance, job):
        seen[job.take] = batch.job_profile(job.profile)
        Path(job.out_blend).write_bytes(b"baked")
        return {"warnings": []}

    config = batch.BatchConfig(str(tmp_path / "out"), baker)
    for item in load_manifest(tmp_path / "m.json"):
        assert batch.run_item(item, config).status == "ok"
    assert seen["a"].to_dict() == profile.to_dict()
    assert seen["b"] is None


@pytest.mark.parametrize(
    "content", [b"{not json", b'{"schema_version": 1, "name": "x", "keys": {}}']
)
def test_a_bad_profile_fails_its_item_in_one_line_before_the_analysis(
    tmp_path, content, monkeypatch
):
    monkeypatch.setenv("FACIAL_AFFECT_LOG_DIR", str(tmp_path / "logs"))
    (tmp_path / "bad.json").write_bytes(content)
    (tmp_path / "m.json").write_text(json.dumps([{"text": LINE, "profile": "bad.json"}]))
    monkeypatch.setattr(batch, "run_analysis", lambda *a: pytest.fail("analysed a doomed item"))
    item = load_manifest(tmp_path / "m.json")[0]
    result = batch.run_item(item, batch.BatchConfig(str(tmp_path / "out"), lambda p, j: {}))
    assert result.status == "failed" and "bad.json" in result.error and "\n" not in result.error


def test_profile_with_capture_is_refused_when_the_manifest_loads(tmp_path):
    (tmp_path / "m.json").write_text(
        json.dumps([{"video": "v.mp4", "capture": True, "profile": "p.json"}])
    )
    with pytest.raises(InputError, match="profile is not used with capture"):
        load_manifest(tmp_path / "m.json")
