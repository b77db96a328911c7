"""entities_from_doc / canonicalise: wire Entities with spans, corrected labels, canonical ids."""

from __future__ import annotations

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

import proto
from services.extract.entities import canonicalise, entities_from_doc
from services.extract.gazetteer import Gazetteer
from services.extract.nlp import build_nlp

# Seed article sentences (shared/data/seeds/000_1d4f31c28afa7fe4.txt, RIA Novosti 4 Nov 2014;
# 002_8111368c5c04ae35.txt, Sputnik 21 Nov 2014).
SEED = (
    "BRUSSELS, November 4 (RIA Novosti) \u2014 NATO has recently been seeing Russian troops "
    "approaching the Ukrainian border, alliance's Secretary General Jens Stoltenberg said "
    "Tuesday.\n"
    'NATO Chief also claimed that Russia "continues to support separatists by training them, by '
    "providing equipment and support them by also having Russian Special Forces inside eastern "
    'parts of Ukraine".\n'
    "On November 12, NATO said it had observed Russian tanks, artillery and combat troops "
    "crossing into Ukraine. The Russian Foreign Ministry denied the claims saying that there was "
    "no Russian military presence on the Ukrainian territory."
)


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.default()


@pytest.fixture(scope="module")
def nlp(gaz: Gazetteer) -> Language:
    return build_nlp(gazetteer=gaz)


def by_text(entities: list[proto.Entity]) -> dict[str, proto.Entity]:
    return {e.text: e for e in entities}


def test_every_entity_span_slices_the_doc_text(nlp: Language, gaz: Gazetteer) -> None:
    """One Entity per doc.ents entry, in order, and text[start:end] is the entity text."""
    doc = nlp(SEED)
    entities = entities_from_doc(doc, gaz)
    assert len(entities) == len(doc.ents) > 10
    starts = [e.span.start for e in entities]
    assert starts == sorted(starts)
    for entity in entities:
        assert doc.text[entity.span.start : entity.span.end] == entity.text


def test_spans_count_code_points_not_bytes(nlp: Language, gaz: Gazetteer) -> None:
    """Offsets after non-ASCII text (accents, an emoji, an em dash) are code-point indexes."""
    text = "\U0001f6a8 \u00c9lys\u00e9e \u2014 Fran\u00e7ois said Russia moved troops to Crimea."
    entities = entities_from_doc(nlp(text), gaz)
    crimea = by_text(entities)["Crimea"]
    assert crimea.span.start == text.index("Crimea")
    assert crimea.span.end - crimea.span.start == len("Crimea")


def test_canonical_ids_and_names_from_the_gazetteer(nlp: Language, gaz: Gazetteer) -> None:
    """Known names get their canonical id and name; demonyms their state; others stay blank."""
    found = by_text(entities_from_doc(nlp(SEED), gaz))
    assert (found["NATO"].canonical_id, found["NATO"].canonical_name) == ("Q7184", "NATO")
    assert found["Jens Stoltenberg"].canonical_id == "Q57282"
    assert found["Russian"].canonical_id == "RUS"
    assert found["Russian"].label == "NORP"
    assert found["Russian Special Forces"].canonical_id == "RUS"
    assert found["Ukrainian"].canonical_name == "Ukraine"
    assert found["RIA Novosti"].canonical_id == ""
    assert found["November 12"].canonical_id == ""


def test_ruler_labels_reach_the_wire(nlp: Language, gaz: Gazetteer) -> None:
    """The label on the wire is the corrected one ("Stoltenberg" PERSON, "Rostov" GPE)."""
    text = "Stoltenberg said troops left the Rostov region."
    found = by_text(entities_from_doc(nlp(text), gaz))
    assert found["Stoltenberg"].label == "PERSON"
    assert found["Rostov region"].label in {"GPE", "LOC"}
    assert found["Rostov region"].canonical_id == "place:rostov-oblast"


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("Iraqi National Guard troops moved into Najaf.", "Iraqi National Guard", "IRQ"),
        (
            "The National Guard deployed 2,000 troops to Louisiana.",
            "National Guard",
            "force:us-national-guard",
        ),
        ("The Russian Security Council met on Friday.", "Russian Security Council", "RUS"),
        ("The Security Council voted to send peacekeepers.", "Security Council", "Q37470"),
    ],
    ids=["iraqi-guard", "us-guard", "russian-council", "un-council"],
)
def test_generic_names_inside_longer_names_keep_their_owner(
    nlp: Language, gaz: Gazetteer, text: str, name: str, expected: str
) -> None:
    """ "Iraqi National Guard" is Iraq's, not the US Guard; "Security Council" alone the UN's."""
    found = [e for e in entities_from_doc(nlp(text), gaz) if e.text.endswith(name)]
    assert [e.canonical_id for e in found] == [expected]
    assert text[found[0].span.start : found[0].span.end].endswith(name)


def test_model_only_entities_are_corrected_too(gaz: Gazetteer) -> None:
    """An entity the model tagged on its own is still relabelled by an exact trusted alias."""
    doc = spacy.blank("en").make_doc("Troops left Crimea on Monday.")
    doc.ents = [Span(doc, 2, 3, label="ORG"), Span(doc, 4, 5, label="DATE")]
    crimea, monday = entities_from_doc(doc, gaz)
    assert (crimea.label, crimea.canonical_id) == ("GPE", "Q7835")
    assert (monday.label, monday.canonical_id) == ("DATE", "")


def test_doc_without_entities_gives_empty_list(nlp: Language, gaz: Gazetteer) -> None:
    """No entities, no output (and no error on an empty doc)."""
    assert entities_from_doc(nlp(""), gaz) == []
    assert entities_from_doc(Doc(nlp.vocab, words=["troops"]), gaz) == []


CANONICALISE = [
    ("Crimea", "ORG", "GPE", "Q7835"),
    ("Stoltenberg", "ORG", "PERSON", "Q57282"),
    ("Rostov", "PERSON", "GPE", "place:rostov-oblast"),
    ("the Kremlin", "GPE", "ORG", "RUS"),
    ("Russians", "NORP", "NORP", "RUS"),
    ("Russian Special Forces", "ORG", "ORG", "RUS"),
    ("Jordan", "GPE", "GPE", "JOR"),
    ("Jordan", "PERSON", "PERSON", None),
    ("Powell", "PERSON", "PERSON", "person:colin-powell"),
    ("Powell", "DATE", "DATE", None),
    ("1990", "DATE", "DATE", None),
    ("Reuters", "ORG", "ORG", None),
]


@pytest.mark.parametrize(
    ("text", "label", "want_label", "want_id"),
    CANONICALISE,
    ids=[f"{t}-{lab}" for t, lab, _, _ in CANONICALISE],
)
def test_canonicalise_label_and_identity(
    gaz: Gazetteer, text: str, label: str, want_label: str, want_id: str | None
) -> None:
    """Exact trusted aliases impose their label; ambiguous ones resolve under a fitting label."""
    got_label, ref = canonicalise(text, label, gaz)
    assert got_label == want_label
    assert (ref.id if ref else None) == want_id
