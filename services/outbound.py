"""Outbound HTTP for every service: the SSRF guard and the transport that enforces it.

Ingest's feed and article fetches and the api's webhook deliveries reach hosts that users name,
so both go through here. The guard consumes a host name and port at the moment a TCP connection
is opened, resolves the name itself, refuses the whole host if any address is loopback, private,
link-local (incl. cloud metadata), shared (CGNAT), multicast, reserved or otherwise non-global,
and emits a connected stream to one of the checked addresses. Checking at connect time rather
than on the URL string is what defeats DNS names that point inward, DNS rebinding between check
and use, and redirects to internal hosts: every hop and every new connection passes through
:class:`GuardedBackend`. Callers wrap its errors into their own tree where they enter::

    OutboundError          a guarded connection was not opened
    ├── BlockedAddress     the host resolves to an address the guard refuses
    └── UnresolvedHost     the host name does not resolve (retriable)
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Iterable
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

import httpcore2
import httpx2

__all__ = [
    "BlockedAddress",
    "GuardedBackend",
    "OutboundError",
    "Resolver",
    "SystemResolver",
    "UnresolvedHost",
    "blocked_reason",
    "guarded_pool",
    "guarded_transport",
    "redact",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# RFC 6052 NAT64 prefix: the last 32 bits are an IPv4 address a translator will reach.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_SECRET_PARAM = re.compile(r"(?i)([?&][^=&]*(?:token|key|secret|pass|auth|sig)[^=&]*=)[^&#]*")


class OutboundError(Exception):
    """Raised when the guard does not open a connection; the base of this module's errors."""

    retriable: bool = False


class BlockedAddress(OutboundError):
    """Raised when a host resolves to an address the SSRF guard refuses, or is a unix socket."""


class UnresolvedHost(OutboundError):
    """Raised when a host name does not resolve, or resolves to no address."""

    retriable = True


def redact(url: str) -> str:
    """Return ``url`` fit for messages: no userinfo, secret-looking query values masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    netloc = parts.netloc.rpartition("@")[2]
    query = _SECRET_PARAM.sub(r"\1***", "?" + parts.query)[1:] if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


class Resolver(Protocol):
    """Turns a host name into the IP address strings a connection may use."""

    async def resolve(self, host: str, port: int) -> list[str]:
        """Return every address of ``host``; raise ``OSError`` when it cannot be resolved."""
        ...


class SystemResolver:
    """The operating system's resolver (``getaddrinfo``), run off the event loop."""

    async def resolve(self, host: str, port: int) -> list[str]:
        """Return the distinct addresses ``getaddrinfo`` gives for a TCP connection to host."""
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses: list[str] = []
        for _family, _type, _proto, _canon, sockaddr in infos:
            address = str(sockaddr[0])
            if address not in addresses:
                addresses.append(address)
        return addresses


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    # An IPv6 address that carries an IPv4 one reaches that IPv4 host, so judge that host.
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def blocked_reason(address: str) -> str | None:
    """Say why an outbound request must not connect to ``address``, or None when it is public.

    Unparseable text is refused too: only literal IPv4/IPv6 addresses are ever allowed.
    """
    try:
        ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            reason = blocked_reason(str(inner))
            return None if reason is None else f"{reason} (embedded in IPv6)"
    checks: tuple[tuple[bool, str], ...] = (
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local or metadata"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "shared CGNAT"),
        (ip.is_multicast, "multicast"),
        (ip.is_private, "private"),
        (ip.is_reserved, "reserved"),
        (not ip.is_global, "not globally routable"),
    )
    for hit, reason in checks:
        if hit:
            return reason
    return None


class GuardedBackend(httpcore2.AsyncNetworkBackend):
    """An httpcore2 network backend that resolves, checks and then connects to an IP.

    The TLS layer above still receives the original host name, so SNI and certificate checks
    use the name while the socket goes to the address that passed the check.
    """

    def __init__(self, *, resolver: Resolver, allow_private: bool) -> None:
        self._resolver = resolver
        self._allow_private = allow_private
        self._inner = httpcore2.AnyIOBackend()

    async def _checked_addresses(self, host: str, port: int) -> list[str]:
        try:
            addresses = await self._resolver.resolve(host, port)
        except OSError as exc:
            raise UnresolvedHost(f"cannot resolve {host}: {exc}") from exc
        if not addresses:
            raise UnresolvedHost(f"cannot resolve {host}: no addresses")
        if not self._allow_private:
            for address in addresses:
                reason = blocked_reason(address)
                if reason is not None:
                    # One bad address refuses the host: a name that mixes public and internal
                    # answers is exactly what a rebinding attack looks like.
                    named = host if host == address else f"{host} resolves to {address}"
                    raise BlockedAddress(f"{named}: {reason} address refused")
        return addresses

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 -- httpcore2 backend signature
        local_address: str | None = None,
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        """Connect to the first reachable checked address of ``host``.

        Raises BlockedAddress when the policy refuses any address, UnresolvedHost when the name
        does not resolve, and httpcore2's ConnectError/ConnectTimeout when no address answers.
        """
        try:
            async with asyncio.timeout(timeout):
                addresses = await self._checked_addresses(host, port)
        except TimeoutError as exc:
            raise httpcore2.ConnectTimeout(f"resolving {host} timed out") from exc
        last_error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore2.ConnectError as exc:
                last_error = exc
        assert last_error is not None  # addresses is never empty here
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 -- httpcore2 backend signature
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        """Refuse: outbound requests go over TCP only, never to local sockets."""
        raise BlockedAddress(f"unix socket {path} refused")

    async def sleep(self, seconds: float) -> None:
        """Sleep on the event loop (used by httpcore2 between connect retries)."""
        await asyncio.sleep(seconds)


def guarded_pool(
    resolver: Resolver, allow_private: bool, max_connections: int
) -> httpcore2.AsyncConnectionPool:
    """Return an httpcore2 connection pool whose every new connection passes the guard."""
    return httpcore2.AsyncConnectionPool(
        ssl_context=httpcore2.default_ssl_context(),
        max_connections=max_connections,
        max_keepalive_connections=max_connections,
        network_backend=GuardedBackend(resolver=resolver, allow_private=allow_private),
    )


def guarded_transport(
    *, allow_private: bool, max_connections: int, resolver: Resolver | None = None
) -> httpx2.AsyncBaseTransport:
    """Return an httpx2 transport whose every new connection passes the SSRF guard.

    Each connect resolves the host with ``resolver`` (the system's by default) and reaches only
    addresses :func:`blocked_reason` accepts, unless ``allow_private``.
    """
    transport = httpx2.AsyncHTTPTransport(trust_env=False)
    # httpx2 2.16 takes no network backend (encode/httpx#3749 proposes one), so its pool is
    # swapped for one whose connects pass the guard; tests/ingest/test_hostile.py proves the
    # swap holds.
    transport._pool = guarded_pool(resolver or SystemResolver(), allow_private, max_connections)
    return transport
