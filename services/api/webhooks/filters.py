"""Subscription filters: which alerts a webhook subscription receives.

Consumes a subscription's ``WebhookFilter`` and one alert (its type and its webhook ``data``
object ``{alert, cluster, claim, item, sources, disputes}``) and emits a yes or no. Every field
given must match (AND); within a field any listed value may match (OR); a field left out
matches everything. Actors and locations match a canonical id ("RUS") or the text as written
("Russian"), case-insensitively, as the ``/v1/claims`` filters do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.api.models import WebhookFilter

__all__ = ["independent_sources", "matches"]


def _mention_keys(mention: object) -> set[str]:
    if not isinstance(mention, Mapping):
        return set()
    keys = set()
    for field in ("canonical_id", "text", "canonical_name"):
        value = mention.get(field)
        if isinstance(value, str) and value:
            keys.add(value.casefold())
    return keys


def _any_matches(wanted: list[str], mention: object) -> bool:
    have = _mention_keys(mention)
    return any(value.casefold() in have for value in wanted)


def independent_sources(data: Mapping[str, Any]) -> int:
    """How many independent sources back the alert's cluster.

    Prefers the cluster's own count (``independent_sources``); otherwise counts ``sources``
    entries not flagged ``"independent": false`` (syndicated copies are flagged so).
    """
    cluster = data.get("cluster")
    if isinstance(cluster, Mapping):
        counted = cluster.get("independent_sources")
        if isinstance(counted, int) and not isinstance(counted, bool):
            return counted
    sources = data.get("sources")
    if not isinstance(sources, list):
        return 0
    return sum(1 for s in sources if not (isinstance(s, Mapping) and s.get("independent") is False))


def matches(flt: WebhookFilter, event_type: str, data: Mapping[str, Any]) -> bool:
    """Whether an alert of ``event_type`` with webhook ``data`` passes ``flt``."""
    if flt.types is not None and event_type not in flt.types:
        return False
    claim = data.get("claim")
    claim = claim if isinstance(claim, Mapping) else {}
    if flt.movements is not None and claim.get("movement") not in flt.movements:
        return False
    if flt.polarity is not None and claim.get("polarity") not in flt.polarity:
        return False
    if flt.actors is not None and not _any_matches(flt.actors, claim.get("actor")):
        return False
    if flt.locations is not None and not _any_matches(flt.locations, claim.get("location")):
        return False
    return flt.min_sources is None or independent_sources(data) >= flt.min_sources
