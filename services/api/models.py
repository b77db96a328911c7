"""The api's JSON response models: what the HTTP layer returns and OpenAPI documents.

The store builds these from database rows; the HTTP routes return them unchanged. Enum values
from the protobuf contract appear as lower-case short names ("advance", "denied"), empty
protobuf strings as ``null``, and every timestamp as an aware UTC datetime.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.config import JsonDict

__all__ = [
    "AlertOut",
    "AlertTypeName",
    "ClaimOut",
    "ClaimStatusName",
    "ClusterOut",
    "ClusterSourceOut",
    "ClusterSummaryOut",
    "DeliveryAttemptOut",
    "DeliveryOut",
    "DeliveryStatusName",
    "EntityOut",
    "EventTypeName",
    "FeedOut",
    "FeedStateName",
    "ItemDetail",
    "ItemSummary",
    "LocationOut",
    "LocationRelationName",
    "MentionOut",
    "MovementName",
    "Page",
    "PolarityName",
    "ReplayOut",
    "SizeOut",
    "WebhookCreate",
    "WebhookCreated",
    "WebhookFilter",
    "WebhookOut",
    "WebhookUpdate",
]

MovementName = Literal["unspecified", "buildup", "deploy", "advance", "withdraw"]
PolarityName = Literal["unspecified", "asserted", "denied"]
ClaimStatusName = Literal["unspecified", "reported", "alleged", "planned", "conditional"]
LocationRelationName = Literal["unspecified", "near", "at", "into", "from", "across"]
FeedStateName = Literal["unspecified", "ok", "erroring", "stale", "gone"]

T = TypeVar("T")
_T0 = "2026-03-02T08:15:00Z"
_MENTION_EXAMPLE: JsonDict = {"text": "Russian", "canonical_id": "RUS", "canonical_name": "Russia"}
_LOCATION_EXAMPLE: JsonDict = {
    "text": "the border",
    "canonical_id": None,
    "canonical_name": None,
    "relation": "near",
}
_SIZE_EXAMPLE: JsonDict = {
    "text": "20,000 troops",
    "min": 20000.0,
    "max": 20000.0,
    "unit": "troops",
}
_ENTITY_EXAMPLE: JsonDict = {
    "text": "Ukraine",
    "label": "GPE",
    "start": 52,
    "end": 59,
    "canonical_id": "UKR",
    "canonical_name": "Ukraine",
}
_CLAIM_EXAMPLE: JsonDict = {
    "claim_id": "c0ffee12ab34cd56",
    "item_id": "9f2a61d0e4b3c8a7",
    "movement": "buildup",
    "polarity": "asserted",
    "status": "reported",
    "actor": _MENTION_EXAMPLE,
    "claimant": {
        "text": "Ukraine's defence ministry",
        "canonical_id": "UKR",
        "canonical_name": "Ukraine",
    },
    "location": _LOCATION_EXAMPLE,
    "size": _SIZE_EXAMPLE,
    "event_time": None,
    "event_time_text": None,
    "evidence": "Ukraine's defence ministry said 20,000 Russian troops massed near the border.",
    "evidence_start": 40,
    "evidence_end": 118,
    "confidence": 0.87,
    "fingerprint": "RUS|buildup||asserted",
    "published_at": _T0,
    "created_at": _T0,
}
_SUMMARY_EXAMPLE: JsonDict = {
    "item_id": "9f2a61d0e4b3c8a7",
    "version": 1,
    "feed_url": "https://example.org/world.rss",
    "feed_name": "Example World News",
    "url": "https://example.org/news/1",
    "title": "Troops mass near border",
    "language": "en",
    "published_at": _T0,
    "published_at_estimated": False,
    "claims_count": 1,
}


def _examples(*examples: JsonDict) -> ConfigDict:
    return ConfigDict(frozen=True, json_schema_extra={"examples": list(examples)})


class MentionOut(BaseModel):
    """A party as written in the text, with its canonical identity when the gazetteer knows it."""

    model_config = _examples(_MENTION_EXAMPLE)

    text: str = Field(description="The mention as written in the item text.")
    canonical_id: str | None = Field(
        description="ISO 3166-1 alpha-3 code for states, Wikidata QID where known, else null."
    )
    canonical_name: str | None = Field(description="Canonical name for canonical_id, or null.")


class LocationOut(MentionOut):
    """The place a claimed movement is at, into, from, across or near."""

    model_config = _examples(_LOCATION_EXAMPLE)

    relation: LocationRelationName = Field(description="How the movement relates to the place.")


class SizeOut(BaseModel):
    """How many forces a claim speaks of."""

    model_config = _examples(_SIZE_EXAMPLE)

    text: str = Field(description='The quantity as written, e.g. "20,000 troops".')
    min: float = Field(description="Lower bound of the quantity; 0 when not numeric.")
    max: float = Field(description="Upper bound of the quantity; equal to min when exact.")
    unit: str | None = Field(description="troops, tanks, aircraft, ships, battalions, ...")


class EntityOut(BaseModel):
    """A named entity found in an item's text."""

    model_config = _examples(_ENTITY_EXAMPLE)

    text: str = Field(description="The entity as written.")
    label: str = Field(description="Entity label: GPE, NORP, ORG, PERSON, LOC, FAC, ...")
    start: int = Field(description="Start offset in the item text, in Unicode code points.")
    end: int = Field(description="End offset (exclusive) in the item text, in code points.")
    canonical_id: str | None = Field(description="ISO alpha-3 or Wikidata QID, else null.")
    canonical_name: str | None = Field(description="Canonical name for canonical_id, or null.")


class ClaimOut(BaseModel):
    """One claim of troop movement: whose forces, doing what, where, how many, said by whom."""

    model_config = _examples(_CLAIM_EXAMPLE)

    claim_id: str = Field(description="Stable id: hash of item id, evidence span and movement.")
    item_id: str = Field(description="The item the claim was found in.")
    movement: MovementName = Field(description="What the forces are said to do.")
    polarity: PolarityName = Field(description="Whether the claim asserts or denies it.")
    status: ClaimStatusName = Field(description="Reported as fact, alleged, planned or possible.")
    actor: MentionOut | None = Field(description="Whose forces; null when the text does not say.")
    claimant: MentionOut | None = Field(
        description="Who makes the claim; null when the reporter states it unattributed."
    )
    location: LocationOut | None = Field(description="Where, when the text says.")
    size: SizeOut | None = Field(description="How many, when the text says.")
    event_time: datetime | None = Field(description="When the movement happened or will happen.")
    event_time_text: str | None = Field(description="The time expression as written.")
    evidence: str = Field(description="The sentence that states the claim.")
    evidence_start: int | None = Field(description="Start of the sentence in the item text.")
    evidence_end: int | None = Field(description="End (exclusive) of the sentence.")
    confidence: float = Field(description="Extractor confidence, 0 to 1.")
    fingerprint: str = Field(
        description="Novelty key: canonical actor | movement | canonical location | polarity."
    )
    published_at: datetime = Field(description="Publication time of the item (UTC).")
    created_at: datetime = Field(description="When the store first saw this claim (UTC).")


class ItemSummary(BaseModel):
    """A stored news item, without its text: one row of an item listing."""

    model_config = _examples(_SUMMARY_EXAMPLE)

    item_id: str = Field(description="Stable id derived from the feed's guid, link or title.")
    version: int = Field(description="1 on first sighting; raised when title or text changed.")
    feed_url: str = Field(description="URL of the feed the item came from.")
    feed_name: str = Field(description="Title of that feed.")
    url: str | None = Field(description="Link to the article.")
    title: str = Field(description="Headline.")
    language: str | None = Field(description="BCP 47 language tag when stated, else null.")
    published_at: datetime = Field(
        description="Publication time (UTC, to the millisecond); listings sort by it."
    )
    published_at_estimated: bool = Field(
        description="True when the feed gave no date and published_at is the fetch time."
    )
    claims_count: int = Field(description="Number of movement claims found in the item.")


class ItemDetail(ItemSummary):
    """A stored news item with its analysed text, entities and claims."""

    model_config = _examples(
        {
            **_SUMMARY_EXAMPLE,
            "guid": "urn:example:1",
            "text": "Troops mass near border\n\nUkraine's defence ministry said ...",
            "fetched_at": _T0,
            "extracted_at": _T0,
            "extractor_version": "0.1.0+rules.1",
            "content_hash": "5e1f...",
            "entities": [_ENTITY_EXAMPLE],
            "claims": [_CLAIM_EXAMPLE],
        }
    )

    guid: str | None = Field(description="The entry's own id as published, if any.")
    text: str = Field(description="Analysed text (title, blank line, body); spans index it.")
    fetched_at: datetime | None = Field(description="When ingest fetched the item (UTC).")
    extracted_at: datetime | None = Field(description="When extract analysed it (UTC).")
    extractor_version: str | None = Field(description="Extractor package and rules revision.")
    content_hash: str | None = Field(description="Hex SHA-256 of title + text.")
    entities: list[EntityOut] = Field(description="Named entities, in text order.")
    claims: list[ClaimOut] = Field(description="Movement claims, in text order.")


class FeedOut(BaseModel):
    """A watched feed's health, as of its last poll."""

    model_config = _examples(
        {
            "feed_url": "https://example.org/world.rss",
            "feed_name": "Example World News",
            "state": "ok",
            "last_poll_at": _T0,
            "last_success_at": _T0,
            "last_new_item_at": _T0,
            "last_error_class": None,
            "last_error_message": None,
            "consecutive_errors": 0,
            "next_poll_at": "2026-03-02T08:20:00Z",
            "items_seen": 412,
            "not_modified_ratio": 0.62,
            "last_http_status": 200,
            "polls": 1290,
        }
    )

    feed_url: str = Field(description="The feed's URL; its identity.")
    feed_name: str = Field(description="The feed's title.")
    state: FeedStateName = Field(description="ok, erroring, stale (no new items) or gone.")
    last_poll_at: datetime | None = Field(description="Last poll attempt (UTC).")
    last_success_at: datetime | None = Field(description="Last successful poll (UTC).")
    last_new_item_at: datetime | None = Field(description="Last time a new item appeared (UTC).")
    last_error_class: str | None = Field(description='Last error class, e.g. "FetchTimeout".')
    last_error_message: str | None = Field(description="Last error message.")
    consecutive_errors: int = Field(description="Failed polls since the last success.")
    next_poll_at: datetime | None = Field(description="When the next poll is due (UTC).")
    items_seen: int = Field(description="Items seen in this feed since ingest started.")
    not_modified_ratio: float = Field(description="Share of polls answered 304 Not Modified.")
    last_http_status: int | None = Field(description="HTTP status of the last poll, if any.")
    polls: int = Field(description="Polls made.")


class Page(BaseModel, Generic[T]):
    """One page of a newest-first listing; pass next_cursor back to get the following page."""

    model_config = _examples({"items": [], "next_cursor": "aXRlbXM6..."})

    items: list[T] = Field(description="This page's rows, newest first.")
    next_cursor: str | None = Field(
        description="Opaque cursor for the next page; null on the last page."
    )


# --- webhooks -----------------------------------------------------------------------------

EventTypeName = Literal["claim.new", "claim.updated", "claim.disputed", "claim.corroborated"]
DeliveryStatusName = Literal["pending", "delivered", "dead", "gone"]
_Term = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class WebhookFilter(BaseModel):
    """Which alerts a subscription receives. Every field given must match; a list matches
    when any of its values does; a field left out (or null) matches everything."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "examples": [{"types": ["claim.new"], "actors": ["RUS"], "min_sources": 2}]
        },
    )

    types: list[EventTypeName] | None = Field(default=None, min_length=1, max_length=4)
    actors: list[_Term] | None = Field(
        default=None, min_length=1, max_length=50, description="Canonical ids or texts."
    )
    movements: list[Literal["buildup", "deploy", "advance", "withdraw"]] | None = Field(
        default=None, min_length=1, max_length=4
    )
    polarity: list[Literal["asserted", "denied"]] | None = Field(
        default=None, min_length=1, max_length=2
    )
    locations: list[_Term] | None = Field(
        default=None, min_length=1, max_length=50, description="Canonical ids or texts."
    )
    min_sources: int | None = Field(
        default=None, ge=1, le=1000, description="At least this many independent sources."
    )


class WebhookCreate(BaseModel):
    """A new subscription: where to POST alerts, and which ones."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2048, description="http(s) URL to POST to.")
    description: str = Field(default="", max_length=500)
    filter: WebhookFilter = Field(default_factory=WebhookFilter)


class WebhookUpdate(BaseModel):
    """Fields to change; those left out keep their value. `active: true` re-enables a
    subscription disabled by a 410 answer."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, min_length=1, max_length=2048)
    description: str | None = Field(default=None, max_length=500)
    filter: WebhookFilter | None = None
    active: bool | None = None


class WebhookOut(BaseModel):
    """A subscription, without its secret."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Subscription id.")
    url: str
    description: str
    filter: WebhookFilter
    active: bool = Field(description="False once disabled (a 410 answer, or by PATCH).")
    disabled_reason: str | None = Field(description="Why it was disabled, if it was.")
    static: bool = Field(description="Configured by WIREWATCH_WEBHOOKS; read-only here.")
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookOut):
    """The new subscription with its signing secret, which is shown this once."""

    secret: str = Field(description="whsec_… signing secret (Standard Webhooks).")


class DeliveryAttemptOut(BaseModel):
    """One POST of a delivery."""

    model_config = ConfigDict(frozen=True)

    attempt: int = Field(description="1 for the first attempt.")
    at: datetime = Field(description="When it was sent (UTC).")
    status_code: int | None = Field(description="HTTP status answered, null if none.")
    error: str | None = Field(description="Why it failed, when it did.")
    duration_ms: int
    outcome: Literal["success", "retry", "dead", "gone"]


class DeliveryOut(BaseModel):
    """One alert's delivery to one subscription, with every attempt so far."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="The webhook-id header: the same on every attempt.")
    alert_id: str
    type: EventTypeName
    status: DeliveryStatusName
    replay: bool = Field(description="Created by POST /replay.")
    created_at: datetime
    next_attempt_at: datetime | None = Field(description="When pending: the next attempt.")
    delivered_at: datetime | None
    attempts: list[DeliveryAttemptOut]


class ReplayOut(BaseModel):
    """What a replay queued."""

    replayed: int = Field(description="New deliveries queued.")
    since: datetime


# --- alerts and clusters -----------------------------------------------------------------

AlertTypeName = Literal["claim.new", "claim.updated", "claim.disputed", "claim.corroborated"]
_CLUSTER_EXAMPLE: JsonDict = {
    "cluster_id": "3f9c2a7d51e04b8c9a6d2e1f0b7c4a59",
    "fingerprint": "rus|buildup|ukr|asserted",
    "generation": 1,
    "movement": "buildup",
    "polarity": "asserted",
    "actor": {"text": "Russian", "canonical_id": "RUS"},
    "location": {"text": "the Ukrainian border", "canonical_id": "UKR", "relation": "near"},
    "size": None,
    "first_claim_id": "c0ffee12ab34cd56",
    "first_seen_at": _T0,
    "last_seen_at": _T0,
    "independent_sources": 2,
    "total_sources": 3,
    "claims_count": 4,
}


class ClusterSummaryOut(BaseModel):
    """A claim cluster: claims sharing a fingerprint within the novelty window."""

    model_config = _examples(_CLUSTER_EXAMPLE)

    cluster_id: str = Field(description="Stable id of (fingerprint, generation).")
    fingerprint: str = Field(description="canonical actor | movement | canonical place | polarity")
    generation: int = Field(description="1, then +1 each time the novelty window lapsed.")
    movement: MovementName
    polarity: PolarityName
    actor: dict[str, Any] | None = Field(description="Whose forces: {text, canonical_id}.")
    location: dict[str, Any] | None = Field(
        description="Where, as currently known: {text, canonical_id, relation}."
    )
    size: dict[str, Any] | None = Field(description="How many, as currently known.")
    first_claim_id: str = Field(description="The claim that opened the cluster.")
    first_seen_at: datetime = Field(description="Publication time of the earliest claim.")
    last_seen_at: datetime = Field(description="Publication time of the latest claim.")
    independent_sources: int = Field(description="Sources that are not copies of another.")
    total_sources: int = Field(description="Every source, syndicated copies included.")
    claims_count: int = Field(description="Claims in the cluster.")


class ClusterSourceOut(BaseModel):
    """An article that carried a claim of the cluster."""

    model_config = ConfigDict(frozen=True)

    item_id: str
    url: str | None
    title: str
    feed_url: str
    published_at: datetime
    independent: bool = Field(description="False for a syndicated copy of an earlier source.")
    copy_of: str | None = Field(description="For a copy: the item it copies.")
    reason: str | None = Field(
        description="For a copy: same_url, same_publisher, same_wire:<agency> or near_duplicate."
    )


class ClusterOut(ClusterSummaryOut):
    """A cluster with its claims, its sources and the clusters that dispute it."""

    model_config = _examples(
        {**_CLUSTER_EXAMPLE, "claims": [_CLAIM_EXAMPLE], "sources": [], "disputes": []}
    )

    claims: list[ClaimOut] = Field(description="The cluster's claims, oldest first.")
    sources: list[ClusterSourceOut] = Field(description="Articles, oldest first.")
    disputes: list[ClusterSummaryOut] = Field(
        description="Clusters of opposite polarity on the same actor, movement and place."
    )


class AlertOut(BaseModel):
    """A change in the claim picture; ``data`` is exactly what a webhook delivers."""

    model_config = _examples(
        {
            "seq": 42,
            "alert_id": "5b0e7f1c2d3a4b5c6d7e8f9012345678",
            "type": "claim.new",
            "cluster_id": _CLUSTER_EXAMPLE["cluster_id"],
            "claim_id": "c0ffee12ab34cd56",
            "item_id": "9f2a61d0e4b3c8a7",
            "created_at": _T0,
            "independent_sources": 1,
            "total_sources": 1,
            "data": {
                "alert": {"alert_id": "5b0e...", "type": "claim.new", "diff": None},
                "cluster": _CLUSTER_EXAMPLE,
                "claim": _CLAIM_EXAMPLE,
                "item": _SUMMARY_EXAMPLE,
                "sources": [],
                "disputes": [],
            },
        }
    )

    seq: int = Field(description="Position in the alerts log; the SSE event id.")
    alert_id: str = Field(description="Stable id of the alert.")
    type: AlertTypeName
    cluster_id: str
    claim_id: str = Field(description="The claim that raised it.")
    item_id: str = Field(description="The item that claim was found in.")
    created_at: datetime = Field(description="When the alert was raised (UTC).")
    independent_sources: int = Field(description="Independent sources when it was raised.")
    total_sources: int = Field(description="All sources when it was raised.")
    data: dict[str, Any] = Field(
        description="{alert, cluster, claim, item, sources, disputes} as of the alert."
    )
