"""Claim assembly: turns a rule-level `Draft` into the wire `proto.Claim` (canonical ids from
the gazetteer, stable claim id, fingerprint) and a `proto.Claim` into its flat JSON form.
Consumes drafts and the analysed text; emits protobuf messages and plain dicts.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from proto import Claim, ClaimStatus, LocationRelation, Mention, Movement, Polarity

_MOVEMENTS = {
    "buildup": Movement.MOVEMENT_BUILDUP,
    "deploy": Movement.MOVEMENT_DEPLOY,
    "advance": Movement.MOVEMENT_ADVANCE,
    "withdraw": Movement.MOVEMENT_WITHDRAW,
}
_MOVEMENT_NAMES = {v: k for k, v in _MOVEMENTS.items()}
_STRIP_WORDS = re.compile(r"^(the|a|an)\s+", re.IGNORECASE)


class _Ref(Protocol):
    id: str
    name: str
    kind: str


@runtime_checkable
class _Lookup(Protocol):
    def lookup(self, text: str) -> _Ref | None: ...

    def party(self, ref: Any) -> Any: ...


# Kinds of gazetteer entry that own forces; a person or office stands for one of them.
_OWNER_KINDS = frozenset({"state", "alliance", "organisation", "organization", "armed_force"})


@dataclass
class Draft:
    """A claim as the rules found it, with character spans into the analysed text."""

    movement: str
    denied: bool
    status: str
    actor: str | None
    actor_span: tuple[int, int] | None
    claimant: str | None
    claimant_span: tuple[int, int] | None
    location: str | None
    location_span: tuple[int, int] | None
    relation: str | None
    size: str | None
    size_min: float
    size_max: float
    size_unit: str
    time_text: str | None
    time: datetime | None
    evidence_span: tuple[int, int]
    trigger_char: int
    is_title: bool
    confidence: float


class Resolver:
    """Canonical identities through a gazetteer, when one is available."""

    def __init__(self, gazetteer: object | None) -> None:
        if gazetteer is None:
            try:
                from services.extract.gazetteer import Gazetteer

                gazetteer = Gazetteer.default()
            except ImportError:  # the gazetteer is optional: ids stay empty without it
                gazetteer = None
        self._gaz: _Lookup | None = gazetteer if isinstance(gazetteer, _Lookup) else None

    def resolve(self, text: str) -> tuple[str, str]:
        """(canonical id, canonical name) of a mention, ("", "") when unknown."""
        if self._gaz is None or not text:
            return "", ""
        ref = self._gaz.lookup(text)
        if ref is None:
            words = re.findall(r"[\w.'-]+", text)
            for n in range(min(len(words), 4), 0, -1):
                for i in range(len(words) - n + 1):
                    ref = self._gaz.lookup(" ".join(words[i : i + n]))
                    if ref is not None:
                        return ref.id, ref.name
            return "", ""
        return ref.id, ref.name


    def owner(self, text: str) -> str | None:
        """The name of the state or alliance a named person, office or force stands for
        ("Biden" → "United States", "the Pentagon" → "United States", "Stoltenberg" →
        "NATO"); None when the text names none or names a party itself."""
        if self._gaz is None or not text:
            return None
        ref = self._gaz.lookup(text)
        if ref is None or ref.kind in _OWNER_KINDS - {"armed_force"}:
            return None
        party = self._gaz.party(ref)
        if party is ref or party.kind not in _OWNER_KINDS:
            return None
        return str(party.name)

    def names(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the names the gazetteer knows in running text (none without a
        gazetteer that can search text)."""
        find_all = getattr(self._gaz, "find_all", None)
        if find_all is None or not text:
            return []
        return [(start, end) for start, end, _ in find_all(text)]

    def is_party(self, text: str) -> bool:
        """True when the text names a state, alliance or armed force the gazetteer knows."""
        ref = self._gaz.lookup(text) if self._gaz is not None and text else None
        return ref is not None and ref.kind in _OWNER_KINDS


def _mention(text: str | None, span: tuple[int, int] | None, resolver: Resolver) -> Mention:
    mention = Mention(text=text or "")
    if text:
        mention.canonical_id, mention.canonical_name = resolver.resolve(text)
    if span is not None:
        mention.span.start, mention.span.end = span
    return mention


def _key(mention: Mention) -> str:
    if mention.canonical_id:
        return mention.canonical_id.lower()
    return re.sub(r"\s+", " ", _STRIP_WORDS.sub("", mention.text.lower())).strip(" .,'\"")


def to_proto(draft: Draft, item_id: str, text: str, resolver: Resolver) -> Claim:
    """The wire message for a draft; claim_id = sha256(item_id, evidence span, movement)."""
    start, end = draft.evidence_span
    digest = hashlib.sha256(
        f"{item_id}\x1f{start}:{end}\x1f{draft.movement}\x1f{draft.trigger_char}".encode()
    ).hexdigest()[:32]
    claim = Claim(
        claim_id=digest,
        item_id=item_id,
        movement=_MOVEMENTS[draft.movement],
        polarity=Polarity.POLARITY_DENIED if draft.denied else Polarity.POLARITY_ASSERTED,
        status=ClaimStatus.Name(ClaimStatus.Value(f"CLAIM_STATUS_{draft.status}")),
        evidence=text[start:end],
        confidence=draft.confidence,
    )
    claim.evidence_span.start, claim.evidence_span.end = start, end
    if draft.actor:
        claim.actor.CopyFrom(_mention(draft.actor, draft.actor_span, resolver))
    if draft.claimant:
        claim.claimant.CopyFrom(_mention(draft.claimant, draft.claimant_span, resolver))
    if draft.location:
        claim.location.place.CopyFrom(_mention(draft.location, draft.location_span, resolver))
        claim.location.relation = LocationRelation.Value(
            f"LOCATION_RELATION_{draft.relation or 'AT'}"
        )  # type: ignore[assignment]
    if draft.size:
        claim.size.text, claim.size.unit = draft.size, draft.size_unit
        claim.size.min, claim.size.max = draft.size_min, draft.size_max
    if draft.time_text:
        claim.event_time_text = draft.time_text
        if draft.time is not None:
            claim.event_time.FromDatetime(draft.time)
    polarity = "denied" if draft.denied else "asserted"
    claim.fingerprint = "|".join(
        (_key(claim.actor), draft.movement, _key(claim.location.place), polarity)
    )
    return claim


def claim_to_json(claim: Claim) -> dict[str, Any]:
    """Flat JSON form: role texts as strings (null when absent) plus ids, spans and scores."""
    has = claim.HasField
    loc = claim.location.place if has("location") else None
    return {
        "claim_id": claim.claim_id,
        "movement": _MOVEMENT_NAMES.get(claim.movement),
        "polarity": "denied" if claim.polarity == Polarity.POLARITY_DENIED else "asserted",
        "status": ClaimStatus.Name(claim.status).removeprefix("CLAIM_STATUS_").lower(),
        "actor": claim.actor.text if has("actor") else None,
        "actor_id": claim.actor.canonical_id or None if has("actor") else None,
        "claimant": claim.claimant.text if has("claimant") else None,
        "claimant_id": claim.claimant.canonical_id or None if has("claimant") else None,
        "location": loc.text if loc is not None else None,
        "location_id": (loc.canonical_id or None) if loc is not None else None,
        "location_relation": LocationRelation.Name(claim.location.relation)
        .removeprefix("LOCATION_RELATION_")
        .lower()
        if loc is not None
        else None,
        "size": claim.size.text if has("size") else None,
        "size_min": claim.size.min if has("size") else None,
        "size_max": claim.size.max if has("size") else None,
        "size_unit": claim.size.unit if has("size") else None,
        "event_time": claim.event_time.ToDatetime().isoformat() + "Z"
        if has("event_time")
        else None,
        "event_time_text": claim.event_time_text or None,
        "evidence": claim.evidence,
        "evidence_start": claim.evidence_span.start,
        "evidence_end": claim.evidence_span.end,
        "confidence": round(claim.confidence, 3),
        "fingerprint": claim.fingerprint,
    }
