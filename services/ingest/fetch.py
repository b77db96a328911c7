"""Fetch stage of ingest: one polite, bounded HTTP GET per feed poll.

It consumes a feed URL plus the validators (ETag / Last-Modified) remembered from the last poll
and emits a :class:`FetchResult` with the decoded body, or raises a
:class:`~services.ingest.errors.FetchError` subclass. Every hop of a redirect chain is followed
here, so each one is counted and passes the connect-time SSRF guard; time is bounded per connect,
per read and for the whole fetch; the body is capped after decompression; concurrency is bounded
globally and per host. This is the only ingest module that imports the HTTP client.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import http.cookiejar
import re
import time
import types
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import NamedTuple

import httpx2

from services import outbound
from services.ingest import errors
from services.outbound import Resolver, redact

__all__ = [
    "ACCEPT",
    "FetchPolicy",
    "FetchResult",
    "Fetcher",
    "FetcherState",
    "parse_retry_after",
]

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9,"
    " application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, text/html;q=0.5, */*;q=0.1"
)
_HEADERS = {"Accept": ACCEPT, "Accept-Encoding": "gzip, deflate, br"}
_REDIRECT = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """Limits and identity for every fetch a :class:`Fetcher` makes."""

    connect_timeout_s: float = 10.0
    read_timeout_s: float = 20.0  # longest silence between two reads
    total_timeout_s: float = 60.0  # the whole fetch, redirects and body included
    max_body_bytes: int = 10 * 1024 * 1024  # after decompression
    max_redirects: int = 5
    user_agent: str = "wirewatch/0.1 (+https://github.com/wirewatch/wirewatch)"
    allow_private: bool = False
    max_connections: int = 50
    max_per_host: int = 4


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What one successful (2xx or 304) fetch returned."""

    requested_url: str
    url: str
    status: int
    body: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    not_modified: bool
    permanent_url: str | None  # the new feed URL when every redirect hop was 301/308
    headers: Mapping[str, str]
    elapsed_s: float
    bytes_read: int  # bytes on the wire, before decompression


class _Sent(NamedTuple):
    url: str
    etag: str | None
    last_modified: str | None


class FetcherState(enum.Enum):
    """Lifecycle of a :class:`Fetcher`: it opens once and closes once."""

    UNOPENED = 1
    OPENED = 2
    CLOSED = 3


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Return a Retry-After header as seconds from ``now`` (never negative), else None.

    Accepts both forms of RFC 9110: delay-seconds and an HTTP-date.
    """
    if value is None:
        return None
    text = value.strip()
    if re.fullmatch(r"[0-9]+", text):
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@contextlib.contextmanager
def _translated(url: str) -> Iterator[None]:
    # The one place third-party errors become ingest errors, each naming the (redacted) URL.
    try:
        yield
    except outbound.BlockedAddress as exc:  # the guard knows only the host
        raise errors.BlockedAddress(f"{url}: {exc}", url=url) from exc
    except outbound.UnresolvedHost as exc:
        raise errors.ConnectError(f"{url}: {exc}", url=url) from exc
    except (httpx2.TimeoutException, TimeoutError) as exc:
        raise errors.FetchTimeout(f"{url}: {type(exc).__name__}", url=url) from exc
    except httpx2.DecodingError as exc:
        raise errors.DecodingError(f"{url}: body could not be decoded", url=url) from exc
    except (httpx2.NetworkError, httpx2.ProtocolError, OSError) as exc:
        raise errors.ConnectError(f"{url}: {type(exc).__name__}", url=url) from exc
    except (httpx2.HTTPError, httpx2.InvalidURL, httpx2.StreamError) as exc:
        raise errors.FetchError(f"{url}: {type(exc).__name__}", url=url) from exc


class _HostSlots:
    """Per-host semaphores, dropped when no fetch holds or awaits them."""

    def __init__(self, per_host: int) -> None:
        self._per_host = per_host
        self._slots: dict[str, tuple[asyncio.Semaphore, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, host: str) -> AsyncIterator[None]:
        semaphore, users = self._slots.get(host, (asyncio.Semaphore(self._per_host), 0))
        self._slots[host] = (semaphore, users + 1)
        try:
            async with semaphore:
                yield
        finally:
            semaphore, users = self._slots[host]
            if users == 1:
                del self._slots[host]
            else:
                self._slots[host] = (semaphore, users - 1)


class Fetcher:
    """Fetches feeds under a :class:`FetchPolicy`; an async context manager, opened once.

    ``transport`` replaces the guarded network transport (unit tests pass
    ``httpx2.MockTransport``; no SSRF check happens then). ``resolver`` replaces the system DNS
    resolver used by the guard.
    """

    def __init__(
        self,
        policy: FetchPolicy,
        *,
        transport: httpx2.AsyncBaseTransport | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        if transport is not None and resolver is not None:
            raise ValueError("a resolver only applies to the default guarded transport")
        self.policy = policy
        self.state = FetcherState.UNOPENED
        if transport is None:
            transport = outbound.guarded_transport(
                allow_private=policy.allow_private,
                max_connections=policy.max_connections,
                resolver=resolver,
            )
        self._client = httpx2.AsyncClient(
            transport=transport,
            headers={**_HEADERS, "User-Agent": policy.user_agent},
            timeout=httpx2.Timeout(policy.connect_timeout_s, read=policy.read_timeout_s),
            # Refuse every cookie: each poll stands alone and feeds never share state.
            cookies=http.cookiejar.CookieJar(
                http.cookiejar.DefaultCookiePolicy(allowed_domains=[])
            ),
            follow_redirects=False,
            trust_env=False,
        )
        self._global = asyncio.Semaphore(policy.max_connections)
        self._hosts = _HostSlots(policy.max_per_host)

    async def __aenter__(self) -> Fetcher:
        if self.state is not FetcherState.UNOPENED:
            raise RuntimeError(f"cannot open a Fetcher that is {self.state.name.lower()}")
        await self._client.__aenter__()
        self.state = FetcherState.OPENED
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every pooled connection; calling it again does nothing."""
        if self.state is FetcherState.CLOSED:
            return
        self.state = FetcherState.CLOSED
        await self._client.aclose()

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET ``url`` conditionally, following at most ``max_redirects`` redirects.

        Returns a result for 2xx and 304 answers (304: ``not_modified`` and an empty body).
        Raises only :class:`FetchError` subclasses; RuntimeError if the Fetcher is not open.
        The total deadline starts once a connection slot for the first host is granted.
        """
        if self.state is not FetcherState.OPENED:
            raise RuntimeError(f"cannot fetch with a Fetcher that is {self.state.name.lower()}")
        sent = _Sent(url, etag, last_modified)
        async with self._global:
            deadline = asyncio.timeout(None)
            try:
                async with deadline:
                    return await self._follow(sent, deadline)
            except TimeoutError as exc:
                limit, safe = self.policy.total_timeout_s, redact(url)
                raise errors.FetchTimeout(f"{safe}: not done in {limit}s", url=safe) from exc

    async def _follow(self, sent: _Sent, deadline: asyncio.Timeout) -> FetchResult:
        conditional = {"If-None-Match": sent.etag, "If-Modified-Since": sent.last_modified}
        headers = {name: value for name, value in conditional.items() if value}
        started: float | None = None
        seen: set[str] = set()
        permanent, current = True, sent.url
        for hop in range(self.policy.max_redirects + 1):
            safe = redact(current)
            with _translated(safe):
                target = httpx2.URL(current)
            if target.scheme not in ("http", "https") or not target.host:
                raise errors.BlockedAddress(f"{safe}: only http(s) URLs are fetched", url=safe)
            if str(target) in seen:
                raise errors.TooManyRedirects(f"{safe}: redirect loop", url=redact(sent.url))
            seen.add(str(target))
            async with self._hosts.hold(target.host):
                if started is None:
                    started = time.monotonic()
                    deadline.reschedule(
                        asyncio.get_running_loop().time() + self.policy.total_timeout_s
                    )
                with _translated(safe):
                    request = self._client.build_request("GET", target, headers=headers)
                    response = await self._client.send(request, stream=True)
                    try:
                        if response.status_code not in _REDIRECT:
                            moved = hop > 0 and permanent
                            return await self._finish(sent, response, moved, started)
                        location = response.headers.get("location", "").strip()
                        if not location:
                            message = f"{safe}: {response.status_code} without Location"
                            raise errors.HTTPStatusError(
                                message, status=response.status_code, url=safe
                            )
                        permanent = permanent and response.status_code in _PERMANENT
                        current = str(target.join(location))
                    finally:
                        await response.aclose()
        limit, safe = self.policy.max_redirects, redact(sent.url)
        raise errors.TooManyRedirects(f"{safe}: more than {limit} redirects", url=safe)

    async def _finish(
        self, sent: _Sent, response: httpx2.Response, moved: bool, started: float
    ) -> FetchResult:
        status, final_url = response.status_code, str(response.url)
        if status == 304:
            body = b""
        elif 200 <= status < 300:
            body = await self._read_capped(response, redact(final_url))
        else:
            raise _status_error(response, redact(final_url))
        headers = response.headers
        # A 304 may omit the validators; the ones sent still hold.
        return FetchResult(
            requested_url=sent.url,
            url=final_url,
            status=status,
            body=body,
            content_type=headers.get("content-type"),
            etag=headers.get("etag") or (sent.etag if status == 304 else None),
            last_modified=headers.get("last-modified")
            or (sent.last_modified if status == 304 else None),
            not_modified=status == 304,
            permanent_url=final_url if moved else None,
            headers=types.MappingProxyType(dict(headers)),
            elapsed_s=time.monotonic() - started,
            bytes_read=response.num_bytes_downloaded,
        )

    async def _read_capped(self, response: httpx2.Response, safe: str) -> bytes:
        cap = self.policy.max_body_bytes
        declared = response.headers.get("content-length", "").strip()
        if declared.isascii() and declared.isdigit() and int(declared) > cap:
            raise errors.BodyTooLarge(
                f"{safe}: Content-Length {declared} over {cap} bytes", url=safe
            )
        body = bytearray()
        # httpx2 inflates in pieces of at most 1 MiB, so stopping here bounds a compression bomb.
        async with contextlib.aclosing(response.aiter_bytes()) as chunks:
            async for chunk in chunks:
                body += chunk
                if len(body) > cap:
                    raise errors.BodyTooLarge(f"{safe}: body over {cap} bytes", url=safe)
        return bytes(body)


def _status_error(response: httpx2.Response, safe: str) -> errors.HTTPStatusError:
    status = response.status_code
    message = f"{safe}: HTTP {status}"
    if status in (429, 503):
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        return errors.RateLimited(message, status=status, retry_after_s=retry_after, url=safe)
    if status == 410:
        return errors.Gone(message, status=status, url=safe)
    if 500 <= status < 600:
        return errors.ServerError(message, status=status, url=safe)
    if 400 <= status < 500:
        return errors.ClientError(message, status=status, url=safe)
    return errors.HTTPStatusError(message, status=status, url=safe)
