"""Honest figures for the learned detector: blocked K-fold cross-validation and
leave-one-source-out over the whole training set. Consumes the labelled items, parses them
once, computes every sentence's features once, then for each split trains a detector on the
training part only and runs the full extractor (detector + role rules) over the held part.
Emits, per split kind, the pooled (gold, system claims) records for `evaluate.score`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.extract.claims import ClaimExtractor, claim_to_json
from services.extract.labelled import SOURCES, Labelled
from services.extract.train import Example, Params, examples, fit, parse

__all__ = ["BLOCK", "Prepared", "blocked_folds", "kfold", "loso", "prepare"]

# Items are cut into blocks of this many neighbours (in file order, per source) and whole
# blocks go to folds: reposts of one story and sentences of one article stay together.
BLOCK = 25
Records = list[tuple[dict[str, Any], list[dict[str, Any]]]]


@dataclass
class Prepared:
    """Parsed items with their sentence examples, ready to split."""

    items: list[Labelled]
    docs: list[Any]
    rows: list[list[Example]]
    nlp: Any


def prepare(items: Sequence[Labelled], nlp: Any, *, progress: bool = False) -> Prepared:
    """Parse every item once and turn its sentences into examples."""
    docs = parse(items, nlp, progress=progress)
    rules = ClaimExtractor(nlp=nlp, detector=None)
    flat = examples(items, docs, rules)
    by_item: dict[str, list[Example]] = {}
    for row in flat:
        by_item.setdefault(row.item_id, []).append(row)
    return Prepared(list(items), docs, [by_item.get(it.id, []) for it in items], nlp)


def blocked_folds(items: Sequence[Labelled], k: int, block: int = BLOCK) -> list[int]:
    """Fold number of each item: per source, consecutive blocks dealt round-robin."""
    seen: dict[str, int] = {}
    out = []
    for item in items:
        n = seen.get(item.source, 0)
        seen[item.source] = n + 1
        out.append((n // block + SOURCES.index(item.source)) % k)
    return out


def _run(prep: Prepared, train: list[int], test: list[int], params: Params | None) -> Records:
    detector = fit([r for i in train for r in prep.rows[i]], params or Params())
    extractor = ClaimExtractor(nlp=prep.nlp, detector=detector)
    out: Records = []
    for i in test:
        item = prep.items[i]
        claims = extractor.extract(prep.docs[i], item_id=item.id, published_at=item.published)
        out.append((item.gold, [claim_to_json(c) for c in claims]))
    return out


def kfold(prep: Prepared, k: int = 5, params: Params | None = None) -> dict[str, Records]:
    """Records of every item scored by the fold model that did not see it, overall and per
    source (keys "all", "ag", "fwdnews", "ukrbias")."""
    folds = blocked_folds(prep.items, k)
    scored: dict[int, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    for f in range(k):
        test = [i for i, g in enumerate(folds) if g == f]
        train = [i for i, g in enumerate(folds) if g != f]
        scored.update(zip(test, _run(prep, train, test, params), strict=True))
    return _by_source(prep, scored)


def loso(prep: Prepared, params: Params | None = None) -> dict[str, Records]:
    """Records of each source scored by a detector trained on the other two."""
    scored: dict[int, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    for source in SOURCES:
        test = [i for i, it in enumerate(prep.items) if it.source == source]
        train = [i for i, it in enumerate(prep.items) if it.source != source]
        if test and train:
            scored.update(zip(test, _run(prep, train, test, params), strict=True))
    return _by_source(prep, scored)


def _by_source(
    prep: Prepared, scored: dict[int, tuple[dict[str, Any], list[dict[str, Any]]]]
) -> dict[str, Records]:
    out: dict[str, Records] = {"all": [scored[i] for i in sorted(scored)]}
    for source in SOURCES:
        out[source] = [scored[i] for i in sorted(scored) if prep.items[i].source == source]
    return out
