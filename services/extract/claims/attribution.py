"""Attribution: who makes the claim (claimant), whether it is asserted or denied (polarity),
how firm it is (status), and whether it is a claim at all (demands, conditions, questions and
history are not). Consumes a trigger token and its sentence; emits a `Frame` verdict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.tokens import Span, Token

from services.extract.claims import lexicon as lx
from services.extract.claims.syntax import SUBJECT_DEPS, is_force, lemma, phrase

TokRange = tuple[int, int]
_HEADLINE_SPEAKER = re.compile(r"^\s*([A-Z][\w.'-]+(?: [A-Z][\w.'-]+){0,3})\s*:\s+\S")
_NEGATORS = frozenset({"not", "n't", "never", "no"})


@dataclass
class Frame:
    """The attribution verdict for one trigger."""

    is_claim: bool
    denied: bool = False
    status: str = "REPORTED"
    reporter: Token | None = None


def _scope(tok: Token, sent: Span) -> list[Token]:
    """The trigger and its ancestors up to the first opaque noun (a noun that starts a new
    topic, as "referendum" in "a referendum on leaving Gaza")."""
    path = [tok]
    cur = tok
    while cur.head.i != cur.i and sent.start <= cur.head.i < sent.end:
        via_conj = cur.dep_ == "conj"
        cur = cur.head
        if (
            cur.pos_ in ("NOUN", "PROPN")
            and lemma(cur) not in lx.TRANSPARENT_NOUNS
            and not (is_force(cur) or lemma(cur) in lx.OPERATION_NOUNS or via_conj)
        ):
            break
        path.append(cur)
    return path


def _has_old_year(tok: Token, ref_year: int | None) -> bool:
    if ref_year is None:
        return False
    for child in tok.children:
        if child.dep_ in ("prep", "nummod", "compound", "amod", "npadvmod", "poss"):
            for t in child.subtree:
                if (
                    t.ent_type_ == "DATE"
                    and re.fullmatch(r"(1[89]|20)\d\d", t.text)
                    and (int(t.text) < ref_year)
                ):
                    return True
    return False


def judge(tok: Token, sent: Span, ref_year: int | None) -> Frame:
    """Decide whether the trigger is a claim and with which polarity and status."""
    if sent.text.rstrip().endswith("?"):
        return Frame(False)
    path = _scope(tok, sent)
    denied = False
    demand = False
    status = "REPORTED"
    own_clause = True
    if {c.lower_ for c in tok.children if c.dep_ == "aux"} & {"must", "should"}:
        return Frame(False)
    for depth, node in enumerate(path):
        if depth > 0 and path[depth - 1].dep_ not in ("xcomp", "conj", "aux", "ROOT"):
            own_clause = False
        lem = lemma(node)
        kids = list(node.children)
        is_reporting = lem in lx.REPORT_VERBS and lem != "deny"
        if depth > 0 and lem in lx.DEMAND_WORDS and not is_reporting and not denied:
            demand = True
        if own_clause and any(c.dep_ == "mark" and c.lower_ in lx.CONDITION_MARKS for c in kids):
            return Frame(False)
        if depth <= 1 and any(
            c.dep_ == "advcl"
            and any(m.lower_ in lx.CONDITION_MARKS for m in c.children if m.dep_ == "mark")
            for c in kids
        ):
            return Frame(False)
        if _has_old_year(node, ref_year) or lem in lx.HISTORY_NOUNS:
            return Frame(False)
        if any(
            c.dep_ == "prep"
            and c.lower_ == "in"
            and any(lemma(o) in lx.CONDITION_NOUNS for o in c.children)
            for c in kids
        ):
            return Frame(False)  # "in the event of a conflict": a condition, not a move
        # "unlikely to send troops" rules the move out; "a pullout is unlikely to help" does not
        if (
            depth > 0
            and path[depth - 1].dep_ == "xcomp"
            and (
                lem in lx.UNLIKELY_WORDS
                or any(c.dep_ in ("acomp", "amod") and c.lower_ in lx.UNLIKELY_WORDS for c in kids)
            )
        ):
            denied = True
        if (
            depth > 0
            and path[depth - 1].dep_ in ("nsubj", "nsubjpass")
            and any(
                c.lower_ == "out" and any(t.lower_ == "question" for t in c.subtree)
                for c in kids
            )
        ):
            denied = True  # "an intervention was out of the question"
        if not is_reporting or lem in ("admit", "confirm"):
            if not demand and any(
                c.dep_ == "neg" or (c.dep_ == "det" and c.lower_ == "no") for c in kids
            ):
                denied = True
            if (
                lem in lx.DENY_VERBS
                and (lem != "rule" or any(c.lower_ == "out" for c in kids))
                and depth > 0
            ):
                denied = True
                demand = False
        if node.pos_ in ("AUX", "VERB") or depth == 0:
            auxes = {c.lower_ for c in kids if c.dep_ in ("aux", "auxpass")}
            if auxes & lx.CONDITIONAL_MODALS or lem in lx.CONSIDER_WORDS:
                status = "CONDITIONAL"
            elif status == "REPORTED" and (
                auxes & {"will", "shall", "'ll", "to"} or (depth > 0 and lem in lx.PLAN_WORDS)
            ):
                status = "PLANNED"
            if lem in lx.ALLEGING_VERBS and status == "REPORTED":
                status = "ALLEGED"
        elif lem in lx.PLAN_WORDS and status == "REPORTED":
            status = "PLANNED"
    if demand:
        return Frame(False)
    if tok.head.lower_ == "plan" or any(c.lower_ == "plan" for c in tok.ancestors):
        status = "PLANNED" if status == "REPORTED" else status
    if status == "REPORTED" and any(lemma(t) in lx.HEDGES or t.lower_ in lx.HEDGES for t in sent):
        status = "ALLEGED"
    return Frame(True, denied, status, reporter(tok, sent))


def reporter(tok: Token, sent: Span) -> Token | None:
    """The outermost reporting verb governing the trigger, else a reporting verb that closes
    the sentence ("..., officials said")."""
    found: Token | None = None
    for anc in tok.ancestors:
        if not sent.start <= anc.i < sent.end:
            break
        if lemma(anc) in lx.REPORT_VERBS and anc.pos_ in ("VERB", "AUX", "PROPN", "NOUN"):
            found = anc
    if found is not None:
        return found
    for t in sent:
        if (
            lemma(t) in lx.REPORT_VERBS
            and t.pos_ == "VERB"
            and t.dep_ in ("ROOT", "parataxis", "conj")
            and tok not in t.subtree
        ) or (
            t.pos_ == "VERB" and lemma(t) in lx.REPORT_VERBS and t.i > tok.i and t.dep_ == "ROOT"
        ):
            return t
    return None


def claimant_range(verb: Token | None, sent: Span) -> TokRange | None:
    """The party named as the source: the reporting verb's subject, "according to X", or a
    headline speaker ("Straw: No British troops to Darfur")."""
    if verb is not None:
        cur: Token | None = verb
        for _ in range(3):
            if cur is None:
                break
            subj = [c for c in cur.children if c.dep_ in SUBJECT_DEPS - {"expl"}]
            subj += [p for c in cur.children if c.dep_ == "agent" for p in c.children]
            if subj:
                return phrase(subj[0])
            cur = cur.head if cur.dep_ in ("conj", "xcomp", "advcl") else None
    for t in sent:
        if t.lower_ == "according" and t.i + 1 < sent.end and t.doc[t.i + 1].lower_ == "to":
            objs = [c for c in t.doc[t.i + 1].children if c.dep_ == "pobj"]
            if objs:
                return phrase(objs[0])
    match = _HEADLINE_SPEAKER.match(sent.text)
    if match is not None:
        start = sent.start_char + match.start(1)
        span = sent.doc.char_span(start, start + len(match.group(1)), alignment_mode="expand")
        if span is not None:
            return (span.start, span.end)
    return None
