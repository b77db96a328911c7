import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Movement(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MOVEMENT_UNSPECIFIED: _ClassVar[Movement]
    MOVEMENT_BUILDUP: _ClassVar[Movement]
    MOVEMENT_DEPLOY: _ClassVar[Movement]
    MOVEMENT_ADVANCE: _ClassVar[Movement]
    MOVEMENT_WITHDRAW: _ClassVar[Movement]

class Polarity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    POLARITY_UNSPECIFIED: _ClassVar[Polarity]
    POLARITY_ASSERTED: _ClassVar[Polarity]
    POLARITY_DENIED: _ClassVar[Polarity]

class ClaimStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLAIM_STATUS_UNSPECIFIED: _ClassVar[ClaimStatus]
    CLAIM_STATUS_REPORTED: _ClassVar[ClaimStatus]
    CLAIM_STATUS_ALLEGED: _ClassVar[ClaimStatus]
    CLAIM_STATUS_PLANNED: _ClassVar[ClaimStatus]
    CLAIM_STATUS_CONDITIONAL: _ClassVar[ClaimStatus]

class LocationRelation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LOCATION_RELATION_UNSPECIFIED: _ClassVar[LocationRelation]
    LOCATION_RELATION_NEAR: _ClassVar[LocationRelation]
    LOCATION_RELATION_AT: _ClassVar[LocationRelation]
    LOCATION_RELATION_INTO: _ClassVar[LocationRelation]
    LOCATION_RELATION_FROM: _ClassVar[LocationRelation]
    LOCATION_RELATION_ACROSS: _ClassVar[LocationRelation]

class AlertType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ALERT_TYPE_UNSPECIFIED: _ClassVar[AlertType]
    ALERT_TYPE_CLAIM_NEW: _ClassVar[AlertType]
    ALERT_TYPE_CLAIM_UPDATED: _ClassVar[AlertType]
    ALERT_TYPE_CLAIM_DISPUTED: _ClassVar[AlertType]
    ALERT_TYPE_CLAIM_CORROBORATED: _ClassVar[AlertType]

class FeedState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FEED_STATE_UNSPECIFIED: _ClassVar[FeedState]
    FEED_STATE_OK: _ClassVar[FeedState]
    FEED_STATE_ERRORING: _ClassVar[FeedState]
    FEED_STATE_STALE: _ClassVar[FeedState]
    FEED_STATE_GONE: _ClassVar[FeedState]
MOVEMENT_UNSPECIFIED: Movement
MOVEMENT_BUILDUP: Movement
MOVEMENT_DEPLOY: Movement
MOVEMENT_ADVANCE: Movement
MOVEMENT_WITHDRAW: Movement
POLARITY_UNSPECIFIED: Polarity
POLARITY_ASSERTED: Polarity
POLARITY_DENIED: Polarity
CLAIM_STATUS_UNSPECIFIED: ClaimStatus
CLAIM_STATUS_REPORTED: ClaimStatus
CLAIM_STATUS_ALLEGED: ClaimStatus
CLAIM_STATUS_PLANNED: ClaimStatus
CLAIM_STATUS_CONDITIONAL: ClaimStatus
LOCATION_RELATION_UNSPECIFIED: LocationRelation
LOCATION_RELATION_NEAR: LocationRelation
LOCATION_RELATION_AT: LocationRelation
LOCATION_RELATION_INTO: LocationRelation
LOCATION_RELATION_FROM: LocationRelation
LOCATION_RELATION_ACROSS: LocationRelation
ALERT_TYPE_UNSPECIFIED: AlertType
ALERT_TYPE_CLAIM_NEW: AlertType
ALERT_TYPE_CLAIM_UPDATED: AlertType
ALERT_TYPE_CLAIM_DISPUTED: AlertType
ALERT_TYPE_CLAIM_CORROBORATED: AlertType
FEED_STATE_UNSPECIFIED: FeedState
FEED_STATE_OK: FeedState
FEED_STATE_ERRORING: FeedState
FEED_STATE_STALE: FeedState
FEED_STATE_GONE: FeedState

class RawItem(_message.Message):
    __slots__ = ("item_id", "version", "feed_url", "feed_name", "guid", "url", "title", "text", "html", "authors", "language", "published_at", "published_at_estimated", "fetched_at", "categories", "content_hash")
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    FEED_URL_FIELD_NUMBER: _ClassVar[int]
    FEED_NAME_FIELD_NUMBER: _ClassVar[int]
    GUID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    HTML_FIELD_NUMBER: _ClassVar[int]
    AUTHORS_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_AT_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_AT_ESTIMATED_FIELD_NUMBER: _ClassVar[int]
    FETCHED_AT_FIELD_NUMBER: _ClassVar[int]
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    item_id: str
    version: int
    feed_url: str
    feed_name: str
    guid: str
    url: str
    title: str
    text: str
    html: str
    authors: _containers.RepeatedScalarFieldContainer[str]
    language: str
    published_at: _timestamp_pb2.Timestamp
    published_at_estimated: bool
    fetched_at: _timestamp_pb2.Timestamp
    categories: _containers.RepeatedScalarFieldContainer[str]
    content_hash: str
    def __init__(self, item_id: _Optional[str] = ..., version: _Optional[int] = ..., feed_url: _Optional[str] = ..., feed_name: _Optional[str] = ..., guid: _Optional[str] = ..., url: _Optional[str] = ..., title: _Optional[str] = ..., text: _Optional[str] = ..., html: _Optional[str] = ..., authors: _Optional[_Iterable[str]] = ..., language: _Optional[str] = ..., published_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., published_at_estimated: _Optional[bool] = ..., fetched_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., categories: _Optional[_Iterable[str]] = ..., content_hash: _Optional[str] = ...) -> None: ...

class Span(_message.Message):
    __slots__ = ("start", "end")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    start: int
    end: int
    def __init__(self, start: _Optional[int] = ..., end: _Optional[int] = ...) -> None: ...

class Entity(_message.Message):
    __slots__ = ("text", "label", "span", "canonical_id", "canonical_name")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    SPAN_FIELD_NUMBER: _ClassVar[int]
    CANONICAL_ID_FIELD_NUMBER: _ClassVar[int]
    CANONICAL_NAME_FIELD_NUMBER: _ClassVar[int]
    text: str
    label: str
    span: Span
    canonical_id: str
    canonical_name: str
    def __init__(self, text: _Optional[str] = ..., label: _Optional[str] = ..., span: _Optional[_Union[Span, _Mapping]] = ..., canonical_id: _Optional[str] = ..., canonical_name: _Optional[str] = ...) -> None: ...

class Mention(_message.Message):
    __slots__ = ("text", "canonical_id", "canonical_name", "span")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    CANONICAL_ID_FIELD_NUMBER: _ClassVar[int]
    CANONICAL_NAME_FIELD_NUMBER: _ClassVar[int]
    SPAN_FIELD_NUMBER: _ClassVar[int]
    text: str
    canonical_id: str
    canonical_name: str
    span: Span
    def __init__(self, text: _Optional[str] = ..., canonical_id: _Optional[str] = ..., canonical_name: _Optional[str] = ..., span: _Optional[_Union[Span, _Mapping]] = ...) -> None: ...

class Location(_message.Message):
    __slots__ = ("place", "relation")
    PLACE_FIELD_NUMBER: _ClassVar[int]
    RELATION_FIELD_NUMBER: _ClassVar[int]
    place: Mention
    relation: LocationRelation
    def __init__(self, place: _Optional[_Union[Mention, _Mapping]] = ..., relation: _Optional[_Union[LocationRelation, str]] = ...) -> None: ...

class Size(_message.Message):
    __slots__ = ("text", "min", "max", "unit")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    MIN_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    text: str
    min: float
    max: float
    unit: str
    def __init__(self, text: _Optional[str] = ..., min: _Optional[float] = ..., max: _Optional[float] = ..., unit: _Optional[str] = ...) -> None: ...

class Claim(_message.Message):
    __slots__ = ("claim_id", "item_id", "movement", "polarity", "status", "actor", "claimant", "location", "size", "event_time", "event_time_text", "evidence", "evidence_span", "confidence", "fingerprint")
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    MOVEMENT_FIELD_NUMBER: _ClassVar[int]
    POLARITY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    CLAIMANT_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_TEXT_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_SPAN_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    claim_id: str
    item_id: str
    movement: Movement
    polarity: Polarity
    status: ClaimStatus
    actor: Mention
    claimant: Mention
    location: Location
    size: Size
    event_time: _timestamp_pb2.Timestamp
    event_time_text: str
    evidence: str
    evidence_span: Span
    confidence: float
    fingerprint: str
    def __init__(self, claim_id: _Optional[str] = ..., item_id: _Optional[str] = ..., movement: _Optional[_Union[Movement, str]] = ..., polarity: _Optional[_Union[Polarity, str]] = ..., status: _Optional[_Union[ClaimStatus, str]] = ..., actor: _Optional[_Union[Mention, _Mapping]] = ..., claimant: _Optional[_Union[Mention, _Mapping]] = ..., location: _Optional[_Union[Location, _Mapping]] = ..., size: _Optional[_Union[Size, _Mapping]] = ..., event_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., event_time_text: _Optional[str] = ..., evidence: _Optional[str] = ..., evidence_span: _Optional[_Union[Span, _Mapping]] = ..., confidence: _Optional[float] = ..., fingerprint: _Optional[str] = ...) -> None: ...

class EnrichedItem(_message.Message):
    __slots__ = ("item", "text", "entities", "claims", "extractor_version", "extracted_at")
    ITEM_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    ENTITIES_FIELD_NUMBER: _ClassVar[int]
    CLAIMS_FIELD_NUMBER: _ClassVar[int]
    EXTRACTOR_VERSION_FIELD_NUMBER: _ClassVar[int]
    EXTRACTED_AT_FIELD_NUMBER: _ClassVar[int]
    item: RawItem
    text: str
    entities: _containers.RepeatedCompositeFieldContainer[Entity]
    claims: _containers.RepeatedCompositeFieldContainer[Claim]
    extractor_version: str
    extracted_at: _timestamp_pb2.Timestamp
    def __init__(self, item: _Optional[_Union[RawItem, _Mapping]] = ..., text: _Optional[str] = ..., entities: _Optional[_Iterable[_Union[Entity, _Mapping]]] = ..., claims: _Optional[_Iterable[_Union[Claim, _Mapping]]] = ..., extractor_version: _Optional[str] = ..., extracted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Alert(_message.Message):
    __slots__ = ("alert_id", "type", "cluster_id", "fingerprint", "claim", "item_id", "item_url", "item_title", "feed_url", "independent_sources", "total_sources", "disputed_cluster_ids", "diff_json", "created_at", "first_reported_at")
    ALERT_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_URL_FIELD_NUMBER: _ClassVar[int]
    ITEM_TITLE_FIELD_NUMBER: _ClassVar[int]
    FEED_URL_FIELD_NUMBER: _ClassVar[int]
    INDEPENDENT_SOURCES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SOURCES_FIELD_NUMBER: _ClassVar[int]
    DISPUTED_CLUSTER_IDS_FIELD_NUMBER: _ClassVar[int]
    DIFF_JSON_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    FIRST_REPORTED_AT_FIELD_NUMBER: _ClassVar[int]
    alert_id: str
    type: AlertType
    cluster_id: str
    fingerprint: str
    claim: Claim
    item_id: str
    item_url: str
    item_title: str
    feed_url: str
    independent_sources: int
    total_sources: int
    disputed_cluster_ids: _containers.RepeatedScalarFieldContainer[str]
    diff_json: str
    created_at: _timestamp_pb2.Timestamp
    first_reported_at: _timestamp_pb2.Timestamp
    def __init__(self, alert_id: _Optional[str] = ..., type: _Optional[_Union[AlertType, str]] = ..., cluster_id: _Optional[str] = ..., fingerprint: _Optional[str] = ..., claim: _Optional[_Union[Claim, _Mapping]] = ..., item_id: _Optional[str] = ..., item_url: _Optional[str] = ..., item_title: _Optional[str] = ..., feed_url: _Optional[str] = ..., independent_sources: _Optional[int] = ..., total_sources: _Optional[int] = ..., disputed_cluster_ids: _Optional[_Iterable[str]] = ..., diff_json: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., first_reported_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class FeedStatus(_message.Message):
    __slots__ = ("feed_url", "feed_name", "state", "last_poll_at", "last_success_at", "last_new_item_at", "last_error_class", "last_error_message", "consecutive_errors", "next_poll_at", "items_seen", "not_modified_ratio", "last_http_status", "polls")
    FEED_URL_FIELD_NUMBER: _ClassVar[int]
    FEED_NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LAST_POLL_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_SUCCESS_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_NEW_ITEM_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_CLASS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CONSECUTIVE_ERRORS_FIELD_NUMBER: _ClassVar[int]
    NEXT_POLL_AT_FIELD_NUMBER: _ClassVar[int]
    ITEMS_SEEN_FIELD_NUMBER: _ClassVar[int]
    NOT_MODIFIED_RATIO_FIELD_NUMBER: _ClassVar[int]
    LAST_HTTP_STATUS_FIELD_NUMBER: _ClassVar[int]
    POLLS_FIELD_NUMBER: _ClassVar[int]
    feed_url: str
    feed_name: str
    state: FeedState
    last_poll_at: _timestamp_pb2.Timestamp
    last_success_at: _timestamp_pb2.Timestamp
    last_new_item_at: _timestamp_pb2.Timestamp
    last_error_class: str
    last_error_message: str
    consecutive_errors: int
    next_poll_at: _timestamp_pb2.Timestamp
    items_seen: int
    not_modified_ratio: float
    last_http_status: int
    polls: int
    def __init__(self, feed_url: _Optional[str] = ..., feed_name: _Optional[str] = ..., state: _Optional[_Union[FeedState, str]] = ..., last_poll_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_success_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_new_item_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_error_class: _Optional[str] = ..., last_error_message: _Optional[str] = ..., consecutive_errors: _Optional[int] = ..., next_poll_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., items_seen: _Optional[int] = ..., not_modified_ratio: _Optional[float] = ..., last_http_status: _Optional[int] = ..., polls: _Optional[int] = ...) -> None: ...
