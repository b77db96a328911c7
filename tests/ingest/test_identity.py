"""Item identity: link normalisation, stable ids and content hashes."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from services.ingest.identity import content_hash, item_id, normalise_link, resolve_link
from services.ingest.parse import ParsedEntry

FEED = "https://news.example.com/world/rss.xml"


def _entry(**overrides: object) -> ParsedEntry:
    fields: dict[str, object] = {
        "guid": "urn:uuid:1234",
        "url": "https://news.example.com/a/1",
        "title": "Troops move",
        "text": "Body.",
        "html": "<p>Body.</p>",
        "authors": (),
        "language": "en",
        "published_at": datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        "categories": (),
    }
    fields.update(overrides)
    return ParsedEntry(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(
            "HTTPS://Example.COM/Path", "https://example.com/Path", id="lower-scheme-host"
        ),
        pytest.param("http://example.com:80/a", "http://example.com/a", id="drop-http-port"),
        pytest.param("https://example.com:443/a", "https://example.com/a", id="drop-https-port"),
        pytest.param("https://example.com:8443/a", "https://example.com:8443/a", id="keep-port"),
        pytest.param("https://example.com/a#comments", "https://example.com/a", id="drop-fragment"),
        pytest.param("https://example.com", "https://example.com/", id="empty-path-slash"),
        pytest.param(
            "https://example.com/a?utm_source=rss&utm_medium=feed&id=7",
            "https://example.com/a?id=7",
            id="drop-utm",
        ),
        pytest.param(
            "https://example.com/a?fbclid=x&gclid=y&mc_cid=1&mc_eid=2&ocid=3&cmpid=4&_ga=5&ref=rss",
            "https://example.com/a",
            id="drop-click-ids",
        ),
        pytest.param(
            "https://example.com/a?UTM_Campaign=x&b=2", "https://example.com/a?b=2", id="case-blind"
        ),
        pytest.param("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2", id="sort"),
        pytest.param(
            "https://example.com/a?q=a%20b&&", "https://example.com/a?q=a%20b", id="keep-enc"
        ),
        pytest.param(
            "https://example.com/Case/Path", "https://example.com/Case/Path", id="path-case"
        ),
        pytest.param("  https://example.com/a  ", "https://example.com/a", id="strip-spaces"),
        pytest.param("/relative/path", "/relative/path", id="relative-unchanged"),
        pytest.param("http://[::1]:80/x", "http://[::1]/x", id="ipv6-host"),
    ],
)
def test_normalise_link(url: str, expected: str) -> None:
    """normalise_link canonicalises scheme/host/port/query and drops fragments and trackers."""
    assert normalise_link(url) == expected
    assert normalise_link(expected) == expected  # idempotent


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        pytest.param("/a/1", "https://news.example.com/a/1", id="root-relative"),
        pytest.param("b/2", "https://news.example.com/world/b/2", id="document-relative"),
        pytest.param("https://other.example/x", "https://other.example/x", id="absolute"),
        pytest.param("javascript:alert(1)", None, id="javascript-dropped"),
        pytest.param("mailto:desk@example.com", None, id="mailto-dropped"),
        pytest.param("  ", None, id="blank"),
        pytest.param(None, None, id="missing"),
    ],
)
def test_resolve_link(link: object, expected: str | None) -> None:
    """resolve_link makes links absolute against the feed URL and keeps only http(s)."""
    assert resolve_link(link, FEED) == expected


def test_item_id_is_short_hex_and_deterministic() -> None:
    """The same entry gives the same 32-hex-char id every time."""
    first = item_id(FEED, _entry())
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert item_id(FEED, _entry()) == first


def test_item_id_stable_across_processes() -> None:
    """A fresh interpreter (different hash seed) computes the same id: restarts keep ids."""
    code = (
        "from datetime import UTC, datetime\n"
        "from services.ingest.identity import item_id\n"
        "from services.ingest.parse import ParsedEntry\n"
        "e = ParsedEntry(guid=None, url=None, title='Troops move', text='', html='',"
        " authors=(), language=None, published_at=datetime(2024, 5, 1, tzinfo=UTC),"
        " categories=())\n"
        f"print(item_id({FEED!r}, e))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    local = _entry(guid=None, url=None, published_at=datetime(2024, 5, 1, tzinfo=UTC))
    assert out.stdout.strip() == item_id(FEED, local)


def test_same_guid_in_different_feeds_gives_different_ids() -> None:
    """Guids are scoped to their feed: two feeds publishing guid "1" do not collide."""
    entry = _entry(guid="1")
    assert item_id(FEED, entry) != item_id("https://other.example.org/feed", entry)


def test_feed_url_cosmetics_do_not_change_guid_ids() -> None:
    """The feed URL is normalised before scoping, so host case or tracking do not matter."""
    entry = _entry(guid="1")
    assert item_id(FEED, entry) == item_id("HTTPS://NEWS.example.com:443/world/rss.xml", entry)


def test_guid_wins_over_link_title_and_date() -> None:
    """With a guid, edits to the link, title, text or date keep the same id."""
    base = item_id(FEED, _entry())
    edited = _entry(url="https://news.example.com/a/1-updated", title="Troops advance", text="x")
    assert item_id(FEED, edited) == base
    assert item_id(FEED, _entry(published_at=None)) == base


def test_link_is_used_without_guid_and_ignores_tracking() -> None:
    """Without a guid the normalised link is the key: tracking params make no new item."""
    plain = _entry(guid=None, url="https://news.example.com/a/1")
    tracked = _entry(guid=" ", url="https://NEWS.example.com/a/1?utm_source=rss#top", title="x")
    other = _entry(guid=None, url="https://news.example.com/a/2")
    assert item_id(FEED, plain) == item_id(FEED, tracked)
    assert item_id(FEED, plain) != item_id(FEED, other)


def test_title_and_date_are_the_last_resort() -> None:
    """Without guid or link, title + date identify the entry; either changing makes a new id."""
    entry = _entry(guid=None, url=None)
    assert item_id(FEED, entry) == item_id(FEED, dataclasses.replace(entry, text="edited"))
    assert item_id(FEED, entry) != item_id(FEED, dataclasses.replace(entry, title="Other"))
    later = dataclasses.replace(entry, published_at=datetime(2024, 5, 2, tzinfo=UTC))
    assert item_id(FEED, entry) != item_id(FEED, later)


def test_entry_with_nothing_but_text_still_gets_distinct_ids() -> None:
    """An entry with no guid, link, title or date falls back to its text, so ids stay apart."""
    bare = _entry(guid=None, url=None, title="", published_at=None, text="one")
    assert item_id(FEED, bare) != item_id(FEED, dataclasses.replace(bare, text="two"))
    assert item_id(FEED, bare)


def test_content_hash_tracks_title_and_text() -> None:
    """content_hash is a full hex SHA-256 that changes when the title or the text changes."""
    digest = content_hash("Title", "Text")
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert content_hash("Title", "Text") == digest
    assert content_hash("Title!", "Text") != digest
    assert content_hash("Title", "Text!") != digest
    assert content_hash("TitleT", "ext") != digest  # the boundary between the two counts
