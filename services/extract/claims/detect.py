"""Trigger detection: finds the words of a sentence that state a troop movement and decides
its type (buildup / deploy / advance / withdraw). Consumes one parsed sentence; emits
`Trigger`s carrying the trigger token, the force noun or state that moves, and the
preposition/object pairs the role stage reads the place from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spacy.tokens import Span, Token

from services.extract.claims import lexicon as lx
from services.extract.claims.syntax import (
    conjuncts,
    has_force,
    is_force,
    is_state,
    is_verbish,
    lemma,
    objects,
    preps,
    subjects,
)


@dataclass
class Trigger:
    """A movement word with what the rules learnt about it."""

    token: Token
    movement: str
    force: Token | None
    subjects: list[Token] = field(default_factory=list)
    place_hint: Token | None = None


def _is_place(tok: Token) -> bool:
    if tok.ent_type_ in ("GPE", "LOC", "FAC"):
        return True
    return lemma(tok) in lx.PLACE_NOUNS or tok.lower_ in lx.PLACE_NOUNS


def _civilian(tokens: list[Token]) -> bool:
    for tok in tokens:
        for cand in conjuncts(tok):
            if lemma(cand) in lx.CIVILIAN_NOUNS or (
                cand.ent_type_ == "NORP" and cand.tag_ in ("NNPS", "NNS")
                and lemma(cand) not in ("israelis",)
            ):
                return True
    return False


def _state_subject(subj: list[Token]) -> Token | None:
    for s in subj:
        for cand in conjuncts(s):
            if cand.ent_type_ == "NORP" and cand.tag_ in ("NNPS", "NNS"):
                continue  # "Americans" are people, not a state acting
            if is_state(cand) or any(is_state(m) for m in cand.children if m.dep_ == "compound"):
                return cand
    return None


def _place_pairs(pairs: list[tuple[str, Token]], wanted: set[str] | frozenset[str]) -> Token | None:
    for prep, obj in pairs:
        if prep in wanted and _is_place(obj):
            return obj
    return None


def _verb_movement(tok: Token, sent: Span) -> Trigger | None:
    lem = lemma(tok)
    subj = subjects(tok, sent)
    objs = objects(tok)
    pairs = preps(tok)
    prep_words = {p for p, _ in pairs}
    particles = {c.lower_ for c in tok.children if c.dep_ in ("prt", "advmod")}
    passive = any(c.dep_ in ("nsubjpass", "auxpass") for c in tok.children)
    mover = has_force(subj) if not objs or passive else None
    obj_force = has_force(objs)
    force = obj_force or mover or has_force(subj)
    state = _state_subject(subj)
    if objs and _civilian(objs) and obj_force is None:
        return None
    if mover is not None and lemma(mover) in lx.NON_STATE_ARMED:
        return None

    if lem in ("station", "base", "deploy", "post", "garrison") and tok.dep_ == "acl":
        return None  # "troops stationed in X" places forces, it does not move them

    def make(movement: str, moving: Token | None, hint: Token | None = None) -> Trigger:
        return Trigger(tok, movement, moving, subj, hint)

    gpe_from = _place_pairs(pairs, {"from", "out of", "out from"})
    # withdraw
    if lem in ("withdraw", "retreat", "disengage", "withdrew") or (
        lem == "pull" and (particles & {"out", "back", "away"} or "out of" in prep_words)
    ):
        if force is not None:
            return make(lx.WITHDRAW, force)
        nat_obj = [o for o in objs if o.ent_type_ == "NORP"]
        if (state is not None or nat_obj) and gpe_from is not None:
            return make(lx.WITHDRAW, None, gpe_from)
        return None
    if lem in ("leave", "quit", "abandon", "vacate", "evacuate", "exit"):
        if "for" in prep_words and (force is not None):
            return make(lx.DEPLOY, force, _place_pairs(pairs, {"for"}))
        place = next((o for o in objs if (_is_place(o) and o.ent_type_ in ("GPE", "LOC"))
                      or (_is_place(o) and force is not None)), None)
        if place is not None and (force is not None or state is not None or not subj):
            return make(lx.WITHDRAW, force, place)
        return None
    if lem in lx.WITHDRAW_REDUCTION:
        ops = [o for o in objs if lemma(o) in lx.OPERATION_NOUNS or has_force([o])]
        if ops and (lem not in ("end", "ease") or lemma(ops[0]) in lx.OPERATION_NOUNS):
            return make(lx.WITHDRAW, has_force(ops) or ops[0])
        return None
    if lem == "bring" and "home" in particles and obj_force is not None:
        return make(lx.WITHDRAW, obj_force)
    if lem == "redeploy":
        if "to" in prep_words and force is not None:
            return make(lx.DEPLOY, force)
        return make(lx.WITHDRAW, force) if force is not None else None
    # buildup: approaching or closing on a border
    border = next((o for p, o in pairs if lemma(o) in lx.BORDER_NOUNS
                   and p in ("to", "toward", "towards", "near", "along", "closer to", "on")), None)
    if lem == "approach":
        tgt = next((o for o in objs if _is_place(o)), None)
        if force is None or tgt is None:
            return None
        return make(lx.BUILDUP if lemma(tgt) in lx.BORDER_NOUNS else lx.ADVANCE, force, tgt)
    if lem in lx.ADVANCE_MOTION and border is not None and force is not None and not (
        prep_words & lx.ADVANCE_PREPS) and lem not in ("cross", "enter"):
        return make(lx.BUILDUP, force, border)
    # advance
    if lem in lx.ADVANCE_PLACE_OBJECT:
        tgt = next((o for o in objs if _is_place(o)), None)
        if tgt is not None and (force is not None or state is not None):
            return make(lx.ADVANCE, force, tgt)
    if lem in lx.ADVANCE_MOTION and lem not in ("send", "deploy"):
        into = _place_pairs(pairs, lx.ADVANCE_PREPS | {"into within"}) or next(
            (o for p, o in pairs if p in ("into", "across", "to within", "against", "on", "within")
             and (p != "on" or lem == "advance") and (p != "against" or lem == "move")), None)
        if into is not None and (force is not None or (
                lem == "funnel" and state is not None)):
            if lemma(into) in ("position", "positions"):
                return make(lx.DEPLOY, force, into)
            return make(lx.ADVANCE, force or state, into)
        if lem == "advance" and mover is not None:
            return make(lx.ADVANCE, mover)
    # buildup verbs
    if lem in lx.BUILDUP_VERBS and lem not in lx.BUILDUP_GROWTH and lem != "approach":
        if force is not None:
            return make(lx.BUILDUP, force)
        return None
    if lem in lx.BUILDUP_GROWTH:
        if lem == "build" and "up" not in particles:
            return None
        grown = [o for o in objs if has_force([o]) or (lemma(o) == "presence" and any(
            m.lower_ in ("military", "troop", "naval", "armed") for m in o.children))]
        if grown:
            return make(lx.BUILDUP, has_force(grown) or grown[0])
        return None
    # deploy
    if lem in lx.DEPLOY_VERBS:
        if force is None:
            return None
        if lem in lx.DEPLOY_NEEDS_DESTINATION:
            dest = next((o for p, o in pairs if p in ("to", "toward", "towards", "in", "into",
                                                      "across", "at", "for", "inside")), None)
            if dest is None or lemma(dest) in ("war", "power", "talk", "court"):
                return None
            if lem in ("move", "go", "head", "return") and "home" in particles:
                return make(lx.WITHDRAW, force)
            return make(lx.DEPLOY, force, dest)
        if lem in ("send", "dispatch", "despatch", "deploy", "post", "station", "base",
                   "garrison", "airlift") and passive is False and obj_force is None and (
                lem in ("send", "dispatch", "post", "base")):
            return None
        return make(lx.DEPLOY, force)
    if lem == "have" and obj_force is not None:
        dest = next((o for p, o in preps(obj_force) + pairs if p == "inside"), None)
        if dest is not None:
            return make(lx.DEPLOY, obj_force, dest)
    return None


def _noun_movement(tok: Token) -> Trigger | None:
    lem = lemma(tok)
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
    if objs and _civilian(objs) and has_force(objs) is None:
        return None
    mods = [c for c in tok.children if c.dep_ in ("compound", "amod", "poss", "nmod")]
    force = has_force(objs) or next((m for m in mods if is_force(m)), None)
    military = force is not None or any(
        m.lower_ in ("military", "troop", "army", "naval", "armed") for m in mods) or any(
        p in ("in", "of") and (is_force(o) or (lemma(o) == "presence" and any(
            m.lower_ in ("military", "troop", "naval", "armed") for m in o.children)))
        for p, o in preps(tok))
    pairs = preps(tok)
    place = next((o for p, o in pairs if p in ("from", "out of", "of", "into", "to", "in",
                                               "near", "on", "along", "across", "inside")
                  and o.ent_type_ in ("GPE", "LOC")), None)
    place = place or next((m for m in mods if m.ent_type_ in ("GPE", "LOC")
                           and m.dep_ == "compound"), None)
    owner = next((m for m in mods if is_state(m)), None)
    strict = lem in ("reduction", "increase", "concentration", "mass", "exit", "departure",
                     "arrival", "crossing", "raid", "thrust", "retreat", "reinforcement",
                     "dispatch", "massing")
    if strict and not military:
        return None
    head = tok.head if tok.dep_ == "compound" else None
    if place is None and head is not None:
        place = next((m for m in head.children if m.dep_ == "compound"
                      and m.ent_type_ in ("GPE", "LOC")), None)
    if not military and movement != lx.WITHDRAW and lem not in ("invasion", "incursion"):
        return None
    if not military and place is None and owner is None:
        return None
    if not military and any(p == "from" and not _is_place(o) for p, o in pairs):
        return None
    if lem == "raid" and place is None:
        return None
    if lem == "dispatch" and not military:
        return None
    return Trigger(tok, movement, force or owner, [], place)


def _headline_np(tok: Token) -> Trigger | None:
    """Verbless headline "No British troops to Darfur", "More troops to Iraq"."""
    if not is_force(tok) or (tok.head.pos_ in ("VERB", "AUX") and tok.head != tok):
        return None
    if tok.dep_ not in ("ROOT", "appos", "nsubj", "dep", "npadvmod"):
        return None
    for prep, obj in preps(tok):
        if prep == "to" and obj.ent_type_ in ("GPE", "LOC"):
            return Trigger(tok, lx.DEPLOY, tok, [], obj)
    return None


def find_triggers(sent: Span) -> list[Trigger]:
    """All movement triggers of a sentence, at most one per (movement, token)."""
    found: list[Trigger] = []
    for tok in sent:
        trig: Trigger | None = None
        if is_verbish(tok):
            trig = _verb_movement(tok, sent)
        elif tok.pos_ in ("NOUN", "PROPN"):
            trig = _noun_movement(tok) or _headline_np(tok)
        if trig is not None:
            found.append(trig)
    return found
