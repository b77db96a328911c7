"""Role filling: whose forces move (actor), where (location and its relation), and how many
(size). Consumes a `Trigger` and its sentence; emits token ranges into the parsed text plus the
numeric bounds of a stated quantity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.tokens import Span, Token

from services.extract.claims import lexicon as lx
from services.extract.claims.nouns import Trigger
from services.extract.claims.syntax import conjuncts, is_force, is_state, lemma, phrase, preps

TokRange = tuple[int, int]

_REL_BY_PREP = {
    "from": "FROM",
    "out of": "FROM",
    "out from": "FROM",
    "of": "FROM",
    "into": "INTO",
    "inside": "INTO",
    "onto": "INTO",
    "into within": "INTO",
    "across": "ACROSS",
    "near": "NEAR",
    "along": "NEAR",
    "close to": "NEAR",
    "closer to": "NEAR",
    "toward": "NEAR",
    "towards": "NEAR",
    "around": "NEAR",
    "against": "INTO",
    "to within": "NEAR",
}
_PREP_ORDER = {
    lx.WITHDRAW: ("from", "out of", "out from", "of", "in"),
    lx.ADVANCE: (
        "into",
        "across",
        "onto",
        "inside",
        "to within",
        "into within",
        "against",
        "on",
        "to",
        "toward",
        "towards",
    ),
    lx.DEPLOY: ("to", "into", "inside", "in", "at", "across", "for", "along", "near", "on"),
    lx.BUILDUP: (
        "near",
        "along",
        "on",
        "at",
        "close to",
        "closer to",
        "to",
        "toward",
        "towards",
        "around",
        "in",
    ),
}
_WORD_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "dozen": 12,
    "hundred": 100,
    "thousand": 1000,
    "dozens": 24,
    "hundreds": 200,
    "thousands": 2000,
}
_SCALE = {"thousand": 1e3, "million": 1e6, "k": 1e3}


@dataclass
class Located:
    """A place phrase and how the movement relates to it."""

    span: TokRange
    relation: str


@dataclass
class Sized:
    """A stated quantity of forces."""

    span: TokRange
    low: float
    high: float
    unit: str


def _modifier_range(tok: Token, places_too: bool = True) -> TokRange | None:
    """Owner modifiers of a noun; `places_too=False` leaves out place-name compounds, which
    name where an operation happens ("its Gaza offensive"), not who runs it."""
    mods = [
        m
        for m in tok.children
        if m.dep_ in ("amod", "compound", "poss", "nmod")
        and (is_state(m) or m.pos_ == "PROPN" or m.lower_ == "government")
        and m.lower_ not in ("its", "their")
        and (places_too or m.dep_ == "poss" or m.ent_type_ not in ("GPE", "LOC"))
    ]
    if not mods:
        return None
    ids = [t.i for m in mods for t in m.subtree if not t.is_punct and t.dep_ not in ("case", "det")]
    return (min(ids), max(ids) + 1) if ids else None


def find_actor(trig: Trigger, sent: Span, avoid: set[int]) -> TokRange | None:
    """Whose forces: modifiers of the force noun, a state subject, the trigger's possessor,
    a copular nationality, else a state named by a subject above the trigger."""
    force = trig.force
    state_subject = any(is_state(c) for s in trig.subjects for c in conjuncts(s))
    if force is not None:
        for cand in conjuncts(force):
            found = _modifier_range(cand, places_too=is_force(cand) and not state_subject)
            if found is not None:
                return found
        if is_state(force) and force.ent_type_:
            return phrase(force)
        for prep, obj in preps(force):
            if prep == "of" and is_force(obj):
                found = _modifier_range(obj)
                if found is not None:
                    return found
    for subj in trig.subjects:
        for cand in conjuncts(subj):
            if is_state(cand) or (cand.pos_ == "PROPN" and cand.ent_type_ in ("ORG", "GPE")):
                return phrase(cand)
    found = (
        _modifier_range(trig.token, places_too=False)
        if trig.token.pos_ in ("NOUN", "PROPN")
        else None
    )
    if found is not None:
        return found
    if force is not None and force.dep_ == "nsubj" and lemma(force.head) == "be":
        for c in force.head.children:
            if c.dep_ in ("attr", "acomp") and c.ent_type_ in ("NORP", "GPE"):
                return (c.i, c.i + 1)
    for anc in trig.token.ancestors:
        if not sent.start <= anc.i < sent.end:
            break
        for subj in (c for c in anc.children if c.dep_ in ("nsubj", "nsubjpass")):
            for t in subj.subtree:
                if t.ent_type_ in ("GPE", "NORP") and t.i not in avoid and not t.text.isupper():
                    ent = next(e for e in t.doc.ents if e.start <= t.i < e.end)
                    return (ent.start, ent.end)
    return None


def find_location(trig: Trigger, sent: Span, avoid: set[int]) -> Located | None:
    """Destination for deploy/advance/buildup, the place left for withdraw."""
    tok = trig.token
    default_rel = "FROM" if trig.movement == lx.WITHDRAW else "AT"
    pairs = preps(tok)
    if trig.force is not None and trig.force.i != tok.i:
        pairs += preps(trig.force)
    if trig.place_hint is not None:
        hint = trig.place_hint
        if hint.dep_ == "compound" and hint.ent_type_:
            ent = next(e for e in hint.doc.ents if e.start <= hint.i < e.end)
            return Located((ent.start, ent.end), default_rel)
        rel = next(
            (_REL_BY_PREP.get(p, default_rel) for p, o in pairs if o.i == hint.i),
            "INTO" if trig.movement == lx.ADVANCE else default_rel,
        )
        return Located(phrase(hint) if hint.dep_ != "compound" else (hint.i, hint.i + 1), rel)
    for strict in (True, False):
        for want in _PREP_ORDER[trig.movement]:
            for prep, obj in pairs:
                if prep != want or obj.pos_ not in ("NOUN", "PROPN") or is_force(obj):
                    continue
                placey = obj.ent_type_ in ("GPE", "LOC", "FAC") or lemma(obj) in lx.PLACE_NOUNS
                if (
                    (strict and not placey)
                    or obj.ent_type_ in ("DATE", "TIME")
                    or lemma(obj)
                    in ("end", "time", "way", "war", "help", "talk", "support", "year")
                ):
                    continue
                if not strict and prep in ("of", "in"):
                    continue
                rel = _REL_BY_PREP.get(prep, default_rel)
                if lemma(obj) in lx.BORDER_NOUNS and rel == "AT":
                    rel = "NEAR"
                return Located(phrase(obj), rel)
    if tok.dep_ == "relcl" and any(c.lower_ == "where" for c in tok.children):
        return Located(phrase(tok.head), default_rel)
    for holder in (trig.force, tok):
        if holder is None:
            continue
        for m in holder.children:
            if m.dep_ == "compound" and m.ent_type_ in ("GPE", "LOC") and m.i not in avoid:
                ent = next(e for e in m.doc.ents if e.start <= m.i < e.end)
                return Located((ent.start, ent.end), default_rel)
    best: tuple[int, Span] | None = None
    for ent in sent.ents:
        if (
            ent.label_ in ("GPE", "LOC")
            and not ent.text.isupper()
            and not (set(range(ent.start, ent.end)) & avoid)
            and not _not_a_place(ent.root)
        ):
            dist = abs(ent.start - tok.i)
            if best is None or dist < best[0]:
                best = (dist, ent)
    if best is not None:
        return Located((best[1].start, best[1].end), default_rel)
    return None


def _not_a_place(root: Token) -> bool:
    """Names that stand for a party or a topic, not a place: the object of another verb
    ("to counter Russia") or a modifier of a non-place noun ("the Ukraine crisis")."""
    if root.dep_ == "dobj" and root.head.pos_ == "VERB":
        return True
    head = root.head
    return (
        root.dep_ == "compound"
        and head.pos_ == "NOUN"
        and lemma(head) not in (lx.PLACE_NOUNS | lx.BORDER_NOUNS)
    )


def _number(text: str) -> float | None:
    low = text.lower().replace(",", "")
    if low in _WORD_NUMBERS:
        return float(_WORD_NUMBERS[low])
    try:
        return float(low)
    except ValueError:
        return None


def find_size(trig: Trigger) -> Sized | None:
    """An explicit quantity on the force noun ("up to 600 marines") or a cut "by 40 percent"."""
    force = trig.force
    if force is not None and is_force(force):
        for cand in conjuncts(force):
            nums = [
                c for c in cand.children if c.dep_ == "nummod" or (c.dep_ == "amod" and c.like_num)
            ]
            if nums:
                num = nums[0]
                left = min(t.i for t in num.subtree)
                words = [t for t in num.subtree if t.like_num or t.lower_ in _SCALE]
                values = [v for v in (_number(t.text) for t in words if t.like_num) if v]
                scale = next((_SCALE[t.lower_] for t in words if t.lower_ in _SCALE), 1.0)
                if not values:
                    continue
                low, high = min(values) * scale, max(values) * scale
                pre = " ".join(t.lower_ for t in num.subtree if t.i < num.i)
                if re.search(r"\bup to\b|\bas many as\b", pre):
                    low = 0.0
                return Sized(
                    (left, cand.i + 1),
                    low,
                    high,
                    lemma(cand) + "s" if not lemma(cand).endswith("s") else lemma(cand),
                )
    for prep, obj in preps(trig.token):
        if (prep == "by" and obj.lower_ in ("percent", "%")) or (prep == "by" and obj.like_num):
            left, right = phrase(obj)
            vals = [v for v in (_number(t.text) for t in obj.subtree if t.like_num) if v]
            if vals:
                return Sized(
                    (left, right),
                    vals[0],
                    vals[0],
                    "percent" if obj.lower_ in ("percent", "%") else "troops",
                )
    return None
