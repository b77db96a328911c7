"""The labelled training set of `eval/` (TRAINING.md): the schema holds on every record, each
label lives in exactly one file, evidence is an exact substring of the item, the documented
counts are the data's, the second reading's agreement is what TRAINING.md reports, and (where
the raw files sit beside the project) every id is in the training pool and the selection
scripts reproduce the item files."""

from __future__ import annotations

import collections
import json
import re
import subprocess
import sys
from typing import Any

import pytest

from services.extract import labelled
from services.extract.labelled import EVAL_DIR, read_jsonl

SHARED = EVAL_DIR.parent.parent / "shared" / "data"
MOVEMENTS = {"buildup", "deploy", "advance", "withdraw"}


@pytest.fixture(scope="module")
def items() -> list[labelled.Labelled]:
    return labelled.load()


def _raw_text(record: dict[str, Any]) -> str:
    return f"{record['title']} {record['text']}"


def test_schema_and_evidence() -> None:
    """Every record of train/heldout: is_claim agrees with claims, fields and values are the
    schema's, evidence occurs verbatim in the item's raw title or text."""
    for gold_name, items_name in (
        ("train.gold.jsonl", "train_items.jsonl"),
        ("heldout.gold.jsonl", "heldout_items.jsonl"),
    ):
        raw = {x["id"]: x for x in read_jsonl(EVAL_DIR / items_name)}
        gold = read_jsonl(EVAL_DIR / gold_name)
        assert [g["id"] for g in gold] == list(raw), f"{gold_name} and {items_name} disagree"
        for g in gold:
            assert g["is_claim"] is bool(g["claims"]), g["id"]
            assert set(g) <= {"id", "is_claim", "claims", "note"}, g["id"]
            for c in g["claims"]:
                assert c["movement"] in MOVEMENTS, g["id"]
                assert c["polarity"] in ("asserted", "denied"), g["id"]
                item = raw[g["id"]]
                assert c["evidence"] in item["title"] or c["evidence"] in item["text"], g["id"]


def test_each_label_in_one_file_and_ids_well_formed(items: list[labelled.Labelled]) -> None:
    """No item is labelled twice across dev, heldout and train; ids have the pool's form."""
    ids = [it.id for it in items]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"(ag|fwdnews|ukrbias)-[1-9]\d*", i) for i in ids)
    assert {it.source for it in items} == set(labelled.SOURCES)


def test_sizes_the_issue_asks_for(items: list[labelled.Labelled]) -> None:
    """At least 3,000 items, at least 1,500 of them fwdnews and ukrbias."""
    assert len(items) >= 3000
    assert sum(it.source != "ag" for it in items) >= 1500


def test_documented_counts_match_the_data(items: list[labelled.Labelled]) -> None:
    """The per-source table of TRAINING.md is the data's."""
    doc = (EVAL_DIR / "TRAINING.md").read_text(encoding="utf-8")
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for it in items:
        c = counts[it.source]
        c["items"] += 1
        c["positive"] += bool(it.gold["claims"])
        c["claims"] += len(it.gold["claims"])
        for claim in it.gold["claims"]:
            c[claim["movement"]] += 1
            c["denied"] += claim["polarity"] == "denied"
    for source, c in counts.items():
        row = (
            f"| {source} | {c['items']:,} | {c['positive']} | {c['claims']} | {c['buildup']} "
            f"| {c['deploy']} | {c['advance']} | {c['withdraw']} | {c['denied']} |"
        )
        assert row in doc, f"TRAINING.md lacks the row {row}"


def test_second_reading_agreement_is_documented() -> None:
    """TRAINING.md reports the agreement that train.second.jsonl really gives."""
    a = labelled.agreement()
    assert a["items"] >= len(read_jsonl(EVAL_DIR / "train.gold.jsonl")) // 10
    doc = (EVAL_DIR / "TRAINING.md").read_text(encoding="utf-8")
    assert f"kappa {a['kappa']:.2f}" in doc
    assert f"{a['agreement']:.1%}" in doc


@pytest.mark.skipif(not (SHARED / "train-pool.txt").exists(), reason="raw data not beside us")
def test_every_label_is_in_the_training_pool(items: list[labelled.Labelled]) -> None:
    """Nothing is labelled outside ../shared/data/train-pool.txt."""
    pool = set((SHARED / "train-pool.txt").read_text(encoding="utf-8").split())
    assert {it.id for it in items} <= pool


@pytest.mark.skipif(not (SHARED / "train-pool.txt").exists(), reason="raw data not beside us")
@pytest.mark.parametrize(
    ("script", "items_file"),
    [("train_select.py", "train_items.jsonl"), ("heldout_select.py", "heldout_items.jsonl")],
    ids=["train", "heldout"],
)
def test_selection_scripts_reproduce_item_files(script: str, items_file: str) -> None:
    """The fixed-seed selection rules give exactly the committed item files."""
    out = subprocess.run(
        [sys.executable, str(EVAL_DIR / script)], capture_output=True, check=True
    ).stdout.decode("utf-8")
    assert [json.loads(x) for x in out.splitlines()] == read_jsonl(EVAL_DIR / items_file)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "cannot read"),
        ({"dev.gold.jsonl": '{"id": "ag-1", "is_claim": false, "claims": []}\n{oops\n'},
         "dev.gold.jsonl:2: not JSON"),
        ({"dev.gold.jsonl": "[1, 2]\n"}, "dev.gold.jsonl:1: not a record"),
    ],
    ids=["missing-files", "bad-json-line", "not-a-record"],
)
def test_bad_label_files_are_one_line_errors(
    tmp_path: Any, capsys: pytest.CaptureFixture[str], files: dict[str, str], message: str
) -> None:
    """`make train` and `make eval` on a missing or broken label file exit 2 with one line
    naming the file (and line), before any parsing starts."""
    from services.extract import evaluate, train

    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert train.main(["--eval-dir", str(tmp_path), "-o", str(tmp_path / "d.npz")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1]
    assert not (tmp_path / "d.npz").exists()
    assert evaluate.main(["--eval-dir", str(tmp_path), "--set", "cv"]) == 2
    assert message in capsys.readouterr().err.strip().splitlines()[-1]
