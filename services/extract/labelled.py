"""The labelled sets of `eval/`, read into one shape: each item's analysed text (clean title,
blank line, clean body, as the extractor sees it), its source, its date and its gold record.
Consumes `dev.gold.jsonl` + `agnews_dev.csv` (AG News 2004), `heldout.gold.jsonl` +
`heldout_items.jsonl` and `train.gold.jsonl` + `train_items.jsonl` (fwdnews 2021-22 headlines,
ukrbias 2014-15 sentences); emits `Labelled` records. Together the three make the training
set of the claim detector (`eval/TRAINING.md`); each label lives in exactly one file.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.extract.claims.textnorm import normalise_input

__all__ = [
    "AGNEWS_PUBLISHED",
    "EVAL_DIR",
    "SOURCES",
    "Labelled",
    "LabelledSetError",
    "agreement",
    "join",
    "load",
    "read_jsonl",
]

EVAL_DIR = Path(__file__).resolve().parents[2] / "eval"
# AG News holds 2004 wire items.
AGNEWS_PUBLISHED = datetime(2004, 12, 31, tzinfo=UTC)
SOURCES = ("ag", "fwdnews", "ukrbias")


@dataclass(frozen=True)
class Labelled:
    """One labelled item as the extractor gets it."""

    id: str
    source: str
    text: str
    published: datetime | None
    gold: dict[str, Any]


class LabelledSetError(Exception):
    """Raised when a label or item file is missing or holds a line that is not a JSON object."""


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSON-lines file; LabelledSetError naming the file (and line)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise LabelledSetError(f"cannot read {path}: {exc.strerror or exc}") from exc
    out = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise LabelledSetError(f"{path.name}:{n}: not JSON ({exc})") from exc
        if not isinstance(record, dict) or "id" not in record:
            raise LabelledSetError(f"{path.name}:{n}: not a record with an id")
        out.append(record)
    return out


def join(title: str, body: str) -> str:
    """The analysed text of an item: title, blank line, body (either may be empty)."""
    return f"{title}\n\n{body}" if title and body else (title or body)


def _agnews(eval_dir: Path) -> list[Labelled]:
    gold = read_jsonl(eval_dir / "dev.gold.jsonl")
    if not (eval_dir / "agnews_dev.csv").exists():
        raise LabelledSetError(f"cannot read {eval_dir / 'agnews_dev.csv'}: no such file")
    with (eval_dir / "agnews_dev.csv").open(encoding="utf-8", newline="") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        texts = {
            r["id"]: join(normalise_input(r["title"]), normalise_input(r["description"]))
            for r in rows
        }
    return [Labelled(g["id"], "ag", texts[g["id"]], AGNEWS_PUBLISHED, g) for g in gold]


def _items(eval_dir: Path, gold_name: str, items_name: str) -> list[Labelled]:
    if not (eval_dir / gold_name).exists():
        return []
    items = {x["id"]: x for x in read_jsonl(eval_dir / items_name)}
    out = []
    for g in read_jsonl(eval_dir / gold_name):
        item = items.get(g["id"])
        if item is None:
            raise LabelledSetError(f"{gold_name}: {g['id']} has no item in {items_name}")
        published = (
            datetime.fromisoformat(item["published"]).replace(tzinfo=UTC)
            if item.get("published")
            else None
        )
        text = join(normalise_input(item["title"]), normalise_input(item["text"]))
        out.append(Labelled(g["id"], item["source"], text, published, g))
    return out


def load(eval_dir: Path = EVAL_DIR, sets: tuple[str, ...] = ("dev", "heldout", "train")) -> (
    list[Labelled]
):
    """The chosen labelled sets, in the order given, each in its file's order."""
    out: list[Labelled] = []
    for name in sets:
        if name == "dev":
            out += _agnews(eval_dir)
        elif name == "heldout":
            out += _items(eval_dir, "heldout.gold.jsonl", "heldout_items.jsonl")
        elif name == "train":
            out += _items(eval_dir, "train.gold.jsonl", "train_items.jsonl")
        else:
            raise ValueError(f"unknown labelled set {name!r}")
    return out


def agreement(eval_dir: Path = EVAL_DIR) -> dict[str, Any]:
    """How the second reading of a random tenth of the training items (`train.second.jsonl`)
    agrees with the first (`train.gold.jsonl`): share of items with the same is_claim call,
    Cohen's kappa of that call, and on items both readers call positive, the share whose
    claims have the same movements and polarities."""
    first = {g["id"]: g for g in read_jsonl(eval_dir / "train.gold.jsonl")}
    second = read_jsonl(eval_dir / "train.second.jsonl")
    n = len(second)
    both = only_first = only_second = 0
    same_kind = 0
    for s in second:
        f = first[s["id"]]
        fp, sp = bool(f["claims"]), bool(s["claims"])
        both += fp and sp
        only_first += fp and not sp
        only_second += sp and not fp
        if fp and sp:
            kinds = (sorted((c["movement"], c["polarity"]) for c in x["claims"]) for x in (f, s))
            same_kind += next(kinds) == next(kinds)
    neither = n - both - only_first - only_second
    observed = (both + neither) / n if n else 0.0
    p_first, p_second = (both + only_first) / n, (both + only_second) / n
    expected = p_first * p_second + (1 - p_first) * (1 - p_second)
    return {
        "items": n,
        "positive_both": both,
        "positive_first_only": only_first,
        "positive_second_only": only_second,
        "agreement": observed,
        "kappa": (observed - expected) / (1 - expected) if expected < 1 else 1.0,
        "positive_f1": 2 * both / (2 * both + only_first + only_second) if both else 0.0,
        "same_movement_and_polarity": same_kind / both if both else 0.0,
    }
