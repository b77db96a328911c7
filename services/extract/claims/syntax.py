"""Dependency-tree helpers shared by the claim stages: lemma recovery for title-cased words,
force-noun tests, a clause's participants and noun-phrase spans. Consumes spaCy tokens; emits
tokens, booleans and (start, end) token ranges, never text decisions of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from spacy.tokens import Span, Token

from services.extract.claims import lexicon as lx

T = TypeVar("T")

SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass", "csubj", "expl"})
_VERB_FORMS = (
    lx.ADVANCE_MOTION
    | lx.ADVANCE_PLACE_OBJECT
    | lx.DEPLOY_VERBS
    | lx.BUILDUP_VERBS
    | lx.WITHDRAW_VERBS
    | lx.REPORT_VERBS
    | lx.DENY_VERBS
)
_IRREGULAR = {
    "sent": "send",
    "went": "go",
    "left": "leave",
    "flew": "fly",
    "drove": "drive",
    "came": "come",
    "withdrew": "withdraw",
    "withdrawn": "withdraw",
    "says": "say",
    "said": "say",
    "brought": "bring",
    "built": "build",
    "cut": "cut",
    "quit": "quit",
}


def lemma(tok: Token) -> str:
    """Lower-case lemma; title-cased headline words the tagger took for names get their verb
    lemma back ("Dispatched" -> "dispatch") when the form belongs to a lexicon verb. Computed
    once per token: the rules and the detector's features ask for it many times."""
    return _per_token(tok, _LEMMAS, _lemma)


# Per-Doc caches live in `doc.user_data`, so they go with the Doc (and its memory zone).
_LEMMAS = "wirewatch.lemma"
_FORCES = "wirewatch.is_force"


def _per_token(tok: Token, key: str, compute: Callable[[Token], T]) -> T:
    cache: dict[int, T] | None = tok.doc.user_data.get(key)
    if cache is None:
        cache = tok.doc.user_data[key] = {}
    got = cache.get(tok.i)
    if got is None:
        got = cache[tok.i] = compute(tok)
    return got


def _lemma(tok: Token) -> str:
    base = tok.lemma_.lower()
    if tok.pos_ not in ("PROPN", "NOUN", "ADJ") or not tok.text[:1].isupper():
        return base
    low = tok.text.lower()
    if low in _IRREGULAR:
        return _IRREGULAR[low]
    for suffix, repl in (
        ("ing", ""),
        ("ing", "e"),
        ("ed", ""),
        ("ed", "e"),
        ("es", ""),
        ("s", ""),
        ("d", ""),
    ):
        if low.endswith(suffix):
            cand = low[: len(low) - len(suffix)] + repl
            if cand in _VERB_FORMS:
                return cand
    return base if base != low else low


def is_verbish(tok: Token) -> bool:
    """True for verbs, and for title-cased words whose recovered lemma is a lexicon verb."""
    if tok.pos_ in ("VERB", "AUX"):
        return True
    return (
        tok.pos_ in ("PROPN", "NOUN", "ADJ")
        and tok.text[:1].isupper()
        and (lemma(tok) != tok.lemma_.lower() and lemma(tok) in _VERB_FORMS)
    )


def conjuncts(tok: Token) -> list[Token]:
    """The token and every token coordinated with it ("tanks and troops")."""
    out = [tok]
    for child in tok.children:
        if child.dep_ == "conj":
            out.extend(conjuncts(child))
    return out


def modifiers(tok: Token) -> Iterator[Token]:
    """Pre-modifiers and possessors of a noun, descending into compounds."""
    for child in tok.children:
        if child.dep_ in ("amod", "compound", "poss", "nmod", "npadvmod", "nummod"):
            yield child
            yield from modifiers(child)


def is_state(tok: Token) -> bool:
    """A token naming a state, nationality or a force-owning organisation."""
    if tok.ent_type_ in ("GPE", "NORP"):
        return True
    return tok.text.lower() in lx.FORCE_ORGS


def is_force(tok: Token) -> bool:
    """True when the noun names armed forces or military hardware (computed once a token)."""
    return _per_token(tok, _FORCES, _is_force)


def _is_force(tok: Token) -> bool:
    lem = lemma(tok)
    if tok.lower_ == "forces":
        return True
    if lem == "fighter" and any(
        c.dep_ in ("compound", "amod", "nummod") and (c.lower_ in ("jet", "stealth") or c.like_num
                                                      or "-" in c.text)
        for c in tok.children
    ):
        return True  # "jet fighters", "F-16 fighters": aircraft, not gunmen
    if lem in lx.NON_STATE_ARMED:
        return False
    if tok.pos_ == "PROPN" and any(
        c.dep_ == "compound" and c.text in lx.SHIP_PREFIXES for c in tok.children
    ):
        return True  # a named warship
    if lem in lx.ARMED_GROUPS:
        # "rebels", not "separatist leaders" nor "the rebel stronghold"
        return tok.pos_ in ("NOUN", "PROPN") and tok.dep_ not in ("compound", "amod")
    if lem == "tank" and any(c.dep_ == "compound" and c.pos_ == "NOUN" for c in tok.children):
        return False  # fuel tank, think tank
    if lem in lx.FORCE_NOUNS:
        return not (lem == "military" and tok.pos_ == "ADJ")
    if lem in lx.QUALIFIED_FORCE_NOUNS:
        if lem == "force" and tok.text.lower() == "forces":
            return True
        if any(m.lower_ in lx.CIVIL_CRAFT for m in modifiers(tok)):
            return False  # "a commuter plane", "a fishing boat"
        for mod in modifiers(tok):
            mlem = mod.text.lower()
            if mlem in lx.MILITARY_MODIFIERS or mod.lemma_.lower() in lx.FORCE_NOUNS:
                return True
            if is_state(mod) and lem not in ("presence", "mission", "equipment", "group"):
                return True
        return any(
            c.dep_ == "prep" and c.lower_ == "of" and any(is_force(p) for p in c.children)
            for c in tok.children
        )
    return False


def has_force(tokens: Iterable[Token], depth: int = 2) -> Token | None:
    """First force noun among the tokens, their conjuncts, or their of-complements."""
    for tok in tokens:
        for cand in conjuncts(tok):
            if is_force(cand):
                return cand
            if depth > 0:
                for child in cand.children:
                    if child.dep_ == "prep" and child.lower_ in ("of", "with"):
                        found = has_force(list(child.children), depth - 1)
                        if found is not None:
                            return found
    return None


def subjects(tok: Token, sent: Span) -> list[Token]:
    """Subjects of the clause headed by tok, inherited through xcomp/advcl/conj/relcl."""
    cur: Token | None = tok
    for _ in range(4):
        if cur is None:
            break
        subj = [c for c in cur.children if c.dep_ in SUBJECT_DEPS]
        subj += [p for c in cur.children if c.dep_ == "agent" for p in c.children]
        if subj:
            return [
                cur.head if s.lower_ in ("that", "which", "who") and cur.dep_ == "relcl" else s
                for s in subj
            ]
        if cur.dep_ == "xcomp":
            ctrl = [c for c in cur.head.children if c.dep_ == "dobj"]
            if ctrl:
                return ctrl
        if cur.dep_ == "pcomp" and cur.head.lower_ == "from":
            # "blocked observers from crossing": the mover is the object held back
            return [c for c in cur.head.head.children if c.dep_ == "dobj"]
        if cur.dep_ in ("relcl", "acl", "amod") and cur.head.pos_ in ("NOUN", "PROPN"):
            return [cur.head]  # "diplomats due to leave": the noun the clause hangs on
        if cur.dep_ in ("xcomp", "advcl", "conj", "pcomp", "ccomp") and cur.head != cur:
            nxt = cur.head
            if nxt.pos_ == "ADP":
                nxt = nxt.head
            if not sent.start <= nxt.i < sent.end:
                break
            cur = nxt
            continue
        break
    return []


def objects(tok: Token) -> list[Token]:
    """Direct objects, and for nouns their of-complements."""
    out = [c for c in tok.children if c.dep_ in ("dobj", "attr", "oprd")]
    if tok.pos_ in ("NOUN", "PROPN"):
        out += [
            p
            for c in tok.children
            if c.dep_ == "prep" and c.lower_ == "of"
            for p in c.children
            if p.dep_ == "pobj"
        ]
    return out


def preps(tok: Token) -> list[tuple[str, Token]]:
    """(preposition, object) pairs attached to tok, to its particles/adverbs and objects."""
    out: list[tuple[str, Token]] = []
    hosts = [tok] + [
        c for c in tok.children if c.dep_ in ("prt", "advmod", "dobj", "npadvmod", "acomp")
    ]
    for host in hosts:
        for c in host.children:
            if c.dep_ in ("prep", "dative") or (c.dep_ == "prt" and c.pos_ == "ADP"):
                objs = [p for p in c.children if p.dep_ in ("pobj", "pcomp")]
                for p in objs:
                    if p.pos_ == "ADP":  # "to within", "out of"
                        out += [
                            (f"{c.lower_} {p.lower_}", q)
                            for q in p.children
                            if q.dep_ in ("pobj", "pcomp")
                        ]
                    else:
                        out.append((c.lower_, p))
                for p in c.children:
                    if p.dep_ == "prep":  # "out of Iraq", "closer to the border"
                        out += [
                            (f"{c.lower_} {p.lower_}", q) for q in p.children if q.dep_ == "pobj"
                        ]
    return out


def phrase(tok: Token) -> tuple[int, int]:
    """Token range of the noun phrase headed by tok, without relative clauses, participles and
    edge punctuation, so that the phrase stays a place or a party name."""
    cut = ("relcl", "acl", "advcl", "parataxis")
    keep = [tok.i]
    for t in tok.subtree:
        if t.i == tok.i:
            continue
        chain = [t, *[a for a in t.ancestors if a.i != tok.i and tok in a.ancestors]]
        if not any(a.dep_ in cut for a in chain):
            keep.append(t.i)
    left, right = min(keep), max(keep)
    doc = tok.doc
    while right > tok.i and (doc[right].is_punct or doc[right].is_space):
        right -= 1
    while left < tok.i and (doc[left].is_punct or doc[left].dep_ == "cc" or doc[left].is_space):
        left += 1
    return left, right + 1


def in_span(tok: Token, sent: Span) -> bool:
    """True when tok lies inside the sentence span."""
    return sent.start <= tok.i < sent.end
