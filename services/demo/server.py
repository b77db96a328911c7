"""Offline demo wire: an RSS 2.0 feed on 127.0.0.1 that releases real articles over time.

It consumes the catalogue of bundled articles (the 2014 seed wire stories, then AG News World
items) and releases them at a steady rate, so ingest sees a live-looking feed with no network:
``/feed.xml`` lists the newest released items (ETag / If-None-Match answered with 304 when
nothing is new), ``/items/<id>`` serves each article as a small HTML page, ``/healthz`` reports
progress. A minimal HTTP/1.1 server on asyncio streams keeps it free of threads and of any
process-wide logging or signal set-up, so tests can start and stop it in well under a second.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import secrets
import signal
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from types import TracebackType
from typing import Literal
from xml.etree import ElementTree as ET

from services.demo.catalogue import DemoItem, load_catalogue
from services.demo.httpd import HTTPServer, Request, Response, text_response
from services.ingest.feeds import FeedConfig, dump_feeds

__all__ = ["DemoFeedServer", "demo_feeds_yaml", "main"]


class DemoFeedServer:
    """Serves the demo wire on ``host:port`` (0 = a free port) while the context is open."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_per_s: float = 3.0,
        window: int = 100,
        seed_first: bool = True,
    ) -> None:
        if rate_per_s <= 0:
            raise ValueError("rate_per_s must be > 0")
        if window < 1:
            raise ValueError("window must be >= 1")
        self._host, self._port = host, port
        self._rate, self._window = rate_per_s, window
        self._items = load_catalogue(seed_first)
        self._index = {item.id: i for i, item in enumerate(self._items)}
        self._state: Literal["new", "open", "closed"] = "new"
        self._http = HTTPServer(self._route, host, port)
        self._started_at = 0.0  # loop.time() of the first release
        self._started_wall = datetime.now(UTC)
        # A fresh token per run, so a restarted server never answers 304 to an old ETag.
        self._epoch = secrets.token_hex(4)
        self._rendered: tuple[int, bytes] | None = None

    async def __aenter__(self) -> DemoFeedServer:
        if self._state != "new":
            raise RuntimeError(f"cannot start a {self._state} DemoFeedServer")
        self._port = await self._http.start()
        self._started_at = asyncio.get_running_loop().time()
        self._started_wall = datetime.now(UTC)
        self._state = "open"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop listening and drop open connections; safe to call more than once."""
        if self._state == "closed":
            return
        self._state = "closed"
        await self._http.aclose()

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT`` of the running server."""
        return f"http://{self._host}:{self._port}"

    @property
    def url(self) -> str:
        """The RSS feed URL, ``http://HOST:PORT/feed.xml``."""
        return f"{self.base_url}/feed.xml"

    @property
    def total(self) -> int:
        """How many items the server releases in all."""
        return len(self._items)

    @property
    def released(self) -> int:
        """How many items are visible now: one at start, then ``rate_per_s`` a second."""
        if self._state != "open":
            return 0
        elapsed = asyncio.get_running_loop().time() - self._started_at
        return min(len(self._items), 1 + int(elapsed * self._rate))

    def _pub_date(self, position: int, item: DemoItem) -> datetime:
        if item.published is not None:
            return item.published
        return datetime.fromtimestamp(self._started_wall.timestamp() + position / self._rate, UTC)

    def _render_feed(self, released: int) -> bytes:
        if self._rendered is not None and self._rendered[0] == released:
            return self._rendered[1]
        rss = ET.Element("rss", version="2.0")
        channel = ET.SubElement(rss, "channel")
        ET.SubElement(channel, "title").text = "wirewatch demo wire"
        ET.SubElement(channel, "link").text = f"{self.base_url}/"
        about = "Archived wire articles (2014 seeds, AG News 2004) replayed for the offline demo."
        ET.SubElement(channel, "description").text = about
        ET.SubElement(channel, "language").text = "en"
        newest = self._pub_date(released - 1, self._items[released - 1])
        ET.SubElement(channel, "lastBuildDate").text = format_datetime(newest, usegmt=True)
        for position in range(released - 1, max(released - self._window, 0) - 1, -1):
            item = self._items[position]
            entry = ET.SubElement(channel, "item")
            ET.SubElement(entry, "title").text = item.title
            ET.SubElement(entry, "link").text = f"{self.base_url}/items/{item.id}"
            ET.SubElement(entry, "guid", isPermaLink="false").text = item.id
            ET.SubElement(entry, "description").text = item.text
            pub = self._pub_date(position, item)
            ET.SubElement(entry, "pubDate").text = format_datetime(pub, usegmt=True)
        body: bytes = ET.tostring(rss, encoding="utf-8", xml_declaration=True)
        self._rendered = (released, body)
        return body

    def _feed(self, headers: dict[str, str]) -> Response:
        released = self.released
        etag = f'"{self._epoch}-{released}"'
        common = {"ETag": etag, "Cache-Control": "no-cache"}
        if _etags(headers.get("if-none-match", "")) & {etag, "*"}:
            return 304, common, b""
        body = self._render_feed(released)
        return 200, {**common, "Content-Type": "application/rss+xml; charset=utf-8"}, body

    def _article(self, item_id: str) -> Response:
        position = self._index.get(item_id)
        if position is None or position >= self.released:
            return text_response(404, "no such item (yet)\n")
        item = self._items[position]
        paragraphs = "".join(f"<p>{html.escape(p)}</p>\n" for p in item.text.splitlines() if p)
        page = (
            f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(item.title)}</title></head><body>\n"
            f"<article><h1>{html.escape(item.title)}</h1>\n"
            f"<p><time>{self._pub_date(position, item).isoformat()}</time> · "
            f"{html.escape(item.source)}</p>\n{paragraphs}</article></body></html>\n"
        )
        return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode()

    def _route(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            status, extra, body = text_response(405, "only GET and HEAD\n")
            return status, {**extra, "Allow": "GET, HEAD"}, body
        path = request.path
        if path == "/feed.xml":
            return self._feed(request.headers)
        if path.startswith("/items/"):
            return self._article(path.removeprefix("/items/"))
        if path == "/healthz":
            health = {"status": "ok", "released": self.released, "total": self.total}
            return 200, {"Content-Type": "application/json"}, json.dumps(health).encode()
        if path == "/":
            return text_response(200, f"wirewatch demo wire: {self.url}\n")
        return text_response(404, "not found\n")


def _etags(header: str) -> set[str]:
    """The entity tags of an If-None-Match header, weak prefixes dropped (RFC 9110 §13.1.2)."""
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def demo_feeds_yaml(url: str) -> str:
    """A feeds file (YAML, the ``load_feeds`` format) listing the demo feed, polled every 2 s."""
    return dump_feeds([FeedConfig(url=url, name="wirewatch demo wire", interval_s=2)])


async def _serve_until_signal(args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)

    def on_signal() -> None:
        stop.set()
        # A second signal takes the default action: a forced exit if shutdown ever hangs.
        for sig in signals:
            loop.remove_signal_handler(sig)

    for sig in signals:
        loop.add_signal_handler(sig, on_signal)
    server = DemoFeedServer(
        host=args.host, port=args.port, rate_per_s=args.rate, window=args.window,
        seed_first=not args.no_seed_first,
    )  # fmt: skip
    async with server:
        print(f"demo feed: {server.url} ({server.total} items at {args.rate}/s)", flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the demo wire until SIGINT/SIGTERM, printing the feed URL first."""
    parser = argparse.ArgumentParser(description="Serve the offline wirewatch demo feed.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--rate", type=float, default=3.0, help="items released per second")
    parser.add_argument("--window", type=int, default=100, help="items listed in the feed")
    parser.add_argument("--no-seed-first", action="store_true", help="release the seeds last")
    asyncio.run(_serve_until_signal(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
