"""The whole ingester over every real-world document in ../shared/data, against the real broker.

Each document of ``feedparser-cases`` and ``real-feeds`` is served from a local HTTP server with
ETag support; ``run_ingest`` polls every one twice (the second poll is a 304), is restarted and
polls again after the server changed every ETag (a full 200, so only the seen-id state stands
between the restart and a duplicate). Every item of a readable document must be in
``items.raw`` exactly once; a document we cannot read must end in a classified feed error on
``feeds.status``. Which entries a document holds is judged by ``parse_feed``, itself checked
against feedparser document by document in test_corpus.py.
"""

from __future__ import annotations

import asyncio
import gzip
import io
import json
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import feedparser
import pytest

from services.broker import EmbeddedBroker
from services.ingest import errors
from services.ingest.errors import ParseError
from services.ingest.feeds import FeedConfig
from services.ingest.identity import item_id
from services.ingest.parse import parse_feed
from services.ingest.service import run_ingest
from services.ingest.settings import IngestSettings
from services.tail import tail
from tests.ingest.servers import Document, LocalServer, serve

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
FOLDERS = ("feedparser-cases", "real-feeds")
_SKIP = ("MANIFEST.json", "README.md", "INDEX.md")
# Headers of the corpus manifest that describe the document; status/location cases are about
# HTTP semantics, which the fetcher tests cover, so every document is served with a plain 200.
_KEPT_HEADERS = ("content-type", "content-location", "content-language")


async def read_topic(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    """Every record of ``topic`` from the beginning, as the JSON lines ``wirewatch tail`` prints."""
    out = io.StringIO()
    await tail(
        bootstrap,
        topic,
        from_beginning=True,
        follow=False,
        limit=None,
        idle_timeout_s=None,
        out=out,
    )
    return [json.loads(line) for line in out.getvalue().splitlines()]


def _corpus() -> list[tuple[str, bytes, dict[str, str]]]:
    """(path relative to data/, body, headers served) for every corpus document."""
    documents = []
    for folder in FOLDERS:
        root = DATA / folder
        manifest = {r["file"]: r for r in json.loads((root / "MANIFEST.json").read_text())}
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.name in _SKIP:
                continue
            rel = path.relative_to(root).as_posix()
            body = path.read_bytes()
            if rel.endswith(".gz"):
                body = gzip.decompress(body)
            record = manifest.get(rel, {})
            headers = {n.strip().lower(): v.strip() for n, v in record.get("headers", [])}
            headers = {n: v for n, v in headers.items() if n in _KEPT_HEADERS}
            if "http" in rel and "content-type" not in headers:
                headers["content-type"] = "text/xml"  # what feedparser's own test server sends
            documents.append((f"{folder}/{rel}", body, headers))
    return documents


def _document(body: bytes, headers: dict[str, str], etag: str) -> Document:
    # parse_feed reads a missing Content-Type as application/xml, so that is what we send.
    content_type = headers.get("content-type", "application/xml")
    extra = {n: v for n, v in headers.items() if n != "content-type"}
    return Document(body, content_type=content_type, etag=etag, headers=extra)


def _expected(url: str, body: bytes, headers: dict[str, str]) -> set[str] | type[ParseError]:
    """The item ids a readable document must yield, or the ParseError class it must raise."""
    try:
        parsed = parse_feed(body, feed_url=url, headers=headers)
    except ParseError as exc:
        return type(exc)
    return {item_id(url, entry) for entry in parsed.entries}


def _settings(broker: EmbeddedBroker, data_dir: Path) -> IngestSettings:
    return IngestSettings(
        kafka_bootstrap=broker.bootstrap,
        data_dir=data_dir,
        allow_private_urls=True,
        min_poll_interval_s=0.05,
        max_poll_interval_s=0.3,  # caps each feed's <ttl>/max-age so the second poll comes soon
        backoff_cap_s=0.3,
        max_connections=32,
        max_per_host=32,
        ingest_metrics_port=0,
    )


async def _run(settings: IngestSettings, feeds: list[FeedConfig], polls: int) -> None:
    await asyncio.wait_for(run_ingest(settings, asyncio.Event(), feeds=feeds, max_polls=polls), 90)


def _reetag(server: LocalServer) -> None:
    for path, route in list(server.routes.items()):
        assert isinstance(route, Document)
        server.routes[path] = replace(route, etag='"v2"')


async def test_every_corpus_item_is_produced_exactly_once(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    """Two polls, a restart and a changed ETag later, each readable item is in items.raw once.

    Unreadable documents end in a FeedStatus naming the ParseError class they raise.
    """
    if not DATA.is_dir():
        pytest.skip("corpus folder ../shared/data is absent beside this checkout")
    corpus = _corpus()
    routes = {
        f"/{i}": _document(body, headers, '"v1"') for i, (_, body, headers) in enumerate(corpus)
    }
    with serve(routes) as server:
        feeds = [
            FeedConfig(url=server.url(f"/{i}"), name=key) for i, (key, _, _) in enumerate(corpus)
        ]
        expected = {
            feed.url: _expected(feed.url, body, headers)
            for feed, (_, body, headers) in zip(feeds, corpus, strict=True)
        }
        settings = _settings(broker, tmp_path)
        await _run(settings, feeds, polls=2)
        conditional = [r for r in server.requests if r.headers.get("if-none-match") == '"v1"']
        _reetag(server)
        await _run(settings, feeds, polls=1)  # the restart: same state file, fresh process state
    readable = [url for url, want in expected.items() if isinstance(want, set)]
    # Every readable feed was asked conditionally on its second poll.
    assert {server.base_url + r.path for r in conditional} >= set(readable)

    records = await read_topic(broker.bootstrap, "items.raw")
    keys = Counter(record["key"] for record in records)
    repeated = {key: count for key, count in keys.items() if count > 1}
    assert not repeated, f"{len(repeated)} items produced more than once"
    # Ids from links and titles are shared by every feed carrying them (the corpus repeats
    # some documents in other encodings), so the item is owed once, by whichever feed won.
    owed = set().union(*(want for want in expected.values() if isinstance(want, set)))
    assert set(keys) == owed
    assert all(record["value"].get("version", 1) == 1 for record in records)

    statuses = {r["key"]: r["value"] for r in await read_topic(broker.bootstrap, "feeds.status")}
    assert set(statuses) == set(expected)
    for url, want in expected.items():
        status = statuses[url]
        if isinstance(want, set):
            assert status.get("consecutive_errors", 0) == 0, (url, status)
        else:
            assert status["last_error_class"] == want.__name__, (url, status)
            assert status["state"] == "FEED_STATE_ERRORING"
    unreadable = [url for url, want in expected.items() if not isinstance(want, set)]
    assert all(
        issubclass(getattr(errors, statuses[url]["last_error_class"]), ParseError)
        for url in unreadable
    )


def test_the_corpus_oracle_agrees_with_feedparser() -> None:
    """A document feedparser reads entries from is never one the ingester calls unreadable."""
    if not DATA.is_dir():
        pytest.skip("corpus folder ../shared/data is absent beside this checkout")
    refused: list[str] = []
    for key, body, headers in _corpus():
        if key.endswith(".json"):
            continue
        url = f"http://127.0.0.1/{key}"
        found = feedparser.parse(io.BytesIO(body), response_headers=headers).entries
        if found and not isinstance(_expected(url, body, headers), set):
            refused.append(key)
    assert not refused, "documents with entries the ingester would report unreadable"
