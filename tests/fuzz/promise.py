"""The fuzz suite's promise checker and its tally (issue 13, section 7).

Every hostile input is one test case. It runs through the CLI in this process (``cli.run`` with
the file descriptors captured, an alarm as the hang limit) or as a real
``python -m facial_affect_addon.cli`` subprocess with a timeout and an address-space limit, and
:func:`check` asserts the promise:

- exit status 0 or 2 (``batch`` also 1: an item failed, the others ran);
- no ``Traceback`` anywhere in the output, no exception escaping ``cli.run``, and no
  ``internal error`` (the CLI's guard hides an unexpected exception's traceback in its log,
  ``FACIAL_AFFECT_LOG_DIR``, which points at a fresh folder per run; the first line reported
  then comes from that log);
- on exit 2 exactly one message line on stderr (library noise around it breaks the promise too),
  at most :data:`MAX_MESSAGE` characters;
- after a failure, no new or changed file anywhere in the case's folder;
- on a bake onto a pre-animated head, the user's keys unchanged (``lost_keys``, filled by the
  bake tests).

Each outcome goes into :data:`TALLY`; ``conftest.py`` prints the summary line at the end.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

PYTHON = sys.executable
MAX_MESSAGE = 2000
"""Longest acceptable one-line error message (a 100,000-character echo is not a message)."""
INPROCESS_TIMEOUT_S = 60
SUBPROCESS_TIMEOUT_S = 120
LOG_DIR_ENV = "FACIAL_AFFECT_LOG_DIR"
EXIT_INTERRUPTED = 130
SETPRIV = shutil.which("setpriv") or "setpriv"
MEMORY_LIMIT = 8 << 30
"""Address-space cap of every CLI subprocess: a header that lies about its length must be
refused, not allocated (the MemoryError then shows up as a traceback, not as a dead machine)."""

_BLENDER_TMP = Path(tempfile.mkdtemp(prefix="faceaff-fuzz-"))
os.chmod(_BLENDER_TMP, 0o777)
atexit.register(shutil.rmtree, _BLENDER_TMP, True)
os.environ.setdefault("BLENDER_USER_RESOURCES", str(_BLENDER_TMP / "user"))
for _var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "FACIAL_AFFECT_LLM_MODEL"):
    os.environ.pop(_var, None)


@dataclass
class Outcome:
    """What one hostile input did."""

    case: str
    kind: str
    rc: int | None = None
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    escaped: str = ""  # an exception that escaped cli.run (in process)
    hang: bool = False
    crash: bool = False
    writes: list[str] = field(default_factory=list)
    lost_keys: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    log: str = ""  # the CLI's log of this run (tracebacks, library noise)

    @property
    def internal_error(self) -> bool:
        """The CLI's or an operator's report of an unexpected exception."""
        return re.search(r"^(error: )?internal error:", self.stderr, re.MULTILINE) is not None

    @property
    def traceback(self) -> bool:
        return (
            bool(self.escaped)
            or "Traceback" in self.stdout
            or "Traceback" in self.stderr
            or self.internal_error
        )

    def first_error(self) -> str:
        """The line that names the failure: a traceback's last line, else stderr's last."""
        text = self.escaped or (self.stderr if "Traceback" in self.stderr else "")
        if not text and self.internal_error and "Traceback" in self.log:
            text = self.log[self.log.rindex("Traceback") :]
        if not text and "Traceback" in self.stdout:
            text = self.stdout
        if text:
            lines = [ln for ln in text[text.index("Traceback") :].splitlines() if ln.strip()]
            tail = [ln for ln in lines if ln and not ln.startswith((" ", "Traceback"))]
            return (tail[0] if tail else lines[-1])[:300]
        lines = [ln for ln in self.stderr.splitlines() if ln.strip()]
        lines = lines or self.stdout.strip().splitlines() or [""]
        return lines[-1][:300]


TALLY: list[Outcome] = []


# --- Files -------------------------------------------------------------------------------------


def snapshot(root: Path) -> dict[str, tuple[int, str]]:
    """Every file under ``root`` (links too): relative path -> (size, sha1 of the content)."""
    files: dict[str, tuple[int, str]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            if os.path.islink(path):
                files[rel] = (-1, os.readlink(path))
                continue
            try:
                st = os.stat(path)
                if not os.path.isfile(path):
                    files[rel] = (st.st_size, "special")
                    continue
                digest = hashlib.sha1()
                with open(path, "rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        digest.update(block)
                files[rel] = (st.st_size, digest.hexdigest())
            except OSError as exc:
                files[rel] = (-2, type(exc).__name__)
    return files


def changed_files(before: dict, after: dict) -> list[str]:
    """Files that are new or changed between two snapshots."""
    return sorted(p for p, v in after.items() if before.get(p) != v)


# --- Running the CLI ---------------------------------------------------------------------------


class _Hang(BaseException):
    """Raised by the alarm in the middle of an in-process run."""


def _alarm(signum, frame):
    raise _Hang


def run_inprocess(
    argv: list[str], capfd, watch: Path, case: str, kind: str, timeout: int = INPROCESS_TIMEOUT_S
) -> Outcome:
    """Run ``cli.run(argv)`` here, in ``watch`` as the working folder."""
    from facial_affect_addon import cli

    outcome = Outcome(case, kind)
    before = snapshot(watch)
    log_dir = Path(tempfile.mkdtemp(prefix="faceaff-fuzz-log-"))
    previous_log = os.environ.get(LOG_DIR_ENV)
    os.environ[LOG_DIR_ENV] = str(log_dir)
    capfd.readouterr()
    cwd = os.getcwd()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(timeout)
    start = time.monotonic()
    try:
        os.chdir(watch)
        outcome.rc = cli.run(list(argv))
    except SystemExit as exc:
        outcome.rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except _Hang:
        outcome.hang = True
    except KeyboardInterrupt:
        raise
    except BaseException:  # any escaping exception is the finding
        outcome.escaped = traceback.format_exc()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        os.chdir(cwd)
        if previous_log is None:
            os.environ.pop(LOG_DIR_ENV, None)
        else:
            os.environ[LOG_DIR_ENV] = previous_log
    outcome.seconds = time.monotonic() - start
    outcome.log = _read_log(log_dir)
    captured = capfd.readouterr()
    outcome.stdout, outcome.stderr = captured.out, captured.err
    outcome.writes = changed_files(before, snapshot(watch))
    return outcome


def _read_log(log_dir: Path) -> str:
    """The tail of a run's CLI log; the run's log folder is removed."""
    path = log_dir / "cli.log"
    try:
        return path.read_text("utf-8", "replace")[-20000:] if path.is_file() else ""
    except OSError:
        return ""
    finally:
        shutil.rmtree(log_dir, ignore_errors=True)


def _limits(file_size: int | None):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        if file_size is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))

    return apply


def cli_env() -> dict[str, str]:
    """The environment of a CLI subprocess: this checkout first, Blender's folders in a temp dir."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env["HOME"] = str(_BLENDER_TMP)
    return env


def _interrupt_on_output(proc: subprocess.Popen, timeout: float) -> tuple[bytes, bytes]:
    """Send SIGINT when the first stdout line arrives; return all output once it exits."""
    chunks: dict[str, list[bytes]] = {"out": [], "err": []}
    first_line = threading.Event()

    def pump(stream, key: str) -> None:
        for line in iter(stream.readline, b""):
            chunks[key].append(line)
            if key == "out":
                first_line.set()

    threads = [
        threading.Thread(target=pump, args=(proc.stdout, "out"), daemon=True),
        threading.Thread(target=pump, args=(proc.stderr, "err"), daemon=True),
    ]
    for t in threads:
        t.start()
    if first_line.wait(timeout) and proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    proc.wait(timeout=timeout)
    for t in threads:
        t.join(5)
    return b"".join(chunks["out"]), b"".join(chunks["err"])


def run_subprocess(
    argv: list[str | bytes],
    watch: Path,
    case: str,
    kind: str,
    timeout: int = SUBPROCESS_TIMEOUT_S,
    honour_permissions: bool = False,
    file_size_limit: int | None = None,
    interrupt_on_output: bool = False,
) -> Outcome:
    """Run ``python -m facial_affect_addon.cli *argv`` in ``watch`` with a timeout.

    ``honour_permissions``: when this suite runs as root, drop the capabilities that let root
    write into a read-only folder (``setpriv``), so a read-only folder is read-only to the CLI.
    ``file_size_limit``: no file may grow past this many bytes (``RLIMIT_FSIZE``), the way a
    full disk stops a write half-way. ``interrupt_on_output``: press Ctrl-C (SIGINT) as soon as
    the first line of output appears (the weights are printed just before a bake starts).
    """
    outcome = Outcome(case, kind)
    before = snapshot(watch)
    log_dir = Path(tempfile.mkdtemp(prefix="faceaff-fuzz-log-"))
    os.chmod(log_dir, 0o777)
    env = cli_env()
    env[LOG_DIR_ENV] = str(log_dir)
    cmd: list[str | bytes] = [PYTHON, "-m", "facial_affect_addon.cli", *argv]
    if honour_permissions and os.geteuid() == 0:
        cmd = [SETPRIV, "--bounding-set=-dac_override,-dac_read_search,-fowner", *cmd]
    start = time.monotonic()
    proc = subprocess.Popen(
        cmd,
        cwd=watch,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_limits(file_size_limit),
        start_new_session=True,
    )
    try:
        if interrupt_on_output:
            out, err = _interrupt_on_output(proc, timeout)
        else:
            out, err = proc.communicate(timeout=timeout)
        outcome.rc = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        outcome.hang = True
    outcome.seconds = time.monotonic() - start
    outcome.stdout = out.decode("utf-8", "replace")
    outcome.stderr = err.decode("utf-8", "replace")
    outcome.log = _read_log(log_dir)
    if outcome.rc is not None and outcome.rc < 0:
        outcome.crash = True
    outcome.writes = changed_files(before, snapshot(watch))
    return outcome


# --- The promise -------------------------------------------------------------------------------


def check(outcome: Outcome, allowed: tuple[int, ...] = (0, 2), expect: str | None = None) -> None:
    """Record the outcome and assert the promise (see the module docstring).

    Args:
        outcome: What the input did.
        allowed: Acceptable exit statuses.
        expect: ``"refuse"``: the input must be refused (exit 2), e.g. a flag that would be
            ignored; None: either is fine.
    """
    problems = outcome.problems
    if outcome.hang:
        problems.append(f"hang: no answer within the time limit ({outcome.seconds:.0f} s)")
    elif outcome.crash:
        problems.append(f"crash: killed by signal {-(outcome.rc or 0)}")
    elif outcome.rc not in allowed and not outcome.escaped:
        outcome.crash = True
        problems.append(f"crash: exit status {outcome.rc}, expected one of {allowed}")
    if outcome.traceback:
        problems.append(f"traceback: {outcome.first_error()}")
    if outcome.rc == EXIT_INTERRUPTED:
        lines = [ln for ln in outcome.stderr.splitlines() if ln.strip()]
        if len(lines) > 1:
            problems.append(f"message: {len(lines)} lines on stderr after Ctrl-C, expected 0-1")
    if outcome.rc == 2:
        lines = [ln for ln in outcome.stderr.splitlines() if ln.strip()]
        if len(lines) != 1:
            problems.append(f"message: {len(lines)} lines on stderr, expected 1")
        elif len(lines[0]) > MAX_MESSAGE:
            problems.append(f"message: {len(lines[0])} characters, over {MAX_MESSAGE}")
    if outcome.rc != 0 and outcome.writes and not (outcome.rc == 1 and 1 in allowed):
        problems.append(f"writes on error: {', '.join(outcome.writes[:5])}")
    if outcome.lost_keys:
        problems.append(f"lost keys: {', '.join(outcome.lost_keys[:5])}")
    if expect == "refuse" and outcome.rc == 0:
        problems.append("expected a refusal (exit 2), got exit 0")
    TALLY.append(outcome)
    if problems:
        detail = (outcome.stderr[-1500:] or outcome.stdout[-1500:]) if not outcome.escaped else ""
        pytest.fail(
            "\n".join(problems)
            + f"\n--- first error line: {outcome.first_error()}"
            + (f"\n--- escaped:\n{outcome.escaped[-2500:]}" if outcome.escaped else "")
            + (f"\n--- output tail:\n{detail}" if detail else ""),
            pytrace=False,
        )


def check_api(case: str, kind: str, call) -> None:
    """An importer called directly: it returns, or raises one FacialAffectError of one line."""
    from facial_affect_addon.core.errors import FacialAffectError

    outcome = Outcome(case, kind)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(INPROCESS_TIMEOUT_S)
    start = time.monotonic()
    try:
        call()
        outcome.rc = 0
    except FacialAffectError as exc:
        outcome.rc = 2
        outcome.stderr = f"error: {exc}\n"
    except _Hang:
        outcome.hang = True
    except KeyboardInterrupt:
        raise
    except BaseException:
        outcome.escaped = traceback.format_exc()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    outcome.seconds = time.monotonic() - start
    check(outcome)


# --- Cases -------------------------------------------------------------------------------------


def case_id(i: int, label: str) -> str:
    """A short, printable test id."""
    text = "".join(c if c.isascii() and (c.isalnum() or c in "-_.=") else "_" for c in label)
    return f"{i:03d}-{text[:40]}"


# --- Summary -----------------------------------------------------------------------------------


def summary() -> dict:
    """The counts over every recorded input."""
    return {
        "inputs": len(TALLY),
        "crashes": sum(o.crash for o in TALLY),
        "tracebacks": sum(o.traceback for o in TALLY),
        "hangs": sum(o.hang for o in TALLY),
        "writes_on_error": sum(bool(o.writes) and o.rc not in (0, 1) for o in TALLY),
        "lost_keys": sum(bool(o.lost_keys) for o in TALLY),
        "unclear_messages": sum(any(p.startswith("message") for p in o.problems) for o in TALLY),
        "missed_refusals": sum(any(p.startswith("expected") for p in o.problems) for o in TALLY),
    }


def summary_line(s: dict) -> str:
    return (
        f"fuzz: {s['inputs']} inputs, {s['crashes']} crashes, {s['tracebacks']} tracebacks, "
        f"{s['hangs']} hangs, {s['writes_on_error']} writes on error, {s['lost_keys']} lost keys"
        f" ({s['unclear_messages']} unclear messages, {s['missed_refusals']} missed refusals)"
    )


def by_kind() -> dict[str, dict[str, float]]:
    """Inputs, failing inputs and seconds spent, per class of input."""
    kinds: dict[str, dict[str, float]] = {}
    for o in TALLY:
        k = kinds.setdefault(o.kind, {"inputs": 0, "failing": 0, "seconds": 0.0})
        k["inputs"] += 1
        k["failing"] += bool(o.problems)
        k["seconds"] += o.seconds
    for k in kinds.values():
        k["seconds"] = round(k["seconds"], 1)
    return kinds
