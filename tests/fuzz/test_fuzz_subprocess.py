"""Hostile inputs through real ``python -m facial_affect_addon.cli`` processes, with a timeout
(a timeout is a hang) and an 8 GiB address-space limit.

- a sample of the in-process cases, to check that the real process keeps the same promise;
- what only a process can meet: undecodable bytes in ``argv``, WAV headers that lie about their
  length, FIFOs and endless devices as inputs, read-only output folders (run as ``nobody`` when
  the suite runs as root);
- head files: corrupt, empty, not a .blend, no mesh, no shape keys, odd key names, no camera with
  ``--png``, a missing object, and five kinds of pre-animated heads, whose user keys the bake must
  leave exactly as they were (read back with ``blend_tool.py keys``).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

from .generators import (
    corrupt,
    garbage,
    gzip_bytes,
    noise,
    png_bytes,
    tone,
    wav_bytes,
    write_bytes,
    write_sf,
)
from .promise import EXIT_INTERRUPTED, PYTHON, REPO, Outcome, check, cli_env, run_subprocess
from .test_fuzz_cli import _NEEDS_BAKE, AUDIO, VIDEO, _manifest, _prepare_outputs

BLEND_TOOL = Path(__file__).with_name("blend_tool.py")
DEMO_HEAD = REPO / "models" / "demo_head.blend"
BAKE = ["--bake", "out/b.blend", "--json", "out/r.json"]


def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(name.encode()))


# --- a sample of the in-process cases ------------------------------------------------------------

SAMPLE = [
    ("text-plain", lambda d: ["text", "I can't believe you did that!"]),
    ("text-surrogates", lambda d: ["text", "caf\udce9 \udcff angry"]),
    ("text-dash", lambda d: ["text", "-hello there"]),
    ("emotion-1e308", lambda d: ["emotion", "happiness=1e308"]),
    ("emotion-unknown-100k", lambda d: ["emotion", "x" * 100_000]),
    ("option-seed-negative", lambda d: ["emotion", "anger", "--seed", "-1"]),
    ("option-png-without-bake", lambda d: ["emotion", "anger", "--png", "out/p.png"]),
    ("audio-m4a-truncated", lambda d: ["audio", str(AUDIO["m4a-truncated"](d, _rng("a")))]),
    ("audio-webm-garbage", lambda d: ["audio", str(AUDIO["webm-ebml-garbage"](d, _rng("b")))]),
    ("audio-tone-3s", lambda d: ["audio", str(AUDIO["wav-tone-3s"](d, _rng("e")))]),
    ("video-noise", lambda d: ["video", str(VIDEO["mp4-noise-h264-320"](d, _rng("f")))]),
    ("video-0-frames", lambda d: ["video", str(VIDEO["mp4-0-frames"](d, _rng("g")))]),
    ("video-header-1KB", lambda d: ["video", str(VIDEO["mp4-header-1KB"](d, _rng("h")))]),
    ("video-face-capture", lambda d: ["video", str(VIDEO["mp4-face"](d, _rng("j"))), "--capture"]),
    (
        "batch-json-deep",
        lambda d: ["batch", str(_manifest(d.parent, "json-deep")), "--out", "out/b"],
    ),
    (
        "batch-scheduler-refused",
        lambda d: [
            "batch",
            str(_manifest(d.parent, "csv-seed-negative")),
            "--out",
            "out/b",
            "--scheduler",
            "tcp://127.0.0.1:9",
        ],
    ),
    ("no-command", lambda d: []),
    ("unknown-command", lambda d: ["dance"]),
]


@pytest.mark.parametrize("make", [m for _, m in SAMPLE], ids=[k for k, _ in SAMPLE])
def test_sample_as_subprocess(make, case_dir, request):
    argv = make(case_dir / "in")
    if argv and argv[0] != "batch":
        argv = [*argv, "--json", "out/r.json"]
    allowed = (0, 1, 2) if argv and argv[0] == "batch" else (0, 2)
    outcome = run_subprocess(argv, case_dir, request.node.name, "subprocess")
    check(outcome, allowed=allowed)


# --- undecodable bytes in argv -------------------------------------------------------------------

BYTES_ARGV = {
    "text-latin1-bytes": [b"text", b"caf\xe9 \xff\xfe angry"],
    "emotion-bytes": [b"emotion", b"happiness=\xff\xfe"],
    "json-path-bytes": [b"emotion", b"anger", b"--json", b"out/r\xff.json"],
    "take-bytes": [b"emotion", b"anger", b"--take", b"t\xff"],
}


@pytest.mark.parametrize("name", list(BYTES_ARGV))
def test_undecodable_argv(name, case_dir, request):
    argv = BYTES_ARGV[name]
    if b"--json" not in argv:
        argv = [*argv, b"--json", b"out/r.json"]
    check(run_subprocess(argv, case_dir, request.node.name, "argv-bytes"))


def test_audio_file_name_not_utf8(case_dir, request):
    path = os.fsencode(case_dir / "in") + b"/caf\xe9.wav"
    Path(os.fsdecode(path)).write_bytes(wav_bytes(np.zeros(8000)))
    check(run_subprocess([b"audio", path], case_dir, request.node.name, "argv-bytes"))


# --- inputs that could allocate without bound, or block ------------------------------------------

LYING = {
    "wav-rate-1Hz": lambda d, r: write_bytes(d / "a.wav", wav_bytes(noise(r, 1.0), rate=1)),
    "wav-rate-8Hz": lambda d, r: write_bytes(d / "a.wav", wav_bytes(noise(r, 1.0), rate=8)),
    "wav-rate-4G": lambda d, r: write_bytes(d / "a.wav", wav_bytes(noise(r, 1.0), rate=0xFFFFFFFF)),
    "wav-rate-1Hz-size-4GB": lambda d, r: write_bytes(
        d / "a.wav", wav_bytes(noise(r, 1.0), rate=1, data_size=0xFFFFFFF0)
    ),
    "wav-10min-silence-8kHz": lambda d, r: write_bytes(
        d / "a.wav", wav_bytes(np.zeros(8000 * 600), rate=8000)
    ),
    "wav-20s-tone": lambda d, r: write_bytes(d / "a.wav", wav_bytes(tone(20.0))),
    "flac-rate-1Hz": lambda d, r: write_sf(d / "a.flac", noise(r, 1.0, 16000)[:4000], 1, "FLAC"),
}


@pytest.mark.parametrize("name", list(LYING))
def test_audio_that_lies_about_its_length(name, case_dir, request):
    path = LYING[name](case_dir / "in", _rng(name))
    argv = ["audio", str(path), "--json", "out/r.json"]
    expect = "refuse" if name in ("wav-20s-tone", "wav-10min-silence-8kHz") else None
    outcome = run_subprocess(argv, case_dir, request.node.name, "audio-lying", timeout=150)
    check(outcome, expect=expect)


ENDLESS = {
    "audio-fifo": ("audio", "fifo.wav"),
    "video-fifo": ("video", "fifo.mp4"),
    "audio-dev-zero": ("audio", "/dev/zero"),
    "video-dev-urandom": ("video", "/dev/urandom"),
    "batch-fifo": ("batch", "fifo.csv"),
}


@pytest.mark.parametrize("name", list(ENDLESS))
def test_endless_input(name, case_dir, request):
    command, target = ENDLESS[name]
    path = Path(target)
    if not path.is_absolute():
        path = case_dir / "in" / target
        os.mkfifo(path)
    argv = [
        command,
        str(path),
        *(["--out", "out/b"] if command == "batch" else ["--json", "out/r.json"]),
    ]
    check(
        run_subprocess(argv, case_dir, request.node.name, "endless", timeout=60),
        allowed=(0, 1, 2),
    )


# --- read-only output folders --------------------------------------------------------------------

READ_ONLY = {
    "json-in-read-only": ["emotion", "happiness", "--json", "ro/r.json"],
    "bake-in-read-only": ["emotion", "happiness", "--bake", "ro/b.blend"],
    "json-read-only-after-bake": [
        "emotion",
        "happiness",
        "--bake",
        "ok/b.blend",
        "--json",
        "ro/r.json",
    ],
    "png-read-only-after-bake": [
        "emotion",
        "happiness",
        "--bake",
        "ok/b.blend",
        "--png",
        "ro/p.png",
    ],
    "batch-out-read-only": ["batch", "m.csv", "--out", "ro/batch", "--no-bake"],
}


@pytest.mark.parametrize("name", list(READ_ONLY))
def test_read_only_output(name, case_dir, request):
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: a read-only folder cannot be made")
    (case_dir / "ro").mkdir()
    (case_dir / "ok").mkdir()
    (case_dir / "m.csv").write_text("text\nhello there\n")
    (case_dir / "ro").chmod(0o555)
    try:
        outcome = run_subprocess(
            READ_ONLY[name],
            case_dir,
            request.node.name,
            "output-read-only",
            honour_permissions=True,
        )
    finally:
        (case_dir / "ro").chmod(0o755)
    check(outcome, allowed=(0, 1, 2) if name.startswith("batch") else (0, 2), expect="refuse")


@pytest.mark.parametrize("name", sorted(_NEEDS_BAKE))
def test_bake_output_path(name, case_dir, request):
    """The output paths of ``test_fuzz_cli.py`` that need a real bake to reach the save."""
    argv = ["emotion", "happiness", *_prepare_outputs(case_dir, name)]
    check(run_subprocess(argv, case_dir, request.node.name, "output-paths"), expect="refuse")


# --- a disk that fills up half-way through a write (RLIMIT_FSIZE) -------------------------------

DISK_FULL = {
    "json-over-512-bytes": (["emotion", "happiness", "--json", "out/r.json"], 512),
    "blend-over-64KB": (["emotion", "happiness", "--bake", "out/b.blend"], 64 << 10),
    "blend-ok-json-over-1KB": (
        ["emotion", "happiness", "--bake", "out/b.blend", "--json", "out/r.json"],
        1 << 10,
    ),
    "batch-summary-over-1KB": (["batch", "in/m.csv", "--out", "out/b", "--no-bake"], 1 << 10),
}


@pytest.mark.parametrize("name", list(DISK_FULL))
def test_disk_full(name, case_dir, request):
    argv, limit = DISK_FULL[name]
    (case_dir / "in" / "m.csv").write_text("text\nhello there\nhow are you\n")
    outcome = run_subprocess(argv, case_dir, request.node.name, "disk-full", file_size_limit=limit)
    batch = argv[0] == "batch"
    check(outcome, allowed=(0, 1, 2) if batch else (0, 2), expect=None if batch else "refuse")


# --- Ctrl-C half-way -----------------------------------------------------------------------------

INTERRUPTS = {
    "emotion-bake": ["emotion", "happiness", "--bake", "out/b.blend", "--json", "out/r.json"],
    "text-bake-png": ["text", "Oh wow!", "--bake", "out/b.blend", "--png", "out/p.png"],
}


@pytest.mark.parametrize("name", list(INTERRUPTS))
def test_interrupted(name, case_dir, request):
    """Ctrl-C as the bake starts (right after the weights are printed): exit 130 (or 0/2 if it
    was done or failed first), at most one line, no traceback, no file left behind."""
    outcome = run_subprocess(
        INTERRUPTS[name], case_dir, request.node.name, "interrupt", interrupt_on_output=True
    )
    check(outcome, allowed=(0, 2, EXIT_INTERRUPTED))


# --- head files ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def heads(tmp_path_factory) -> Path:
    """Every hostile head file, built once (Blender-made ones by ``blend_tool.py make``)."""
    d = tmp_path_factory.mktemp("heads")
    proc = subprocess.run(
        [PYTHON, str(BLEND_TOOL), "make", str(DEMO_HEAD), str(d)],
        env=cli_env(),
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    rng = np.random.default_rng(1313)
    demo = DEMO_HEAD.read_bytes()
    raw = (d / "uncompressed.blend").read_bytes()
    write_bytes(d / "empty.blend", b"")
    write_bytes(d / "text.blend", b"this is not a blend file\n" * 40)
    write_bytes(d / "png.blend", png_bytes(rng))
    write_bytes(d / "compressed_half.blend", demo[: len(demo) // 2])
    write_bytes(d / "header_only.blend", raw[:12])
    write_bytes(d / "uncompressed_half.blend", raw[: len(raw) // 2])
    write_bytes(d / "magic_garbage.blend", b"BLENDER-v405" + garbage(rng, 20000))
    write_bytes(d / "zstd_garbage.blend", b"\x28\xb5\x2f\xfd" + garbage(rng, 20000))
    write_bytes(d / "gzip_garbage.blend", gzip_bytes(garbage(rng, 20000)))
    for i in range(3):
        shutil.copy(d / "uncompressed.blend", d / f"flipped{i}.blend")
        corrupt(d / f"flipped{i}.blend", np.random.default_rng(100 + i), n=32, skip=4096)
    return d


HEADS = [
    "empty",
    "text",
    "png",
    "compressed_half",
    "uncompressed_half",
    "magic_garbage",
    "zstd_garbage",
    "flipped0",
    "flipped1",
    "no_mesh",
    "no_shape_keys",
    "only_basis",
    "odd_keys",
]
PREANIMATED = [
    "preanim_shape_keys",
    "preanim_object_and_keys",
    "preanim_nla",
    "preanim_take_name_clash",
    "preanim_fake_user",
]


@functools.cache
def _head_keys(path: Path) -> str:
    """The keys of a (never changing) source head, read once."""
    return json.dumps(_keys(path))


def _keys(path: Path) -> dict:
    proc = subprocess.run(
        [PYTHON, str(BLEND_TOOL), "keys", str(path)],
        env=cli_env(),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])


def _lost_keys(before: dict, after: dict) -> list[str]:
    """The user's actions whose keys are not found, unchanged, in the baked file."""
    kept = {json.dumps(curves) for curves in after.values()}
    return [name for name, curves in before.items() if json.dumps(curves) not in kept]


def _bake_case(
    heads: Path,
    case_dir: Path,
    head: str,
    argv: list[str],
    case: str,
    kind: str,
    expect: str | None = None,
) -> Outcome:
    src = heads / f"{head}.blend"
    path = case_dir / "in" / f"{head}.blend"
    shutil.copy(src, path)
    digest = path.read_bytes()
    outcome = run_subprocess([*argv, "--head", str(path), *BAKE], case_dir, case, kind)
    if path.read_bytes() != digest:
        outcome.lost_keys.append(f"the head file {path.name} itself was modified")
    if head.startswith("preanim") and outcome.rc == 0 and (case_dir / "out" / "b.blend").is_file():
        before = json.loads(_head_keys(src))
        outcome.lost_keys += _lost_keys(before, _keys(case_dir / "out" / "b.blend"))
    check(outcome, expect=expect)
    return outcome


@pytest.mark.parametrize("head", HEADS)
def test_hostile_head(head, heads, case_dir, request):
    _bake_case(
        heads,
        case_dir,
        head,
        ["emotion", "happiness", "--duration", "2"],
        request.node.name,
        "head-files",
    )


@pytest.mark.parametrize("head", PREANIMATED)
def test_bake_keeps_the_users_keys(head, heads, case_dir, request):
    outcome = _bake_case(
        heads,
        case_dir,
        head,
        ["emotion", "happiness", "--duration", "2"],
        request.node.name,
        "preanimated",
    )
    assert outcome.rc == 0, outcome.stderr


PREANIM_VARIANTS = {
    "text-onto-keys": ("preanim_shape_keys", ["text", "Oh no, not again."]),
    "sparse-onto-nla": ("preanim_nla", ["emotion", "anger", "--duration", "2", "--sparse"]),
    "take-named-like-user-action": (
        "preanim_take_name_clash",
        ["emotion", "fear", "--duration", "2", "--take", "Affect"],
    ),
    "take-user-spare-name": (
        "preanim_fake_user",
        ["emotion", "fear", "--duration", "2", "--take", "UserSpare"],
    ),
    "take-quotes-slashes": (
        "preanim_shape_keys",
        ["emotion", "fear", "--duration", "2", "--take", 'a"b/c\\d'],
    ),
    "object-missing": (
        "preanim_shape_keys",
        ["emotion", "anger", "--duration", "2", "--object", "Nope"],
    ),
    "png-without-camera": (
        "no_camera",
        ["emotion", "anger", "--duration", "2", "--png", "out/p.png"],
    ),
}


@pytest.mark.parametrize("name", list(PREANIM_VARIANTS))
def test_bake_variant(name, heads, case_dir, request):
    head, argv = PREANIM_VARIANTS[name]
    expect = "refuse" if name == "png-without-camera" else None
    _bake_case(heads, case_dir, head, argv, request.node.name, "bake-options", expect=expect)


def test_head_is_a_directory(case_dir, request):
    (case_dir / "in" / "h.blend").mkdir()
    argv = ["emotion", "anger", "--head", "in/h.blend", *BAKE]
    check(run_subprocess(argv, case_dir, request.node.name, "head-files"))


def test_batch_bake_with_a_garbage_head(case_dir, request):
    write_bytes(case_dir / "in" / "h.blend", b"BLENDER-v405" + garbage(_rng("h"), 5000))
    write_bytes(
        case_dir / "in" / "m.json",
        b'[{"text": "Hello there!", "take": "good"},'
        b' {"text": "So angry now.", "take": "bad", "head": "h.blend"}]',
    )
    argv = ["batch", "in/m.json", "--out", "out/b"]
    outcome = run_subprocess(argv, case_dir, request.node.name, "batch-bake")
    check(outcome, allowed=(0, 1, 2))
    assert outcome.rc == 1, outcome.stderr


def test_capture_bake_keeps_the_users_keys(heads, case_dir, request):
    """A face video's own expression (--capture) baked onto a pre-animated head."""
    video = VIDEO["mp4-face"](case_dir / "in", _rng("face"))
    _bake_case(
        heads,
        case_dir,
        "preanim_shape_keys",
        ["video", str(video), "--capture"],
        request.node.name,
        "preanimated",
    )


def test_batch_bake_keeps_the_users_keys(heads, case_dir, request):
    """A batch item baked onto a pre-animated head keeps the user's keys in its .blend."""
    head = case_dir / "in" / "preanim_nla.blend"
    shutil.copy(heads / "preanim_nla.blend", head)
    manifest = case_dir / "in" / "m.json"
    manifest.write_text(
        json.dumps([{"text": "Well, hello there!", "take": "t1", "head": str(head)}])
    )
    outcome = run_subprocess(
        ["batch", str(manifest), "--out", "out/b"], case_dir, request.node.name, "preanimated"
    )
    baked = case_dir / "out" / "b" / "t1.blend"
    if outcome.rc == 0 and baked.is_file():
        before = json.loads(_head_keys(heads / "preanim_nla.blend"))
        outcome.lost_keys += _lost_keys(before, _keys(baked))
    check(outcome, allowed=(0, 1, 2))
    assert outcome.rc == 0 and baked.is_file(), outcome.stderr


DEMO = {
    "out-is-a-file": lambda d: ["demo", "--out", str(write_bytes(d / "out" / "f", b"x"))],
    "text-surrogates": lambda d: ["demo", "--out", "out/demo", "--text", "hi \udcff there"],
    "text-empty": lambda d: ["demo", "--out", "out/demo", "--text", ""],
    "text-20k-line": lambda d: ["demo", "--out", "out/demo", "--text", "la " * 10_000],
}


@pytest.mark.parametrize("name", list(DEMO))
def test_demo_command(name, case_dir, request):
    argv = DEMO[name](case_dir)
    check(run_subprocess(argv, case_dir, request.node.name, "demo"))


# --- rig profiles: cli rig suggest on hostile heads, --profile with hostile files -----------------

SUGGEST_HEADS = ["empty", "compressed_half", "flipped0", "no_mesh", "no_shape_keys", "odd_keys"]


@pytest.mark.parametrize("head", SUGGEST_HEADS)
def test_rig_suggest(head, heads, case_dir, request):
    path = case_dir / "in" / f"{head}.blend"
    shutil.copy(heads / f"{head}.blend", path)
    argv = ["rig", "suggest", "--head", str(path), "--out", "out/p.json"]
    check(run_subprocess(argv, case_dir, request.node.name, "rig-suggest"))


SUGGEST_ARGS = {
    "out-is-a-directory": lambda d: ["--out", str(_mkdir(d / "out" / "p.json"))],
    "out-parent-is-file": lambda d: ["--out", str(write_bytes(d / "out" / "f", b"x")) + "/p.json"],
    "object-missing": lambda d: ["--out", "out/p.json", "--object", "Nope"],
    "object-camera": lambda d: ["--out", "out/p.json", "--object", "DemoCamera"],
    "head-missing": lambda d: ["--out", "out/p.json", "--head", "in/missing.blend"],
}


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


@pytest.mark.parametrize("name", list(SUGGEST_ARGS))
def test_rig_suggest_arguments(name, case_dir, request):
    args = SUGGEST_ARGS[name](case_dir)
    head = [] if "--head" in args else ["--head", str(DEMO_HEAD)]
    argv = ["rig", "suggest", *head, *args]
    check(run_subprocess(argv, case_dir, request.node.name, "rig-suggest"), expect="refuse")


def _profile_files() -> dict[str, bytes]:
    from .test_fuzz_importers import MUTATED, PROFILE, RAW

    raw = ["empty", "null", "nan-literal", "int-5000-digits", "binary", "latin1", "dup-keys"]
    files = {f"raw-{k}": RAW[k] for k in raw}
    files["valid"] = json.dumps(PROFILE).encode()
    files["deep"] = RAW["deep-lists-100k"]
    for reader, case, text in MUTATED:
        if reader == "profile" and len(files) < 11:
            files[case] = text.encode("utf-8", "surrogatepass")
    return files


PROFILE_FILES = _profile_files()


@pytest.mark.parametrize("name", list(PROFILE_FILES))
def test_profile_option(name, case_dir, request):
    path = write_bytes(case_dir / "in" / "p.json", PROFILE_FILES[name])
    argv = ["emotion", "happiness", "--duration", "2", "--profile", str(path), *BAKE]
    check(run_subprocess(argv, case_dir, request.node.name, "profile-option"))


GENERATE = {
    "head-empty": ("empty", "DemoHead", "out/g.blend"),
    "head-no-mesh": ("no_mesh", "DemoHead", "out/g.blend"),
    "object-missing": ("no_shape_keys", "Nope", "out/g.blend"),
    "out-parent-is-file": ("no_shape_keys", "DemoHead", "in/no_shape_keys.blend/g.blend"),
}


@pytest.mark.parametrize("name", list(GENERATE))
def test_rig_generate(name, heads, case_dir, request):
    head, obj, out = GENERATE[name]
    path = case_dir / "in" / f"{head}.blend"
    shutil.copy(heads / f"{head}.blend", path)
    argv = ["rig", "generate", "--head", str(path), "--object", obj, "--out", out]
    outcome = run_subprocess(argv, case_dir, request.node.name, "rig-generate")
    check(outcome, expect="refuse")
