"""Event triggers of war reporting that the movement verbs miss: a place captured, taken,
liberated or put under control, a raid carried out inside a country (advance); forces
landing or arriving somewhere, forces claimed to be inside another country, the use of
forces authorised there (deploy); forces driven out of a place (withdraw); forces raised to
a new level or readiness (buildup).
Consumes one token of a parsed sentence; emits a `Trigger` or None.
"""

from __future__ import annotations

from spacy.tokens import Span, Token

from services.extract.claims import lexicon as lx
from services.extract.claims.nouns import Trigger, civilian, is_place
from services.extract.claims.syntax import has_force, is_force, is_state, lemma, preps, subjects

__all__ = ["event_trigger"]

_CAPTURE_VERBS = frozenset(
    {"capture", "recapture", "seize", "retake", "liberate", "reclaim", "overrun", "conquer",
     "grab", "regain"}
)
_CAPTURE_NOUNS = frozenset({"capture", "recapture", "seizure", "liberation"})
_CONTROL_VERBS = frozenset({"take", "have", "gain", "seize", "establish", "regain", "assume"})
_ARRIVE_VERBS = frozenset({"land", "arrive", "dock"})
_EXPEL_VERBS = frozenset({"drive", "push", "expel", "oust", "force", "chase", "kick"})
_LEVEL_WORDS = frozenset({"readiness", "alert", "rapid", "reaction", "response"})
_AUTHORISE = frozenset({"authorize", "authorise", "approve", "sanction"})


def _place(tok: Token) -> bool:
    return (is_place(tok) or tok.ent_type_ in ("GPE", "LOC")) and tok.ent_type_ != "FAC"


# Place nouns that, captured, are facilities (an assault on a building is no advance).
_FACILITIES = frozenset({"center", "centre", "base", "street", "heart", "quarter", "port"})


def _taken(tok: Token) -> bool:
    """A captured place: a place word, a named place, or a name the tagger mislabels but a
    place noun qualifies ("eastern city Lysychansk", "Lalibela, UN World Heritage site")."""
    if lemma(tok) in _FACILITIES:
        return False
    if _place(tok):
        return True
    if tok.pos_ != "PROPN":
        return False
    return any(
        c.dep_ in ("compound", "appos") and lemma(c) in lx.PLACE_NOUNS | {"site"}
        for c in tok.children
    ) or tok.ent_type_ not in ("PERSON", "NORP", "ORG", "")


def _movers(tok: Token, sent: Span) -> list[Token]:
    return [s for s in subjects(tok, sent) if s.dep_ != "nsubjpass"]


def _capture(tok: Token, sent: Span) -> Trigger | None:
    lem = lemma(tok)
    if tok.pos_ == "VERB" and lem in _CAPTURE_VERBS:
        objs = [c for c in tok.children if c.dep_ in ("dobj", "nsubjpass")]
        objs += [o for c in objs for p, o in preps(c) if p == "of"]  # "20% of territory"
        target = next((c for c in objs if _taken(c)), None)
        if target is None:
            return None
        movers = _movers(tok, sent)
        if movers and civilian(movers):
            return None
        return Trigger(tok, lx.ADVANCE, has_force(movers), movers, target)
    if tok.pos_ == "NOUN" and lem in _CAPTURE_NOUNS:
        target = next((o for p, o in preps(tok) if p == "of" and _place(o)), None)
        if target is None:
            return None
        owner = [c for c in tok.children if c.dep_ == "poss" or is_state(c)]
        return Trigger(tok, lx.ADVANCE, has_force(owner), owner, target)
    if lem == "control" and tok.pos_ == "NOUN" and tok.dep_ == "dobj":
        verb = tok.head
        target = next((o for p, o in preps(tok) if p in ("of", "over") and _place(o)), None)
        if lemma(verb) not in _CONTROL_VERBS or target is None:
            return None
        movers = _movers(verb, sent)
        if not movers or civilian(movers):
            return None
        return Trigger(tok, lx.ADVANCE, has_force(movers), movers, target)
    if lem == "occupation" and tok.head.lower_ == "under" and tok.dep_ == "pobj":
        owner = [c for c in tok.children if c.ent_type_ in ("NORP", "GPE") or c.dep_ == "poss"]
        if owner:
            return Trigger(tok, lx.ADVANCE, None, owner, None)
    return None


def _raid(tok: Token, sent: Span) -> Trigger | None:
    """ "US conducts raid in Syria", "launched an operation in Slovyansk": a raid or operation
    carried out inside a named place."""
    if tok.pos_ != "NOUN" or lemma(tok) not in ("raid", "incursion", "operation", "offensive"):
        return None
    verb = tok.head
    if tok.dep_ != "dobj" or lemma(verb) not in ("conduct", "launch", "carry", "mount", "stage"):
        return None
    place = next(
        (o for p, o in preps(tok) + preps(verb) if p in ("in", "into", "inside") and _place(o)),
        None,
    )
    if place is None or place.ent_type_ not in ("GPE", "LOC"):
        return None
    movers = _movers(verb, sent)
    if lemma(tok) in ("operation", "offensive") and has_force(movers) is None:
        return None
    return Trigger(tok, lx.ADVANCE, has_force(movers), movers, place)


def _arrival(tok: Token, sent: Span) -> Trigger | None:
    if lemma(tok) not in _ARRIVE_VERBS:
        return None
    if tok.pos_ == "VERB":
        movers = _movers(tok, sent)
    elif tok.pos_ == "NOUN" and tok.dep_ in ("ROOT", "appos"):
        # Headline grammar the tagger reads as a noun: "US troops land in Poland".
        movers = [c for c in tok.children if c.dep_ in ("compound", "nsubj")]
    else:
        return None
    force = has_force(movers)
    dest = next(
        (o for p, o in preps(tok) if p in ("in", "at", "on", "to", "into") and _place(o)), None
    )
    if force is None or dest is None:
        return None
    return Trigger(tok, lx.DEPLOY, force, [force], dest)


def _presence(tok: Token, sent: Span) -> Trigger | None:
    """A foreign force said to be inside a country: "Russian troops in Belarus", "there are
    no Russian units in eastern Ukraine", "presence of Russian military personnel"."""
    if not is_force(tok):
        return None
    owners = [
        c for c in tok.children if c.dep_ in ("amod", "compound", "poss", "nmod") and is_state(c)
    ]
    place = next(
        (o for p, o in preps(tok) if p in ("in", "inside", "within") and _place(o)), None
    )
    border = next(
        (o for p, o in preps(tok) if p in ("at", "on", "near", "along") and
         lemma(o) in lx.BORDER_NOUNS),
        None,
    )
    if owners and border is not None:
        return Trigger(tok, lx.BUILDUP, tok, owners, border)  # forces at a border: massed there
    if not owners or place is None or any(o.text == place.text for o in owners):
        return None
    head = tok.head
    standing = (
        tok.dep_ in ("ROOT", "dep", "appos")
        or (tok.dep_ == "attr" and lemma(head) == "be")
        or (tok.dep_ in ("nsubj", "attr") and any(c.lower_ == "there" for c in head.children))
        or (tok.dep_ == "pobj" and lemma(head.head) in ("presence", "involvement"))
        or (tok.dep_ == "nsubj" and head.pos_ == "VERB" and lemma(head) in ("pose", "remain"))
    )
    if not standing:
        return None
    return Trigger(tok, lx.DEPLOY, tok, owners, place)


def _expulsion(tok: Token, sent: Span) -> Trigger | None:
    if lemma(tok) not in _EXPEL_VERBS or tok.pos_ != "VERB":
        return None
    force = has_force([c for c in tok.children if c.dep_ in ("dobj", "nsubjpass")])
    left = next(
        (o for p, o in preps(tok) if p in ("from", "out of", "out from") and _place(o)), None
    )
    if force is None or left is None:
        return None
    return Trigger(tok, lx.WITHDRAW, force, [], left)


def _level(tok: Token, sent: Span) -> Trigger | None:
    """ "NATO to increase high-readiness forces to 300,000": forces raised to a new level."""
    if lemma(tok) not in ("increase", "raise", "boost", "double", "triple", "expand"):
        return None
    objs = [c for c in tok.children if c.dep_ == "dobj"]
    for o in list(objs):
        objs += [p for c in o.children if c.dep_ == "prep" and c.lower_ == "of"
                 for p in c.children]
    force = has_force(objs)
    if force is None:
        return None
    target = any(p == "to" and o.like_num for p, o in preps(tok)) or any(
        t.like_num for t in tok.subtree if t.head.lower_ == "to"
    )
    ready = any(t.lower_ in _LEVEL_WORDS for o in objs for t in o.subtree)
    if not (target or ready):
        return None
    return Trigger(tok, lx.BUILDUP, force, _movers(tok, sent))


def _authorised(tok: Token, sent: Span) -> Trigger | None:
    if lemma(tok) not in _AUTHORISE:
        return None
    use = next((c for c in tok.children if c.dep_ == "dobj" and lemma(c) == "use"), None)
    if use is None:
        return None
    force = has_force([t for t in use.subtree if t.i != use.i])
    if force is None:
        return None
    dest = next((o for p, o in preps(use) + preps(force) if p == "in" and _place(o)), None)
    return Trigger(tok, lx.DEPLOY, force, _movers(tok, sent), dest)


_HEADS = (
    _CAPTURE_VERBS | _CAPTURE_NOUNS | _ARRIVE_VERBS | _EXPEL_VERBS | _AUTHORISE
    | {"control", "occupation", "raid", "incursion", "operation", "offensive", "increase",
       "raise", "boost", "double", "triple", "expand"}
)


def event_trigger(tok: Token, sent: Span) -> Trigger | None:
    """The first event pattern the token heads, if any."""
    if lemma(tok) not in _HEADS and not is_force(tok):
        return None  # most words head no event: skip the patterns
    for rule in (_capture, _raid, _arrival, _presence, _expulsion, _level, _authorised):
        found = rule(tok, sent)
        if found is not None:
            return found
    return None
