"""Full text for ``full_text: true`` feeds: the article's main text replaces a shorter summary.

A local server publishes a feed and its articles: one long article, one that answers 404, one
that is shorter than the feed's summary, one that is not HTML. Only the long one may replace
the feed's text; every other case keeps the feed's text, is counted, and fails nothing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from services.broker import EmbeddedBroker
from services.ingest.feeds import FeedConfig
from services.ingest.fulltext import extract_main_text
from services.ingest.service import run_ingest
from services.ingest.settings import IngestSettings
from tests.ingest.servers import Document, Status, serve
from tests.ingest.test_ingester_corpus import read_topic

PARAGRAPH = (
    "Officials said on Tuesday that two armoured brigades had moved to within ten kilometres "
    "of the border overnight, and that more units were expected to follow in the coming days. "
)
ARTICLE = (
    "<html><head><title>Brigades move</title></head><body><nav>Home | World | Sport</nav>"
    f"<article><h1>Brigades move to the border</h1><p>{PARAGRAPH * 6}</p>"
    f"<p>{PARAGRAPH * 3}</p></article><footer>Copyright Wire</footer></body></html>"
).encode()
SHORT = b"<html><body><article><p>Short.</p></article></body></html>"
SUMMARY = "Two brigades moved towards the border, officials said, with more expected to follow."


def _feed(base: str) -> bytes:
    items = "".join(
        f"<item><guid>{name}</guid><title>{name}</title><link>{base}/article/{name}</link>"
        f"<description>{SUMMARY}</description></item>"
        for name in ("long", "missing", "short", "pdf")
    )
    channel = f"<channel><title>w</title>{items}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


def test_extract_main_text_drops_boilerplate() -> None:
    """The article's paragraphs are kept; navigation and footer are not."""
    text = extract_main_text(ARTICLE)
    assert text is not None
    assert PARAGRAPH.strip() in text
    assert "Home | World" not in text
    assert "Copyright" not in text


@pytest.mark.parametrize(
    "page", [pytest.param(b"", id="empty"), pytest.param(b"\x00\xff" * 50, id="binary")]
)
def test_extract_main_text_gives_none_for_pages_without_text(page: bytes) -> None:
    """A page with nothing to extract is None, never an exception."""
    assert extract_main_text(page) is None


@pytest.mark.integration
@pytest.mark.parametrize(
    "opted_in", [pytest.param(True, id="full-text"), pytest.param(False, id="feed-text")]
)
async def test_full_text_feed_uses_longer_article_text_and_falls_back(
    broker: EmbeddedBroker, tmp_path: Path, opted_in: bool
) -> None:
    """Opted in: the long article's text is used, every other case keeps the feed text."""
    routes = {
        "/article/long": Document(ARTICLE, content_type="text/html; charset=utf-8"),
        "/article/missing": Status(404),
        "/article/short": Document(SHORT, content_type="text/html"),
        "/article/pdf": Document(b"%PDF-1.4 " + b"x" * 5000, content_type="application/pdf"),
    }
    with serve(routes) as server:
        server.routes["/feed"] = Document(_feed(server.base_url))
        feed = FeedConfig(url=server.url("/feed"), name="wire", full_text=opted_in)
        settings = IngestSettings(
            kafka_bootstrap=broker.bootstrap,
            data_dir=tmp_path,
            allow_private_urls=True,
            ingest_metrics_port=0,
            full_text_concurrency=2,
        )
        registry = CollectorRegistry()
        await asyncio.wait_for(
            run_ingest(settings, asyncio.Event(), feeds=[feed], registry=registry, max_polls=1),
            30,
        )
    texts = {
        r["value"]["guid"]: r["value"]["text"]
        for r in await read_topic(broker.bootstrap, "items.raw")
    }
    assert set(texts) == {"long", "missing", "short", "pdf"}
    article_requests = [r.path for r in server.requests if r.path.startswith("/article/")]
    if not opted_in:
        assert article_requests == []
        assert set(texts.values()) == {SUMMARY}
        return
    assert sorted(article_requests) == sorted(routes)
    assert PARAGRAPH.strip() in texts["long"]
    assert len(texts["long"]) > len(SUMMARY)
    assert texts["missing"] == texts["short"] == texts["pdf"] == SUMMARY

    def counted(outcome: str) -> float | None:
        return registry.get_sample_value("wirewatch_ingest_full_text_total", {"outcome": outcome})

    assert counted("used") == 1
    assert counted("fetch_error") == 1
    assert counted("shorter") == 1
    assert counted("not_html") == 1
