"""build_nlp: the packaged model with the gazetteer ruler in front of its NER."""

from __future__ import annotations

import pytest
from spacy.language import Language

from services.extract.gazetteer import Gazetteer
from services.extract.nlp import MODEL_NAME, RULER_NAME, build_nlp

# Sentences copied from the project's seed articles (shared/data/seeds/000_1d4f31c28afa7fe4.txt,
# RIA Novosti 4 Nov 2014; 002_8111368c5c04ae35.txt, Sputnik 21 Nov 2014) and AG News test rows
# (shared/data/agnews/test.csv, rows named by their ag- id).
STOLTENBERG_SAID = (
    '"Recently we [NATO] are seeing Russian troops moving closer to the border with Ukraine," '
    "Stoltenberg said at a joint press conference with EU Foreign Policy Chief Federica Mogherini."
)
STOLTENBERG_CALLED = (
    "Stoltenberg has once again called on Russia to influence the independence supporters in "
    "the southeast of Ukraine."
)
ROSTOV_REGION = (
    "According to Russian Prime Minister Dmitry Medvedev, the Russian troops in the Rostov region "
    "have been in the area since this summer to participate in massive drills."
)
ROSTOV_SOUTHERN = (
    "On October 12, Russian President Vladimir Putin ordered Defense Minister Sergei Shoigu to "
    "begin the withdrawal of some 17,600 troops who took part in military drills in the southern "
    "Rostov Region."
)
CRIMEA = (
    "Following Crimea's reunification with Russia in March 2014, NATO boosted its military "
    "presence close to Russia's border."
)
NAJAF_AG35 = (
    "NAJAF, Iraq - Explosions and gunfire rattled through the city of Najaf as U.S. troops in "
    "armored vehicles and tanks rolled back into the streets here Sunday."
)
KREMLIN_AG1307 = (
    "Kremlin rules out public inquiry on Beslan. LONDON President Vladimir Putin of Russia has "
    "ruled out a public inquiry into the Beslan school siege."
)


@pytest.fixture(scope="module")
def nlp() -> Language:
    return build_nlp()


def ents(nlp: Language, text: str) -> dict[str, str]:
    return {e.text: e.label_ for e in nlp(text).ents}


def test_ruler_sits_right_before_ner(nlp: Language) -> None:
    """The gazetteer ruler runs after the tagger/parser and before the statistical NER."""
    names = nlp.pipe_names
    assert names.index(RULER_NAME) + 1 == names.index("ner")


@pytest.mark.parametrize(
    ("text", "name", "labels"),
    [
        (STOLTENBERG_SAID, "Stoltenberg", {"PERSON"}),
        (STOLTENBERG_CALLED, "Stoltenberg", {"PERSON"}),
        (ROSTOV_REGION, "Rostov region", {"GPE", "LOC"}),
        (ROSTOV_SOUTHERN, "Rostov Region", {"GPE", "LOC"}),
        (CRIMEA, "Crimea", {"GPE", "LOC"}),
        (NAJAF_AG35, "NAJAF", {"GPE"}),
        (KREMLIN_AG1307, "Beslan", {"GPE"}),
        (KREMLIN_AG1307, "Kremlin", {"ORG"}),
    ],
    ids=[
        "stoltenberg-said",
        "stoltenberg-called",
        "rostov-region",
        "southern-rostov-region",
        "crimea",
        "najaf-dateline",
        "beslan",
        "kremlin",
    ],
)
def test_ruler_fixes_the_small_models_labels(
    nlp: Language, text: str, name: str, labels: set[str]
) -> None:
    """Names the small model mislabels (Stoltenberg ORG, Rostov PERSON/FAC) get the right label."""
    found = ents(nlp, text)
    assert found.get(name) in labels, found


def test_ruler_entities_carry_the_canonical_id(nlp: Language) -> None:
    """A ruler entity's ent_id_ is the gazetteer id, kept through the NER."""
    ids = {e.text: e.ent_id_ for e in nlp(ROSTOV_SOUTHERN).ents}
    assert ids["Rostov Region"] == "place:rostov-oblast"
    assert ids["Vladimir Putin"] == "Q7747"


def test_model_entities_outside_the_gazetteer_survive(nlp: Language) -> None:
    """The NER still finds what the gazetteer does not know (dates, numbers, other names)."""
    found = ents(nlp, ROSTOV_SOUTHERN)
    assert found.get("October 12") == "DATE"
    assert "Sergei Shoigu" in found


def test_ambiguous_names_are_left_to_the_model(nlp: Language) -> None:
    """A person called Jordan stays a person: lookup-only aliases are never ruler patterns."""
    found = ents(nlp, "Michael Jordan said Chad Johnson would fly to Amman.")
    assert found.get("Michael Jordan") == "PERSON"
    assert "Jordan" not in found


def test_custom_gazetteer_and_disabled_components() -> None:
    """A given gazetteer replaces the default; `disable` switches components off."""
    gaz = Gazetteer({"entities": [{"id": "place:zokniai", "name": "Zokniai", "kind": "place"}]})
    nlp = build_nlp(gazetteer=gaz, disable=["parser"])
    assert "parser" in nlp.disabled
    doc = nlp("NATO has planes based in Lithuania at Zokniai.")
    assert [(e.text, e.ent_id_) for e in doc.ents if e.ent_id_] == [("Zokniai", "place:zokniai")]


def test_disabling_the_ruler_gives_the_plain_model() -> None:
    """With the ruler disabled the labels are the model's own, so the fix comes from the ruler."""
    plain = build_nlp(disable=[RULER_NAME])
    assert RULER_NAME in plain.disabled
    assert f"{plain.meta['lang']}_{plain.meta['name']}" == MODEL_NAME
    assert ents(plain, STOLTENBERG_SAID).get("Stoltenberg") != "PERSON"


def test_empty_gazetteer_adds_no_ruler() -> None:
    """An empty gazetteer is honoured (not replaced by the default) and adds no ruler."""
    nlp = build_nlp(gazetteer=Gazetteer({}), disable=["parser", "tagger", "lemmatizer"])
    assert RULER_NAME not in nlp.component_names
    assert ents(nlp, STOLTENBERG_SAID)
