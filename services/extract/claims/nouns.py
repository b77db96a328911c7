"""Noun triggers: movement nouns ("the pullout", "Russia's build-up", "no military presence")
and verbless headlines ("More troops to Iraq"), and the `Trigger` record every trigger rule
emits. Consumes one token of a parsed sentence; emits a `Trigger` or None.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spacy.tokens import Token

from services.extract.claims import lexicon as lx
from services.extract.claims.syntax import (
    conjuncts,
    has_force,
    is_force,
    is_state,
    lemma,
    objects,
    preps,
)


@dataclass
class Trigger:
    """A movement word with what the rules learnt about it."""

    token: Token
    movement: str
    force: Token | None
    subjects: list[Token] = field(default_factory=list)
    place_hint: Token | None = None


def is_place(tok: Token) -> bool:
    if tok.ent_type_ in ("GPE", "LOC", "FAC"):
        return True
    return lemma(tok) in lx.PLACE_NOUNS or tok.lower_ in lx.PLACE_NOUNS


def civilian(tokens: list[Token]) -> bool:
    for tok in tokens:
        for cand in conjuncts(tok):
            if lemma(cand) in lx.CIVILIAN_NOUNS or (
                cand.ent_type_ == "NORP"
                and cand.tag_ in ("NNPS", "NNS")
                and lemma(cand) not in ("israelis",)
            ):
                return True
    return False


def noun_movement(tok: Token) -> Trigger | None:
    lem = lemma(tok)
    if lem == "presence":
        return _denied_presence(tok)
    if tok.lower_ == "up" and any(c.lower_ == "build" for c in tok.children):
        lem = "buildup"  # "build-up" split by the tokenizer, headed by "up"
    if lem in lx.WITHDRAW_NOUNS:
        movement = lx.WITHDRAW
    elif lem in lx.DEPLOY_NOUNS:
        movement = lx.DEPLOY
    elif lem in lx.BUILDUP_NOUNS:
        movement = lx.BUILDUP
    elif lem in lx.ADVANCE_NOUNS:
        movement = lx.ADVANCE
    else:
        return None
    objs = objects(tok)
    if objs and civilian(objs) and has_force(objs) is None:
        return None
    readied = _force_above(tok)
    if not readied and any(
        c.dep_ in ("amod", "compound") and c.lower_ in lx.HYPOTHETICAL_MODS for c in tok.children
    ):
        return None  # "a potential invasion" is speculation, unless forces are readied for it
    if lem == "invasion" and not _invasion_event(tok):
        return None
    mods = [c for c in tok.children if c.dep_ in ("compound", "amod", "poss", "nmod")]
    force = has_force(objs) or next((m for m in mods if is_force(m)), None)
    military = (
        force is not None
        or readied
        or any(m.lower_ in ("military", "troop", "army", "naval", "armed") for m in mods)
        or any(
            p in ("in", "of")
            and (
                is_force(o)
                or (
                    lemma(o) == "presence"
                    and any(m.lower_ in ("military", "troop", "naval", "armed") for m in o.children)
                )
            )
            for p, o in preps(tok)
        )
    )
    pairs = preps(tok)
    place = next(
        (
            o
            for p, o in pairs
            if p
            in (
                "from",
                "out of",
                "of",
                "into",
                "to",
                "in",
                "near",
                "on",
                "along",
                "across",
                "inside",
                "toward",
                "towards",
            )
            and o.ent_type_ in ("GPE", "LOC")
        ),
        None,
    )
    place = place or next(
        (m for m in mods if m.ent_type_ in ("GPE", "LOC") and m.dep_ == "compound"), None
    )
    owner = next((m for m in mods if is_state(m)), None)
    # Calling up men is military by itself: "Belarus sends out conscription notices".
    # ("Conscription is organised as a training cycle" describes a system: not as subject.)
    military = military or (
        lem in ("mobilisation", "mobilization", "conscription", "call-up")
        and tok.dep_ not in ("nsubj", "nsubjpass")
    )
    # A state's build-up needs no "military": "Russia's build-up near the border".
    military = military or (movement == lx.BUILDUP and lem != "increase" and owner is not None)
    # "No sign of a pullback, NATO says": the evidence frame with a force-owning party.
    military = military or (
        lem not in ("increase", "reduction", "exit", "departure")
        and lemma(tok.head.head if tok.head.pos_ == "ADP" else tok.head) in lx.EVIDENCE_NOUNS
        and any(t.lower_ in lx.FORCE_ORGS for t in tok.sent)
    )
    strict = lem in (
        "reduction",
        "increase",
        "concentration",
        "mass",
        "exit",
        "departure",
        "arrival",
        "crossing",
        "raid",
        "thrust",
        "retreat",
        "reinforcement",
        "dispatch",
        "massing",
        "movement",
    )
    if strict and not military:
        return None
    if lem == "movement" and not any(p == "of" and is_force(o) for p, o in pairs):
        return None  # "movement of military hardware", not "the rebel movement"
    if lem == "evacuation" and not military and not any(
        p == "of" and o.ent_type_ in ("GPE", "LOC") for p, o in pairs
    ):
        return None  # "evacuations from Ivory Coast" move people; "evacuation of Gaza" forces
    head = tok.head if tok.dep_ == "compound" else None
    if place is None and head is not None:
        place = next(
            (m for m in head.children if m.dep_ == "compound" and m.ent_type_ in ("GPE", "LOC")),
            None,
        )
    if not military and movement != lx.WITHDRAW and lem not in ("invasion", "incursion"):
        return None
    if not military and place is None and owner is None:
        return None
    if not military and any(p == "from" and not is_place(o) for p, o in pairs):
        return None
    if lem == "raid" and place is None:
        return None
    if lem == "dispatch" and not military:
        return None
    return Trigger(tok, movement, force or owner, [], place)


def _force_above(tok: Token) -> bool:
    """True when a force noun governs the movement noun through prepositions ("8,500 troops
    on alert for possible deployment"): the forces themselves are being readied."""
    cur = tok
    for _ in range(3):
        if cur.dep_ != "pobj" or cur.head.head.i == cur.head.i:
            return False
        cur = cur.head.head
        if cur.pos_ in ("NOUN", "PROPN") and is_force(cur):
            return True
        if cur.pos_ in ("VERB", "AUX"):
            return any(is_force(c) for c in cur.children if c.dep_ in ("dobj", "nsubjpass"))
    return False


def _invasion_event(tok: Token) -> bool:
    """An invasion reported as happening, planned or denied, not named as the background of a
    war ("sanctions over the Ukraine invasion", "after its invasion of Crimea")."""
    if any(c.dep_ == "det" and c.lower_ == "no" for c in tok.children):
        return True
    if tok.dep_ == "ROOT":
        return any(p.lower_ in ("of", "into") for p in tok.children)
    head = tok.head
    if head.pos_ == "ADP":
        head = head.head
    return lemma(head) in lx.INVASION_EVENT_HEADS and tok.dep_ in (
        "dobj",
        "nsubj",
        "nsubjpass",
        "pobj",
        "compound",
    )


def _denied_presence(tok: Token) -> Trigger | None:
    """ "denies its military presence in Donbas": denying forces are in a place denies that they
    were sent there. A presence that is not denied is a standing state, not a movement."""
    if not is_force(tok) and not any(
        c.lower_ in ("military", "troop", "armed", "naval") for c in tok.children
    ):
        return None
    negated = any(c.dep_ == "det" and c.lower_ == "no" for c in tok.children) or any(
        lemma(a) in lx.DENY_VERBS for a in tok.ancestors
    )
    place = next((o for p, o in preps(tok) if p in ("in", "on", "inside") and is_place(o)), None)
    if not negated or place is None:
        return None
    owner = next((c for c in tok.children if c.dep_ == "poss" or is_state(c)), None)
    return Trigger(tok, lx.DEPLOY, owner, [], place)


def headline_np(tok: Token) -> Trigger | None:
    """Verbless headline "No British troops to Darfur", "More troops to Iraq"."""
    if not is_force(tok) or (tok.head.pos_ in ("VERB", "AUX") and tok.head != tok):
        return None
    if tok.dep_ not in ("ROOT", "appos", "nsubj", "dep", "npadvmod"):
        return None
    for prep, obj in preps(tok):
        if prep == "to" and obj.ent_type_ in ("GPE", "LOC"):
            return Trigger(tok, lx.DEPLOY, tok, [], obj)
    return None
