"""parse_feed over every real-world document in ../shared/data (feedparser's cases, real feeds).

Each document is checked against feedparser itself: we may refuse a document (with a ParseError)
only when feedparser finds no entries in it either, or when it is listed in REFUSED_FOR_SAFETY;
otherwise we must return exactly as many entries. Every entry must get a non-empty item id, ids
must not collide unless the feed itself repeats an entry's identity, and text must carry no tags.
JSON documents are checked against the JSON Feed spec using the raw JSON.
"""

from __future__ import annotations

import gzip
import io
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import feedparser
import pytest

from services.ingest.errors import MalformedFeed, NotAFeed, ParseError, UnsafeDocument
from services.ingest.identity import item_id, normalise_link
from services.ingest.parse import ParsedEntry, ParsedFeed, parse_feed

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
FOLDERS = ("feedparser-cases", "real-feeds")

# Documents feedparser reads but we refuse on purpose, with the reason.
REFUSED_FOR_SAFETY: dict[str, str] = {
    "feedparser-cases/wellformed/rdf/doctype_contains_entity_decl.xml": (
        "its DOCTYPE declares an external parameter entity (%HTMLlat1;) pointing at a URL"
    ),
}
# JSON documents that are not JSON Feeds, and what they must raise.
JSON_FAILURES: dict[str, type[ParseError]] = {
    "real-feeds/allthis-truncated_json-invalid_1.json": MalformedFeed,
    "real-feeds/scriptingnews-rssjson_rss-in-json_1.json": NotAFeed,
}
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")


def _documents() -> list[Any]:
    if not DATA.is_dir():
        reason = f"corpus folder ../shared/data is absent (looked in {DATA.name})"
        return [pytest.param(None, id="corpus-absent", marks=pytest.mark.skip(reason=reason))]
    params = []
    for folder in FOLDERS:
        root = DATA / folder
        manifest = {r["file"]: r for r in json.loads((root / "MANIFEST.json").read_text())}
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root).as_posix()
            if path.is_file() and path.name not in ("MANIFEST.json", "README.md", "INDEX.md"):
                params.append(
                    pytest.param((folder, rel, manifest.get(rel, {})), id=f"{folder}/{rel}")
                )
    return params


def _headers(rel: str, record: dict[str, Any]) -> dict[str, str]:
    headers = {name.strip().lower(): value.strip() for name, value in record.get("headers", [])}
    if "http" in rel and "content-type" not in headers:
        headers["content-type"] = "text/xml"  # what feedparser's own test server sends
    return headers


def _identity(entry: ParsedEntry) -> tuple[object, ...]:
    """What makes two entries "the same" as published: the id keys, in the same order."""
    if entry.guid and entry.guid.strip():
        return ("guid", entry.guid.strip())
    if entry.url:
        return ("link", normalise_link(entry.url))
    return ("title", entry.title.strip(), entry.published_at, entry.text)


def _check_entries(feed_url: str, feed: ParsedFeed) -> None:
    by_id: dict[str, set[tuple[object, ...]]] = defaultdict(set)
    for entry in feed.entries:
        iid = item_id(feed_url, entry)
        assert re.fullmatch(r"[0-9a-f]{32}", iid)
        by_id[iid].add(_identity(entry))
        assert entry.published_at is None or entry.published_at.utcoffset() is not None
        assert entry.url is None or entry.url.startswith(("http://", "https://"))
        assert "\n" not in entry.title
        if "&lt;" not in entry.html:  # escaped markup in the HTML is literal text, not a tag
            assert not _TAG.search(entry.text), entry.text
    collisions = {iid: keys for iid, keys in by_id.items() if len(keys) > 1}
    assert not collisions, "different entries share an item id"


def _check_json_feed(body: bytes, feed: ParsedFeed) -> None:
    document = json.loads(body.decode("utf-8-sig"))
    items = [item for item in document["items"] if isinstance(item, dict)]
    assert len(feed.entries) == len(items)
    feed_has_author = bool(document.get("authors") or document.get("author"))
    for item, entry in zip(items, feed.entries, strict=True):
        assert entry.guid == (str(item["id"]) if item.get("id") not in (None, "") else None)
        if (item.get("content_html") or item.get("content_text") or "").strip():
            assert entry.text
        if item.get("date_published"):
            assert entry.published_at is not None
        if item.get("url") or item.get("external_url"):
            assert entry.url
        if item.get("authors") or item.get("author") or feed_has_author:
            assert entry.authors


@pytest.mark.parametrize("case", _documents())
def test_corpus_document(case: tuple[str, str, dict[str, Any]]) -> None:
    """parse_feed reads every corpus document without losing entries feedparser finds."""
    folder, rel, record = case
    key = f"{folder}/{rel}"
    body = (DATA / folder / rel).read_bytes()
    if rel.endswith(".gz"):
        body = gzip.decompress(body)
    headers = _headers(rel, record)
    feed_url = f"https://feeds.example.org/{key}"
    is_json = rel.endswith(".json")
    expected_error = JSON_FAILURES.get(key) or (
        UnsafeDocument if key in REFUSED_FOR_SAFETY else None
    )
    if expected_error is not None:
        with pytest.raises(expected_error):
            parse_feed(body, feed_url=feed_url, headers=headers)
        return
    baseline = (
        0 if is_json else len(feedparser.parse(io.BytesIO(body), response_headers=headers).entries)
    )
    if baseline == 0:
        # Nothing for us to lose: refusing is allowed, but only with a ParseError.
        try:
            feed = parse_feed(body, feed_url=feed_url, headers=headers)
        except ParseError:
            return
    else:
        feed = parse_feed(body, feed_url=feed_url, headers=headers)
    if is_json:
        _check_json_feed(body, feed)
    else:
        assert len(feed.entries) == baseline
    _check_entries(feed_url, feed)
