"""Gazetteer: the canonical identities of the states, organisations, forces, places and people
that troop-movement news names. It consumes the shipped table `data/gazetteer.yaml` and emits
`CanonicalRef`s for entity texts (`lookup`), spans of known names in raw text (`find_all`) and
spaCy EntityRuler patterns (`patterns`) that the extract pipeline puts before its NER.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

__all__ = ["KINDS", "CanonicalRef", "Gazetteer", "GazetteerMatch", "normalise"]

KINDS = frozenset({"state", "organisation", "alliance", "armed_force", "place", "person"})
_KIND_LABEL = {
    "state": "GPE",
    "organisation": "ORG",
    "alliance": "ORG",
    "armed_force": "ORG",
    "place": "GPE",
    "person": "PERSON",
}
# Per state field: the spaCy label its aliases carry.
_STATE_FIELDS = {"names": "GPE", "capitals": "GPE", "seats": "ORG", "demonyms": "NORP"}

# Single letters joined by dots ("U.S.", "U.S", "U.K.") are one token; else runs of letters/digits.
_TOKEN_RE = re.compile(r"[^\W\d_](?:\.[^\W\d_])+\.?|[^\W_]+")
_APOSTROPHES = "'\u2019\u2018`"


@dataclass(frozen=True, slots=True)
class CanonicalRef:
    """A canonical identity: ISO 3166-1 alpha-3 for states, a Wikidata QID or a stable slug."""

    id: str
    name: str
    kind: str
    # Places and armed groups: the id of the state they lie or operate in.
    country: str | None = None
    # People and armed forces: the id of the state or organisation they speak or act for.
    affiliation: str | None = None


@dataclass(frozen=True, slots=True)
class GazetteerMatch:
    """How a text resolved: `exact` when the whole text is a known alias, whose `label` it has."""

    ref: CanonicalRef
    label: str | None
    exact: bool
    # False for aliases too ambiguous to tag in free text ("Jordan", "Chad", "Powell").
    trusted: bool


@dataclass(frozen=True, slots=True)
class _Alias:
    ref: CanonicalRef
    surface: str
    label: str
    trusted: bool
    # Acronyms ("US", "UN") match only capitalised text, so "us" the pronoun never does.
    exact_case: bool


def _fold(token: str) -> str:
    decomposed = unicodedata.normalize("NFKD", token.replace(".", ""))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _tokens(text: str) -> Iterator[tuple[int, int, str]]:
    """Yield (start, end, folded) word tokens, dropping the "s" of a possessive "'s"."""
    for m in _TOKEN_RE.finditer(text):
        word = m.group()
        if word in ("s", "S") and m.start() > 0 and text[m.start() - 1] in _APOSTROPHES:
            continue
        yield m.start(), m.end(), _fold(word)


def normalise(text: str) -> str:
    """Case-, accent-, punctuation- and possessive-insensitive key; a leading "the" is dropped."""
    words = [t for _, _, t in _tokens(text)]
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return " ".join(words)


class Gazetteer:
    """An in-memory alias table; immutable after construction and safe to share across tasks."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        """Build from the parsed gazetteer document; raises ValueError on a malformed entry."""
        self._by_id: dict[str, CanonicalRef] = {}
        self._aliases: dict[str, list[_Alias]] = {}
        for alias in _read_aliases(data, self._by_id):
            self._aliases.setdefault(normalise(alias.surface), []).append(alias)
        self._max_tokens = max((len(k.split()) for k in self._aliases), default=0)
        vocabulary = data.get("vocabulary") or {}
        # See the `vocabulary` section of the data file for what each word list allows.
        self._institution_words = frozenset(_strings(vocabulary, "institution_words"))
        self._place_modifiers = frozenset(_strings(vocabulary, "place_modifiers"))
        self._title_words = frozenset(_strings(vocabulary, "title_words"))
        self._alias_tokens = frozenset(t for key in self._aliases for t in key.split())

    @classmethod
    def from_path(cls, path: Path) -> Gazetteer:
        """Load a gazetteer YAML file."""
        with path.open("rb") as f:
            return cls(yaml.safe_load(f))

    @classmethod
    def default(cls) -> Gazetteer:
        """The shipped gazetteer, parsed once per process and then shared."""
        return _default()

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[CanonicalRef]:
        """Every entry, in the order of the data file."""
        return iter(self._by_id.values())

    def get(self, ref_id: str) -> CanonicalRef | None:
        """The entry with this id, or None."""
        return self._by_id.get(ref_id)

    def party(self, ref: CanonicalRef) -> CanonicalRef:
        """The organisation or state a person or force stands for (Stoltenberg → NATO), else ref."""
        seen = {ref.id}
        while ref.affiliation and ref.affiliation not in seen:
            parent = self._by_id.get(ref.affiliation)
            if parent is None:
                break
            seen.add(parent.id)
            ref = parent
        return ref

    def lookup(self, text: str) -> CanonicalRef | None:
        """The canonical identity an entity text names, or None when it names none we know.

        Insensitive to case, accents, punctuation, a leading "the" and a possessive "'s".
        Besides exact aliases it resolves "<state|org> <institution words>" ("Russian Special
        Forces" → RUS), "<direction> <place>" ("eastern Ukraine") and "<titles> <person>".
        """
        match = self.match(text)
        return match.ref if match else None

    def match(self, text: str) -> GazetteerMatch | None:
        """Like `lookup`, and also says whether the match was exact and which label it implies."""
        key = normalise(text)
        if not key:
            return None
        exact = self._exact(key)
        if exact is not None:
            return GazetteerMatch(exact.ref, exact.label, exact=True, trusted=exact.trusted)
        words = key.split()
        for i in range(1, len(words)):
            tail = self._exact(" ".join(words[i:]))
            if tail is None:
                continue
            head = words[:i]
            if tail.ref.kind == "person":
                allowed = all(w in self._title_words or w in self._alias_tokens for w in head)
            else:
                allowed = all(w in self._place_modifiers for w in head)
            if allowed:
                return GazetteerMatch(tail.ref, None, exact=False, trusted=tail.trusted)
        for i in range(min(len(words) - 1, self._max_tokens), 0, -1):
            head_alias = self._exact(" ".join(words[:i]))
            if head_alias is None or head_alias.ref.kind in ("person", "place"):
                continue
            if all(w in self._institution_words for w in words[i:]):
                return GazetteerMatch(head_alias.ref, None, exact=False, trusted=head_alias.trusted)
        return None

    def find_all(self, text: str) -> list[tuple[int, int, CanonicalRef]]:
        """Non-overlapping (start, end, ref) of known names in running text, longest first.

        Offsets are code-point indexes into `text`. Only capitalised words match, acronyms only
        in capitals, and ambiguous aliases (see `lookup_only` in the data) never do.
        """
        toks = list(_tokens(text))
        found: list[tuple[int, int, CanonicalRef]] = []
        i = 0
        while i < len(toks):
            step = 1
            for n in range(min(self._max_tokens, len(toks) - i), 0, -1):
                window = toks[i : i + n]
                alias = self._tagged(" ".join(t for _, _, t in window), text, window)
                if alias is not None:
                    found.append((window[0][0], window[-1][1], alias.ref))
                    step = n
                    break
            i += step
        return found

    def patterns(self) -> list[dict[str, str]]:
        """spaCy EntityRuler phrase patterns, each {"label", "pattern", "id"} with id = ref.id.

        Demonyms are left out: the statistical model tags them well as NORP, and tagging the
        adjective alone would split names such as "the Russian Foreign Ministry".
        """
        out: list[dict[str, str]] = []
        seen: set[str] = set()
        for aliases in self._aliases.values():
            for alias in aliases:
                if not alias.trusted or alias.label == "NORP":
                    continue
                for surface in _surface_variants(alias):
                    if surface not in seen:
                        seen.add(surface)
                        out.append({"label": alias.label, "pattern": surface, "id": alias.ref.id})
        return out

    def _exact(self, key: str) -> _Alias | None:
        aliases = self._aliases.get(key)
        return aliases[0] if aliases else None

    def _tagged(self, key: str, text: str, window: list[tuple[int, int, str]]) -> _Alias | None:
        for alias in self._aliases.get(key, ()):
            if not alias.trusted:
                continue
            first = text[window[0][0] : window[0][1]]
            if not (first[0].isupper() or first[0].isdigit()):
                continue
            if alias.exact_case and any(
                text[s:e].replace(".", "") != text[s:e].replace(".", "").upper()
                for s, e, _ in window
            ):
                continue
            return alias
        return None


def _surface_variants(alias: _Alias) -> list[str]:
    """The written forms the ruler should match: as listed, in capitals, with a capital initial."""
    variants = [alias.surface]
    if not alias.exact_case:
        variants.append(alias.surface.upper())
        variants.append(alias.surface[0].upper() + alias.surface[1:])
    return list(dict.fromkeys(variants))


def _is_acronym(surface: str) -> bool:
    letters = [c for c in surface if c.isalpha()]
    return len(letters) <= 5 and all(c.isupper() for c in letters) and " " not in surface


def _strings(entry: Mapping[str, Any], field: str) -> list[str]:
    value = entry.get(field, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"gazetteer: {field!r} must be a list of strings in {entry!r}")
    return value


def _read_aliases(data: Mapping[str, Any], by_id: dict[str, CanonicalRef]) -> Iterable[_Alias]:
    def add(ref: CanonicalRef) -> None:
        if ref.kind not in KINDS:
            raise ValueError(f"gazetteer: unknown kind {ref.kind!r} for {ref.id}")
        if ref.id in by_id:
            raise ValueError(f"gazetteer: duplicate id {ref.id}")
        by_id[ref.id] = ref

    def alias(ref: CanonicalRef, surface: str, label: str, lookup_only: set[str]) -> _Alias:
        trusted = surface not in lookup_only
        return _Alias(ref, surface, label, trusted, exact_case=_is_acronym(surface))

    for state_id, entry in (data.get("states") or {}).items():
        ref = CanonicalRef(id=str(state_id), name=entry["name"], kind="state")
        add(ref)
        lookup_only = set(_strings(entry, "lookup_only"))
        yield alias(ref, ref.name, "GPE", lookup_only)
        for field, label in _STATE_FIELDS.items():
            for surface in _strings(entry, field):
                yield alias(ref, surface, label, lookup_only)

    for entry in data.get("entities") or []:
        kind, country, affiliation = entry["kind"], entry.get("country"), entry.get("affiliation")
        ref = CanonicalRef(entry["id"], entry["name"], kind, country, affiliation)
        add(ref)
        label = entry.get("label", _KIND_LABEL.get(kind, "ORG"))
        lookup_only = set(_strings(entry, "lookup_only"))
        for surface in [ref.name, *_strings(entry, "aliases")]:
            yield alias(ref, surface, label, lookup_only)
        for surface in _strings(entry, "demonyms"):
            yield alias(ref, surface, "NORP", lookup_only)


@functools.cache
def _default() -> Gazetteer:
    source = resources.files("services.extract").joinpath("data", "gazetteer.yaml")
    return Gazetteer(yaml.safe_load(source.read_bytes()))
