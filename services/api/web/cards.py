"""HTML of one alert card: the server-rendered row of the page's alert list.

Consumes an alert as the API serves it (``AlertOut`` dumped to JSON: ``{seq, type, data:
{cluster, claim, item, sources, disputes}, ...}``) and emits an HTML fragment. Every string
from the data goes through ``html.escape`` and every link through ``safe_href``: titles, names
and URLs come from the feeds, which anyone can write. The page's script builds the same card
with DOM calls; the class names here are what ``static/app.css`` and ``app.js`` share.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import quote, urlsplit

__all__ = [
    "ago",
    "alert_card",
    "badge",
    "claim_parts",
    "highlight",
    "parse_time",
    "place_label",
    "safe_href",
]

# Highlight kinds, in the order a tie on the same start is resolved.
_PARTS = ("actor", "claimant", "place", "size")


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 string (``Z`` allowed) or datetime as an aware UTC datetime, else None."""
    if isinstance(value, datetime):
        found = value
    elif isinstance(value, str) and value:
        try:
            found = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found.astimezone(UTC)


def ago(when: datetime | None, now: datetime) -> str:
    """Coarse time since ``when``: "just now", "5 min ago", "3 h ago", "2 days ago"."""
    if when is None:
        return "unknown"
    seconds = max(0, int((now - when).total_seconds()))
    if seconds < 45:
        return "just now"
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    days = seconds // 86400
    if days < 60:
        return f"{days} day{'s' if days != 1 else ''} ago"
    if days < 730:
        return f"{days // 30} months ago"
    return f"{days // 365} years ago"


def safe_href(url: object) -> str | None:
    """``url`` when it is an absolute http(s) URL, else None (no ``javascript:``, no data)."""
    if not isinstance(url, str) or len(url) > 2048:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def _name(mention: Mapping[str, Any] | None) -> str | None:
    if not mention:
        return None
    return mention.get("canonical_name") or mention.get("text") or mention.get("canonical_id")


def place_label(location: Mapping[str, Any] | None) -> str | None:
    """The relation (when known) and the place as written: "near the border", "into Ukraine"."""
    if not location:
        return None
    text = location.get("text") or location.get("canonical_name") or location.get("canonical_id")
    if not text:
        return None
    relation = location.get("relation")
    return f"{relation} {text}" if relation and relation != "unspecified" else str(text)


def badge(alert: Mapping[str, Any]) -> tuple[str, str]:
    """(css kind, label) of an alert's status: new, corroborated N sources, disputed, updated."""
    kind = str(alert.get("type", "")).removeprefix("claim.")
    if kind == "corroborated":
        count = int(alert.get("independent_sources") or 0)
        return kind, f"corroborated · {count} sources"
    return (kind, kind) if kind in ("new", "disputed", "updated") else ("new", "new")


def highlight(evidence: str, parts: Sequence[tuple[str, str | None]]) -> str:
    """``evidence`` as escaped HTML with each (kind, text) part found in it wrapped in
    ``<mark class="hl hl-KIND">``; the first occurrence wins (case-insensitive when the exact
    text is absent) and a part overlapping an earlier-placed one is left unmarked."""
    spans: list[tuple[int, int, str]] = []
    for kind, text in parts:
        if not text or not text.strip():
            continue
        start = evidence.find(text)
        if start < 0:
            start = evidence.lower().find(text.lower())
        if start < 0:
            continue
        end = start + len(text)
        if any(start < other_end and other_start < end for other_start, other_end, _ in spans):
            continue
        spans.append((start, end, kind))
    spans.sort()
    out: list[str] = []
    position = 0
    for start, end, kind in spans:
        out.append(escape(evidence[position:start]))
        marked = escape(evidence[start:end])
        out.append(f'<mark class="hl hl-{kind}" title="{kind}">{marked}</mark>')
        position = end
    out.append(escape(evidence[position:]))
    return "".join(out)


def claim_parts(claim: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    """The (kind, text) parts of a claim to highlight in its evidence."""
    size = claim.get("size") or {}
    return [
        ("actor", (claim.get("actor") or {}).get("text")),
        ("claimant", (claim.get("claimant") or {}).get("text")),
        ("place", (claim.get("location") or {}).get("text")),
        ("size", size.get("text")),
    ]


def _fact(label: str, value: str | None, empty: str = "—") -> str:
    shown = escape(value) if value else f'<span class="muted">{escape(empty)}</span>'
    return f"<div><dt>{escape(label)}</dt><dd>{shown}</dd></div>"


def _sources(sources: Sequence[Mapping[str, Any]]) -> str:
    rows = []
    for source in sources:
        title = escape(str(source.get("title") or "untitled"))
        href = safe_href(source.get("url"))
        link = f'<a href="{escape(href)}" rel="noopener noreferrer">{title}</a>' if href else title
        kind = (
            '<span class="tag tag-independent">independent</span>'
            if source.get("independent", True)
            else f'<span class="tag tag-copy">syndicated: {escape(str(source.get("reason")))}'
            "</span>"
        )
        item = quote(str(source.get("item_id", "")), safe="")
        rows.append(f'<li>{kind} {link} <a class="raw" href="/v1/items/{item}">item</a></li>')
    return f'<ul class="sources">{"".join(rows)}</ul>'


def alert_card(alert: Mapping[str, Any], now: datetime) -> str:
    """One ``<li class="alert">`` of the list, with a no-script ``<details>`` holding the
    highlighted evidence and the source links."""
    data: Mapping[str, Any] = alert.get("data") or {}
    cluster: Mapping[str, Any] = data.get("cluster") or {}
    claim: Mapping[str, Any] = data.get("claim") or {}
    movement = str(claim.get("movement") or cluster.get("movement") or "movement")
    polarity = str(claim.get("polarity") or cluster.get("polarity") or "")
    actor = _name(claim.get("actor")) or _name(cluster.get("actor"))
    kind, label = badge(alert)
    first = parse_time(cluster.get("first_seen_at")) or parse_time(alert.get("created_at"))
    size = (claim.get("size") or cluster.get("size") or {}).get("text")
    denied = '<span class="tag tag-denied">denied</span> ' if polarity == "denied" else ""
    disputed = (
        '<span class="badge badge-disputed">disputed</span>'
        if data.get("disputes") and kind != "disputed"
        else ""
    )
    stamp = first.isoformat().replace("+00:00", "Z") if first else ""
    return (
        f'<li class="alert" data-cluster-id="{escape(str(alert.get("cluster_id", "")))}"'
        f' data-seq="{int(alert.get("seq") or 0)}" data-kind="{kind}"><article class="card">'
        f'<div class="card-head"><span class="badge badge-{kind}">{escape(label)}</span>'
        f"{disputed}"
        f'<h3 class="card-title">{denied}{escape(actor or "Unnamed forces")} · '
        f"{escape(movement)}</h3>"
        f'<time class="ago" datetime="{escape(stamp)}">{escape(ago(first, now))}</time></div>'
        '<dl class="facts">'
        + _fact("Movement", f"{movement} ({polarity})" if polarity else movement)
        + _fact("Actor", (claim.get("actor") or {}).get("text") or actor, "not stated")
        + _fact("Place", place_label(claim.get("location") or cluster.get("location")))
        + _fact("Size", size)
        + _fact("Claimant", _name(claim.get("claimant")), "unattributed")
        + "</dl>"
        '<details class="nojs-detail"><summary>Evidence and sources</summary>'
        f'<p class="evidence">{highlight(str(claim.get("evidence") or ""), claim_parts(claim))}'
        f"</p>{_sources(data.get('sources') or [])}</details>"
        "</article></li>"
    )
