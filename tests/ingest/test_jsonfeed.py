"""JSON Feed 1.0 / 1.1 read against the spec (https://www.jsonfeed.org/version/1.1/)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from services.ingest.errors import MalformedFeed, NotAFeed
from services.ingest.parse import parse_feed

FEED = "https://example.org/feed.json"
V1 = "https://jsonfeed.org/version/1"
V11 = "https://jsonfeed.org/version/1.1"


def doc(version: str = V11, items: list[Any] | None = None, **feed: Any) -> bytes:
    return json.dumps(
        {"version": version, "title": "Example", "items": items or [], **feed}
    ).encode()


def test_feed_metadata() -> None:
    """Feed title, home page and 1.1 language are read; JSON Feed carries no TTL hints."""
    body = doc(home_page_url="https://example.org/", language="en-US")
    feed = parse_feed(body, feed_url=FEED)
    assert (feed.title, feed.link, feed.language) == ("Example", "https://example.org/", "en-US")
    assert (feed.ttl_s, feed.update_period_s, feed.warning) == (None, None, None)


def test_version_1_0_author_object() -> None:
    """JSON Feed 1.0 "author" objects (item, else feed) become the authors."""
    items = [
        {"id": "1", "content_text": "x", "author": {"name": "Item Author"}},
        {"id": "2", "content_text": "y"},
    ]
    feed = parse_feed(doc(V1, items, author={"name": "Feed Author"}), feed_url=FEED)
    assert [e.authors for e in feed.entries] == [("Item Author",), ("Feed Author",)]


def test_version_1_1_authors_array_wins_over_author() -> None:
    """JSON Feed 1.1 "authors" arrays take precedence over the deprecated "author"."""
    item = {
        "id": "1",
        "content_text": "x",
        "author": {"name": "Old"},
        "authors": [{"name": "Ann"}, {"url": "https://x.example"}, {"name": "Bo"}],
    }
    assert parse_feed(doc(V11, [item]), feed_url=FEED).entries[0].authors == ("Ann", "Bo")


def test_content_html_preferred_over_content_text() -> None:
    """content_html is the content when present; its text is cleaned."""
    item = {"id": "1", "content_html": "<p>Rich <em>text</em></p>", "content_text": "Plain"}
    entry = parse_feed(doc(items=[item]), feed_url=FEED).entries[0]
    assert (entry.text, entry.html) == ("Rich text", "<p>Rich <em>text</em></p>")


def test_content_text_only() -> None:
    """content_text alone is kept as text (markup characters are literal) and escaped as html."""
    item = {"id": "1", "content_text": "a < b\n\nnext line"}
    entry = parse_feed(doc(items=[item]), feed_url=FEED).entries[0]
    assert entry.text == "a < b\nnext line"
    assert entry.html == "a &lt; b\n\nnext line"


def test_summary_used_when_no_content() -> None:
    """An item with only a summary still yields text."""
    entry = parse_feed(doc(items=[{"id": "1", "summary": "Gist"}]), feed_url=FEED).entries[0]
    assert entry.text == "Gist"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param(
            {"date_published": "2024-05-01T14:30:00+02:00"},
            datetime(2024, 5, 1, 12, 30, tzinfo=UTC),
            id="offset-to-utc",
        ),
        pytest.param(
            {"date_published": "2024-05-01T12:30:00Z"},
            datetime(2024, 5, 1, 12, 30, tzinfo=UTC),
            id="zulu",
        ),
        pytest.param(
            {"date_modified": "2024-05-02T00:00:00-05:00"},
            datetime(2024, 5, 2, 5, 0, tzinfo=UTC),
            id="modified-fallback",
        ),
        pytest.param(
            {"date_published": "Fri, 12 May 2023 14:00:00 -0400"},
            datetime(2023, 5, 12, 18, 0, tzinfo=UTC),
            id="rfc822-tolerated",
        ),
        pytest.param({}, None, id="missing"),
        pytest.param({"date_published": "yesterday"}, None, id="invalid"),
    ],
)
def test_dates(fields: dict[str, str], expected: datetime | None) -> None:
    """date_published (else date_modified) is read as RFC 3339 and converted to UTC."""
    item = {"id": "1", "content_text": "x", **fields}
    assert parse_feed(doc(items=[item]), feed_url=FEED).entries[0].published_at == expected


def test_ids_coerced_to_strings_and_missing_ids_are_none() -> None:
    """Numeric ids become strings (as the spec requires); absent ids are None."""
    items = [{"id": 42, "content_text": "x"}, {"content_text": "y"}]
    assert [e.guid for e in parse_feed(doc(items=items), feed_url=FEED).entries] == ["42", None]


def test_urls_titles_tags_and_language() -> None:
    """url (else external_url) resolved; entities decoded in titles; tags; item language."""
    items = [
        {
            "id": "1",
            "url": "/posts/1",
            "title": "Q&amp;A",
            "tags": ["a", "b", "a"],
            "language": "de",
        },
        {"id": "2", "external_url": "https://elsewhere.example/x", "content_text": "x"},
    ]
    first, second = parse_feed(doc(items=items, language="en"), feed_url=FEED).entries
    assert (first.url, first.title, first.categories, first.language) == (
        "https://example.org/posts/1",
        "Q&A",
        ("a", "b"),
        "de",
    )
    assert (second.url, second.language) == ("https://elsewhere.example/x", "en")


def test_http_version_url_accepted() -> None:
    """A version URL with http:// instead of https:// is still a JSON Feed."""
    feed = parse_feed(doc("http://jsonfeed.org/version/1", [{"id": "1"}]), feed_url=FEED)
    assert len(feed.entries) == 1


def test_non_object_items_skipped_with_warning() -> None:
    """Items that are not JSON objects are skipped and reported in the warning."""
    feed = parse_feed(doc(items=[{"id": "1"}, "junk", 3]), feed_url=FEED)
    assert len(feed.entries) == 1
    assert feed.warning is not None
    assert "2 items" in feed.warning


@pytest.mark.parametrize(
    ("body", "error"),
    [
        pytest.param(doc(items=[{"id": "1"}])[:-10], MalformedFeed, id="truncated-json"),
        pytest.param(
            b'{"version": "' + V11.encode() + b'", "items": 3}', MalformedFeed, id="items"
        ),
        pytest.param(b'{"version": "' + V11.encode() + b'"}', MalformedFeed, id="no-items"),
        pytest.param(b'{"rss": {"channel": {"item": []}}}', NotAFeed, id="rss-in-json"),
        pytest.param(b'{"version": "2.0", "items": []}', NotAFeed, id="foreign-version"),
        pytest.param(b"[1, 2]", NotAFeed, id="json-array"),
    ],
)
def test_broken_or_foreign_json(body: bytes, error: type[Exception]) -> None:
    """Invalid JSON is MalformedFeed; valid JSON that is not a JSON Feed is NotAFeed."""
    with pytest.raises(error):
        parse_feed(body, feed_url=FEED, content_type="application/json")
