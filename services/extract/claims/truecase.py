"""Headline case undone before parsing. The small English pipeline reads capitals as names:
"USS Arleigh Burke Enters Black Sea" parses "Enters" as part of a person's name and
"RUSSIA AUTHORIZES USE OF TROOPS IN UKRAINE" has no verb at all. A headline-cased line is
rewritten to sentence case before it is parsed: a capitalised word goes to lower case when it
is a common English word (`Vocabulary`, from the pipeline's own lemma tables) and is not part
of a name the gazetteer knows, an acronym or a dotted abbreviation; other capitalised words
(unknown names) keep their capital. The rewrite keeps every character's offset, so spans into
the rewritten text are spans into the original.
Consumes one line of text; emits the line in sentence case, or the line unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

__all__ = ["Vocabulary", "is_headline_case", "sentence_case", "stems"]

_WORD = re.compile(r"[^\W\d_][^\W\d_'\u2019.\-]*(?:['\u2019][^\W\d_]+)?")
# Function words headline styles leave in lower case ("Troops Head to the Border").
_MINOR = frozenset(
    {
        "a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "nor", "of",
        "off", "on", "onto", "or", "out", "over", "per", "the", "to", "up", "upon", "via",
        "with", "vs",
    }
)


def _words(text: str) -> list[re.Match[str]]:
    return list(_WORD.finditer(text))


def is_headline_case(text: str) -> bool:
    """True for a line in title case ("Rebels Approach Ethiopian Capital": most words other
    than function words capitalised) or in capitals ("RUSSIA AUTHORIZES USE OF TROOPS"), with
    at least four words; False for ordinary sentence case."""
    if "\n" in text.strip():
        return False
    words = [m.group() for m in _words(text)]
    content = [w for w in words if w.lower() not in _MINOR]
    if len(words) < 4 or len(content) < 3:
        return False
    letters = [c for w in words for c in w if c.isalpha()]
    if sum(c.isupper() for c in letters) >= 0.8 * len(letters):
        return True
    capitalised = sum(w[0].isupper() for w in content[1:])
    return capitalised >= 0.75 * (len(content) - 1) and capitalised >= 3


class Vocabulary:
    """Common English words: the lemma index of the pipeline's rule lemmatizer (WordNet's
    nouns, verbs, adjectives and adverbs) with its irregular forms, and regular inflections
    of them ("enters", "installs", "casualties", "deployed")."""

    def __init__(self, lemmas: Iterable[str], irregular: Iterable[str] = ()) -> None:
        self._lemmas = frozenset(w for w in lemmas if w.isalpha())
        self._irregular = frozenset(irregular)

    @classmethod
    def from_pipeline(cls, nlp: object) -> Vocabulary:
        """The vocabulary of a pipeline with a rule lemmatizer; empty without one."""
        try:
            lookups = nlp.get_pipe("lemmatizer").lookups  # type: ignore[attr-defined]
            index = lookups.get_table("lemma_index")
            exc = lookups.get_table("lemma_exc")
        except (AttributeError, KeyError, ValueError):
            return cls(())
        lemmas = [w for key in index for w in index[key]]
        irregular = [w for key in exc for w in exc[key]]
        return cls(lemmas, irregular)

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str):
            return False
        w = word.lower()
        return w in self._lemmas or w in self._irregular or self.inflected(w)

    def inflected(self, word: str) -> bool:
        """True for a regular inflection of a common word that is no word of its own
        ("enters", "deployed"; not "troops"... which is both)."""
        w = word.lower()
        return w not in self._lemmas and any(s in self._lemmas for s in stems(w))


def stems(word: str) -> list[str]:
    """Candidate base forms of a word read as a regular inflection ("casualties" →
    "casualty", "planned" → "plan", "running" → "run"); none for a word without an
    inflectional ending."""
    w = word.lower()
    out = []
    if w.endswith("ies"):
        out.append(w[:-3] + "y")
    if w.endswith("es"):
        out.append(w[:-2])
    if w.endswith("s"):
        out.append(w[:-1])
    if w.endswith("ied"):
        out.append(w[:-3] + "y")
    if w.endswith("ed"):
        out += [w[:-2], w[:-1]]
        if len(w) > 4 and w[-3] == w[-4]:
            out.append(w[:-3])
    if w.endswith("ing"):
        out += [w[:-3], w[:-3] + "e"]
        if len(w) > 5 and w[-4] == w[-5]:
            out.append(w[:-4])
    return [s for s in out if len(s) > 1]


def sentence_case(
    text: str,
    vocabulary: Vocabulary,
    names: Callable[[str], Iterable[tuple[int, int]]] | None = None,
) -> str:
    """`text` with the capitals of headline case removed where they mark no name; the same
    length as `text`, unchanged unless `is_headline_case`. `vocabulary` holds the common
    English words; `names` gives the character spans of known names in a text (they
    keep their capitals; in a line of capitals they are title-cased, acronyms kept). The
    first word keeps its capital."""
    if not is_headline_case(text):
        return text
    shouting = sum(c.isupper() for c in text if c.isalpha()) >= 0.8 * sum(
        c.isalpha() for c in text
    )
    probe = text.title() if shouting else text
    if len(probe) != len(text):
        probe = text
    kept = list(names(probe)) if names is not None else []
    common = vocabulary.__contains__
    out = list(text)
    unknown_end = -2  # end of the last capitalised word kept as an unknown name
    for n, m in enumerate(_words(text)):
        word, start = m.group(), m.start()
        named = any(s <= start < e for s, e in kept)
        if "." in word.rstrip(".") or (not shouting and word.isupper() and len(word) > 1):
            continue  # "U.S.", "NATO", "USS": abbreviations and acronyms
        # A capitalised word after an unknown name continues it ("Arleigh Burke").
        continues = (
            start == unknown_end + 1 and text[unknown_end] == " " and not vocabulary.inflected(word)
        )
        if n > 0 and word.lower() in _MINOR and not named:
            new = word.lower()  # "In", "Of": function words
        elif shouting:
            if named or not common(word) or n == 0:
                new = word[0] + word[1:].lower()
            else:
                new = word.lower()
            if named and len(word) <= 4 and not common(word):
                new = word  # "NATO", "US" in a line of capitals: acronyms stay
        elif not word[0].isupper():
            continue
        elif named or n == 0 or continues or not common(word):
            if (not named and n > 0 and not common(word)) or continues:
                unknown_end = m.end()
            continue
        else:
            new = word[0].lower() + word[1:]
        out[start : start + len(word)] = new
    return "".join(out)
