"""The demo wire's catalogue: the items the offline demo feed releases, in release order.

It reads the bundled data in ``data/`` — the two 2014 seed wire articles and a deterministic
sample of AG News World rows — and turns each into a :class:`DemoItem` with a clean title and
text. AG News keeps its raw, entity-mangled text in the sample file (so it stays an exact copy of
the source rows); :func:`clean_agnews_text` repairs it when the catalogue is built. Run
``python -m services.demo.catalogue SOURCE_CSV`` to rebuild the sample from the original CSV.
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

__all__ = [
    "DATA_DIR",
    "SAMPLE_FILE",
    "DemoItem",
    "clean_agnews_text",
    "load_catalogue",
    "load_seeds",
    "load_world_sample",
    "select_world_sample",
]

DATA_DIR = Path(__file__).parent / "data"
SAMPLE_FILE = DATA_DIR / "agnews_world_sample.jsonl"
SEEDS_DIR = DATA_DIR / "seeds"

# The seed files carry "November 4" in their dateline but no year; data/SOURCE.md records 2014.
SEED_YEAR = 2014
_DATELINE = re.compile(
    r"^(?P<place>[A-Z][A-Z .'-]+), (?P<date>[A-Z][a-z]+ \d{1,2}) \((?P<agency>[^)]+)\) — "
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")

# Rows whose title or description says this are always in the sample, so the demo shows claims.
_CLAIM_WORDS = re.compile(
    r"\b(troops?|forces|withdr[ae]w\w*|deploy\w*|pull(?:s|ed|ing)? out)\b", re.IGNORECASE
)
# Every Nth remaining World row fills the sample with ordinary world news (about 300 rows in all).
_EVERY_NTH = 16

# AG News replaced "&" with a space, leaving " #39;", " quot;", "&lt;b&gt;" and so on.
_MANGLED_NUMERIC = re.compile(r"(?<!&) ?#(\d{1,5});")
_MANGLED_NAMED = re.compile(r"(?<!&) ?\b(quot|amp|lt|gt);")
_NAMED = {"quot": '"', "amp": "&", "lt": "<", "gt": ">"}
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class DemoItem:
    """One article of the demo wire; ``published`` is None when the release time stands in."""

    id: str
    title: str
    text: str
    published: datetime | None = None
    source: str = "AG News"


def _numeric_char(match: re.Match[str]) -> str:
    code = int(match.group(1))
    if 128 <= code <= 159:
        # Windows-1252 code points (" #151;" is an em dash), as the 2004 wire pages used them.
        return bytes([code]).decode("cp1252", errors="replace")
    return chr(code) if 0 < code < 0x110000 else ""


def clean_agnews_text(text: str) -> str:
    """Return AG News text with its mangled entities, ``\\`` line breaks and tags repaired.

    ``" #39;"`` becomes ``'``, ``" quot;"`` ``"``, ``" amp;"`` ``&``, ``" #36;"`` ``$``,
    ``&lt;b&gt;...&lt;/b&gt;`` ``...``; whitespace is collapsed and the result stripped.
    """
    text = _MANGLED_NUMERIC.sub(_numeric_char, text)
    text = _MANGLED_NAMED.sub(lambda m: _NAMED[m.group(1)], text)
    text = html.unescape(text)
    text = _TAG.sub("", text).replace("\\", " ")
    return _SPACES.sub(" ", text).strip()


def select_world_sample(rows: Sequence[Sequence[str]]) -> list[dict[str, object]]:
    """Pick the demo sample from the AG News CSV rows (``rows[0]`` is the header).

    Every World (label 1) row mentioning troops/forces/withdrawal/deployment is kept, plus every
    16th of the other World rows; rows keep their 1-based row number and raw text, in file order.
    """
    picked: list[dict[str, object]] = []
    others = 0
    for number, row in enumerate(rows):
        if number == 0 or row[0] != "1":
            continue
        label, title, description = row
        if not (_CLAIM_WORDS.search(title) or _CLAIM_WORDS.search(description)):
            others += 1
            if (others - 1) % _EVERY_NTH:
                continue
        picked.append(
            {"row": number, "label": int(label), "title": title, "description": description}
        )
    return picked


def load_world_sample(path: Path = SAMPLE_FILE) -> list[DemoItem]:
    """Load the bundled AG News sample as cleaned items with ids ``ag-<row>``."""
    items = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            items.append(
                DemoItem(
                    id=f"ag-{record['row']}",
                    title=clean_agnews_text(record["title"]),
                    text=clean_agnews_text(record["description"]),
                )
            )
    return items


def load_seeds(directory: Path = SEEDS_DIR) -> list[DemoItem]:
    """Load the seed articles in file order; the title is the first sentence after the dateline.

    The publication date comes from the dateline (``BRUSSELS, November 4 (RIA Novosti) —``).
    """
    items = []
    for path in sorted(directory.glob("*.txt")):
        text = path.read_text(encoding="utf-8").strip()
        dateline = _DATELINE.match(text)
        if dateline is None:
            raise ValueError(f"{path.name}: no dateline like 'CITY, Month D (Agency) — '")
        body = text[dateline.end() :]
        title = _SENTENCE_END.split(body, maxsplit=1)[0].rstrip(".")
        published = datetime.strptime(f"{dateline['date']} {SEED_YEAR}", "%B %d %Y")
        items.append(
            DemoItem(
                id=f"seed-{path.stem}",
                title=title,
                text=text,
                published=published.replace(hour=12, tzinfo=UTC),
                source=dateline["agency"],
            )
        )
    return items


@cache
def load_catalogue(seed_first: bool = True) -> tuple[DemoItem, ...]:
    """Return every demo item in release order: seeds first, or after the AG News items."""
    seeds, world = load_seeds(), load_world_sample()
    return tuple([*seeds, *world] if seed_first else [*world, *seeds])


def _write_sample(records: Iterable[dict[str, object]], path: Path) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count


def main(argv: Sequence[str] | None = None) -> None:
    """Rebuild ``data/agnews_world_sample.jsonl`` from the AG News test CSV."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("source", type=Path, help="AG News test.csv (label,title,description)")
    parser.add_argument("--out", type=Path, default=SAMPLE_FILE)
    args = parser.parse_args(argv)
    with args.source.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    print(f"wrote {_write_sample(select_world_sample(rows), args.out)} rows to {args.out}")


if __name__ == "__main__":
    main()
