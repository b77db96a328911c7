"""Unit tests of the fetch stage's HTTP logic over httpx2.MockTransport (no sockets)."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx2
import pytest

from services.ingest import errors
from services.ingest.fetch import ACCEPT, Fetcher, FetcherState, FetchPolicy, parse_retry_after

Handler = Callable[[httpx2.Request], Coroutine[Any, Any, httpx2.Response]]
FEED = "https://feed.example/rss"
RSS = b"<rss version='2.0'><channel><title>t</title></channel></rss>"


def fetcher(handler: Handler, **policy: object) -> Fetcher:
    return Fetcher(FetchPolicy(**policy), transport=httpx2.MockTransport(handler))  # type: ignore[arg-type]


class Streamed(httpx2.AsyncByteStream):
    """A body that arrives in pieces, as from a socket (bytes content would be pre-read)."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self._body), 1000):
            yield self._body[start : start + 1000]


def answer(status: int, headers: dict[str, str] | None = None, body: bytes = b"") -> Handler:
    async def handle(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(status, headers=headers, stream=Streamed(body))

    return handle


def chain(routes: dict[str, httpx2.Response]) -> tuple[Handler, list[str]]:
    """A handler answering by URL, plus the list of URLs it was asked for, in order."""
    seen: list[str] = []

    async def handle(request: httpx2.Request) -> httpx2.Response:
        seen.append(str(request.url))
        return routes[str(request.url)]

    return handle, seen


def moved(location: str, status: int = 301) -> httpx2.Response:
    return httpx2.Response(status, headers={"Location": location})


async def test_request_announces_identity_feed_types_and_encodings() -> None:
    """Every request carries the User-Agent, a feed-preferring Accept and gzip/deflate/br."""
    captured: list[httpx2.Request] = []

    async def handle(request: httpx2.Request) -> httpx2.Response:
        captured.append(request)
        return httpx2.Response(200, content=RSS)

    async with fetcher(handle, user_agent="wirewatch-test/1 (ops@example.org)") as f:
        await f.fetch(FEED)
    headers = captured[0].headers
    assert headers["user-agent"] == "wirewatch-test/1 (ops@example.org)"
    assert headers["accept"] == ACCEPT
    assert headers["accept"].startswith("application/rss+xml")
    assert {"gzip", "deflate", "br"} <= {e.strip() for e in headers["accept-encoding"].split(",")}
    assert "if-none-match" not in headers
    assert "if-modified-since" not in headers


async def test_validators_are_sent_as_conditional_headers() -> None:
    """A known ETag and Last-Modified become If-None-Match and If-Modified-Since."""
    captured: list[httpx2.Request] = []

    async def handle(request: httpx2.Request) -> httpx2.Response:
        captured.append(request)
        return httpx2.Response(304)

    async with fetcher(handle) as f:
        await f.fetch(FEED, etag='"abc"', last_modified="Wed, 01 Jan 2025 00:00:00 GMT")
    assert captured[0].headers["if-none-match"] == '"abc"'
    assert captured[0].headers["if-modified-since"] == "Wed, 01 Jan 2025 00:00:00 GMT"


async def test_304_is_not_modified_and_keeps_the_sent_validators() -> None:
    """A 304 without validators in its headers reports the ones that were sent."""
    async with fetcher(answer(304)) as f:
        result = await f.fetch(FEED, etag='"abc"', last_modified="Wed, 01 Jan 2025 00:00:00 GMT")
    assert result.not_modified
    assert result.status == 304
    assert result.body == b""
    assert result.etag == '"abc"'
    assert result.last_modified == "Wed, 01 Jan 2025 00:00:00 GMT"


async def test_200_returns_body_validators_and_headers() -> None:
    """A 200 yields the decoded body, its validators and the response headers, read-only."""
    headers = {
        "Content-Type": "application/rss+xml",
        "ETag": '"v2"',
        "Last-Modified": "Thu, 02 Jan 2025 00:00:00 GMT",
        "Cache-Control": "max-age=300",
        "Content-Encoding": "gzip",
    }
    async with fetcher(answer(200, headers, gzip.compress(RSS))) as f:
        result = await f.fetch(FEED, etag='"v1"')
    assert (result.status, result.body, result.not_modified) == (200, RSS, False)
    assert (result.etag, result.last_modified) == ('"v2"', "Thu, 02 Jan 2025 00:00:00 GMT")
    assert result.content_type == "application/rss+xml"
    assert result.headers["cache-control"] == "max-age=300"
    assert result.bytes_read == len(gzip.compress(RSS))
    assert (result.requested_url, result.url, result.permanent_url) == (FEED, FEED, None)
    with pytest.raises(TypeError):
        result.headers["x"] = "y"  # type: ignore[index]


async def test_html_page_with_200_is_an_ordinary_result() -> None:
    """Classifying a non-feed is the parser's job: the fetcher returns the HTML as is."""
    page = b"<!doctype html><html><body>hi</body></html>"
    async with fetcher(answer(200, {"Content-Type": "text/html"}, page)) as f:
        result = await f.fetch(FEED)
    assert (result.body, result.content_type) == (page, "text/html")


@pytest.mark.parametrize(
    ("status", "expected", "retriable"),
    [
        pytest.param(429, errors.RateLimited, True, id="429-rate-limited"),
        pytest.param(503, errors.RateLimited, True, id="503-rate-limited"),
        pytest.param(410, errors.Gone, False, id="410-gone"),
        pytest.param(500, errors.ServerError, True, id="500-server-error"),
        pytest.param(502, errors.ServerError, True, id="502-server-error"),
        pytest.param(404, errors.ClientError, False, id="404-client-error"),
        pytest.param(403, errors.ClientError, False, id="403-client-error"),
        pytest.param(300, errors.HTTPStatusError, False, id="300-other-status"),
    ],
)
async def test_status_maps_to_error_class(
    status: int, expected: type[errors.HTTPStatusError], retriable: bool
) -> None:
    """Each non-2xx, non-304 status raises its error class, carrying status and URL."""
    async with fetcher(answer(status)) as f:
        with pytest.raises(expected) as caught:
            await f.fetch(FEED)
    assert type(caught.value) is expected
    assert caught.value.status == status
    assert caught.value.retriable is retriable
    assert caught.value.url == FEED
    assert FEED in str(caught.value)


async def test_rate_limited_carries_retry_after_seconds() -> None:
    """A 429 with Retry-After: 120 raises RateLimited with retry_after_s == 120."""
    async with fetcher(answer(429, {"Retry-After": "120"})) as f:
        with pytest.raises(errors.RateLimited) as caught:
            await f.fetch(FEED)
    assert caught.value.retry_after_s == 120.0


NOW = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("120", 120.0, id="seconds"),
        pytest.param(" 7 ", 7.0, id="seconds-padded"),
        pytest.param("0", 0.0, id="zero"),
        pytest.param(format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0, id="date"),
        pytest.param(format_datetime(NOW - timedelta(hours=1), usegmt=True), 0.0, id="past-date"),
        pytest.param("-5", None, id="negative"),
        pytest.param("1.5", None, id="fraction"),
        pytest.param("soon", None, id="garbage"),
        pytest.param("", None, id="empty"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    """Retry-After is read as delay-seconds or an HTTP-date relative to now; junk is None."""
    assert parse_retry_after(value, now=NOW) == expected


@pytest.mark.parametrize(
    ("statuses", "permanent"),
    [
        pytest.param((301,), True, id="301"),
        pytest.param((301, 308), True, id="301-308"),
        pytest.param((301, 302), False, id="301-302"),
        pytest.param((307,), False, id="307"),
        pytest.param((303, 301), False, id="303-301"),
    ],
)
async def test_permanent_url_only_when_every_hop_is_permanent(
    statuses: tuple[int, ...], permanent: bool
) -> None:
    """permanent_url names the final URL only if all hops were 301/308."""
    urls = [f"https://feed.example/{i}" for i in range(len(statuses) + 1)]
    routes = {urls[i]: moved(urls[i + 1], status) for i, status in enumerate(statuses)}
    routes[urls[-1]] = httpx2.Response(200, content=RSS)
    handler, seen = chain(routes)
    async with fetcher(handler) as f:
        result = await f.fetch(urls[0])
    assert seen == urls
    assert result.url == urls[-1]
    assert result.requested_url == urls[0]
    assert result.permanent_url == (urls[-1] if permanent else None)


async def test_relative_location_is_resolved_against_the_hop() -> None:
    """A Location of '../new' on /a/b resolves to /new on the same host."""
    handler, seen = chain(
        {
            "https://feed.example/a/b": moved("../new", 308),
            "https://feed.example/new": httpx2.Response(200, content=RSS),
        }
    )
    async with fetcher(handler) as f:
        result = await f.fetch("https://feed.example/a/b")
    assert result.url == "https://feed.example/new"
    assert seen[-1] == "https://feed.example/new"


async def test_redirect_loop_raises_too_many_redirects() -> None:
    """A → B → A is refused as soon as A comes round again."""
    handler, seen = chain(
        {"https://feed.example/a": moved("/b"), "https://feed.example/b": moved("/a")}
    )
    async with fetcher(handler, max_redirects=10) as f:
        with pytest.raises(errors.TooManyRedirects, match="loop"):
            await f.fetch("https://feed.example/a")
    assert len(seen) == 2


@pytest.mark.parametrize(
    ("hops", "fails"),
    [pytest.param(3, False, id="at-limit"), pytest.param(4, True, id="over-limit")],
)
async def test_redirect_count_is_bounded(hops: int, fails: bool) -> None:
    """max_redirects=3 allows three redirects and refuses a fourth."""
    urls = [f"https://feed.example/{i}" for i in range(hops + 1)]
    routes = {url: moved(urls[i + 1], 302) for i, url in enumerate(urls[:-1])}
    routes[urls[-1]] = httpx2.Response(200, content=RSS)
    handler, seen = chain(routes)
    async with fetcher(handler, max_redirects=3) as f:
        if fails:
            with pytest.raises(errors.TooManyRedirects):
                await f.fetch(urls[0])
            assert len(seen) == 4
        else:
            assert (await f.fetch(urls[0])).url == urls[-1]


async def test_redirect_without_location_is_a_status_error() -> None:
    """A 302 that names no target cannot be followed."""
    async with fetcher(answer(302)) as f:
        with pytest.raises(errors.HTTPStatusError) as caught:
            await f.fetch(FEED)
    assert caught.value.status == 302


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("file:///etc/passwd", id="file"),
        pytest.param("ftp://feed.example/rss", id="ftp"),
        pytest.param("gopher://feed.example/", id="gopher"),
    ],
)
async def test_only_http_schemes_are_fetched(url: str) -> None:
    """Other schemes are refused before any request, directly or as a redirect target."""
    handler, seen = chain({FEED: moved(url, 302)})
    async with fetcher(handler) as f:
        with pytest.raises(errors.BlockedAddress):
            await f.fetch(url)
        assert seen == []
        with pytest.raises(errors.BlockedAddress):
            await f.fetch(FEED)
    assert seen == [FEED]


async def test_oversized_content_length_is_refused_before_reading() -> None:
    """A declared Content-Length over the cap fails without consuming the body."""

    class Untouchable(httpx2.AsyncByteStream):
        async def __aiter__(self):  # type: ignore[no-untyped-def]
            raise AssertionError("body was read")
            yield b""  # pragma: no cover

    async def handle(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"Content-Length": "5000"}, stream=Untouchable())

    async with fetcher(handle, max_body_bytes=4096) as f:
        with pytest.raises(errors.BodyTooLarge, match="Content-Length"):
            await f.fetch(FEED)


async def test_body_cap_counts_decompressed_bytes() -> None:
    """A 5 KB gzip body that inflates past the 4 KiB cap is refused."""
    packed = gzip.compress(b"a" * 50_000)
    assert len(packed) < 4096
    async with fetcher(answer(200, {"Content-Encoding": "gzip"}, packed), max_body_bytes=4096) as f:
        with pytest.raises(errors.BodyTooLarge):
            await f.fetch(FEED)


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        pytest.param(httpx2.ConnectError("refused"), errors.ConnectError, id="connect"),
        pytest.param(httpx2.ReadError("reset"), errors.ConnectError, id="read"),
        pytest.param(httpx2.RemoteProtocolError("bad"), errors.ConnectError, id="protocol"),
        pytest.param(httpx2.ConnectTimeout("slow"), errors.FetchTimeout, id="connect-timeout"),
        pytest.param(httpx2.ReadTimeout("slow"), errors.FetchTimeout, id="read-timeout"),
        pytest.param(httpx2.UnsupportedProtocol("?"), errors.FetchError, id="unsupported"),
    ],
)
async def test_transport_errors_become_fetch_errors(
    raised: Exception, expected: type[errors.FetchError]
) -> None:
    """httpx2 errors are wrapped in ingest errors that name the URL and keep the cause."""

    async def handle(request: httpx2.Request) -> httpx2.Response:
        raise raised

    async with fetcher(handle) as f:
        with pytest.raises(expected) as caught:
            await f.fetch(FEED)
    assert type(caught.value) is expected
    assert caught.value.url == FEED
    assert caught.value.__cause__ is raised


async def test_corrupt_gzip_is_a_decoding_error() -> None:
    """A body labelled gzip that is not gzip raises DecodingError."""
    async with fetcher(answer(200, {"Content-Encoding": "gzip"}, b"not gzip at all")) as f:
        with pytest.raises(errors.DecodingError):
            await f.fetch(FEED)


async def test_invalid_url_is_a_fetch_error() -> None:
    """A URL httpx2 cannot parse raises FetchError, not a library exception."""
    async with fetcher(answer(200)) as f:
        with pytest.raises(errors.FetchError):
            await f.fetch("http://[::1")


async def test_cookies_are_never_kept_between_requests() -> None:
    """A Set-Cookie from one answer is not sent back on the next request."""
    captured: list[httpx2.Request] = []

    async def handle(request: httpx2.Request) -> httpx2.Response:
        captured.append(request)
        return httpx2.Response(200, headers={"Set-Cookie": "session=s3cret; Path=/"}, content=RSS)

    async with fetcher(handle) as f:
        await f.fetch(FEED)
        await f.fetch(FEED)
    assert "cookie" not in captured[1].headers


async def test_error_messages_hide_credentials() -> None:
    """Userinfo and secret-looking query values never appear in an error or its url."""
    url = "https://reader:hunter2@feed.example/rss?token=abc123&page=2"
    async with fetcher(answer(500)) as f:
        with pytest.raises(errors.ServerError) as caught:
            await f.fetch(url)
    shown = f"{caught.value} {caught.value.url}"
    assert "hunter2" not in shown
    assert "abc123" not in shown
    assert "feed.example/rss" in shown
    assert "page=2" in shown


async def test_total_deadline_cuts_a_slow_answer() -> None:
    """An answer slower than total_timeout_s raises FetchTimeout at the deadline."""

    async def handle(request: httpx2.Request) -> httpx2.Response:
        await asyncio.sleep(5)
        return httpx2.Response(200)  # pragma: no cover

    async with fetcher(handle, total_timeout_s=0.2) as f:
        started = asyncio.get_running_loop().time()
        with pytest.raises(errors.FetchTimeout):
            await f.fetch(FEED)
    assert asyncio.get_running_loop().time() - started < 1.0


@pytest.mark.parametrize(
    ("per_host", "total", "hosts", "expected_peak"),
    [
        pytest.param(2, 50, 1, 2, id="per-host"),
        pytest.param(4, 3, 3, 3, id="global"),
    ],
)
async def test_concurrency_is_bounded(
    per_host: int, total: int, hosts: int, expected_peak: int
) -> None:
    """No more than max_per_host requests per host, and max_connections overall, at once."""
    active = {"now": 0, "peak": 0}
    per_host_peak: dict[str, int] = {}
    per_host_now: dict[str, int] = {}

    async def handle(request: httpx2.Request) -> httpx2.Response:
        host = request.url.host
        active["now"] += 1
        per_host_now[host] = per_host_now.get(host, 0) + 1
        active["peak"] = max(active["peak"], active["now"])
        per_host_peak[host] = max(per_host_peak.get(host, 0), per_host_now[host])
        await asyncio.sleep(0.05)
        active["now"] -= 1
        per_host_now[host] -= 1
        return httpx2.Response(200, content=RSS)

    async with fetcher(handle, max_per_host=per_host, max_connections=total) as f:
        urls = [f"https://h{i % hosts}.example/{i}" for i in range(12)]
        results = await asyncio.gather(*(f.fetch(url) for url in urls))
    assert len(results) == 12
    assert active["peak"] == expected_peak
    assert max(per_host_peak.values()) <= per_host


async def test_lifecycle_is_explicit() -> None:
    """fetch needs an open Fetcher; aclose is idempotent; a closed Fetcher cannot reopen."""
    f = fetcher(answer(200))
    states = [f.state]
    with pytest.raises(RuntimeError):
        await f.fetch(FEED)
    async with f:
        states.append(f.state)
    states.append(f.state)
    await f.aclose()
    states.append(f.state)
    assert states == [
        FetcherState.UNOPENED,
        FetcherState.OPENED,
        FetcherState.CLOSED,
        FetcherState.CLOSED,
    ]
    with pytest.raises(RuntimeError):
        await f.fetch(FEED)
    with pytest.raises(RuntimeError):
        await f.__aenter__()


def test_resolver_with_custom_transport_is_refused() -> None:
    """A resolver only means something for the guarded transport, so both together fail."""

    class Resolver:
        async def resolve(self, host: str, port: int) -> list[str]:
            return ["192.0.2.1"]  # pragma: no cover

    with pytest.raises(ValueError, match="resolver"):
        Fetcher(FetchPolicy(), transport=httpx2.MockTransport(answer(200)), resolver=Resolver())
