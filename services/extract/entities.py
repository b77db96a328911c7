"""Entity canonicalisation: turns the named entities of a parsed spaCy `Doc` into wire
`Entity` messages. It consumes `doc.ents` (from `nlp.build_nlp`, whose gazetteer ruler already
fixed the labels of names it knows) and the `Gazetteer`, and emits one `proto.Entity` per
entity, in document order, with its code-point span into `doc.text`, its corrected spaCy label
and, where the gazetteer resolves it, its canonical id and name.
"""

from __future__ import annotations

from spacy.tokens import Doc, Span

import proto
from services.extract.gazetteer import CanonicalRef, Gazetteer

__all__ = ["COMPATIBLE_LABELS", "canonicalise", "entities_from_doc"]

# The model labels under which a name may plausibly be the kind of thing the gazetteer says it
# is. An ambiguous alias ("Jordan", "Powell") is only resolved when the model agrees, so that
# "Michael Jordan" tagged PERSON never becomes the state of Jordan.
COMPATIBLE_LABELS: dict[str, frozenset[str]] = {
    "state": frozenset({"GPE", "NORP", "LOC", "ORG", "FAC"}),
    "place": frozenset({"GPE", "LOC", "FAC", "NORP", "ORG"}),
    "organisation": frozenset({"ORG", "NORP", "GPE"}),
    "alliance": frozenset({"ORG", "NORP", "GPE"}),
    "armed_force": frozenset({"ORG", "NORP", "GPE", "PERSON"}),
    "person": frozenset({"PERSON", "ORG", "NORP", "GPE"}),
}
# Labels that never name a party or a place: a number or a date is never looked up.
_UNRESOLVED_LABELS = frozenset(
    {"DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL"}
)


def canonicalise(text: str, label: str, gazetteer: Gazetteer) -> tuple[str, CanonicalRef | None]:
    """The corrected label and canonical identity of one entity (text as tagged, spaCy label).

    An exact, unambiguous gazetteer alias imposes its own label ("Crimea" ORG → GPE); a
    partial match ("Russian Special Forces" → RUS) or an ambiguous alias keeps the model's
    label, and an ambiguous alias resolves only under a compatible label. Numbers, dates and
    quantities are returned unchanged and unresolved.
    """
    if label in _UNRESOLVED_LABELS:
        return label, None
    match = gazetteer.match(text)
    if match is None:
        return label, None
    if match.exact and match.trusted and match.label:
        return match.label, match.ref
    if not match.trusted and label not in COMPATIBLE_LABELS[match.ref.kind]:
        return label, None
    return label, match.ref


def _entity(ent: Span, gazetteer: Gazetteer) -> proto.Entity:
    ref = gazetteer.get(ent.ent_id_) if ent.ent_id_ else None
    if ref is not None:
        # Tagged by the gazetteer ruler: its label and id are already the canonical ones.
        label = ent.label_
    else:
        label, ref = canonicalise(ent.text, ent.label_, gazetteer)
    entity = proto.Entity(
        text=ent.text,
        label=label,
        span=proto.Span(start=ent.start_char, end=ent.end_char),
    )
    if ref is not None:
        entity.canonical_id = ref.id
        entity.canonical_name = ref.name
    return entity


def entities_from_doc(doc: Doc, gazetteer: Gazetteer) -> list[proto.Entity]:
    """One Entity per `doc.ents` entry, in order; `doc.text[span.start:span.end] == text`."""
    return [_entity(ent, gazetteer) for ent in doc.ents]
