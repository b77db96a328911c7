"""The scorer of `services.extract.evaluate`: token folding, overlap, claim alignment and the
aggregate figures on hand-made cases, plus a regression run of the full dev, seed and held-out
evaluation that fails when any headline figure drops below its target."""

from __future__ import annotations

from typing import Any

import pytest

from services.extract import evaluate as ev


def claim(movement: str, evidence: str, **roles: str | None) -> dict[str, Any]:
    base: dict[str, Any] = {
        "movement": movement,
        "polarity": "asserted",
        "actor": None,
        "claimant": None,
        "location": None,
        "size": None,
        "evidence": evidence,
    }
    base.update(roles)
    return base


@pytest.mark.parametrize(
    ("gold", "system", "expected"),
    [
        ("Israeli", "Israel", 1.0),
        ("U.S.", "US forces", 1.0),
        ("American", "the United States", 1.0),
        ("British", "UK", 1.0),
        ("the Gaza Strip", "Gaza", 1.0),
        ("Russia", "Ukraine", 0.0),
        (None, None, 1.0),
        (None, "NATO", 0.0),
        ("NATO", None, 0.0),
        ("Poland and the Baltic states", "Poland", 1.0),
        ("the far west", "west Africa", 0.5),
    ],
    ids=[
        "demonym",
        "dotted-us",
        "american",
        "uk-britain",
        "superset",
        "different",
        "both-null",
        "null-vs-value",
        "value-vs-null",
        "subset",
        "half",
    ],
)
def test_overlap(gold: str | None, system: str | None, expected: float) -> None:
    """Overlap coefficient after folding; a gold null matches only a null."""
    assert ev.overlap(gold, system) == pytest.approx(expected)


def test_fold_drops_generic_words() -> None:
    """Articles, possessives and generic force words are not scoring tokens."""
    assert ev.fold_tokens("the Israeli army's troops") == {"israel"}


def test_align_prefers_same_movement_and_evidence() -> None:
    """Each gold claim takes the unused system claim with the best movement+evidence score."""
    gold = [
        claim("withdraw", "Poland to cut Iraq troops"),
        claim("advance", "tanks rolled into the town"),
    ]
    system = [
        claim("advance", "Tanks rolled into the town on Monday."),
        claim("withdraw", "Poland will cut its troops in Iraq."),
    ]
    pairs = ev.align(gold, system)
    assert [s["movement"] if s else None for _, s in pairs] == ["withdraw", "advance"]


def test_align_leaves_gold_unpaired_when_system_runs_out() -> None:
    """A gold claim with no system claim left is unpaired (a miss)."""
    pairs = ev.align([claim("deploy", "a"), claim("deploy", "b")], [claim("deploy", "a")])
    assert pairs[1][1] is None


def test_score_counts_items_claims_and_roles() -> None:
    """Detection, claim P/R and role accuracy on a tiny mixed set."""
    records = [
        (
            {"claims": [claim("deploy", "sent troops to Mali", actor="French")]},
            [claim("deploy", "France sent troops to Mali.", actor="France")],
        ),
        ({"claims": []}, [claim("advance", "entered the city")]),
        ({"claims": [claim("withdraw", "pulled out")]}, []),
        ({"claims": []}, []),
    ]
    result = ev.score(records)
    assert result["detection"] == pytest.approx({"precision": 0.5, "recall": 0.5, "f1": 0.5})
    assert result["claims"]["precision"] == pytest.approx(0.5)
    assert result["claims"]["recall"] == pytest.approx(0.5)
    assert result["actor"] == pytest.approx(1.0)
    assert result["recall_correct_polarity"] == pytest.approx(0.5)


TARGETS = {
    ("dev", "detection", "f1"): 0.85,
    ("dev", "claims", "f1"): 0.80,
    ("dev", "movement"): 0.85,
    ("dev", "polarity"): 0.90,
    ("dev", "actor"): 0.80,
    ("dev", "claimant"): 0.75,
    ("dev", "location"): 0.70,
    ("seeds", "recall_correct_polarity"): 0.90,
}
# Held-out figures reached when the set was labelled and the rules generalised, minus 0.03.
HELDOUT_TARGETS = {
    ("heldout", "detection", "f1"): 0.828 - 0.03,
    ("heldout", "claims", "f1"): 0.814 - 0.03,
    ("heldout", "movement"): 1.0 - 0.03,
    ("heldout", "polarity"): 0.958 - 0.03,
    ("heldout", "actor"): 0.625 - 0.03,
    ("heldout", "claimant"): 0.792 - 0.03,
    ("heldout", "location"): 0.792 - 0.03,
    ("heldout", "recall_correct_polarity"): 0.719 - 0.03,
}


@pytest.fixture(scope="module")
def full_result() -> dict[str, Any]:
    return ev.evaluate()


def _below(
    result: dict[str, Any], targets: dict[tuple[str, ...], float]
) -> dict[str, tuple[float, float]]:
    low = {}
    for path, target in targets.items():
        value: Any = result
        for key in path:
            value = value[key]
        if value < target:
            low["/".join(path)] = (round(value, 3), target)
    return low


@pytest.mark.skipif(not (ev.EVAL_DIR / "dev.gold.jsonl").exists(), reason="eval/ data absent")
@pytest.mark.timeout(120)
def test_dev_evaluation_meets_targets(full_result: dict[str, Any]) -> None:
    """Regression: the full dev and seed evaluation stays at or above every target."""
    low = _below(full_result, TARGETS)
    assert not low, f"below target: {low}"


@pytest.mark.skipif(
    not (ev.EVAL_DIR / "heldout.gold.jsonl").exists(), reason="eval/heldout.gold.jsonl absent"
)
@pytest.mark.timeout(120)
def test_heldout_evaluation_meets_targets(full_result: dict[str, Any]) -> None:
    """Regression: the held-out set (other sources and years) stays within 0.03 of the
    figures reached when the rules were generalised."""
    low = _below(full_result, HELDOUT_TARGETS)
    assert not low, f"below target: {low}"


def test_heldout_gold_evidence_occurs_in_items() -> None:
    """Every held-out gold claim's evidence is an exact substring of its item's title or text,
    and `is_claim` agrees with the claims list."""
    gold_path = ev.EVAL_DIR / "heldout.gold.jsonl"
    if not gold_path.exists():
        pytest.skip("eval/heldout.gold.jsonl absent")
    items = {x["id"]: x for x in ev._read_jsonl(ev.EVAL_DIR / "heldout_items.jsonl")}
    for g in ev._read_jsonl(gold_path):
        item = items[g["id"]]
        assert g["is_claim"] == bool(g["claims"]), g["id"]
        for c in g["claims"]:
            assert c["evidence"] in item["title"] or c["evidence"] in item["text"], g["id"]
