"""Parse stage of ingest: turns a fetched feed body into clean, typed entries.

It consumes the raw bytes of a fetch (plus the response's content type and headers) and emits a
:class:`ParsedFeed` of :class:`ParsedEntry` values: plain-text titles, clean text and safe HTML,
absolute links and UTC dates. RSS 0.9x/1.0/2.0, Atom and RDF go through feedparser, entry HTML
through :func:`~services.ingest.clean.clean_html`; JSON Feed goes through its own reader. Before
any XML parser sees the body, its prolog is scanned and a document whose DOCTYPE declares entities
is refused without expanding anything. Failures raise :mod:`services.ingest.errors` ParseErrors.
"""

from __future__ import annotations

import asyncio
import calendar
import codecs
import html as htmllib
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser
from feedparser.exceptions import ThingsNobodyCaresAboutButMe, UndeclaredNamespace

from services.ingest.clean import clean_html, html_to_text, plain_to_text
from services.ingest.errors import MalformedFeed, NotAFeed, UnsafeDocument
from services.ingest.identity import resolve_link

__all__ = ["OFF_LOOP_THRESHOLD", "ParsedEntry", "ParsedFeed", "parse_feed", "parse_feed_async"]

# Bodies above this size are parsed in a worker thread so the event loop keeps serving.
OFF_LOOP_THRESHOLD = 256 * 1024


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    """One feed entry, cleaned; see the field comments for what each one promises."""

    guid: str | None  # entry id / guid / atom:id / JSON Feed id as published
    url: str | None  # absolute (relative links resolved against the entry/feed base)
    title: str  # plain text, one line
    text: str  # clean text of the chosen content (full content preferred over summary)
    html: str  # safe HTML of the chosen content (clean_html); plain text comes back escaped
    authors: tuple[str, ...]
    language: str | None
    published_at: datetime | None  # UTC-aware; None when the feed gives no usable date
    categories: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed feed: channel metadata, polling hints and its entries in document order."""

    title: str
    link: str | None
    language: str | None
    ttl_s: int | None  # RSS <ttl> (minutes) in seconds
    update_period_s: int | None  # sy:updatePeriod / sy:updateFrequency in seconds
    entries: tuple[ParsedEntry, ...]
    warning: str | None  # why feedparser flagged the document when it still yielded entries


# Non-ASCII-compatible encodings of XML (XML 1.0 appendix F); others show markup via latin-1.
_WIDE_ENCODINGS = (
    (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF32_LE, "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"), (codecs.BOM_UTF16_LE, "utf-16-le"),
    (b"\x00<", "utf-16-be"), (b"<\x00", "utf-16-le"),
)  # fmt: skip

_PROLOG_TOKEN = re.compile(
    r"<!--.*?(?:-->|\Z)|<\?.*?(?:\?>|\Z)|(?P<doctype><!DOCTYPE)"
    r"|<(?P<root>[A-Za-z_][\w.:-]*)|<|[^<]+",
    re.S | re.I,
)
# The DOCTYPE up to its internal subset ("[") or its end (">"), skipping quoted literals.
_DOCTYPE_HEAD = re.compile(r"""(?:[^\[>"']|"[^"]*"|'[^']*')*""")
# One markup declaration, comment, PI, parameter-entity reference or the subset's closing "]".
_SUBSET_TOKEN = re.compile(
    r"""\s+|<!--.*?-->|<\?.*?\?>|%[\w.:-]+;|<!(?P<kw>[A-Za-z]+)(?:[^"'>]|"[^"]*"|'[^']*')*>|\]""",
    re.S,
)
_FEED_ROOTS = frozenset({"rss", "feed", "rdf", "channel"})
# clean_html sanitises entry HTML and resolves its links; feedparser would parse it twice more.
_PASSES_OFF: dict[str, Any] = {"sanitize_html": False, "resolve_relative_uris": False}
_PERIOD_S = {"hourly": 3600, "daily": 86400, "weekly": 604800, "monthly": 2_592_000,
             "yearly": 31_536_000}  # fmt: skip


def _decode_for_scan(body: bytes) -> str:
    for prefix, encoding in _WIDE_ENCODINGS:
        if body.startswith(prefix):
            return body.decode(encoding, errors="replace")
    return body.decode("latin-1")


def _scan_internal_subset(text: str, pos: int) -> int:
    """Walk a DTD internal subset from ``pos``; refuse any entity declaration in it."""
    while pos < len(text):
        token = _SUBSET_TOKEN.match(text, pos)
        if token is None:
            # Unreadable DTD: we cannot vouch that no entity is declared in it.
            raise UnsafeDocument("DOCTYPE internal subset that cannot be read safely")
        if (token.group("kw") or "").upper() == "ENTITY":
            raise UnsafeDocument("DOCTYPE declares entities (entity expansion is refused)")
        pos = token.end()
        if token.group() == "]":
            return pos
    raise UnsafeDocument("DOCTYPE internal subset is not closed")


def _root_element(body: bytes) -> str | None:
    """Return the lower-case local name of the root element, or None when there is none.

    Raises UnsafeDocument when a DOCTYPE before the root declares entities (billion laughs,
    external entities), so no parser ever gets the chance to expand them.
    """
    text = _decode_for_scan(body)
    pos = 0
    while pos < len(text):
        token = _PROLOG_TOKEN.match(text, pos)
        assert token is not None  # "<" or "[^<]+" matches at any position
        if token.group("root"):
            return token.group("root").rpartition(":")[2].lower()
        pos = token.end()
        if token.group("doctype"):
            head = _DOCTYPE_HEAD.match(text, pos)
            pos = head.end() if head else pos
            if text.startswith("[", pos):
                pos = _scan_internal_subset(text, pos + 1)
    return None


def _warning(result: Mapping[str, Any]) -> tuple[str | None, bool]:
    """Return feedparser's bozo reason and whether it is about the XML itself being broken."""
    if not result.get("bozo"):
        return None, False
    exc = result.get("bozo_exception")
    benign = isinstance(exc, ThingsNobodyCaresAboutButMe | UndeclaredNamespace)
    return f"{type(exc).__name__}: {exc}", not benign


def parse_feed(
    body: bytes,
    *,
    feed_url: str,
    content_type: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> ParsedFeed:
    """Parse a fetched feed body (RSS, Atom, RDF or JSON Feed) into a :class:`ParsedFeed`.

    ``content_type`` (else the ``Content-Type`` in ``headers``) takes part in character-encoding
    detection the way HTTP says it should; relative links resolve against ``Content-Location``
    and ``feed_url``. Entries come back in document order; nothing an entry carries is lost
    because another part of the document is broken.

    Raises UnsafeDocument for XML whose DOCTYPE declares entities (nothing is expanded),
    NotAFeed for an HTML page or other non-feed document, and MalformedFeed for a feed too broken
    to read (for example a body truncated before its first entry). Pure and synchronous.
    """
    # jsonfeed builds ParsedEntry/ParsedFeed from this module, so it is imported on use.
    from services.ingest.jsonfeed import looks_like_json, parse_json_feed

    http_headers = {name.lower(): value for name, value in (headers or {}).items()}
    if content_type is not None:
        http_headers["content-type"] = content_type
    mime = http_headers.get("content-type", "")
    if looks_like_json(body, mime):
        return parse_json_feed(body, feed_url=feed_url)
    root = _root_element(body)
    if not mime:
        # Without a Content-Type feedparser would assume ISO-8859-1 for a header-carrying
        # response; application/xml keeps the XML rules (declaration, BOM, else UTF-8).
        http_headers["content-type"] = "application/xml"
    # feedparser would also resolve guids against a base URI (rewriting "123" into a URL that
    # moves with redirects and Content-Location), so it gets none; links are resolved below.
    base = urljoin(feed_url, http_headers.pop("content-location", "").strip())
    try:
        result = feedparser.parse(io.BytesIO(body), response_headers=http_headers, **_PASSES_OFF)
    except Exception as exc:  # a feedparser bug must not escape as anything but a ParseError
        raise MalformedFeed(f"feedparser failed: {exc!r}", url=feed_url) from exc
    warning, broken = _warning(result)
    if not result["entries"]:
        version = result.get("version") or ""
        if root == "html" or (root is not None and root not in _FEED_ROOTS and not version):
            raise NotAFeed(f"the document is <{root}>, not a feed", url=feed_url)
        if root is None:
            raise MalformedFeed("the body holds no XML element", url=feed_url)
        if broken:
            raise MalformedFeed(f"feed without readable entries: {warning}", url=feed_url)
    return _map_feed(result, base, warning, http_headers.get("content-language"))


def _raw(node: Any, key: str) -> Any:
    # dict.get bypasses FeedParserDict's key aliases, some of which emit DeprecationWarning.
    return dict.get(node, key) if isinstance(node, dict) else None


def _detail_text(detail: Any, fallback: str) -> str:
    """Plain one-line text of a feedparser title-like detail (HTML titles are cleaned)."""
    value = str(_raw(detail, "value") or "") if detail else fallback
    kind = str(_raw(detail, "type") or "") if detail else ""
    return (html_to_text(value) if "html" in kind else plain_to_text(value)).replace("\n", " ")


def _content(entry: Mapping[str, Any], base: str) -> tuple[str, str]:
    """(safe HTML, text) of the entry's full content when present, else of its summary."""
    for detail in [*(_raw(entry, "content") or []), _raw(entry, "summary_detail") or {}]:
        value = str(_raw(detail, "value") or "")
        kind = str(_raw(detail, "type") or "text/html").lower()
        if value.strip() and ("html" in kind or kind.startswith("text/") or "xml" in kind):
            if "html" not in kind:
                return htmllib.escape(value), plain_to_text(value)
            # feedparser keeps the xml:base in force; urljoin gives base back when there is none.
            return clean_html(value, base=urljoin(base, str(_raw(detail, "base") or "")))
    return "", ""


def _utc(entry: Mapping[str, Any]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = _raw(entry, key)
        if parsed:
            try:  # feedparser's *_parsed are struct_time in UTC
                return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
            except (OverflowError, ValueError, OSError):
                continue
    return None


def _unique(values: Iterable[Any]) -> tuple[str, ...]:
    cleaned = (plain_to_text(str(v)).replace("\n", " ") for v in values if v)
    return tuple(dict.fromkeys(v for v in cleaned if v))


def _language(*nodes: Mapping[str, Any] | None) -> str | None:
    for node in nodes:
        value = _raw(node, "language") if node else None
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _map_entry(entry: Mapping[str, Any], base: str, feed_language: str | None) -> ParsedEntry:
    html, text = _content(entry, base)
    authors = [_raw(a, "name") for a in _raw(entry, "authors") or []] or [_raw(entry, "author")]
    details = [*(_raw(entry, "content") or []), _raw(entry, "summary_detail")]
    return ParsedEntry(
        guid=(str(_raw(entry, "id") or "").strip() or None),
        url=resolve_link(_raw(entry, "link"), base),
        title=_detail_text(_raw(entry, "title_detail"), str(_raw(entry, "title") or "")),
        text=text,
        html=html,
        authors=_unique(authors),
        language=_language(entry, *details, _raw(entry, "title_detail")) or feed_language,
        published_at=_utc(entry),
        categories=_unique(_raw(t, "term") or _raw(t, "label") for t in _raw(entry, "tags") or []),
    )


def _seconds(value: Any, unit_s: int) -> int | None:
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number * unit_s if number > 0 else None


def _update_period(feed: Mapping[str, Any]) -> int | None:
    # Syndication module defaults: updatePeriod "daily", updateFrequency 1 (times per period).
    period = str(_raw(feed, "sy_updateperiod") or "").strip().lower()
    frequency = _raw(feed, "sy_updatefrequency")
    if period not in _PERIOD_S and frequency is None:
        return None
    return _PERIOD_S.get(period, _PERIOD_S["daily"]) // (_seconds(frequency, 1) or 1)


def _map_feed(
    result: Mapping[str, Any], base: str, warning: str | None, content_language: str | None
) -> ParsedFeed:
    feed = _raw(result, "feed") or {}
    language = _language(feed, _raw(feed, "title_detail")) or (content_language or None)
    return ParsedFeed(
        title=_detail_text(_raw(feed, "title_detail"), ""),
        link=resolve_link(_raw(feed, "link"), base),
        language=language,
        ttl_s=_seconds(_raw(feed, "ttl"), 60),
        update_period_s=_update_period(feed),
        entries=tuple(_map_entry(e, base, language) for e in result["entries"]),
        warning=warning,
    )


async def parse_feed_async(body: bytes, **kw: Any) -> ParsedFeed:
    """Like :func:`parse_feed`, but runs in a worker thread when the body is over 256 KiB."""
    if len(body) > OFF_LOOP_THRESHOLD:
        return await asyncio.to_thread(parse_feed, body, **kw)
    return parse_feed(body, **kw)
