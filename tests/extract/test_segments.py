"""Texts are parsed part by part (split at blank lines) and joined back into one Doc."""

from __future__ import annotations

import pytest
from spacy.language import Language

from services.extract.nlp import build_nlp
from services.extract.segments import pipe_segmented, split_parts


@pytest.fixture(scope="module")
def nlp() -> Language:
    return build_nlp()


@pytest.mark.parametrize(
    "text",
    ["one part", "Title\n\nBody.", "Title\n\nBody.\n\n", "\n\nleading", "A\n \t\nB\n\n\nC"],
    ids=["single", "title-body", "trailing", "leading", "odd-whitespace"],
)
def test_parts_join_back_to_the_text(text: str) -> None:
    parts = split_parts(text)
    assert "".join(parts) == text
    assert all(parts)


def test_docs_keep_text_order_and_never_run_a_sentence_across_a_blank_line(nlp: Language) -> None:
    texts = [
        "Russian Troops Mass Near Ukraine Border\n\nNATO said Russia moved 20,000 troops.",
        "No blank line here. Two sentences.",
        "Headline Without Stop\n\nFirst paragraph here.\n\nSecond paragraph, in Kyiv.",
    ]
    docs = list(pipe_segmented(nlp, texts, batch_size=2))
    assert [d.text for d in docs] == texts
    for doc in docs:
        for sent in doc.sents:
            assert "\n\n" not in sent.text.strip()
        for token in doc:
            # Dependency arcs stay inside the part the token belongs to.
            part_of = doc.text.count("\n\n", 0, token.idx)
            assert doc.text.count("\n\n", 0, token.head.idx) == part_of
        for ent in doc.ents:
            assert doc.text[ent.start_char : ent.end_char] == ent.text
    assert "Kyiv" in {e.text for e in docs[2].ents}
