"""The fuzz suite (issue 13, item 7): hundreds of hostile inputs, each its own test case, through
the CLI (in process and as real subprocesses), every importer, the Blender operators that read
files or stored analyses, and bakes onto corrupt and pre-animated heads.

Run it with ``.venv/bin/python -m pytest -q tests/fuzz`` (part of ``make test``); it ends with
``fuzz: N inputs, C crashes, T tracebacks, H hangs, W writes on error, L lost keys`` and writes
every failing input to ``out/fuzz_summary.json``. The promise it checks is in ``promise.py``.
"""
