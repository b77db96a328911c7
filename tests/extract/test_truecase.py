"""Headline case undone before parsing (`claims/truecase.py`): which lines count as headline
case, which capitals go and which stay, offsets kept; and, through the whole extractor, that a
title-cased or all-capitals headline gives the claim its sentence-case form gives, with role
texts as the source wrote them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from spacy.language import Language

from services.extract.claims import ClaimExtractor, claim_to_json
from services.extract.claims.truecase import Vocabulary, is_headline_case, sentence_case

WORDS = Vocabulary(
    ["military", "install", "system", "sea", "rebel", "approach", "capital", "troop", "use",
     "authorize", "black", "warship", "strait", "burke", "defense", "long", "range", "missile"]
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rebels Approach Ethiopian Capital", True),
        ("RUSSIA AUTHORIZES USE OF TROOPS IN UKRAINE", True),
        ("U.S. Military Installs Long-Range Missile-Defense System In Alaska", True),
        ("Russia moves more troops westward, officials say", False),
        ("Troops Head Home", False),  # too short to tell
        ("NATO says Russia has massed 20,000 troops near Ukraine's border", False),
    ],
)
def test_headline_case(text: str, expected: bool) -> None:
    assert is_headline_case(text) is expected


def test_inflections_of_common_words_are_common() -> None:
    assert all(w in WORDS for w in ("installs", "approached", "capitals"))
    assert "Severodonetsk" not in WORDS
    assert WORDS.inflected("installs")
    assert not WORDS.inflected("system")


def test_title_case_keeps_names_acronyms_and_offsets() -> None:
    text = "U.S. Military Installs Long-Range Missile-Defense System In Alaska"
    out = sentence_case(text, WORDS, lambda t: [(t.index("Alaska"), len(t))])
    assert out == "U.S. military installs long-range missile-defense system in Alaska"
    assert len(out) == len(text)


def test_unknown_names_and_their_continuations_keep_capitals() -> None:
    # "Arleigh" is no common word, so "Burke" (common, uninflected) continues the name;
    # "Enters" is an inflected verb and does not.
    text = "USS Arleigh Burke Enters Black Sea"
    out = sentence_case(text, Vocabulary([*WORDS._lemmas, "enter"]),
                        lambda t: [(t.index("Black"), len(t))])
    assert out == "USS Arleigh Burke enters Black Sea"


def test_capitals_become_sentence_case() -> None:
    text = "RUSSIA AUTHORIZES USE OF TROOPS IN UKRAINE"
    spans = lambda t: [(0, 6), (t.index("Ukraine"), len(t))]  # noqa: E731 - looked up title-cased
    assert sentence_case(text, WORDS, spans) == "Russia authorizes use of troops in Ukraine"


def test_sentence_case_text_is_left_alone() -> None:
    text = "Rebels approach the Ethiopian capital"
    assert sentence_case(text, WORDS, lambda t: []) is text


@pytest.fixture(scope="module")
def nlp() -> Language:
    from services.extract.batch import load_nlp

    return load_nlp()


@pytest.mark.parametrize(
    ("headline", "movement", "actor", "location"),
    [
        ("RUSSIA AUTHORIZES USE OF TROOPS IN UKRAINE", "deploy", "RUSSIA", "UKRAINE"),
        ("US Warship Again Transits Sensitive Taiwan Strait", "advance", "US", "Taiwan Strait"),
        ("Turkish Troops Enter Northern Syria Near Kobani", "advance", "Turkish", "Syria"),
    ],
)
def test_headline_case_claims_through_the_extractor(
    nlp: Language, headline: str, movement: str, actor: str, location: str
) -> None:
    """Rules alone (no detector) find the claim in a headline-cased title, and the role texts
    are the source's own characters at the claim's spans."""
    text = f"{headline}\n\nThe report gave no further details."
    rules = ClaimExtractor(nlp=nlp, detector=None)
    found = rules.extract(nlp(text), item_id="t", published_at=datetime(2022, 1, 1, tzinfo=UTC))
    claims = [claim_to_json(c) for c in found]
    assert [c["movement"] for c in claims] == [movement]
    claim = claims[0]
    assert claim["actor"] == actor
    assert location in (claim["location"] or "")
    place = found[0].location.place
    assert text[place.span.start : place.span.end] == place.text == claim["location"]
    assert claim["evidence"] == headline


def test_title_cut_by_an_ellipsis_folds_into_the_body_claim(nlp: Language) -> None:
    """A headline cut short with "..." is still the title: its claim restates the body's
    (the body sentence names the title's place) and folds into it."""
    text = (
        "Marines reach centre of Ramadi as fighting rages ...\n\n"
        "RAMADI: The governor said on Monday that US marines surged into the heart of Ramadi."
    )
    rules = ClaimExtractor(nlp=nlp, detector=None)
    claims = [claim_to_json(c) for c in rules.extract(nlp(text), item_id="t")]
    assert len(claims) == 1
    assert claims[0]["movement"] == "advance"
    assert claims[0]["evidence_start"] > text.index("\n\n")
