"""The demo catalogue: AG News text repair, the bundled sample's provenance, the release order."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from services.demo.catalogue import (
    SAMPLE_FILE,
    SEEDS_DIR,
    clean_agnews_text,
    load_catalogue,
    select_world_sample,
)

SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
needs_shared = pytest.mark.skipif(
    not (SHARED_DATA / "agnews" / "test.csv").exists(),
    reason="../shared/data (the AG News CSV and seeds) is not next to the repository",
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        pytest.param("Iraq #39;s interim leader", "Iraq's interim leader", id="apostrophe"),
        pytest.param("said  quot;we will stay quot;.", 'said "we will stay".', id="quotes"),
        pytest.param("Turner  amp; Newall", "Turner & Newall", id="ampersand"),
        pytest.param("the  #36;10 million prize", "the $10 million prize", id="dollar"),
        pytest.param("star  #151; Gov. Arnold", "star — Gov. Arnold", id="cp1252-em-dash"),
        pytest.param("Gaza &lt;b&gt;...&lt;/b&gt;", "Gaza ...", id="escaped-tags"),
        pytest.param("A second\\team of rocketeers", "A second team of rocketeers", id="backslash"),
        pytest.param("Reuters  -  double  spaces ", "Reuters - double spaces", id="spaces"),
        pytest.param("AT&amp;T and &#39;quoted&#39;", "AT&T and 'quoted'", id="real-entities"),
        pytest.param("Kill 36; 203 Hurt", "Kill 36; 203 Hurt", id="plain-semicolon"),
    ],
)
def test_clean_agnews_text_repairs_mangled_entities(raw: str, clean: str) -> None:
    """AG News' mangled entities, line breaks and tags become plain text; real text survives."""
    assert clean_agnews_text(raw) == clean


def test_catalogue_starts_with_the_seeds_then_about_300_world_items() -> None:
    """Seeds lead the release order by default; every id is unique."""
    items = load_catalogue()
    ids = [item.id for item in items]
    assert len(set(ids)) == len(ids)
    assert ids[:2] == [f"seed-{p.stem}" for p in sorted(SEEDS_DIR.glob("*.txt"))]
    assert 250 <= len(items) - 2 <= 350
    assert all(re.fullmatch(r"ag-\d+", item_id) for item_id in ids[2:])
    assert [item.id for item in load_catalogue(seed_first=False)][-2:] == ids[:2]


def test_seed_items_have_dateline_dates_and_a_sentence_title() -> None:
    """Seed titles are their first sentence after the dateline; dates come from the dateline."""
    seeds = load_catalogue()[:2]
    assert [s.published.date().isoformat() if s.published else None for s in seeds] == [
        "2014-11-04",
        "2014-11-21",
    ]
    assert [s.source for s in seeds] == ["RIA Novosti", "Sputnik"]
    for seed in seeds:
        assert seed.title.startswith("NATO")
        assert seed.title in seed.text
        assert "—" not in seed.title


def test_world_items_are_clean_and_include_troop_claims() -> None:
    """No AG News residue reaches the demo, and many items talk about troop movements."""
    world = load_catalogue()[2:]
    residue = re.compile(r"#\d+;|\b(quot|amp|lt|gt);|\\|&lt;|  ")
    assert not [item.id for item in world if residue.search(item.title + " " + item.text)]
    troop_words = re.compile(r"\b(troops?|forces|withdr[ae]w\w*|deploy\w*)\b", re.IGNORECASE)
    assert sum(bool(troop_words.search(item.title + " " + item.text)) for item in world) >= 100


@needs_shared
def test_bundled_sample_is_reproduced_from_the_source_csv() -> None:
    """The bundled sample equals a fresh selection from the AG News CSV (raw fields, row ids)."""
    with (SHARED_DATA / "agnews" / "test.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    bundled = [json.loads(line) for line in SAMPLE_FILE.read_text(encoding="utf-8").splitlines()]
    assert select_world_sample(rows) == bundled
    for record in bundled:
        assert rows[record["row"]] == ["1", record["title"], record["description"]]


@needs_shared
def test_bundled_seeds_are_unchanged_copies() -> None:
    """The bundled seed articles are byte-for-byte the shared ones."""
    shared = sorted((SHARED_DATA / "seeds").glob("*.txt"))
    bundled = sorted(SEEDS_DIR.glob("*.txt"))
    assert [p.name for p in bundled] == [p.name for p in shared]
    for ours, theirs in zip(bundled, shared, strict=True):
        assert ours.read_bytes() == theirs.read_bytes()
