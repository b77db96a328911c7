"""The learned claim detector: its artefact round-trips and refuses bad files, hashing is
stable across processes, probabilities behave, the three thresholds apply as documented,
training is deterministic and learns a separable toy task, and the extractor obeys it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from services.extract.claims.detector import (
    DEFAULT_PATH,
    MOVEMENTS,
    Decision,
    Detector,
    DetectorError,
    hash_features,
)
from services.extract.claims.features import DENSE_WIDTH
from services.extract.train import Example, Params, fit


def _row(feats: list[str], claim: bool | None, movement: str = "deploy", denied: bool = False,
         source: str = "ag") -> Example:
    return Example(
        item_id=f"x-{len(feats)}-{claim}",
        source=source,
        ids=hash_features(feats),
        dense=np.zeros(DENSE_WIDTH, dtype=np.float32),
        claim=claim,
        movements=(movement,) if claim else (),
        denied=denied,
    )


def _toy() -> list[Example]:
    """Sentences with a 'w:troop' word are claims; their verb decides the movement."""
    rows = []
    for i in range(30):
        verb = ("send", "mass", "enter", "withdraw")[i % 4]
        movement = ("deploy", "buildup", "advance", "withdraw")[i % 4]
        rows.append(_row(["bias", "w:troop", f"w:{verb}", f"n:{i}"], True, movement, i % 10 == 0))
        rows.append(_row(["bias", "w:match", f"w:{verb}", f"n:{i}"], False))
    rows.append(_row(["bias", "w:troop", "w:title"], None))  # unlabelled: left out
    return rows


def test_hash_is_stable_across_processes() -> None:
    """Feature ids do not depend on Python's per-process hash seed."""
    here = hash_features(["w:troop", "d:nsubj:send>FORCE"]).tolist()
    code = (
        "from services.extract.claims.detector import hash_features;"
        "print(hash_features(['w:troop', 'd:nsubj:send>FORCE']).tolist())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env={"PYTHONHASHSEED": "123", "PATH": ""}, cwd=Path(__file__).resolve().parents[2],
    )
    assert out.stdout.strip() == str(here)


def test_fit_learns_toy_task_and_is_deterministic() -> None:
    """Claims are told from non-claims, movements from each other; two fits are identical."""
    rows = _toy()
    a, b = fit(rows), fit(rows)
    assert np.array_equal(a.index, b.index)
    assert np.array_equal(a.sparse, b.sparse)
    yes = a.decide(["bias", "w:troop", "w:enter"], np.zeros(DENSE_WIDTH, dtype=np.float32))
    no = a.decide(["bias", "w:match", "w:enter"], np.zeros(DENSE_WIDTH, dtype=np.float32))
    assert yes.claim > 0.5 > no.claim
    assert yes.movement == "advance"
    assert sum(yes.movements) == pytest.approx(1.0)
    assert a.meta["sentences"] == 60  # the unlabelled row is not trained on
    assert 0.0 <= yes.denied <= 1.0


def test_artefact_round_trip(tmp_path: Path) -> None:
    """save then load gives the same decisions and thresholds."""
    det = fit(_toy(), Params(threshold=0.4, rule_threshold=0.1, reject_threshold=0.95))
    path = tmp_path / "d.npz"
    det.save(path)
    again = Detector.load(path)
    feats, dense = ["bias", "w:troop", "w:mass"], np.zeros(DENSE_WIDTH, dtype=np.float32)
    assert again.decide(feats, dense) == det.decide(feats, dense)
    assert (again.threshold, again.rule_threshold, again.reject_threshold) == (0.4, 0.1, 0.95)
    assert again.meta == det.meta


@pytest.mark.parametrize(
    "content",
    [None, b"", b"not a zip file", b"PK\x03\x04broken"],
    ids=["missing", "empty", "garbage", "truncated-zip"],
)
def test_bad_artefact_is_a_clear_error(tmp_path: Path, content: bytes | None) -> None:
    """A missing or unreadable artefact raises DetectorError naming the file."""
    path = tmp_path / "detector.npz"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DetectorError, match=r"detector\.npz"):
        Detector.load(path)


def test_artefact_missing_arrays_is_a_clear_error(tmp_path: Path) -> None:
    """An npz without the detector's arrays is refused, not half-loaded."""
    path = tmp_path / "detector.npz"
    np.savez(path, index=np.zeros(3, dtype=np.int64))
    with pytest.raises(DetectorError):
        Detector.load(path)


@pytest.mark.parametrize(
    ("p", "rules", "expected"),
    [
        (0.30, None, False),
        (0.60, None, True),
        (0.10, True, True),
        (0.03, True, False),
        (0.95, False, False),
        (0.995, False, True),
    ],
    ids=["no-trigger-low", "no-trigger-high", "rules-accept", "rules-accept-veto",
         "rules-reject", "rules-reject-overridden"],
)
def test_thresholds(p: float, rules: bool | None, expected: bool) -> None:
    """threshold where the rules found nothing, rule_threshold where they accept,
    reject_threshold where they judged the sentence no claim."""
    d = Decision(p, (0.25, 0.25, 0.25, 0.25), 0.0, 0.5, 0.05, 0.99)
    assert d.accepts(rules) is expected


def test_shipped_artefact_loads() -> None:
    """The package ships a detector with all four movements and sane thresholds."""
    det = Detector.load(DEFAULT_PATH)
    assert len(det.index) > 1000
    assert 0 < det.rule_threshold <= det.threshold <= det.reject_threshold <= 1
    assert det.meta["positive_sentences"] >= 100
    assert det.sparse.shape[1] == 2 + len(MOVEMENTS)


@pytest.mark.skipif(
    not (Path(__file__).resolve().parents[2] / "eval" / "train.gold.jsonl").exists(),
    reason="eval/ data absent",
)
@pytest.mark.timeout(300)
def test_shipped_artefact_is_what_make_train_builds() -> None:
    """Training on eval/ reproduces the shipped weights exactly (seeded, deterministic), and
    the artefact records the digest of the labels it learnt from: relabel, then `make train`."""
    from services.extract.train import labels_digest, train

    shipped = Detector.load(DEFAULT_PATH)
    fresh = train()
    assert shipped.meta["labels_sha256"] == labels_digest(), "labels changed: run make train"
    assert np.array_equal(fresh.index, shipped.index)
    assert np.allclose(fresh.sparse, shipped.sparse, atol=1e-6)
    assert np.allclose(fresh.dense, shipped.dense, atol=1e-6)
    assert np.allclose(fresh.bias, shipped.bias, atol=1e-6)
    assert (fresh.threshold, fresh.rule_threshold, fresh.reject_threshold) == (
        shipped.threshold, shipped.rule_threshold, shipped.reject_threshold
    )
