"""Re-derives the held-out candidate list (`heldout_items.jsonl`) from the two raw files in
`../shared/data/` (fwdnews headlines, ukrbias sentences) by the fixed-seed rule of HELDOUT.md.
It selects items only; it produces no labels. The draw is made as when the set was built,
then the items outside `../shared/data/train-pool.txt` are dropped (they are reserved for
independent evaluation) and ids take the pool's form (`fwdnews-N`, N 1-based; `ukrbias-N`).
Run from the repository root: `python eval/heldout_select.py > eval/heldout_items.jsonl`.
"""

from __future__ import annotations

import csv
import json
import random
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
# The keyword regex of eval/README.md ("Candidate selection"), unchanged.
KEYWORDS = re.compile(
    r"\b(troop|soldier|arm(?:y|ies)\b|armed forces|military|marines?\b|brigade|battalion|division"
    r"|tank|armou?red|warship|nav(?:y|ies)\b|fleet|squadron|fighter jet|deploy|redeploy"
    r"|withdr[ae]w|pull(?:s|ed|ing)? out\b|pull-?out|mass|amass|build-?up|mobili[sz]|incursion"
    r"|invad|invasion|border|reinforcement|convoy|peacekeep)", re.I)
SEED = 2022
# (source, matching, non-matching) sample sizes: 150 keyword matches, 100 others.
QUOTA = {"fwdnews": (90, 60), "ukrbias": (60, 40)}


def _pool() -> dict[str, list[dict[str, str | None]]]:
    heads = json.loads((SHARED / "fwdnews" / "headlines.json").read_text(encoding="utf-8"))
    fw = [{"id": f"fwdnews-{i + 1}", "source": "fwdnews", "title": h["title"], "text": "",
           "published": datetime.fromtimestamp(h["timestamp"], UTC).date().isoformat()}
          for i, h in enumerate(heads)]
    with (SHARED / "ukrbias" / "sentences-with-binary-labels-bias.csv").open(
            encoding="utf-8", newline="") as f:
        # The sentences carry no dates; most articles are from 2014-15.
        ub = [{"id": f"ukrbias-{n}", "source": "ukrbias", "title": "", "text": row[0],
               "published": None}
              for n, row in enumerate(csv.reader(f), start=1)]
    return {"fwdnews": fw, "ukrbias": ub}


def select() -> list[dict[str, str | None]]:
    """The candidate items, in a fixed order (source, then file order)."""
    rng = random.Random(SEED)
    chosen: list[dict[str, str | None]] = []
    for source, items in _pool().items():
        n_match, n_other = QUOTA[source]
        match = [x for x in items if KEYWORDS.search(f"{x['title']} {x['text']}")]
        other = [x for x in items if not KEYWORDS.search(f"{x['title']} {x['text']}")]
        picked = rng.sample(match, n_match) + rng.sample(other, n_other)
        order = {x["id"]: i for i, x in enumerate(items)}
        chosen += sorted(picked, key=lambda x: order[x["id"]])
    pool = set((SHARED / "train-pool.txt").read_text(encoding="utf-8").split())
    return [x for x in chosen if x["id"] in pool]


if __name__ == "__main__":
    for item in select():
        sys.stdout.write(json.dumps(item, ensure_ascii=False) + "\n")
