"""A blank line always ends a sentence: titles are parsed apart from their bodies."""

from __future__ import annotations

import pytest
from spacy.language import Language

from services.extract.nlp import BOUNDARY_NAME, build_nlp


@pytest.fixture(scope="module")
def nlp() -> Language:
    return build_nlp()


def test_the_boundary_component_runs_before_the_parser(nlp: Language) -> None:
    names = nlp.pipe_names
    assert names.index(BOUNDARY_NAME) < names.index("parser")


def test_no_sentence_or_dependency_arc_crosses_a_blank_line(nlp: Language) -> None:
    texts = [
        "Russian Troops Mass Near Ukraine Border\n\nNATO said Russia moved 20,000 troops.",
        "No blank line here. Two sentences.",
        "Headline Without Stop\n\nFirst paragraph here.\n\nSecond paragraph, in Kyiv.",
    ]
    docs = list(nlp.pipe(texts, batch_size=2))
    assert [d.text for d in docs] == texts
    for doc in docs:
        for sent in doc.sents:
            assert "\n\n" not in sent.text.strip()
        for token in doc:
            if not token.is_space:
                part = doc.text.count("\n\n", 0, token.idx)
                assert doc.text.count("\n\n", 0, token.head.idx) == part, token.text
    assert "Kyiv" in {e.text for e in docs[2].ents}
