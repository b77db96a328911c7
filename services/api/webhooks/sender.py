"""The webhook sender: one signed POST to a receiver, through the shared SSRF guard.

Consumes a receiver URL, headers and body; emits a ``SendResult`` (status code or error, and
duration) and never raises for network trouble. Every connection resolves the host and checks
the resolved addresses at connect time (``services.outbound``), so a URL that passed the
create-time check but later resolves inward is still refused. Redirects are not followed: a
3xx is a failed attempt. This is the only api module that imports the HTTP client.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx2

from services.outbound import (
    OutboundError,
    Resolver,
    SystemResolver,
    blocked_reason,
    guarded_transport,
    redact,
)

__all__ = ["SendResult", "Sender", "target_problem"]

_USER_AGENT = "wirewatch-webhooks/0.1"


@dataclass(frozen=True, slots=True)
class SendResult:
    """What one POST got: a status code, or an error saying why there was none."""

    status_code: int | None
    error: str | None
    duration_s: float


async def target_problem(
    url: str, *, allow_private: bool, resolver: Resolver | None = None
) -> str | None:
    """Why ``url`` cannot be a webhook target, or None when it can: it must be http(s) with a
    host, and (unless ``allow_private``) every address the host resolves to must be public."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http or https URL with a host"
    if parts.username or parts.password:
        return "must not carry credentials; the signature authenticates deliveries"
    if allow_private:
        return None
    try:
        addresses = await (resolver or SystemResolver()).resolve(parts.hostname, port)
    except OSError:
        return f"host {parts.hostname!r} does not resolve"
    for address in addresses:
        reason = blocked_reason(address)
        if reason is not None:
            return f"resolves to a {reason} address ({address}); refused"
    return None if addresses else f"host {parts.hostname!r} does not resolve"


class Sender:
    """POSTs webhook bodies; an async context manager. ``transport`` replaces the guarded one
    (tests pass ``httpx2.MockTransport``)."""

    def __init__(
        self,
        *,
        timeout_s: float = 10.0,
        allow_private: bool = False,
        max_connections: int = 50,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        self._timeout_s = timeout_s
        if transport is None:
            transport = guarded_transport(
                allow_private=allow_private, max_connections=max_connections
            )
        self._client = httpx2.AsyncClient(
            transport=transport,
            timeout=httpx2.Timeout(timeout_s),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": _USER_AGENT},
        )
        self._closed = False

    async def __aenter__(self) -> Sender:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close pooled connections; calling it again does nothing."""
        if not self._closed:
            self._closed = True
            await self._client.aclose()

    async def post(self, url: str, headers: dict[str, str], body: bytes) -> SendResult:
        """POST ``body`` to ``url``; the whole exchange is bounded by the timeout. The answer's
        body is not read: only its status matters."""
        started = time.monotonic()
        try:
            async with asyncio.timeout(self._timeout_s):
                request = self._client.build_request("POST", url, headers=headers, content=body)
                response = await self._client.send(request, stream=True)
                await response.aclose()
            status, error = response.status_code, None
        except TimeoutError:
            status, error = None, f"timed out after {self._timeout_s:g} s"
        except OutboundError as exc:  # the SSRF guard refused, or the name did not resolve
            status, error = None, f"{type(exc).__name__}: {exc}"
        except (httpx2.HTTPError, httpx2.InvalidURL, OSError) as exc:
            status, error = None, f"{type(exc).__name__}: {redact(url)}"
        return SendResult(status, error, time.monotonic() - started)
