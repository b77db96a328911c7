"""The alert engine's pure rules: source independence, dispute matching, picture diffs."""

from __future__ import annotations

from typing import Any

import pytest

from services.api.alerts.rules import claim_key, dispute_rule, picture_diff
from services.api.alerts.syndication import (
    Source,
    canonical_url,
    copy_of,
    jaccard,
    shingles,
    wire_credits,
)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        pytest.param("https://www.x.org/a/?utm_source=rss#top", "http://x.org/a", True, id="noise"),
        pytest.param("https://x.org/a?id=1", "https://x.org/a?id=2", False, id="query-kept"),
        pytest.param("https://x.org/a", "https://y.org/a", False, id="other-host"),
    ],
)
def test_canonical_url_ignores_only_presentation(a: str, b: str, same: bool) -> None:
    """Scheme, www., fragment, tracking parameters and trailing slash do not make a new URL."""
    assert (canonical_url(a) == canonical_url(b)) is same


@pytest.mark.parametrize(
    ("text", "host", "wires"),
    [
        pytest.param("MOSCOW, November 21 (Sputnik) — NATO", "", {"rossiya-segodnya"}, id="ria"),
        pytest.param("KYIV (Reuters) - Troops", "", {"reuters"}, id="reuters"),
        pytest.param("Troops moved, AP reported.", "", set(), id="mention-not-credit"),
        pytest.param("Troops moved.", "www.reuters.com", {"reuters"}, id="agency-site"),
        pytest.param("x " * 300 + "(AFP)", "", set(), id="outside-dateline"),
    ],
)
def test_wire_credits_come_from_the_dateline_or_the_agency_site(
    text: str, host: str, wires: set[str]
) -> None:
    """Only a parenthesised credit near the start, or the agency's own host, names a wire."""
    assert wire_credits(text, host) == wires


def test_jaccard_of_shingles_separates_reprints_from_rewrites() -> None:
    """A reprint with one word changed stays above 0.8; different reporting falls far below."""
    text = " ".join(f"word{i}" for i in range(200))
    assert jaccard(shingles(text), shingles(text.replace("word100", "other"))) >= 0.8
    assert jaccard(shingles(text), shingles("completely different reporting here")) < 0.1


def test_copy_of_prefers_the_strongest_rule_and_skips_the_item_itself() -> None:
    """The same URL wins over the same outlet; an item is never a copy of itself."""
    first = Source("a", "https://x.org/1", "https://x.org/feed", "one text")
    again = Source("b", "https://x.org/1?utm_medium=f", "https://y.org/feed", "other text")
    found = copy_of(again, [first])
    assert found is not None
    assert (found.item_id, found.reason) == ("a", "same_url")
    assert copy_of(first, [first]) is None


def _cluster(actor: str, place: str, place_id: str | None, polarity: str) -> dict[str, Any]:
    return {
        "actor_key": actor,
        "location_key": place,
        "location_id": place_id,
        "movement": "advance",
        "polarity": polarity,
    }


@pytest.mark.parametrize(
    ("denial", "rule"),
    [
        pytest.param(_cluster("rus", "ukr", "UKR", "denied"), "exact", id="exact"),
        pytest.param(_cluster("rus", "", None, "denied"), "partial", id="no-place"),
        pytest.param(_cluster("rus", "border", None, "denied"), "partial", id="vague-place"),
        pytest.param(_cluster("", "ukr", "UKR", "denied"), "partial", id="no-actor"),
        pytest.param(_cluster("", "", None, "denied"), None, id="nothing-concrete"),
        pytest.param(_cluster("blr", "ukr", "UKR", "denied"), None, id="other-actor"),
        pytest.param(_cluster("rus", "pol", "POL", "denied"), None, id="other-place"),
        pytest.param(_cluster("rus", "ukr", "UKR", "asserted"), None, id="same-polarity"),
        pytest.param(
            {**_cluster("rus", "ukr", "UKR", "denied"), "movement": "buildup"},
            None,
            id="other-movement",
        ),
    ],
)
def test_dispute_rule(denial: dict[str, Any], rule: str | None) -> None:
    """Opposite polarity, same movement, no conflicting actor or place, one concrete match."""
    claim = _cluster("rus", "ukr", "UKR", "asserted")
    assert dispute_rule(denial, claim) == rule
    assert dispute_rule(claim, denial) == rule


_EMPTY = {"size_text": None, "size_min": None, "size_max": None}


@pytest.mark.parametrize(
    ("cluster", "claim", "diff"),
    [
        pytest.param(
            {**_EMPTY, "location_text": "Ukraine", "location_relation": "into"},
            {**_EMPTY, "location_text": "Ukraine", "location_relation": "into"},
            {},
            id="repeat",
        ),
        pytest.param(
            {**_EMPTY, "location_text": "the Ukrainian border", "location_relation": "near"},
            {**_EMPTY, "location_text": "the border with Ukraine", "location_relation": "near"},
            {},
            id="rewording",
        ),
        pytest.param(
            {**_EMPTY, "location_text": "Ukraine", "location_relation": "near"},
            {**_EMPTY, "location_text": "Ukraine", "location_relation": "into"},
            {"relation": ["near", "into"]},
            id="relation",
        ),
        pytest.param(
            {**_EMPTY, "location_text": None, "location_relation": None},
            {
                "size_text": "5,000 troops",
                "size_min": 5000.0,
                "size_max": 5000.0,
                "location_text": None,
                "location_relation": None,
            },
            {"size": [None, "5,000 troops"]},
            id="size-appears",
        ),
    ],
)
def test_picture_diff(cluster: dict[str, Any], claim: dict[str, Any], diff: dict[str, Any]) -> None:
    """Only a new size, a new relation or new place words change the picture."""
    assert picture_diff(cluster, claim) == diff


def test_claim_key_rebuilds_a_missing_fingerprint_from_columns() -> None:
    """Claims from an extractor without fingerprints still cluster by their columns."""
    row = {
        "fingerprint": "",
        "actor_id": "RUS",
        "actor_text": "Russian",
        "movement": "advance",
        "location_id": None,
        "location_text": "the Border",
        "polarity": "denied",
    }
    assert claim_key(row).fingerprint == "rus|advance|the border|denied"
