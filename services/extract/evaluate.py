"""Scores the claim extractor against the labelled sets in `eval/` by the rules of
`eval/README.md` ("How to score"): item detection, claim alignment, attribute accuracy. With
the shipped detector it scores the dev set (with and without the gaza-plan items; the dev
items are part of the detector's training set) and the seed sentences (not trained on). The
honest figures come from training the detector afresh: `--cv K` (blocked K-fold
cross-validation over the whole training set: every item is scored by a detector that never
saw it) and `--loso` (leave one source out: train on two of ag / fwdnews / ukrbias, score the
third), each overall and per source. Consumes the gold JSONL files, the trimmed AG News CSV,
the seed texts and the labelled items; emits a table or, with `--json`, one JSON object. Run
as `python -m services.extract.evaluate [--set dev|seeds|cv|loso|all]`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.extract import labelled
from services.extract.claims import ClaimExtractor, claim_to_json, normalise_input
from services.extract.labelled import EVAL_DIR

# The seeds are dated in their datelines (data README).
SEED_PUBLISHED = {
    "000_1d4f31c28afa7fe4.txt": datetime(2014, 11, 4, tzinfo=UTC),
    "002_8111368c5c04ae35.txt": datetime(2014, 11, 21, tzinfo=UTC),
}
ROLES = ("actor", "claimant", "location")
_DEMONYMS = {
    "israeli": "israel",
    "israelis": "israel",
    "american": "us",
    "america": "us",
    "americans": "us",
    "british": "britain",
    "uk": "britain",
    "england": "britain",
    "russian": "russia",
    "russians": "russia",
    "ukrainian": "ukraine",
    "iraqi": "iraq",
    "afghan": "afghanistan",
    "polish": "poland",
    "syrian": "syria",
    "chinese": "china",
    "japanese": "japan",
    "palestinian": "palestine",
    "sudanese": "sudan",
    "african": "africa",
    "european": "europe",
    "french": "france",
    "german": "germany",
    "iranian": "iran",
    "lebanese": "lebanon",
    "turkish": "turkey",
    "pakistani": "pakistan",
    "indian": "india",
    "korean": "korea",
    "rwandan": "rwanda",
    "congolese": "congo",
    "haitian": "haiti",
    "italian": "italy",
    "spanish": "spain",
    "australian": "australia",
    "canadian": "canada",
    "dutch": "netherlands",
    "georgian": "georgia",
    "armenian": "armenia",
    "soviet": "ussr",
    "azerbaijani": "azerbaijan",
    "taiwanese": "taiwan",
    "egyptian": "egypt",
    "jordanian": "jordan",
    "saudi": "saudi",
    "estonian": "estonia",
    "latvian": "latvia",
    "lithuanian": "lithuania",
    "belarusian": "belarus",
    "nepalese": "nepal",
}
_STOP = {
    "the",
    "a",
    "an",
    "of",
    "its",
    "their",
    "his",
    "her",
    "s",
    "forces",
    "troops",
    "army",
    "military",
}


def fold_tokens(text: str | None) -> set[str]:
    """Scoring tokens of a role value: lower-cased, demonyms folded to countries, alphanumeric,
    without articles, possessives and generic force words."""
    if not text:
        return set()
    low = text.lower()
    for dotted, plain in (
        ("u.s.", "us"),
        ("u.n.", "un"),
        ("u.k.", "uk"),
        ("united states", "us"),
        ("united kingdom", "britain"),
        ("united nations", "un"),
    ):
        low = low.replace(dotted, f" {plain} ")
    toks = (_DEMONYMS.get(t, t) for t in re.findall(r"[a-z0-9]+", low))
    return {t for t in toks if t not in _STOP}


def overlap(gold: str | None, system: str | None) -> float:
    """Overlap coefficient |G ∩ S| / min(|G|, |S|); a gold null matches only a null/empty."""
    g, s = fold_tokens(gold), fold_tokens(system)
    if not gold or not g:
        return 1.0 if not system or not s else 0.0
    if not s:
        return 0.0
    return len(g & s) / min(len(g), len(s))


def _evidence_tokens(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", normalise_input(text).lower()))


def evidence_overlap(gold: str, system: str) -> float:
    """Token overlap coefficient of two evidence strings after whitespace normalisation."""
    g, s = _evidence_tokens(gold), _evidence_tokens(system)
    return len(g & s) / min(len(g), len(s)) if g and s else 0.0


def align(
    gold: Sequence[dict[str, Any]], system: Sequence[dict[str, Any]]
) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """Pair each gold claim in turn with the unused system claim scoring highest on
    [same movement] + 0.5 x evidence overlap; None when no system claim is left."""
    used: set[int] = set()
    pairs: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    for g in gold:
        best, best_score = None, -1.0
        for i, s in enumerate(system):
            if i in used:
                continue
            score = (g["movement"] == s["movement"]) + 0.5 * evidence_overlap(
                g["evidence"], s["evidence"]
            )
            if score > best_score:
                best, best_score = i, score
        if best is None:
            pairs.append((g, None))
        else:
            used.add(best)
            pairs.append((g, system[best]))
    return pairs


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def score(records: Iterable[tuple[dict[str, Any], list[dict[str, Any]]]]) -> dict[str, Any]:
    """Scores for (gold record, system claims) pairs: detection, claims and attributes."""
    tp = fp = fn = ctp = cfp = cfn = 0
    agree = {k: 0 for k in ("movement", "polarity", "polarity_recall", *ROLES, "size")}
    n = 0
    for gold, system in records:
        n += 1
        gpos, spos = bool(gold["claims"]), bool(system)
        tp += gpos and spos
        fp += spos and not gpos
        fn += gpos and not spos
        pairs = align(gold["claims"], system)
        matched = [(g, s) for g, s in pairs if s is not None]
        ctp += len(matched)
        cfn += len(pairs) - len(matched)
        cfp += len(system) - len(matched)
        for g, s in matched:
            agree["movement"] += g["movement"] == s["movement"]
            agree["polarity"] += g["polarity"] == s["polarity"]
            for role in (*ROLES, "size"):
                agree[role] += overlap(g.get(role), s.get(role)) >= 0.5
        agree["polarity_recall"] += sum(1 for g, s in matched if g["polarity"] == s["polarity"])
    out: dict[str, Any] = {
        "items": n,
        "detection": _prf(tp, fp, fn),
        "claims": _prf(ctp, cfp, cfn),
        "gold_claims": ctp + cfn,
        "aligned": ctp,
    }
    for key in ("movement", "polarity", *ROLES, "size"):
        out[key] = agree[key] / ctp if ctp else 0.0
    out["recall_correct_polarity"] = agree["polarity_recall"] / (ctp + cfn) if ctp + cfn else 0.0
    return out


SETS = ("dev", "seeds", "cv", "loso")


def evaluate(
    eval_dir: Path = EVAL_DIR,
    sets: Sequence[str] = SETS,
    *,
    folds: int = 5,
    progress: bool = False,
) -> dict[str, Any]:
    """Score the chosen sets: dev items and seed documents with the shipped detector, and
    the whole training set by K-fold cross-validation ("cv") and leave-one-source-out
    ("loso"), each overall and per source. A set whose files are absent is left out."""
    from services.extract.batch import load_nlp

    nlp = load_nlp()
    out: dict[str, Any] = {}
    if {"dev", "seeds"} & set(sets):
        extractor = ClaimExtractor(nlp=nlp)
        if "dev" in sets and (eval_dir / "dev.gold.jsonl").exists():
            items = labelled.load(eval_dir, ("dev",))
            system = _run(nlp, extractor, [(x.id, x.text, x.published) for x in items])
            records = [(x.gold, system[x.id]) for x in items]
            out["dev"] = score(records)
            out["dev_without_gaza_plan"] = score(
                [(g, s) for g, s in records if not g.get("note", "").startswith("gaza-plan")]
            )
        if "seeds" in sets and (eval_dir / "seeds.gold.jsonl").exists():
            out["seeds"] = score(_seed_records(eval_dir, nlp, extractor))
    if {"cv", "loso"} & set(sets):
        from services.extract import crossval

        prep = crossval.prepare(labelled.load(eval_dir), nlp, progress=progress)
        if "cv" in sets:
            for key, records in crossval.kfold(prep, folds).items():
                out[f"cv{folds}_{key}"] = score(records)
        if "loso" in sets:
            for key, records in crossval.loso(prep).items():
                out[f"loso_{key}"] = score(records)
    return out


def _run(
    nlp: Any, extractor: ClaimExtractor, inputs: Sequence[tuple[str, str, datetime | None]]
) -> dict[str, list[dict[str, Any]]]:
    docs = nlp.pipe((text for _, text, _ in inputs), batch_size=128)
    return {
        item_id: [
            claim_to_json(c)
            for c in extractor.extract(doc, item_id=item_id, published_at=published)
        ]
        for (item_id, _, published), doc in zip(inputs, docs, strict=True)
    }


def _seed_records(
    eval_dir: Path, nlp: Any, extractor: ClaimExtractor
) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    gold = labelled.read_jsonl(eval_dir / "seeds.gold.jsonl")
    out: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    for name in sorted({g["doc"] for g in gold}):
        text = (eval_dir / name).read_text(encoding="utf-8").strip()
        starts, pos = [], 0
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            pos = text.index(sentence, pos)
            starts.append(pos)
        claims = [
            claim_to_json(c)
            for c in extractor.extract(
                nlp(text), item_id=name, published_at=SEED_PUBLISHED.get(name)
            )
        ]
        by_sentence: dict[int, list[dict[str, Any]]] = {}
        for c in claims:
            idx = max(i for i, s in enumerate(starts) if s <= c["evidence_start"])
            by_sentence.setdefault(idx, []).append(c)
        out += [(g, by_sentence.get(g["sentence_index"], [])) for g in gold if g["doc"] == name]
    return out


def render(result: dict[str, Any]) -> str:
    """A fixed-width table of the headline figures per subset."""
    cols = (
        "items",
        "det P",
        "det R",
        "det F1",
        "clm P",
        "clm R",
        "clm F1",
        "move",
        "pol",
        "actor",
        "claimant",
        "loc",
        "size",
        "rec+pol",
    )
    lines = [f"{'subset':<24}" + "".join(f"{c:>9}" for c in cols)]
    for name, r in result.items():
        vals = [
            r["items"],
            r["detection"]["precision"],
            r["detection"]["recall"],
            r["detection"]["f1"],
            r["claims"]["precision"],
            r["claims"]["recall"],
            r["claims"]["f1"],
            r["movement"],
            r["polarity"],
            r["actor"],
            r["claimant"],
            r["location"],
            r["size"],
            r["recall_correct_polarity"],
        ]
        lines.append(
            f"{name:<24}"
            + "".join(f"{v:>9d}" if isinstance(v, int) else f"{v:>9.3f}" for v in vals)
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the scores; exit 0."""
    parser = argparse.ArgumentParser(
        prog="python -m services.extract.evaluate",
        description="Score the claim extractor on eval/.",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--folds", type=int, default=5, help="folds of the cross-validation (default: 5)"
    )
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR, help="gold data folder")
    parser.add_argument(
        "--set",
        choices=(*SETS, "all"),
        default="all",
        help="dev, seeds (shipped detector), cv (K-fold cross-validation of the training set),"
        " loso (leave one source out), or all (default)",
    )
    args = parser.parse_args(argv)
    if args.folds < 2:
        parser.error("--folds must be at least 2")
    try:
        result = evaluate(
            args.eval_dir, SETS if args.set == "all" else (args.set,), folds=args.folds,
            progress=True,
        )
    except labelled.LabelledSetError as exc:
        sys.stderr.write(f"evaluate: {exc}\n")
        return 2
    second = (
        labelled.agreement(args.eval_dir)
        if (args.eval_dir / "train.second.jsonl").exists()
        else None
    )
    if args.json:
        sys.stdout.write(json.dumps({**result, "second_reading": second}, indent=2))
    else:
        sys.stdout.write(render(result))
        if second is not None:
            sys.stdout.write(
                f"\nsecond reading of {second['items']} training items: agreement "
                f"{second['agreement']:.3f}, kappa {second['kappa']:.3f}, F1 between readers "
                f"{second['positive_f1']:.3f}, same movements and polarity "
                f"{second['same_movement_and_polarity']:.3f}"
            )
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
