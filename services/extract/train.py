"""Trains the claim detector from the labelled sets (`eval/TRAINING.md`) and writes the
artefact the extractor ships (`services/extract/data/detector.npz`). Consumes the labelled
items (`labelled.py`), parses them with the service's own pipeline, turns every sentence into
the detector's features and learns three logistic regressions over them: claim or not (all
sentences of negative items, the evidence sentences of positive ones), movement (four-way,
on evidence sentences) and denied (on evidence sentences). Seeded and deterministic: the same
labels give the same weights. Run as `python -m services.extract.train` (`make train`).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from services.extract.claims.detector import (
    DEFAULT_PATH,
    MOVEMENTS,
    N_OUTPUTS,
    Detector,
    hash_features,
)
from services.extract.claims.extractor import ClaimExtractor
from services.extract.claims.textnorm import normalise_input
from services.extract.labelled import EVAL_DIR, Labelled, LabelledSetError, load

__all__ = ["Example", "Params", "examples", "fit", "main", "parse", "train"]


@dataclass(frozen=True)
class Params:
    """Training settings; the defaults are what `make train` uses."""

    c_claim: float = 0.5
    c_movement: float = 1.0
    c_denied: float = 1.0
    positive_weight: float = 10.0
    threshold: float = 0.95
    rule_threshold: float = 0.05
    reject_threshold: float = 0.99
    seed: int = 0


@dataclass(frozen=True)
class Example:
    """One sentence with its hashed features and what the gold says of it.

    `claim` is True for a sentence holding a gold claim's evidence, False for a sentence of an
    item without claims, None for the other sentences of positive items (unlabelled: a title
    restating the body's claim carries no evidence of its own)."""

    item_id: str
    source: str
    ids: NDArray[np.int64]
    dense: NDArray[np.float32]
    claim: bool | None
    movements: tuple[str, ...]
    denied: bool


def _evidence_span(text: str, evidence: str) -> tuple[int, int] | None:
    needle = normalise_input(evidence)
    at = text.find(needle)
    if at < 0:
        at = text.lower().find(needle.lower())
    return (at, at + len(needle)) if at >= 0 else None


def _tokens(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def parse(items: Sequence[Labelled], nlp: Any, *, progress: bool = False) -> list[Any]:
    """The service pipeline's Doc of every item, in order (progress on stderr)."""
    docs = []
    started = time.monotonic()
    for n, doc in enumerate(nlp.pipe((it.text for it in items), batch_size=128), start=1):
        docs.append(doc)
        if progress and n % 1000 == 0:
            rate = n / (time.monotonic() - started)
            sys.stderr.write(f"  parsed {n}/{len(items)} items ({rate:.0f}/s)\n")
    return docs


def examples(
    items: Sequence[Labelled], docs: Sequence[Any], extractor: ClaimExtractor
) -> list[Example]:
    """Every sentence of every item as a training example, in item order."""
    out: list[Example] = []
    for item, doc in zip(items, docs, strict=True):
        sents = extractor.sentence_features(doc, published_at=item.published)
        hits: dict[int, list[dict[str, Any]]] = {}
        for claim in item.gold["claims"]:
            span = _evidence_span(item.text, claim["evidence"])
            if span is not None:
                idx = [
                    i for i, s in enumerate(sents) if s.start < span[1] and span[0] < s.end
                ]
            else:  # evidence the normaliser changed: the sentence sharing most of its words
                want = _tokens(claim["evidence"])
                best = max(
                    range(len(sents)),
                    key=lambda i: len(want & _tokens(item.text[sents[i].start : sents[i].end])),
                    default=None,
                )
                idx = [] if best is None else [best]
            for i in idx[:1]:
                hits.setdefault(i, []).append(claim)
        for i, s in enumerate(sents):
            found = hits.get(i, [])
            label: bool | None = (
                True if found else (False if not item.gold["claims"] else None)
            )
            out.append(
                Example(
                    item.id,
                    item.source,
                    hash_features(s.sparse),
                    s.dense,
                    label,
                    tuple(c["movement"] for c in found),
                    any(c["polarity"] == "denied" for c in found),
                )
            )
    return out


def _matrix(
    rows: Sequence[Example],
    columns: NDArray[np.int64],
    mean: NDArray[np.float32],
    scale: NDArray[np.float32],
) -> Any:
    """Rows over the training vocabulary (`columns`: sorted hashed ids) plus the dense part."""
    from scipy import sparse

    lengths = np.array([len(r.ids) for r in rows], dtype=np.int64)
    ids = np.concatenate([r.ids for r in rows]) if rows else np.zeros(0, dtype=np.int64)
    pos = np.minimum(np.searchsorted(columns, ids), max(len(columns) - 1, 0))
    known = columns[pos] == ids if len(columns) else np.zeros(len(ids), dtype=bool)
    row_of = np.repeat(np.arange(len(rows)), lengths)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(row_of[known], minlength=len(rows)))])
    indices = pos[known]
    hashed = sparse.csr_matrix(
        (np.ones(len(indices), dtype=np.float64), indices, indptr),
        shape=(len(rows), len(columns)),
    )
    dense = (np.stack([r.dense for r in rows]) - mean) / scale
    return sparse.hstack([hashed, sparse.csr_matrix(dense)], format="csr")


def fit(rows: Sequence[Example], params: Params | None = None) -> Detector:
    """Learn the three models from labelled sentences and pack them into one `Detector`."""
    params = params or Params()
    from sklearn.linear_model import LogisticRegression

    labelled = [r for r in rows if r.claim is not None]
    dense = np.stack([r.dense for r in labelled])
    mean = dense.mean(axis=0).astype(np.float32)
    scale = (dense.std(axis=0) + 1e-3).astype(np.float32)
    # Fit over the hashed ids that occur in training only: a fraction of the hash space.
    columns = np.unique(np.concatenate([r.ids for r in labelled]))
    width = len(columns) + len(mean)
    coef = np.zeros((width, N_OUTPUTS), dtype=np.float64)
    bias = np.zeros(N_OUTPUTS, dtype=np.float64)

    x = _matrix(labelled, columns, mean, scale)
    y = np.array([r.claim for r in labelled], dtype=np.int64)
    weights = np.where(y == 1, params.positive_weight, 1.0)
    claim = LogisticRegression(C=params.c_claim, solver="liblinear", random_state=params.seed)
    claim.fit(x, y, sample_weight=weights)
    coef[:, 0], bias[0] = claim.coef_[0], claim.intercept_[0]

    pos = [(r, m) for r in labelled if r.claim for m in r.movements]
    xp = _matrix([r for r, _ in pos], columns, mean, scale)
    ym = np.array([MOVEMENTS.index(m) for _, m in pos])
    present = sorted(set(ym.tolist()))
    bias[1:5] = -30.0  # a movement never seen in training is never predicted
    if len(present) > 1:
        mover = LogisticRegression(C=params.c_movement, max_iter=300, random_state=params.seed)
        mover.fit(xp, ym)
        for k, cls in enumerate(mover.classes_):
            coef[:, 1 + cls], bias[1 + cls] = mover.coef_[k], mover.intercept_[k]
    elif present:
        bias[1 + present[0]] = 0.0
    yd = np.array([r.denied for r, _ in pos], dtype=np.int64)
    if 0 < yd.sum() < len(yd):
        denier = LogisticRegression(
            C=params.c_denied, solver="liblinear", random_state=params.seed
        )
        denier.fit(xp, yd)
        coef[:, 5], bias[5] = denier.coef_[0], denier.intercept_[0]
    else:
        bias[5] = 30.0 if yd.any() else -30.0

    hashed = coef[: len(columns)]
    nz = np.flatnonzero(np.abs(hashed).sum(axis=1) > 0)
    return Detector(
        index=columns[nz],
        sparse=hashed[nz].astype(np.float32),
        dense=coef[len(columns) :].astype(np.float32),
        bias=bias.astype(np.float32),
        dense_mean=mean,
        dense_scale=scale,
        threshold=params.threshold,
        rule_threshold=params.rule_threshold,
        reject_threshold=params.reject_threshold,
        meta={
            "sentences": len(labelled),
            "positive_sentences": int(y.sum()),
            "movement_examples": len(pos),
            "denied_examples": int(yd.sum()),
            "params": params.__dict__,
        },
    )


def labels_digest(eval_dir: Path = EVAL_DIR) -> str:
    """SHA-256 over the label files the detector learns from (recorded in the artefact)."""
    h = hashlib.sha256()
    for name in ("dev.gold.jsonl", "heldout.gold.jsonl", "train.gold.jsonl"):
        path = eval_dir / name
        if path.exists():
            h.update(path.read_bytes())
    return h.hexdigest()


def train(
    eval_dir: Path = EVAL_DIR, params: Params | None = None, *, progress: bool = False
) -> Detector:
    """Parse every labelled item with the service's pipeline and fit the detector."""
    from services.extract.batch import load_nlp

    items = load(eval_dir)  # first: a bad label file fails before spaCy loads
    nlp = load_nlp()
    extractor = ClaimExtractor(nlp=nlp, detector=None)
    rows = examples(items, parse(items, nlp, progress=progress), extractor)
    detector = fit(rows, params)
    detector.meta.update({"items": len(items), "labels_sha256": labels_digest(eval_dir)})
    return detector


def main(argv: list[str] | None = None) -> int:
    """Train and write the artefact; print what it learnt from."""
    parser = argparse.ArgumentParser(
        prog="python -m services.extract.train",
        description="Train the claim detector on the labelled sets of eval/ and write it.",
    )
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR, help="labelled data folder")
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_PATH, help="artefact path")
    args = parser.parse_args(argv)
    started = time.monotonic()
    sys.stderr.write("training the claim detector: parsing the labelled items\n")
    try:
        detector = train(args.eval_dir, progress=True)
    except LabelledSetError as exc:
        sys.stderr.write(f"train: {exc}\n")
        return 2
    detector.save(args.output)
    meta = detector.meta
    sys.stdout.write(
        f"wrote {args.output.name}: {meta['items']} items, {meta['sentences']} labelled "
        f"sentences ({meta['positive_sentences']} with a claim), {len(detector.index)} "
        f"weighted features, {time.monotonic() - started:.0f} s\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
