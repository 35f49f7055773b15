"""Run every benchmark in ``bench/`` and write ``out/bench.json``.

Each ``bench/bench_*.py`` module defines ``run() -> list[dict]`` returning entries
``{"name", "value", "unit", "baseline", "ratio"}`` (extra keys such as ``"note"`` are kept);
``value``, ``baseline`` and ``ratio`` are null where a runtime or peer could not run (the note
says why), never a made-up number.
The baseline of every entry is measured in the same run (or is a published figure the entry
names). Benchmarks print nothing; this script prints the table.

Usage: ``python bench/run.py [--out out/bench.json] [--only bake,curves]``
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import traceback
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
ORDER = ("bake", "curves", "speech", "video", "video_memory", "runtime")


def discover(only: set[str] | None) -> list[str]:
    """Benchmark module names, the issue's order first, then the rest alphabetically."""
    names = [p.stem.removeprefix("bench_") for p in sorted(BENCH_DIR.glob("bench_*.py"))]
    names.sort(key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))
    return [n for n in names if only is None or n in only]


def _number(value: float | None, spec: str) -> str:
    """A table cell; null (a peer or runtime that could not run) shows as "skip"."""
    return "skip" if value is None else format(value, spec)


def format_table(entries: list[dict]) -> str:
    """The entries as an aligned text table."""
    rows = [("name", "value", "unit", "baseline", "ratio")]
    for e in entries:
        rows.append(
            (
                e["name"],
                _number(e["value"], ".4g"),
                e["unit"],
                _number(e["baseline"], ".4g"),
                _number(e["ratio"], ".3g"),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    notes = [f"  {e['name']}: {e['note']}" for e in entries if e.get("note")]
    return "\n".join(lines + (["notes:", *notes] if notes else []))


def main() -> int:
    """Run the benchmarks and write the JSON list."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "out" / "bench.json")
    parser.add_argument("--only", default="", help="comma-separated subset, e.g. bake,curves")
    args = parser.parse_args()
    sys.path[:0] = [str(REPO), str(BENCH_DIR)]
    only = {s.strip() for s in args.only.split(",") if s.strip()} or None
    entries: list[dict] = []
    failed = []
    for name in discover(only):
        try:
            entries.extend(importlib.import_module(f"bench_{name}").run())
        except Exception:  # one broken benchmark must not hide the others' numbers
            failed.append(name)
            traceback.print_exc()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(entries, indent=2) + "\n")
    print(format_table(entries))
    print(f"wrote {args.out}")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
