"""Re-derives the item list of the training set (`train_items.jsonl`) from the raw files in
`../shared/data/` by the fixed rule of TRAINING.md. It selects items only; it produces no
labels (every label was written by a person reading the item). Only ids listed in
`../shared/data/train-pool.txt` are ever read. Run from the repository root:
`python eval/train_select.py > eval/train_items.jsonl`.

The rule, per source:
* ukrbias: every pool sentence.
* fwdnews: every pool headline matching `BROAD` (force, movement, weapon and conflict words,
  and the states and places of the conflicts the period covers), plus `N_OTHER` pool
  headlines that do not match, drawn with `random.Random(SEED)` (easy negatives, and an
  estimate of what the filter misses).
Items already labelled in `heldout.gold.jsonl` are left out: their labels stay there. With
`dev.gold.jsonl` (AG News) and `heldout.gold.jsonl`, `train.gold.jsonl` makes the training set.
"""

from __future__ import annotations

import csv
import json
import random
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared" / "data"
SEED = 2026
N_OTHER = 400
BROAD = re.compile(
    r"\b(troop\w*|soldier\w*|forces?|military|militar\w+|arm(y|ies)|armed|marines?|navy|naval"
    r"|nav(ies)|brigades?|battalions?|divisions?|regiments?|units?|tanks?|armou?r\w*|warships?"
    r"|ships?|fleet|submarines?|carriers?|destroyers?|frigates?|jets?|fighters?|bombers?"
    r"|aircraft|helicopters?|drones?|missiles?|s-?[34]00|iskander|himars|artillery|convoys?"
    r"|peacekeep\w*|deploy\w*|redeploy\w*|send\w*|sent|dispatch\w*|mov(e|es|ed|ing|ement\w*)"
    r"|withdr\w+|pull\w*|retreat\w*|invad\w*|invasion|incursion\w*|mass\w*|amass\w*"
    r"|build-?ups?|buil\w+ up|reinforc\w*|mobili[sz]\w*|cross\w*|enter\w*|advanc\w*|push\w*"
    r"|roll\w*|captur\w*|seiz\w*|occup\w*|liberat\w*|recaptur\w*|station\w*|base[sd]?"
    r"|border\w*|frontier|front ?lines?|offensive|counter-?offensive|drills?|exercises?|war"
    r"|warn\w*|attack\w*|nato|pentagon|kremlin|ukrain\w*|russia\w*|putin|kyiv|kiev|donbas\w*"
    r"|donetsk|luhansk|crimea\w*|kherson|kharkiv|mariupol|belarus\w*|moscow|taiwan\w*|china"
    r"|chinese|beijing|armenia\w*|azerbaijan\w*|karabakh|israel\w*|gaza|syria\w*|iran\w*"
    r"|iraq\w*|afghan\w*|taliban|kazakh\w*|ethiopia\w*|tigray|mali|sudan\w*|myanmar|korea\w*"
    r"|serbia\w*|kosovo|lithuania\w*|latvia\w*|estonia\w*|poland|polish|finland|sweden|baltic"
    r"|black sea|sea|island|guard\w*|csto|paratroop\w*|evacuat\w*|rebels?|militants?"
    r"|insurgents?|separatists?)\b",
    re.I,
)


def _pool() -> set[str]:
    return set((SHARED / "train-pool.txt").read_text(encoding="utf-8").split())


def _fwdnews(pool: set[str]) -> list[dict[str, Any]]:
    heads = json.loads((SHARED / "fwdnews" / "headlines.json").read_text(encoding="utf-8"))
    items = [
        {
            "id": f"fwdnews-{n}",
            "source": "fwdnews",
            "title": h["title"],
            "text": "",
            "published": datetime.fromtimestamp(h["timestamp"], UTC).date().isoformat(),
        }
        for n, h in enumerate(heads, start=1)
        if f"fwdnews-{n}" in pool
    ]
    match = [x for x in items if BROAD.search(x["title"])]
    other = [x for x in items if not BROAD.search(x["title"])]
    picked = {x["id"] for x in match} | {
        x["id"] for x in random.Random(SEED).sample(other, N_OTHER)
    }
    return [x for x in items if x["id"] in picked]


def _ukrbias(pool: set[str]) -> list[dict[str, Any]]:
    path = SHARED / "ukrbias" / "sentences-with-binary-labels-bias.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    # The sentences carry no dates; most articles are from 2014-15.
    return [
        {"id": f"ukrbias-{n}", "source": "ukrbias", "title": "", "text": row[0], "published": None}
        for n, row in enumerate(rows, start=1)
        if f"ukrbias-{n}" in pool
    ]


def select() -> list[dict[str, Any]]:
    """The items to label: fwdnews, then ukrbias, each in file order."""
    pool = _pool()
    labelled = {
        json.loads(line)["id"]
        for line in (ROOT / "eval" / "heldout.gold.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    }
    return [x for x in _fwdnews(pool) + _ukrbias(pool) if x["id"] not in labelled]


if __name__ == "__main__":
    for item in select():
        sys.stdout.write(json.dumps(item, ensure_ascii=False) + "\n")
