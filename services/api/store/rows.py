"""Translation between the wire contract, table rows and response models.

Consumes protobuf ``EnrichedItem`` / ``FeedStatus`` messages and emits plain dicts keyed by
column name, ready for ``insert().values``; consumes result rows and emits the pydantic models
of ``services.api.models``, or for the listings the JSON docs stored with each row (the
same bytes). Empty protobuf strings become NULL, so "unknown" is one value in SQL and
``null`` in JSON; enum numbers become short lower-case names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

import orjson
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from proto import (
    Claim,
    ClaimStatus,
    EnrichedItem,
    FeedState,
    FeedStatus,
    LocationRelation,
    Mention,
    Movement,
    Polarity,
)
from services.api.models import (
    ClaimOut,
    EntityOut,
    FeedOut,
    ItemDetail,
    ItemSummary,
)
from services.api.store import sortkey
from services.api.store.errors import InvalidMessage

__all__ = [
    "claim_doc",
    "claim_out",
    "claim_row",
    "docs_page_json",
    "entity_rows",
    "enum_name",
    "feed_out",
    "feed_row",
    "item_detail",
    "item_doc",
    "item_row",
    "item_summary",
]

Row = Mapping[Any, Any]
_PARTIES = ("actor", "claimant", "location")


def enum_name(enum: Any, value: int, prefix: str) -> str:
    """Return ``MOVEMENT_ADVANCE`` as ``advance``; a number unknown to this code as
    ``unspecified``."""
    try:
        return cast(str, enum.Name(value)).removeprefix(prefix).lower()
    except ValueError:
        return "unspecified"


def _ts(message: Message, field: str) -> datetime | None:
    if not message.HasField(field):
        return None
    stamp = cast(Timestamp, getattr(message, field))
    return stamp.ToDatetime(tzinfo=UTC)


def _opt(value: str) -> str | None:
    return value or None


def item_row(enriched: EnrichedItem, now: datetime) -> dict[str, Any]:
    """Return the ``items`` row for ``enriched``, without its listing key (``id``, which the
    writer assigns); raise ``InvalidMessage`` without an item_id."""
    item = enriched.item
    if not item.item_id:
        raise InvalidMessage("EnrichedItem has no item.item_id")
    published_at = _ts(item, "published_at")
    return {
        "item_id": item.item_id,
        "version": item.version,
        "feed_url": item.feed_url,
        "feed_name": item.feed_name,
        "guid": _opt(item.guid),
        "url": _opt(item.url),
        "title": item.title,
        # Entity and claim spans index the analysed text, so that is the text kept.
        "text": enriched.text or f"{item.title}\n\n{item.text}",
        "language": _opt(item.language),
        # To the millisecond: the listing key (sortkey.py) orders items by that much.
        "published_at": sortkey.truncate(published_at or _ts(item, "fetched_at") or now),
        "published_at_estimated": item.published_at_estimated or published_at is None,
        "fetched_at": _ts(item, "fetched_at"),
        "extracted_at": _ts(enriched, "extracted_at"),
        "extractor_version": _opt(enriched.extractor_version),
        "content_hash": _opt(item.content_hash),
        "claims_count": len(enriched.claims),
        "stored_at": now,
        "updated_at": now,
    }


def entity_rows(enriched: EnrichedItem) -> list[dict[str, Any]]:
    """Return the ``entities`` rows of ``enriched``, numbered in message order."""
    return [
        {
            "item_id": enriched.item.item_id,
            "idx": idx,
            "text": entity.text,
            "label": entity.label,
            "span_start": entity.span.start,
            "span_end": entity.span.end,
            "canonical_id": _opt(entity.canonical_id),
            "canonical_name": _opt(entity.canonical_name),
        }
        for idx, entity in enumerate(enriched.entities)
    ]


def _mention_cols(prefix: str, present: bool, mention: Mention) -> dict[str, Any]:
    if not present:
        return {f"{prefix}_text": None, f"{prefix}_id": None, f"{prefix}_name": None}
    return {
        f"{prefix}_text": mention.text,
        f"{prefix}_id": _opt(mention.canonical_id),
        f"{prefix}_name": _opt(mention.canonical_name),
    }


def claim_row(claim: Claim, item_id: str, published_at: datetime, now: datetime) -> dict[str, Any]:
    """Return the ``claims`` row for ``claim`` found in item ``item_id``."""
    if not claim.claim_id:
        raise InvalidMessage(f"a claim of item {item_id} has no claim_id")
    has_location = claim.HasField("location") and claim.location.HasField("place")
    has_size = claim.HasField("size")
    has_span = claim.HasField("evidence_span")
    return {
        "claim_id": claim.claim_id,
        # The enclosing item is authoritative: claim.item_id may be unset by older extractors.
        "item_id": item_id,
        "movement": enum_name(Movement, claim.movement, "MOVEMENT_"),
        "polarity": enum_name(Polarity, claim.polarity, "POLARITY_"),
        "status": enum_name(ClaimStatus, claim.status, "CLAIM_STATUS_"),
        **_mention_cols("actor", claim.HasField("actor"), claim.actor),
        **_mention_cols("claimant", claim.HasField("claimant"), claim.claimant),
        **_mention_cols("location", has_location, claim.location.place),
        "location_relation": (
            enum_name(LocationRelation, claim.location.relation, "LOCATION_RELATION_")
            if has_location
            else None
        ),
        "size_text": claim.size.text if has_size else None,
        "size_min": claim.size.min if has_size else None,
        "size_max": claim.size.max if has_size else None,
        "size_unit": _opt(claim.size.unit) if has_size else None,
        "event_time": _ts(claim, "event_time"),
        "event_time_text": _opt(claim.event_time_text),
        "evidence": claim.evidence,
        "evidence_start": claim.evidence_span.start if has_span else None,
        "evidence_end": claim.evidence_span.end if has_span else None,
        # float32 on the wire: round away the binary noise (0.87 → 0.8700000047683716).
        "confidence": round(claim.confidence, 6),
        "fingerprint": claim.fingerprint,
        "published_at": published_at,
        "created_at": now,
        "updated_at": now,
    }


def feed_row(status: FeedStatus, now: datetime) -> dict[str, Any]:
    """Return the ``feeds`` row for ``status``; raise ``InvalidMessage`` without a feed_url."""
    if not status.feed_url:
        raise InvalidMessage("FeedStatus has no feed_url")
    return {
        "feed_url": status.feed_url,
        "feed_name": status.feed_name,
        "state": enum_name(FeedState, status.state, "FEED_STATE_"),
        "last_poll_at": _ts(status, "last_poll_at"),
        "last_success_at": _ts(status, "last_success_at"),
        "last_new_item_at": _ts(status, "last_new_item_at"),
        "last_error_class": _opt(status.last_error_class),
        "last_error_message": _opt(status.last_error_message),
        "consecutive_errors": status.consecutive_errors,
        "next_poll_at": _ts(status, "next_poll_at"),
        "items_seen": status.items_seen,
        "not_modified_ratio": status.not_modified_ratio,
        "last_http_status": status.last_http_status or None,
        "polls": status.polls,
        "updated_at": now,
    }


def _mention_out(row: Row, prefix: str) -> dict[str, Any] | None:
    text, cid, name = row[f"{prefix}_text"], row[f"{prefix}_id"], row[f"{prefix}_name"]
    if text is None and cid is None and name is None:
        return None
    return {"text": text or "", "canonical_id": cid, "canonical_name": name}


def _claim_fields(row: Row) -> dict[str, Any]:
    # Plain dicts, validated into models in one call per page: far cheaper than a model
    # constructor per nested object.
    actor, claimant = _mention_out(row, "actor"), _mention_out(row, "claimant")
    location = _mention_out(row, "location")
    if location is not None:
        location["relation"] = row["location_relation"] or "unspecified"
    has_size = row["size_text"] is not None or row["size_min"] is not None
    return {
        "claim_id": row["claim_id"],
        "item_id": row["item_id"],
        "movement": row["movement"],
        "polarity": row["polarity"],
        "status": row["status"],
        "actor": actor,
        "claimant": claimant,
        "location": location,
        "size": (
            {
                "text": row["size_text"] or "",
                "min": row["size_min"] or 0.0,
                "max": row["size_max"] or 0.0,
                "unit": row["size_unit"],
            }
            if has_size
            else None
        ),
        "event_time": row["event_time"],
        "event_time_text": row["event_time_text"],
        "evidence": row["evidence"],
        "evidence_start": row["evidence_start"],
        "evidence_end": row["evidence_end"],
        "confidence": row["confidence"],
        "fingerprint": row["fingerprint"],
        "published_at": row["published_at"],
        "created_at": row["created_at"],
    }


def claim_out(row: Row) -> ClaimOut:
    """Return the response model of one ``claims`` row."""
    return ClaimOut.model_validate(_claim_fields(row))


def claim_doc(row: Row) -> str:
    """Return the ``ClaimOut`` JSON of one ``claims`` row (its ``doc`` column): what the claims
    listing serves for it, stored with the row so that a page is a join of stored text. A
    change to ``ClaimOut`` needs a migration that renders the stored docs again."""
    return orjson.dumps(_claim_fields(row), option=orjson.OPT_UTC_Z).decode()


def docs_page_json(
    keys: Sequence[str], rows: Sequence[Sequence[Any]], next_cursor: str | None
) -> bytes:
    """Return the page JSON (``{"items": [...], "next_cursor": ...}``) of listing rows whose
    cells ``keys`` names, ``doc`` among them (as UTF-8 bytes or text): their stored docs
    joined, the bytes the page model's ``model_dump_json`` would give."""
    doc = list(keys).index("doc")
    docs = [row[doc] for row in rows]
    found = b",".join(docs) if not docs or isinstance(docs[0], bytes) else ",".join(docs).encode()
    return b'{"items":[%s],"next_cursor":%s}' % (found, orjson.dumps(next_cursor))


_SUMMARY_FIELDS = tuple(ItemSummary.model_fields)


def item_doc(row: Row) -> str:
    """Return the ``ItemSummary`` JSON of one ``items`` row (its ``item_docs`` row): what the
    items listing serves for it. A change to ``ItemSummary`` needs a migration that renders
    the stored docs again."""
    summary = {name: row[name] for name in _SUMMARY_FIELDS}
    return orjson.dumps(summary, option=orjson.OPT_UTC_Z).decode()


def item_summary(row: Row) -> ItemSummary:
    """Return the listing model of one ``items`` row."""
    return ItemSummary(**{name: row[name] for name in _SUMMARY_FIELDS})


def item_detail(row: Row, entities: Sequence[Row], claims: Sequence[Row]) -> ItemDetail:
    """Return the detail model of one ``items`` row with its entity and claim rows."""
    return ItemDetail(
        **{name: row[name] for name in _SUMMARY_FIELDS},
        guid=row["guid"],
        text=row["text"],
        fetched_at=row["fetched_at"],
        extracted_at=row["extracted_at"],
        extractor_version=row["extractor_version"],
        content_hash=row["content_hash"],
        entities=[
            EntityOut(
                text=e["text"],
                label=e["label"],
                start=e["span_start"],
                end=e["span_end"],
                canonical_id=e["canonical_id"],
                canonical_name=e["canonical_name"],
            )
            for e in entities
        ],
        claims=[claim_out(c) for c in claims],
    )


def feed_out(row: Row) -> FeedOut:
    """Return the response model of one ``feeds`` row."""
    return FeedOut(**{name: row[name] for name in FeedOut.model_fields})
