"""Input normalisation for archived wire text: undoes the mangled HTML entities and line-break
markers of old corpora (AG News writes ` #39;` for an apostrophe and `\\` for a line break).
Consumes raw title/description strings; emits plain text with whitespace collapsed. Live feeds
arrive already clean from ingest, so the pipeline does not call this; the evaluation does.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

_MANGLED: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"\s?#39;"), "'"),
    (re.compile(r"\s?quot;"), '"'),
    (re.compile(r"\s?amp;"), "&"),
    (re.compile(r"\s?#36;"), "$"),
    (re.compile(r"\s?#151;"), "\u2014"),
    (re.compile(r"\s?#(\d{2,4});"), lambda m: chr(int(m.group(1)))),
)
_TAG = re.compile(r"<[^>]{0,200}>")


def normalise_input(text: str) -> str:
    """Decode mangled and real HTML entities, drop tags, turn `\\` into a space and collapse
    runs of whitespace to one space. Idempotent on clean text."""
    out = text
    for pattern, repl in _MANGLED:
        out = pattern.sub(repl, out)
    out = html.unescape(out)
    out = _TAG.sub(" ", out)
    out = out.replace("\\", " ")
    return re.sub(r"\s+", " ", out).strip()
