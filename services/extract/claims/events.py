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

__all__ = ["EVENT_HEADS", "event_trigger"]

_CAPTURE_VERBS = frozenset(
    {"capture", "recapture", "seize", "retake", "liberate", "reclaim", "overrun", "conquer",
     "grab", "regain"}
)
_CAPTURE_NOUNS = frozenset({"capture", "recapture", "seizure", "liberation"})
_CONTROL_VERBS = frozenset({"take", "have", "gain", "seize", "establish", "regain", "assume"})
_ARRIVE_VERBS = frozenset({"land", "arrive", "dock"})
_EXPEL_VERBS = frozenset({"drive", "push", "expel", "oust", "force", "chase", "kick"})
_LEVEL_WORDS = frozenset({"readiness", "alert", "rapid", "reaction", "response"})
_INTENT = frozenset({"intent", "intention", "aim", "goal", "bid"})
_WATCHED = lx.PERCEPTION_VERBS | {"track", "monitor", "sight"}
_ATTEMPTS = frozenset(
    {"push", "offensive", "operation", "bid", "attempt", "effort", "drive", "campaign", "plan"}
)
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


def _aim_of_attempt(tok: Token) -> bool:
    """ "push to retake", "offensive to retake": the verb is what an attempt aims at."""
    if tok.dep_ in ("acl", "relcl", "xcomp") and lemma(tok.head) in _ATTEMPTS:
        return True
    to = next((c for c in tok.children if c.dep_ == "aux" and c.lower_ == "to"), None)
    return to is not None and to.i > 0 and lemma(tok.doc[to.i - 1]) in _ATTEMPTS


def _capture(tok: Token, sent: Span) -> Trigger | None:
    lem = lemma(tok)
    if tok.pos_ in ("VERB", "ADJ") and lem in _CAPTURE_VERBS:
        objs = [c for c in tok.children if c.dep_ in ("dobj", "nsubjpass")]
        if tok.dep_ == "acomp":  # "Severodonetsk is 80 percent liberated"
            objs += [c for c in tok.head.children if c.dep_ == "nsubj"]
        elif tok.pos_ == "ADJ":
            return None
        if _aim_of_attempt(tok):
            return None  # "a new push to retake the zone": an operation's aim, not a capture
        objs += [o for c in objs for p, o in preps(c) if p == "of"]  # "20% of territory"
        if tok.dep_ == "relcl" and any(c.lower_ in ("which", "that") for c in objs):
            objs.append(tok.head)  # "Mariupol, which Kiev reclaimed"
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
        if target is None and verb.dep_ == "relcl" and _place(verb.head) and any(
            c.lower_ == "where" for c in verb.children
        ):
            target = verb.head  # "Crimea, where pro-Kremlin militia have taken control"
        if lemma(verb) not in _CONTROL_VERBS or target is None:
            return None
        movers = _movers(verb, sent)
        if not movers or civilian(movers):
            return None
        return Trigger(tok, lx.ADVANCE, has_force(movers), movers, target)
    if lem in ("raise", "hoist", "plant") and tok.pos_ == "VERB":
        flag = next(
            (c for c in tok.children if c.dep_ in ("dobj", "nsubjpass") and lemma(c) == "flag"),
            tok.head if tok.dep_ == "acl" and lemma(tok.head) == "flag" else None,
        )
        place = next((o for p, o in preps(tok) if p in ("on", "over", "above") and _taken(o)), None)
        if flag is not None and place is not None:  # "Ukraine flag raised again on Snake Island"
            owner = [c for c in flag.children if is_state(c)]
            return Trigger(tok, lx.ADVANCE, None, owner, place)
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
    where = preps(tok)
    if lemma(tok) == "presence" and tok.dep_ == "dobj":
        where += preps(tok.head)  # "announces a troop presence in Poland"
    place = next((o for p, o in where if p in ("in", "inside", "within") and _place(o)), None)
    near = preps(tok)
    if tok.dep_ in ("dobj", "nsubj", "nsubjpass") and lemma(tok.head) in _WATCHED:
        near += preps(tok.head)  # "Japan tracks Russian warships near its territory"
    border = next(
        (o for p, o in near if p in ("at", "on", "near", "along", "off") and
         (lemma(o) in lx.NEAR_NOUNS or o.lower_ in lx.NEAR_NOUNS)),
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
        # "announces a permanent US troop presence in Poland": a presence set up
        or (lemma(tok) == "presence" and tok.dep_ == "dobj"
            and lemma(head) in lx.PLAN_WORDS | {"establish", "build"})
    )
    if not standing:
        return None
    return Trigger(tok, lx.DEPLOY, tok, owners, place)


_INVOLVEMENT = {"involvement": lx.DEPLOY, "intervention": lx.ADVANCE}
_ARMED_MODS = frozenset({"military", "armed", "direct", "troop"})


def _involvement(tok: Token, sent: Span) -> Trigger | None:
    """ "Russia's direct military involvement in eastern Ukraine", "a Russian military
    intervention": a state's forces engaged in (or sent into) a place."""
    movement = _INVOLVEMENT.get(lemma(tok))
    if movement is None or tok.pos_ != "NOUN":
        return None
    mods = [c for c in tok.children if c.dep_ in ("amod", "compound", "poss", "nmod")]
    if not any(m.lower_ in _ARMED_MODS for m in mods):
        return None
    owners = [m for m in mods if is_state(m)]
    place = next((o for p, o in preps(tok) if p in ("in", "into", "inside") and _place(o)), None)
    # Without a state or a place only a ruled-out one counts ("a military intervention was
    # out of the question", "there will be no military intervention"): the news is the denial.
    ruled_out = any(c.dep_ == "neg" or c.lower_ in ("no", "out") for c in tok.head.children)
    if not owners and place is None and not ruled_out:
        return None
    return Trigger(tok, movement, None, owners, place)


def _move_noun(tok: Token, sent: Span) -> Trigger | None:
    """ "Russia's move into Crimea": a state's move across or into a place."""
    if lemma(tok) not in ("move", "push", "thrust", "march") or tok.pos_ != "NOUN":
        return None
    owners = [c for c in tok.children if c.dep_ in ("poss", "amod", "compound") and is_state(c)]
    place = next((o for p, o in preps(tok) if p in ("into", "across", "onto") and _place(o)), None)
    if not owners or place is None:
        return None
    return Trigger(tok, lx.ADVANCE, None, owners, place)


def _planned_attack(tok: Token, sent: Span) -> Trigger | None:
    """ "Russia preparing to attack Ukraine", "plans for a large-scale attack on Ukraine",
    "planning a military offensive against Ukraine": a planned attack on a state."""
    lem = lemma(tok)
    if lem not in ("attack", "offensive", "assault", "control") or not any(
        lemma(a) in lx.PLAN_WORDS | _INTENT for a in (tok.head, tok.head.head)
    ):
        return None
    if lem == "control" and tok.pos_ != "VERB":
        return None  # "intent to control Donbas"; the noun is `_capture`'s
    if tok.pos_ == "VERB":
        target = next((c for c in tok.children if c.dep_ == "dobj"), None)
        movers = _movers(tok, sent)
    elif tok.pos_ == "NOUN":
        target = next((o for p, o in preps(tok) if p in ("on", "against")), None)
        verb = next((a for a in tok.ancestors if a.pos_ in ("VERB", "AUX")), None)
        movers = _movers(verb, sent) if verb is not None else []
    else:
        return None
    if target is None or target.ent_type_ != "GPE":
        return None
    if not movers:  # "Russia declares intent to control Donbas"
        verb = next((a for a in tok.ancestors if a.pos_ == "VERB"), None)
        movers = _movers(verb, sent) if verb is not None else []
    if not any(is_state(m) or is_force(m) for m in movers):
        return None
    return Trigger(tok, lx.ADVANCE, has_force(movers), movers, target)


def _lost_ground(tok: Token, sent: Span) -> Trigger | None:
    """ "Armenia loses positions in border clash": forces giving up ground (withdraw)."""
    if lemma(tok) != "lose" or tok.pos_ != "VERB":
        return None
    lost = next(
        (c for c in tok.children if c.dep_ == "dobj" and lemma(c) in ("position", "ground")),
        None,
    )
    movers = _movers(tok, sent)
    if lost is None or not any(is_state(m) or is_force(m) for m in movers):
        return None
    return Trigger(tok, lx.WITHDRAW, has_force(movers), movers, None)


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


EVENT_HEADS = (
    _CAPTURE_VERBS | _CAPTURE_NOUNS | _ARRIVE_VERBS | _EXPEL_VERBS | _AUTHORISE
    | {"control", "occupation", "raid", "incursion", "operation", "offensive", "increase",
       "raise", "boost", "double", "triple", "expand", "involvement", "intervention", "move",
       "push", "thrust", "march", "attack", "assault", "lose", "hoist", "plant"}
)


def event_trigger(tok: Token, sent: Span) -> Trigger | None:
    """The first event pattern the token heads, if any."""
    if lemma(tok) not in EVENT_HEADS and not is_force(tok):
        return None  # most words head no event: skip the patterns
    for rule in (
        _capture, _raid, _arrival, _presence, _expulsion, _level, _authorised, _involvement,
        _move_noun, _planned_attack, _lost_ground,
    ):
        found = rule(tok, sent)
        if found is not None:
            return found
    return None
