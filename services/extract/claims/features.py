"""Sentence features for the learned claim detector. Consumes one parsed sentence and what the
trigger rules made of it; emits sparse feature strings (words, entity classes, dependency
arcs, the rules' verdicts) and a dense vector (the pipeline's own contextual token vectors,
averaged). The same function serves training and extraction, so the two never drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray
from spacy.tokens import Span, Token

from services.extract.claims import lexicon as lx
from services.extract.claims.attribution import Frame
from services.extract.claims.nouns import Trigger, is_place
from services.extract.claims.syntax import is_force, is_state, lemma

__all__ = ["DENSE_WIDTH", "dense_features", "sparse_features"]

# en_core_web_sm's tok2vec writes 96 floats per token into `doc.tensor`.
DENSE_WIDTH = 96
# Named entities stand for their class, so "Russia masses troops" teaches about "Iran masses".
_ABSTRACT = frozenset({"GPE", "NORP", "LOC", "FAC", "ORG", "PERSON", "CARDINAL", "DATE", "TIME"})
_ARCS = frozenset(
    {"nsubj", "nsubjpass", "dobj", "pobj", "prep", "compound", "amod", "advmod", "prt", "xcomp",
     "ccomp", "neg", "aux", "agent", "attr", "nmod", "poss", "acl", "relcl", "conj", "dative"}
)


# Word classes the model generalises over: a class feature fires for any of its words, so a
# pattern learnt from "captured Lysychansk" carries to "retook Kherson".
_CAPTURE = frozenset(
    {"capture", "recapture", "seize", "retake", "liberate", "reclaim", "occupy", "grab",
     "overrun", "conquer", "take", "control", "regain", "annex", "hold"}
)
_CAPTURE_NOUNS = frozenset(
    {"capture", "recapture", "seizure", "liberation", "occupation", "takeover", "control",
     "annexation", "fall"}
)
_ARRIVE = frozenset(
    {"land", "arrive", "dock", "reach", "transit", "sail", "fly", "patrol", "comb", "spot",
     "appear", "install", "position", "stand", "remain", "stay"}
)
_DEPART = frozenset(
    {"leave", "depart", "evacuate", "abandon", "flee", "retreat", "back", "lose", "drive",
     "expel", "oust", "push", "force", "remove", "decrease", "fall"}
)
_TRANSFER = frozenset(
    {"transfer", "deliver", "supply", "provide", "hand", "give", "donate", "receive", "sell",
     "buy", "purchase", "ship", "equip", "arm"}
)
_HARM = frozenset(
    {"kill", "die", "dead", "wound", "injure", "casualty", "loss", "death", "strike", "shell",
     "bomb", "attack", "destroy", "shoot", "fire", "hit", "rape", "execute", "torture", "sink",
     "clash", "fight", "battle"}
)
_LEVEL = frozenset({"level", "number", "size", "strength", "presence", "readiness", "alert"})
_AUTHORISE = frozenset({"authorize", "authorise", "approve", "order", "allow", "sanction"})
_INVOLVE = frozenset({"involvement", "presence", "participation", "role", "intervention"})
_CLASSES: tuple[tuple[str, frozenset[str]], ...] = (
    ("deploy", lx.DEPLOY_VERBS | lx.DEPLOY_NOUNS),
    ("advance", lx.ADVANCE_MOTION | lx.ADVANCE_PLACE_OBJECT | lx.ADVANCE_NOUNS),
    ("buildup", lx.BUILDUP_VERBS | lx.BUILDUP_NOUNS),
    ("withdraw", lx.WITHDRAW_VERBS | lx.WITHDRAW_NOUNS),
    ("capture", _CAPTURE | _CAPTURE_NOUNS),
    ("arrive", _ARRIVE),
    ("depart", _DEPART),
    ("transfer", _TRANSFER),
    ("harm", _HARM),
    ("level", _LEVEL),
    ("authorise", _AUTHORISE),
    ("involve", _INVOLVE),
    ("report", lx.REPORT_VERBS),
    ("deny", lx.DENY_VERBS),
    ("demand", lx.DEMAND_WORDS),
    ("plan", lx.PLAN_WORDS),
    ("consider", lx.CONSIDER_WORDS),
    ("modal", lx.CONDITIONAL_MODALS),
    ("condition", lx.CONDITION_MARKS),
    ("history", lx.HISTORY_NOUNS),
    ("hypothetical", lx.HYPOTHETICAL_MODS),
    ("civilian", lx.CIVILIAN_NOUNS),
    ("armed_group", lx.NON_STATE_ARMED | lx.ARMED_GROUPS),
    ("border", lx.BORDER_NOUNS),
)


_CLASS_OF: dict[str, tuple[str, ...]] = {
    word: tuple(name for name, words in _CLASSES if word in words)
    for word in frozenset().union(*(words for _, words in _CLASSES))
}


def _classes(tok: Token) -> tuple[str, ...]:
    lem, low = lemma(tok), tok.lower_
    found = _CLASS_OF.get(lem, ())
    if low != lem and low in _CLASS_OF:
        found = tuple(dict.fromkeys(found + _CLASS_OF[low]))
    return found


def _role(tok: Token) -> str:
    """FORCE, STATE, PLACE or OTHER: what an argument of a movement word is."""
    if is_force(tok):
        return "FORCE"
    if is_place(tok) or tok.ent_type_ in ("GPE", "LOC", "FAC"):
        return "PLACE"
    if is_state(tok):
        return "STATE"
    return "OTHER"


def _cues(toks: list[Token]) -> list[str]:
    """Class-level features: each word class with the roles of its arguments ("capture with
    a PLACE object"), and forces placed in or near somewhere."""
    out: list[str] = []
    for t in toks:
        classes = _classes(t)
        if not classes:
            continue
        roles = set()
        for c in t.children:
            if c.dep_ in ("nsubj", "nsubjpass", "dobj", "pobj", "attr", "compound", "amod",
                          "poss", "agent"):
                roles.add(f"{c.dep_}={_role(c)}")
            elif c.dep_ == "prep":
                for o in c.children:
                    if o.dep_ == "pobj":
                        roles.add(f"{c.lower_}={_role(o)}")
        if t.dep_ in ("nsubj", "dobj", "pobj", "compound") and t.head.i != t.i:
            roles.add(f"head={_role(t.head)}")
        neg = any(c.dep_ == "neg" or (c.dep_ == "det" and c.lower_ == "no") for c in t.children)
        for name in classes:
            out.append(f"c:{name}")
            out.append(f"c:{name}:{t.pos_}")
            if neg:
                out.append(f"c:{name}:neg")
            out += [f"c:{name}:{r}" for r in roles]
    for t in toks:
        if not is_force(t):
            continue
        mods = {_role(m) for m in t.children if m.dep_ in ("amod", "compound", "poss", "nmod")}
        if "STATE" in mods:
            out.append("f:owned")
        for c in t.children:
            if c.dep_ == "prep":
                for o in c.children:
                    if o.dep_ == "pobj":
                        out.append(f"f:{c.lower_}={_role(o)}")
                        if lemma(o) in lx.BORDER_NOUNS:
                            out.append(f"f:{c.lower_}=BORDER")
        out.append(f"f:dep={t.dep_}")
    return out


def _word(tok: Token) -> str:
    if tok.ent_type_ in _ABSTRACT:
        return tok.ent_type_
    if tok.like_num:
        return "NUM"
    return lemma(tok)


def _class(tok: Token) -> str:
    """A coarse class of a token: force, state, entity class or its word."""
    if is_force(tok):
        return "FORCE"
    if is_state(tok):
        return "STATE"
    return _word(tok)


def sparse_features(
    sent: Span, triggers: Sequence[Trigger], frames: Sequence[Frame], *, is_title: bool
) -> list[str]:
    """Feature strings of a sentence: abstracted unigrams and bigrams, lower-cased words,
    dependency arcs with coarse classes, verb-preposition-object triples, and the trigger
    rules' findings (movement, trigger word, verdict, polarity, status)."""
    toks = [t for t in sent if not (t.is_space or t.is_punct)]
    words = [_word(t) for t in toks]
    feats = ["bias", "title" if is_title else "body"]
    feats += [f"w:{w}" for w in words]
    feats += [f"l:{t.lower_}" for t in toks if t.ent_type_ in _ABSTRACT]
    feats += [f"b:{a}_{b}" for a, b in pairwise(words)]
    for t in toks:
        if t.dep_ in _ARCS and t.head.i != t.i:
            feats.append(f"d:{t.dep_}:{_word(t.head)}>{_class(t)}")
            if t.dep_ == "pobj" and t.head.dep_ == "prep":
                feats.append(f"p:{_word(t.head.head)}_{t.head.lower_}_{_class(t)}")
        if t.dep_ == "neg" or (t.dep_ == "det" and t.lower_ == "no"):
            feats.append("neg")
        if is_force(t):
            feats.append("force")
            feats.append(f"fh:{_word(t.head)}")
    feats += _cues(toks)
    if sent.text.rstrip().endswith("?"):
        feats.append("question")
    if not triggers:
        feats.append("t:none")
    for trig, frame in zip(triggers, frames, strict=True):
        mv = trig.movement
        feats += [f"t:{mv}", f"tw:{mv}:{lemma(trig.token)}", f"tf:{trig.force is not None}"]
        feats.append(f"v:{mv}:{'claim' if frame.is_claim else 'reject'}")
        if frame.is_claim:
            feats += [f"s:{frame.status}", f"pol:{'denied' if frame.denied else 'asserted'}"]
            feats.append(f"vm:{mv}:{'denied' if frame.denied else 'asserted'}")
    return feats


def dense_features(sent: Span) -> NDArray[np.float32]:
    """Mean of the pipeline's contextual token vectors over the sentence (zeros without)."""
    tensor = sent.doc.tensor
    if tensor is None or tensor.shape[0] < sent.end or tensor.shape[1] != DENSE_WIDTH:
        return np.zeros(DENSE_WIDTH, dtype=np.float32)
    rows = [t.i for t in sent if not t.is_space]
    if not rows:
        return np.zeros(DENSE_WIDTH, dtype=np.float32)
    return np.asarray(tensor[rows].mean(axis=0), dtype=np.float32)
