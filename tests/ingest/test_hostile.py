"""The fetcher against real, misbehaving HTTP servers on 127.0.0.1.

Each test uses small caps and timeouts so it finishes within a few seconds; servers come from
tests/ingest/servers.py.
"""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx2
import pytest

from services.ingest import errors
from services.ingest.fetch import Fetcher, FetchPolicy
from services.outbound import guarded_transport
from tests.ingest.servers import (
    Document,
    Drip,
    Endless,
    GzipBomb,
    Redirect,
    Route,
    Slow,
    Status,
    serve,
)

pytestmark = pytest.mark.integration

RSS = b"<?xml version='1.0'?><rss version='2.0'><channel><title>wire</title></channel></rss>"
MIB = 1024 * 1024


def local(**overrides: object) -> FetchPolicy:
    """A policy for local servers: private addresses allowed, small limits."""
    settings: dict[str, object] = {
        "allow_private": True,
        "connect_timeout_s": 1.0,
        "read_timeout_s": 2.0,
        "total_timeout_s": 3.0,
        "max_body_bytes": MIB,
    }
    return FetchPolicy(**{**settings, **overrides})  # type: ignore[arg-type]


async def test_gzip_bomb_stops_at_the_cap_with_bounded_memory() -> None:
    """1 GiB of gzip-compressed zeros is cut at the 1 MiB cap; memory never nears the bomb."""
    with serve({"/bomb": GzipBomb(inflated_bytes=1024**3)}) as server:
        async with Fetcher(local()) as fetcher:
            tracemalloc.start()
            try:
                with pytest.raises(errors.BodyTooLarge):
                    await fetcher.fetch(server.url("/bomb"))
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    assert peak < 16 * MIB


async def test_endless_body_is_cut_at_the_cap() -> None:
    """A chunked body that never ends raises BodyTooLarge promptly."""
    with serve({"/endless": Endless()}) as server:
        async with Fetcher(local()) as fetcher:
            started = time.monotonic()
            with pytest.raises(errors.BodyTooLarge):
                await fetcher.fetch(server.url("/endless"))
    assert time.monotonic() - started < 2.0


async def test_drip_is_cut_by_the_total_deadline() -> None:
    """One byte every 0.2 s never trips the read timeout, but the 1 s total deadline ends it."""
    with serve({"/drip": Drip(interval_s=0.2)}) as server:
        async with Fetcher(local(total_timeout_s=1.0, read_timeout_s=2.0)) as fetcher:
            started = time.monotonic()
            with pytest.raises(errors.FetchTimeout) as caught:
                await fetcher.fetch(server.url("/drip"))
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 1.8
    assert caught.value.retriable
    assert server.url("/drip") in str(caught.value)


async def test_silence_longer_than_read_timeout_is_a_timeout() -> None:
    """A server that goes quiet for longer than read_timeout_s raises FetchTimeout."""
    with serve({"/quiet": Drip(interval_s=2.0)}) as server:
        async with Fetcher(local(read_timeout_s=0.3, total_timeout_s=3.0)) as fetcher:
            started = time.monotonic()
            with pytest.raises(errors.FetchTimeout):
                await fetcher.fetch(server.url("/quiet"))
    assert time.monotonic() - started < 1.5


async def test_redirect_loop_is_refused() -> None:
    """/a → /b → /a raises TooManyRedirects after two requests."""
    with serve({"/a": Redirect("/b", 302), "/b": Redirect("/a", 302)}) as server:
        async with Fetcher(local()) as fetcher:
            with pytest.raises(errors.TooManyRedirects):
                await fetcher.fetch(server.url("/a"))
    assert [request.path for request in server.requests] == ["/a", "/b"]


@pytest.mark.parametrize(
    ("second_status", "permanent"),
    [pytest.param(308, True, id="301-308"), pytest.param(302, False, id="301-302")],
)
async def test_moved_feed_reports_its_permanent_url(second_status: int, permanent: bool) -> None:
    """A chain of 301/308 ends with permanent_url set to the final URL; a 302 hop clears it."""
    routes: dict[str, Route] = {
        "/old": Redirect("/older", 301),
        "/older": Redirect("/new", second_status),
        "/new": Document(RSS),
    }
    with serve(routes) as server:
        async with Fetcher(local()) as fetcher:
            result = await fetcher.fetch(server.url("/old"))
    assert result.body == RSS
    assert result.url == server.url("/new")
    assert result.permanent_url == (server.url("/new") if permanent else None)


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        pytest.param(Status(500), errors.ServerError, id="500"),
        pytest.param(Status(410), errors.Gone, id="410"),
        pytest.param(Status(404), errors.ClientError, id="404"),
    ],
)
async def test_error_statuses(route: Status, expected: type[errors.HTTPStatusError]) -> None:
    """Real 500/410/404 answers raise their error classes."""
    with serve({"/feed": route}) as server:
        async with Fetcher(local()) as fetcher:
            with pytest.raises(expected) as caught:
                await fetcher.fetch(server.url("/feed"))
    assert caught.value.status == route.status


def _in_two_minutes() -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)


@pytest.mark.parametrize(
    ("status", "retry_after"),
    [
        pytest.param(503, "120", id="503-seconds"),
        pytest.param(429, "120", id="429-seconds"),
        pytest.param(429, None, id="429-http-date"),
        pytest.param(503, None, id="503-http-date"),
    ],
)
async def test_rate_limited_with_retry_after(status: int, retry_after: str | None) -> None:
    """429/503 raise RateLimited carrying Retry-After (seconds or HTTP-date) as seconds."""
    header = retry_after or _in_two_minutes()
    with serve({"/feed": Status(status, {"Retry-After": header})}) as server:
        async with Fetcher(local()) as fetcher:
            with pytest.raises(errors.RateLimited) as caught:
                await fetcher.fetch(server.url("/feed"))
    assert caught.value.status == status
    assert caught.value.retry_after_s is not None
    assert 115 <= caught.value.retry_after_s <= 120


@pytest.mark.parametrize(
    ("etag", "last_modified"),
    [
        pytest.param('"rev-7"', None, id="etag"),
        pytest.param(None, "Wed, 01 Jan 2025 08:00:00 GMT", id="last-modified"),
    ],
)
async def test_conditional_get_round_trip(etag: str | None, last_modified: str | None) -> None:
    """The validators from a 200 bring a 304 on the next poll: not modified, empty body."""
    document = Document(RSS, etag=etag, last_modified=last_modified)
    with serve({"/feed": document}) as server:
        async with Fetcher(local()) as fetcher:
            first = await fetcher.fetch(server.url("/feed"))
            second = await fetcher.fetch(
                server.url("/feed"), etag=first.etag, last_modified=first.last_modified
            )
    assert (first.status, first.body, first.not_modified) == (200, RSS, False)
    assert (first.etag, first.last_modified) == (etag, last_modified)
    assert (second.status, second.body, second.not_modified) == (304, b"", True)
    assert (second.etag, second.last_modified) == (etag, last_modified)
    sent = server.requests[1].headers
    assert sent.get("if-none-match") == etag
    assert sent.get("if-modified-since") == last_modified


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
async def test_compressed_bodies_are_decoded(encoding: str) -> None:
    """gzip, deflate and brotli bodies arrive decoded; bytes_read counts the wire bytes."""
    body = RSS * 200
    with serve({"/feed": Document(body, encoding=encoding)}) as server:
        async with Fetcher(local()) as fetcher:
            result = await fetcher.fetch(server.url("/feed"))
    assert result.body == body
    assert 0 < result.bytes_read < len(body)
    assert "br" in server.requests[0].headers["accept-encoding"]


async def test_html_page_is_returned_for_the_parser_to_judge() -> None:
    """A 200 HTML page is an ordinary result with its content type."""
    page = b"<!doctype html><title>Not a feed</title>"
    with serve({"/": Document(page, content_type="text/html; charset=utf-8")}) as server:
        async with Fetcher(local()) as fetcher:
            result = await fetcher.fetch(server.url("/"))
    assert result.body == page
    assert result.content_type == "text/html; charset=utf-8"


async def test_loopback_server_is_refused_without_allow_private() -> None:
    """A real fetch of http://127.0.0.1:PORT is blocked at connect time: no request arrives."""
    with serve({"/feed": Document(RSS)}) as server:
        async with Fetcher(local(allow_private=False)) as fetcher:
            with pytest.raises(errors.BlockedAddress) as caught:
                await fetcher.fetch(server.url("/feed"))
    assert "loopback" in str(caught.value)
    assert server.requests == []


class _Router(httpx2.AsyncBaseTransport):
    """Sends one host to a canned transport and every other host to the real one."""

    def __init__(
        self, host: str, canned: httpx2.AsyncBaseTransport, real: httpx2.AsyncBaseTransport
    ):
        self._host, self._canned, self._real = host, canned, real

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        transport = self._canned if request.url.host == self._host else self._real
        return await transport.handle_async_request(request)

    async def aclose(self) -> None:
        await self._real.aclose()


class _Resolver:
    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table

    async def resolve(self, host: str, port: int) -> list[str]:
        return self.table[host]


@pytest.mark.parametrize(
    ("allow_private", "reached"),
    [pytest.param(False, False, id="refused"), pytest.param(True, True, id="control-allowed")],
)
async def test_redirect_to_a_private_address_is_refused_at_the_hop(
    allow_private: bool, reached: bool
) -> None:
    """public.example 302 → intranet.example (127.0.0.1): the second hop is refused on connect."""
    with serve({"/secret": Document(b"internal")}) as server:
        target = f"http://intranet.example:{server.port}/secret"

        async def public(request: httpx2.Request) -> httpx2.Response:
            return httpx2.Response(302, headers={"Location": target})

        policy = local(allow_private=allow_private)
        real = guarded_transport(
            allow_private=policy.allow_private,
            max_connections=policy.max_connections,
            resolver=_Resolver({"intranet.example": ["127.0.0.1"]}),
        )
        router = _Router("public.example", httpx2.MockTransport(public), real)
        async with Fetcher(policy, transport=router) as fetcher:
            if reached:
                result = await fetcher.fetch("https://public.example/feed")
                assert result.body == b"internal"
            else:
                with pytest.raises(errors.BlockedAddress) as caught:
                    await fetcher.fetch("https://public.example/feed")
                assert "intranet.example" in str(caught.value)
                assert "127.0.0.1" in str(caught.value)
    assert [request.path for request in server.requests] == (["/secret"] if reached else [])


@pytest.mark.parametrize(
    ("per_host", "total", "expected_peak"),
    [pytest.param(3, 50, 3, id="per-host"), pytest.param(8, 2, 2, id="global")],
)
async def test_concurrency_limits_hold_against_a_counting_server(
    per_host: int, total: int, expected_peak: int
) -> None:
    """12 simultaneous fetches of one slow host never exceed the tighter of the two limits."""
    with serve({"/feed": Slow(0.15, Document(RSS))}) as server:
        async with Fetcher(local(max_per_host=per_host, max_connections=total)) as fetcher:
            results = await asyncio.gather(*(fetcher.fetch(server.url("/feed")) for _ in range(12)))
    assert all(result.body == RSS for result in results)
    assert server.peak_in_flight == expected_peak


async def test_other_feeds_keep_their_rhythm_while_one_drips() -> None:
    """While a drip holds its fetch open, 20 fetches of a healthy server finish promptly."""
    with (
        serve({"/drip": Drip(interval_s=0.2)}) as slow,
        serve({"/feed": Document(RSS)}) as healthy,
    ):
        async with Fetcher(local(total_timeout_s=1.5)) as fetcher:
            dripping = asyncio.create_task(fetcher.fetch(slow.url("/drip")))
            await asyncio.sleep(0.1)
            started = time.monotonic()
            results = await asyncio.gather(
                *(fetcher.fetch(healthy.url("/feed")) for _ in range(20))
            )
            healthy_s = time.monotonic() - started
            assert not dripping.done()
            with pytest.raises(errors.FetchTimeout):
                await dripping
    assert all(result.body == RSS for result in results)
    assert healthy_s < 1.0
