"""Shared pieces of the benchmarks: wire texts to feed them, timing, resident memory."""

from __future__ import annotations

import csv
import html
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
AGNEWS_FULL = REPO.parent / "shared" / "data" / "agnews" / "test.csv"
AGNEWS_DEV = REPO / "eval" / "agnews_dev.csv"
_MANGLED = re.compile(r" ?#(\d+);| ?(quot|amp|lt|gt);")


def _clean(text: str) -> str:
    text = _MANGLED.sub(lambda m: f"&#{m.group(1)};" if m.group(1) else f"&{m.group(2)};", text)
    return " ".join(html.unescape(text.replace("\\", " ")).split())


def wire_items() -> list[tuple[str, str]]:
    """(title, text) of real AG News wire items: the full test split when the shared data is
    beside the checkout, else the project's copy of the dev rows."""
    if AGNEWS_FULL.is_file():
        with AGNEWS_FULL.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))[1:]
        return [(_clean(r[1]), _clean(r[2])) for r in rows]
    with AGNEWS_DEV.open(newline="", encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return [(_clean(r["title"]), _clean(r["description"])) for r in csv.DictReader(lines)]


def rss_mb() -> float:
    """Resident set size of this process, in MiB (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / (1024 * 1024)


@contextmanager
def timed() -> Iterator[list[float]]:
    """``with timed() as t: ...`` then ``t[0]`` is the elapsed wall time in seconds."""
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)


def table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    """A Markdown table, ready to paste into BENCHMARKS.md."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        cells = (str(c).ljust(w) for c, w in zip(row, widths, strict=True))
        return "| " + " | ".join(cells) + " |"

    return "\n".join(
        [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)]
    )
