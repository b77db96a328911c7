"""Trigger detection: finds the words of a sentence that state a troop movement and decides
its type (buildup / deploy / advance / withdraw). Consumes one parsed sentence; emits
`Trigger`s carrying the trigger token, the force noun or state that moves, and the
preposition/object pairs the role stage reads the place from.
"""

from __future__ import annotations

from spacy.tokens import Span, Token

from services.extract.claims import lexicon as lx
from services.extract.claims.events import event_trigger
from services.extract.claims.nouns import Trigger, civilian, headline_np, is_place, noun_movement
from services.extract.claims.syntax import (
    conjuncts,
    has_force,
    is_state,
    is_verbish,
    lemma,
    objects,
    preps,
    subjects,
)


def _state_subject(subj: list[Token]) -> Token | None:
    for s in subj:
        for cand in conjuncts(s):
            if cand.ent_type_ == "NORP" and cand.tag_ in ("NNPS", "NNS"):
                continue  # "Americans" are people, not a state acting
            if is_state(cand) or any(is_state(m) for m in cand.children if m.dep_ == "compound"):
                return cand
    return None


# Verbs that also hand weapons over; with hardware alone as their object they are not moves.
_HANDOVER_VERBS = frozenset({"transfer", "ship", "supply", "deliver", "provide", "airlift"})
_PERSONNEL = frozenset(
    {"troop", "soldier", "marine", "paratrooper", "battalion", "brigade", "regiment", "unit",
     "force", "forces", "personnel", "contingent", "army", "peacekeeper", "commando",
     "reservist", "infantry", "serviceman", "servicemen", "guardsman", "guardsmen", "sailor",
     "airman", "legionnaire", "ranger", "battlegroup", "division", "squadron", "detachment"}
)


def _personnel(tok: Token) -> bool:
    """A force noun that names people or units, not hardware alone."""
    return any(lemma(c) in _PERSONNEL or c.lower_ in _PERSONNEL for c in conjuncts(tok))


def _business(subj: list[Token]) -> bool:
    """A mover that is an organisation but no state or force ("Nike", "the airline")."""
    return any(t.ent_type_ in ("ORG", "PRODUCT") and not is_state(t) for t in subj)


def _place_pairs(pairs: list[tuple[str, Token]], wanted: set[str] | frozenset[str]) -> Token | None:
    for prep, obj in pairs:
        if prep in wanted and is_place(obj):
            return obj
    return None


def _thrown_in(
    tok: Token,
    subj: list[Token],
    objs: list[Token],
    pairs: list[tuple[str, Token]],
    state: Token | None,
) -> Trigger | None:
    """Forces or reserves a state or its people throw into a fight: buildup there (before
    the civilian check: "the Russians" reads as people)."""
    thrown = has_force(objs) or next((o for o in objs if o.lower_ == "reserves"), None)
    nation = any(c.ent_type_ == "NORP" for s in subj for c in conjuncts(s))
    if thrown is None or not (state is not None or has_force(subj) or nation):
        return None
    return Trigger(tok, lx.BUILDUP, thrown, subj, _place_pairs(pairs, {"into", "in", "at", "to"}))


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
    if lem == "throw":  # "the Russians threw all their reserves in the Bakhmut direction"
        return _thrown_in(tok, subj, objs, pairs, state)
    if objs and civilian(objs) and obj_force is None:
        return None
    if mover is not None and lemma(mover) in lx.NON_STATE_ARMED:
        return None
    if force is None and (
        civilian(subj) or any(lemma(c) in lx.NON_STATE_ARMED for s in subj for c in conjuncts(s))
    ):
        return None  # diplomats leaving, police ending an occupation: no forces move

    if lem in ("station", "base", "deploy", "post", "garrison") and tok.dep_ == "acl":
        return None  # "troops stationed in X" places forces, it does not move them

    def make(movement: str, moving: Token | None, hint: Token | None = None) -> Trigger:
        return Trigger(tok, movement, moving, subj, hint)

    gpe_from = _place_pairs(pairs, {"from", "out of", "out from"})
    # withdraw
    if lem == "back" and particles & {"away", "off"} and mover is not None:
        return make(lx.WITHDRAW, mover)  # "the soldiers backed away"
    if lem in ("withdraw", "retreat", "disengage", "withdrew") or (
        lem == "pull" and (particles & {"out", "back", "away"} or "out of" in prep_words)
    ) or (lem == "phase" and ("out" in particles or "out of" in prep_words)):
        if force is not None:
            return make(lx.WITHDRAW, force)
        nat_obj = [o for o in objs if o.ent_type_ == "NORP"]
        if (state is not None or nat_obj) and gpe_from is not None:
            return make(lx.WITHDRAW, None, gpe_from)
        return None
    if lem in ("leave", "quit", "abandon", "vacate", "evacuate", "exit"):
        if "for" in prep_words and (force is not None):
            return make(lx.DEPLOY, force, _place_pairs(pairs, {"for"}))
        place = next(
            (
                o
                for o in objs
                if (is_place(o) and o.ent_type_ in ("GPE", "LOC"))
                or (is_place(o) and force is not None)
            ),
            None,
        )
        if place is not None and (force is not None or state is not None or not subj):
            if force is None and state is None and _business(subj or [sent.root]):
                return None  # "Nike to exit Russia": a business leaving, not forces
            return make(lx.WITHDRAW, force, place)
        return None
    if lem == "remove" and gpe_from is None:
        site = next((o for p, o in pairs if p == "from"), None)
        moved = has_force(objs) or next(
            (o for o in objs if lemma(o) in ("weapon", "weaponry", "arm", "artillery")), None
        )
        if site is not None and moved is not None and (has_force(subj) or state is not None):
            return make(lx.WITHDRAW, moved, site)  # "the military removed the weapons"
    if lem in lx.WITHDRAW_REDUCTION:
        if lem == "cut" and "off" in particles:
            return None  # "cut off from pay": no reduction of forces
        ops = [o for o in objs if lemma(o) in lx.OPERATION_NOUNS or has_force([o])]
        if ops and (lem not in ("end", "ease") or lemma(ops[0]) in lx.OPERATION_NOUNS):
            return make(lx.WITHDRAW, has_force(ops) or ops[0])
        return None
    if (
        lem in ("move", "bring")
        and state is not None
        and (out_of := _place_pairs(pairs, {"out of", "out from"})) is not None
    ):
        return make(lx.WITHDRAW, force, out_of)
    if lem == "bring" and "home" in particles and obj_force is not None:
        return make(lx.WITHDRAW, obj_force)
    if lem == "redeploy":
        if "to" in prep_words and force is not None:
            return make(lx.DEPLOY, force)
        return make(lx.WITHDRAW, force) if force is not None else None
    # buildup: approaching or closing on a border
    border = next(
        (
            o
            for p, o in pairs
            if lemma(o) in lx.BORDER_NOUNS
            and p in ("to", "toward", "towards", "near", "along", "closer to", "on")
        ),
        None,
    )
    if lem == "approach":
        tgt = next((o for o in objs if is_place(o)), None)
        if force is None or tgt is None:
            return None
        return make(lx.BUILDUP if lemma(tgt) in lx.BORDER_NOUNS else lx.ADVANCE, force, tgt)
    if (
        lem in lx.ADVANCE_MOTION
        and border is not None
        and force is not None
        and not (prep_words & lx.ADVANCE_PREPS)
        and lem not in ("cross", "enter", "send", "deploy")
    ):
        return make(lx.BUILDUP, force, border)
    # advance
    if lem in lx.ADVANCE_PLACE_OBJECT:
        tgt = next((o for o in objs if is_place(o)), None) or next(
            (p for o in objs for w, p in preps(o) if w == "of" and p.ent_type_ in ("GPE", "LOC")),
            None,
        )  # "troops reach the centre of Fallujah"
        # "denies plans to invade Ukraine": a denied invasion needs no named invader.
        if tgt is not None and (
            force is not None
            or (state is not None and lem != "reach")  # a shipment reaching France: no move
            or (
                lem in lx.INVASION_VERBS
                and tgt.ent_type_ == "GPE"
                and any(lemma(a) in lx.DENY_VERBS for a in tok.ancestors)
            )
        ):
            return make(lx.ADVANCE, force, tgt)
    if lem in lx.ADVANCE_MOTION and lem not in ("send", "deploy"):
        into = _place_pairs(pairs, lx.ADVANCE_PREPS | {"into within"}) or next(
            (
                o
                for p, o in pairs
                if p in ("into", "across", "to within", "against", "on", "within")
                and (p != "on" or lem == "advance")
                and (p != "against" or lem == "move")
            ),
            None,
        )
        if into is not None and (force is not None or (lem == "funnel" and state is not None)):
            if lemma(into) in ("position", "positions"):
                return make(lx.DEPLOY, force, into)
            return make(lx.ADVANCE, force or state, into)
        if lem == "advance" and mover is not None:
            return make(lx.ADVANCE, mover)
        if lem in lx.TRANSIT_VERBS and mover is not None:
            through = next(
                (o for p, o in pairs if p in ("through", "between") and is_place(o)), None
            )
            if through is not None:
                return make(lx.ADVANCE, mover, through)
    # buildup verbs
    if lem in lx.BUILDUP_VERBS and lem not in lx.BUILDUP_GROWTH and lem != "approach":
        if force is not None:
            return make(lx.BUILDUP, force)
        return None
    if lem in lx.BUILDUP_GROWTH:
        if lem == "build" and "up" not in particles:
            return None
        grown = [
            o
            for o in objs
            if has_force([o])
            or (o.lower_ in ("base", "bases") and any(is_state(m) for m in o.children))
            or (
                lemma(o) == "presence"
                and any(m.lower_ in ("military", "troop", "naval", "armed") for m in o.children)
            )
        ]
        # Growing an army is capacity, not a movement, unless it is near or at a place.
        where = _place_pairs(
            pairs, {"in", "near", "along", "on", "at", "close to", "closer to", "around", "to"}
        )
        placed = where is not None or any(
            t.ent_type_ in ("GPE", "LOC") or lemma(t) in lx.BORDER_NOUNS
            for g in grown
            for t in g.subtree
            if t.i != g.i
        )
        if grown and placed:
            return make(lx.BUILDUP, has_force(grown) or grown[0], where)
        return None
    # deploy
    if lem in lx.DEPLOY_VERBS:
        if force is None:
            return None
        if lem in _HANDOVER_VERBS and obj_force is not None and not _personnel(obj_force):
            return None  # "can transfer MiG-29 fighters and tanks to Ukraine": arms, not forces
        if lem in lx.DEPLOY_NEEDS_DESTINATION:
            dest = next(
                (
                    o
                    for p, o in pairs
                    if p
                    in ("to", "toward", "towards", "in", "into", "across", "at", "for", "inside")
                ),
                None,
            )
            if dest is None or lemma(dest) in ("war", "power", "talk", "court"):
                return None
            if lem in ("move", "go", "head", "return") and "home" in particles:
                return make(lx.WITHDRAW, force)
            if lem == "return" and (lemma(dest) in lx.HOME_PLACES or dest.lower_ in lx.HOME_PLACES):
                return make(lx.WITHDRAW, force)  # back to base: the deployment ends
            return make(lx.DEPLOY, force, dest)
        if (
            lem
            in (
                "send",
                "dispatch",
                "despatch",
                "deploy",
                "post",
                "station",
                "base",
                "garrison",
                "airlift",
            )
            and passive is False
            and obj_force is None
            and (lem in ("send", "dispatch", "post", "base"))
        ):
            return None
        return make(lx.DEPLOY, force)
    joiner = has_force(subj)
    if lem == "join" and joiner is not None and any(lemma(o) in lx.JOINABLE for o in objs):
        return make(lx.DEPLOY, joiner)
    if lem == "have" and obj_force is not None:
        dest = next((o for p, o in preps(obj_force) + pairs if p == "inside"), None)
        if dest is not None:
            return make(lx.DEPLOY, obj_force, dest)
    return None


def find_triggers(sent: Span) -> list[Trigger]:
    """All movement triggers of a sentence, at most one per (movement, token)."""
    found: list[Trigger] = []
    for tok in sent:
        trig: Trigger | None = None
        if is_verbish(tok):
            trig = _verb_movement(tok, sent)
        elif tok.pos_ in ("NOUN", "PROPN"):
            trig = noun_movement(tok) or headline_np(tok)
        if trig is None:
            trig = event_trigger(tok, sent)
        if trig is not None:
            found.append(trig)
    return found
