"""Parse a text's blank-line-separated parts on their own, then join them into one Doc.

A headline without final punctuation followed by its body reads to the parser as one
sentence, and its dependency arcs then cross the title/body boundary. Parsing each part
alone (in the same ``nlp.pipe`` stream, so batching is kept) and joining the parsed parts
with ``Doc.from_docs`` gives one Doc whose text is exactly the input, whose sentences never
span a blank line, and whose offsets are those of the whole text. It costs one parse of the
text, where re-parsing leaky titles afterwards cost a second one.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator

from spacy.language import Language
from spacy.tokens import Doc

__all__ = ["pipe_segmented", "split_parts"]

_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n\s*")


def split_parts(text: str) -> list[str]:
    """The text cut after each blank line; every part keeps its trailing separator, so
    ``"".join(split_parts(text)) == text``."""
    cuts = [m.end() for m in _BLANK_LINE.finditer(text) if m.end() < len(text)]
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds) if b > a] or [text]


def pipe_segmented(nlp: Language, texts: Iterable[str], *, batch_size: int = 64) -> Iterator[Doc]:
    """Like ``nlp.pipe(texts)``, one Doc per text in order, with each part parsed alone."""
    plans: list[int] = []

    def parts() -> Iterator[str]:
        for text in texts:
            pieces = split_parts(text)
            plans.append(len(pieces))
            yield from pieces

    docs = nlp.pipe(parts(), batch_size=batch_size)
    index = 0
    for doc in docs:
        # ``plans`` is filled as the generator is consumed, always ahead of this loop.
        count = plans[index]
        index += 1
        if count == 1:
            yield doc
            continue
        pieces = [doc] + [next(docs) for _ in range(count - 1)]
        yield Doc.from_docs(pieces, ensure_whitespace=False)
