"""Writing the expressiveness report's files: ``report.json``, the PNG plots, the peak-frame
thumbnails of a video (:mod:`.report_thumbs`) and ``report.html``, all atomically."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from ..core.atomic import OutputSet, check_output_path, shown
from ..core.errors import InputError
from .report import Report, report_to_json
from .report_thumbs import Thumbnail


def write_report(
    report: Report, out_dir: str | Path, thumbnails: Sequence[Thumbnail] = ()
) -> list[Path]:
    """Write ``report.json``, the PNG plots, the thumbnails and ``report.html`` into ``out_dir``.

    Every file is written under a temporary name and renamed at the end; on a failure none of
    them appears (and a folder made for them is removed). The plots are embedded in the HTML;
    the thumbnails are files next to it that the HTML refers to (``peak_<emotion>.png``).

    Args:
        report: From :func:`.report.build_report`.
        out_dir: The folder (made when missing).
        thumbnails: Peak-frame thumbnails of a video (:func:`.report_thumbs.peak_thumbnails`).

    Returns:
        The written paths (JSON first, HTML last).

    Raises:
        InputError: ``out_dir`` is a file or not writable, or a write failed.
    """
    from .report_html import render_html
    from .report_plots import report_plots

    folder = Path(out_dir)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"--out {shown(folder)} is a file; give a folder.")
    plots = report_plots(report)
    names = ["report.json", *(p.name for p in plots), *(t.name for t in thumbnails)]
    for name in [*names, "report.html"]:  # refuse before writing anything
        check_output_path(folder / name, what="--out")
    doc = report_to_json(report)
    doc["plots"] = [p.name for p in plots]
    if thumbnails:
        doc["peak_thumbnails"] = [
            {"emotion": t.emotion, "file": t.name, "frame_index": t.frame_index, "time_s": t.time_s}
            for t in thumbnails
        ]
    targets = [("report.json", (json.dumps(doc, indent=1) + "\n").encode())]
    targets += [(p.name, p.png) for p in plots] + [(t.name, t.png) for t in thumbnails]
    targets.append(("report.html", render_html(report, plots, thumbnails).encode("utf-8")))
    written = []
    with OutputSet() as outputs:
        for name, data in targets:
            final = folder / name
            temp = outputs.temp(final)
            try:
                temp.write_bytes(data)
            except OSError as exc:
                raise InputError(f"Cannot write {shown(final)}: {exc.strerror}.") from None
            written.append(final.resolve())
    return written
