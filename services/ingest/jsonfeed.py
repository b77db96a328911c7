"""JSON Feed reader for the parse stage (https://www.jsonfeed.org/version/1.1/).

feedparser cannot read JSON Feed, so this module reads versions 1.0 and 1.1 by hand. It consumes
the body of a fetch that looks like JSON and emits the same :class:`ParsedFeed` the XML path does.
It follows the spec where the spec is clear (``version`` URL, ``items``, ``id`` coerced to a
string, ``content_html`` over ``content_text``, RFC 3339 dates, 1.1 ``authors`` over 1.0
``author``, item ``language`` over feed ``language``) and is lenient where publishers commonly
drift (``http://`` version URLs, missing titles, entities in titles, relative URLs).
"""

from __future__ import annotations

import html as htmllib
import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from services.ingest.clean import clean_html, plain_to_text
from services.ingest.errors import MalformedFeed, NotAFeed
from services.ingest.identity import resolve_link
from services.ingest.parse import ParsedEntry, ParsedFeed

__all__ = ["JSON_FEED_VERSION_PREFIXES", "looks_like_json", "parse_json_feed"]

JSON_FEED_VERSION_PREFIXES = ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")
_JSON_TYPES = ("application/feed+json", "application/json", "text/json")


def looks_like_json(body: bytes, content_type: str) -> bool:
    """True when the body opens with ``{``, or is labelled JSON and does not open like XML."""
    lead = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    mime = content_type.partition(";")[0].strip().lower()
    return lead == b"{" or (lead != b"<" and (mime in _JSON_TYPES or mime.endswith("+json")))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _date(value: Any) -> datetime | None:
    """Parse an RFC 3339 timestamp to UTC (no offset means UTC); RFC 822 dates are tolerated."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        try:  # publishers that moved from RSS sometimes keep its date format
            parsed = parsedate_to_datetime(value.strip())
        except (TypeError, ValueError):
            return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _authors(node: dict[str, Any]) -> tuple[str, ...]:
    # 1.1 deprecates the single "author" object in favour of the "authors" array.
    found = node.get("authors")
    people = found if isinstance(found, list) else [node.get("author")]
    names = (plain_to_text(_text(p.get("name"))) for p in people if isinstance(p, dict))
    return tuple(dict.fromkeys(name for name in names if name))


def _language(node: dict[str, Any]) -> str | None:
    value = node.get("language")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _guid(value: Any) -> str | None:
    # The spec says ids published as numbers (or other types) must be coerced to strings.
    if value is None or isinstance(value, dict | list):
        return None
    text = ("true" if value else "false") if isinstance(value, bool) else str(value).strip()
    return text or None


def _title(value: Any) -> str:
    # Titles are plain text by spec, but publishers put entities in them; decode those.
    return plain_to_text(_text(value)).replace("\n", " ")


def _item(
    item: dict[str, Any], base: str, feed_authors: tuple[str, ...], feed_language: str | None
) -> ParsedEntry:
    content_html = _text(item.get("content_html"))
    content_text = _text(item.get("content_text"))
    summary = _text(item.get("summary"))
    if content_html.strip():
        # The same safe-HTML allowlist as the XML path, links absolute against the feed URL.
        html, text = clean_html(content_html, base=base)
    elif content_text.strip():
        html, text = htmllib.escape(content_text), plain_to_text(content_text)
    else:
        html, text = htmllib.escape(summary), plain_to_text(summary)
    tags = item.get("tags")
    categories = (
        [plain_to_text(t) for t in tags if isinstance(t, str)] if isinstance(tags, list) else []
    )
    return ParsedEntry(
        guid=_guid(item.get("id")),
        url=resolve_link(item.get("url"), base) or resolve_link(item.get("external_url"), base),
        title=_title(item.get("title")),
        text=text,
        html=html,
        authors=_authors(item) or feed_authors,
        language=_language(item) or feed_language,
        published_at=_date(item.get("date_published")) or _date(item.get("date_modified")),
        categories=tuple(dict.fromkeys(c for c in categories if c)),
    )


def parse_json_feed(body: bytes, *, feed_url: str) -> ParsedFeed:
    """Parse a JSON Feed 1.0/1.1 document into a :class:`ParsedFeed`.

    Raises MalformedFeed when the body is not valid UTF-8 JSON (a truncated download, say) or its
    ``items`` is missing or not a list, and NotAFeed when it is JSON but not a JSON Feed (no
    jsonfeed.org ``version`` URL, e.g. RSS-in-JSON). Items that are not JSON objects are skipped
    and counted in ``warning``; every object in ``items`` yields one entry, in order.
    """
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedFeed(f"invalid JSON: {exc}", url=feed_url) from exc
    version = document.get("version") if isinstance(document, dict) else None
    if not isinstance(version, str) or not version.strip().startswith(JSON_FEED_VERSION_PREFIXES):
        raise NotAFeed("JSON document without a jsonfeed.org version URL", url=feed_url)
    assert isinstance(document, dict)
    items = document.get("items")
    if not isinstance(items, list):
        raise MalformedFeed("JSON Feed without an items array", url=feed_url)
    base = feed_url  # relative URLs resolve against where the document was fetched, as in HTTP
    feed_authors = _authors(document)
    language = _language(document)
    objects = [item for item in items if isinstance(item, dict)]
    skipped = len(items) - len(objects)
    return ParsedFeed(
        title=_title(document.get("title")),
        link=resolve_link(document.get("home_page_url"), base),
        language=language,
        ttl_s=None,
        update_period_s=None,
        entries=tuple(_item(item, base, feed_authors, language) for item in objects),
        warning=f"{skipped} items are not JSON objects" if skipped else None,
    )
