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


# Dev and seeds with the shipped detector. The dev items are part of its training set, so
# these guard "no lower than before the detector" (the rule extractor's figures then).
TARGETS = {
    ("dev", "detection", "f1"): 0.94,
    ("dev", "claims", "f1"): 0.94,
    ("dev", "movement"): 1.0,
    ("dev", "polarity"): 1.0,
    ("dev", "actor"): 0.80,
    ("dev", "claimant"): 0.84,
    ("dev", "location"): 0.90,
    ("seeds", "recall_correct_polarity"): 0.95,
    ("seeds", "detection", "f1"): 0.95,
}
# Cross-validated and leave-one-source-out figures recorded in BENCHMARKS.md, minus 0.03:
# every item scored by a detector trained without it.
HONEST_TARGETS = {
    (f"{split}_all", *key): value - 0.03
    for split, figures in {
        "cv5": {("detection", "f1"): 0.806, ("claims", "f1"): 0.801, ("movement",): 0.944,
                ("polarity",): 0.981, ("actor",): 0.841, ("claimant",): 0.860,
                ("location",): 0.879},
        "loso": {("detection", "f1"): 0.800, ("claims", "f1"): 0.796, ("movement",): 0.944,
                 ("polarity",): 0.981, ("actor",): 0.841, ("claimant",): 0.860,
                 ("location",): 0.879},
    }.items()
    for key, value in figures.items()
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
@pytest.mark.timeout(400)
def test_dev_and_seed_evaluation_meets_targets(full_result: dict[str, Any]) -> None:
    """Regression: dev and seed figures of the shipped extractor stay at or above target."""
    low = _below(full_result, TARGETS)
    assert not low, f"below target: {low}"


@pytest.mark.skipif(not (ev.EVAL_DIR / "train.gold.jsonl").exists(), reason="eval/ data absent")
@pytest.mark.timeout(400)
def test_cross_validated_figures_hold(full_result: dict[str, Any]) -> None:
    """Regression: 5-fold cross-validation and leave-one-source-out over the training set
    stay within 0.03 of the figures recorded in BENCHMARKS.md."""
    low = _below(full_result, HONEST_TARGETS)
    assert not low, f"below target: {low}"
    assert full_result["cv5_all"]["items"] == full_result["loso_all"]["items"] >= 5000


def test_blocked_folds_keep_neighbours_together() -> None:
    """Consecutive items of a source share a fold in blocks; every fold gets every source."""
    from services.extract.crossval import BLOCK, blocked_folds
    from services.extract.labelled import Labelled

    items = [Labelled(f"{s}-{i}", s, "", None, {"claims": []}) for s in ("ag", "fwdnews")
             for i in range(1, 201)]
    folds = blocked_folds(items, 5)
    assert len(set(folds[:BLOCK])) == 1
    assert folds[BLOCK] != folds[0]
    for source in ("ag", "fwdnews"):
        assert {f for it, f in zip(items, folds, strict=True) if it.source == source} == set(
            range(5)
        )


def test_cli_rejects_bad_folds(capsys: pytest.CaptureFixture[str]) -> None:
    """--folds below 2 is a usage error naming the option."""
    with pytest.raises(SystemExit) as exc:
        ev.main(["--set", "cv", "--folds", "1"])
    assert exc.value.code == 2
    assert "--folds" in capsys.readouterr().err
