"""SSRF guard tests: the address policy, and refusal at connect time via the resolver seam."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from services.ingest import errors
from services.ingest.fetch import Fetcher, FetchPolicy
from services.ingest.guard import GuardedBackend, SystemResolver, blocked_reason
from tests.ingest.servers import Document, serve


class FakeResolver:
    """Answers from a table (IP literals resolve to themselves) and records every question."""

    def __init__(self, table: dict[str, list[str]], delay_s: float = 0.0) -> None:
        self.table = table
        self.delay_s = delay_s
        self.asked: list[tuple[str, int]] = []

    async def resolve(self, host: str, port: int) -> list[str]:
        self.asked.append((host, port))
        await asyncio.sleep(self.delay_s)
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            return [host]
        if host not in self.table:
            raise OSError(f"no such host {host}")
        return self.table[host]


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        pytest.param("127.0.0.1", "loopback", id="v4-loopback"),
        pytest.param("127.254.0.9", "loopback", id="v4-loopback-range"),
        pytest.param("10.0.0.5", "private", id="rfc1918-10"),
        pytest.param("172.16.3.4", "private", id="rfc1918-172"),
        pytest.param("192.168.1.1", "private", id="rfc1918-192"),
        pytest.param("169.254.169.254", "link-local", id="cloud-metadata"),
        pytest.param("169.254.1.1", "link-local", id="v4-link-local"),
        pytest.param("100.64.0.1", "CGNAT", id="cgnat-low"),
        pytest.param("100.127.255.254", "CGNAT", id="cgnat-high"),
        pytest.param("0.0.0.0", "unspecified", id="v4-unspecified"),
        pytest.param("0.1.2.3", "private", id="this-network"),
        pytest.param("224.0.0.1", "multicast", id="v4-multicast"),
        pytest.param("240.0.0.1", "", id="v4-reserved"),
        pytest.param("255.255.255.255", "", id="broadcast"),
        pytest.param("192.0.2.10", "", id="documentation"),
        pytest.param("::1", "loopback", id="v6-loopback"),
        pytest.param("::", "unspecified", id="v6-unspecified"),
        pytest.param("fc00::1", "private", id="v6-ula-fc"),
        pytest.param("fd12:3456::1", "private", id="v6-ula-fd"),
        pytest.param("fe80::1", "link-local", id="v6-link-local"),
        pytest.param("fe80::1%eth0", "link-local", id="v6-link-local-scoped"),
        pytest.param("ff02::1", "multicast", id="v6-multicast"),
        pytest.param("::ffff:127.0.0.1", "loopback", id="mapped-loopback"),
        pytest.param("::ffff:10.0.0.1", "private", id="mapped-private"),
        pytest.param("::ffff:169.254.169.254", "link-local", id="mapped-metadata"),
        pytest.param("2002:a00:1::1", "private", id="6to4-private"),
        pytest.param("64:ff9b::a9fe:a9fe", "link-local", id="nat64-metadata"),
        pytest.param("localhost", "not an IP", id="name-not-address"),
    ],
)
def test_internal_addresses_are_blocked(address: str, reason: str) -> None:
    """Every non-public address is refused, with a reason naming its kind."""
    refused = blocked_reason(address)
    assert refused is not None
    assert reason in refused


@pytest.mark.parametrize(
    "address",
    [
        pytest.param("93.184.215.14", id="v4-public"),
        pytest.param("1.1.1.1", id="v4-public-2"),
        pytest.param("100.128.0.1", id="just-above-cgnat"),
        pytest.param("172.32.0.1", id="just-above-172-16-12"),
        pytest.param("2606:4700:4700::1111", id="v6-public"),
        pytest.param("::ffff:8.8.8.8", id="mapped-public"),
        pytest.param("2002:808:808::1", id="6to4-public"),
    ],
)
def test_public_addresses_are_allowed(address: str) -> None:
    """Globally routable unicast addresses pass."""
    assert blocked_reason(address) is None


async def test_host_resolving_to_private_address_is_refused_without_network() -> None:
    """feed.example → 10.0.0.5 raises BlockedAddress naming the URL, host, address and reason."""
    resolver = FakeResolver({"feed.example": ["10.0.0.5"]})
    async with Fetcher(FetchPolicy(), resolver=resolver) as fetcher:
        with pytest.raises(errors.BlockedAddress) as caught:
            await fetcher.fetch("https://feed.example/rss")
    message = str(caught.value)
    assert "https://feed.example/rss" in message
    assert "10.0.0.5" in message
    assert "private" in message
    assert caught.value.url == "https://feed.example/rss"
    assert resolver.asked == [("feed.example", 443)]


async def test_one_private_answer_refuses_the_whole_host() -> None:
    """A name answering both a public and an internal address is refused (rebinding shape)."""
    resolver = FakeResolver({"feed.example": ["93.184.215.14", "169.254.169.254"]})
    async with Fetcher(FetchPolicy(), resolver=resolver) as fetcher:
        with pytest.raises(errors.BlockedAddress, match=r"169\.254\.169\.254"):
            await fetcher.fetch("http://feed.example/rss")
    assert resolver.asked == [("feed.example", 80)]


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("http://169.254.169.254/latest/meta-data/", id="metadata-literal"),
        pytest.param("http://0.0.0.0:8080/", id="zero-address"),
        pytest.param("http://[::ffff:127.0.0.1]/", id="mapped-literal"),
        pytest.param("http://[fd00::1]/", id="ula-literal"),
    ],
)
async def test_ip_literal_urls_are_checked_too(url: str) -> None:
    """A URL naming an internal IP directly is refused at connect time like a name."""
    async with Fetcher(FetchPolicy(), resolver=FakeResolver({})) as fetcher:
        with pytest.raises(errors.BlockedAddress):
            await fetcher.fetch(url)


async def test_unresolvable_host_is_a_connect_error() -> None:
    """A name that does not resolve raises the retriable ConnectError."""
    async with Fetcher(FetchPolicy(), resolver=FakeResolver({})) as fetcher:
        with pytest.raises(errors.ConnectError) as caught:
            await fetcher.fetch("https://nowhere.example/rss")
    assert caught.value.retriable
    assert "nowhere.example" in str(caught.value)


async def test_empty_answer_is_a_connect_error() -> None:
    """A resolver answering no address at all raises ConnectError, not an IndexError."""
    async with Fetcher(FetchPolicy(), resolver=FakeResolver({"feed.example": []})) as fetcher:
        with pytest.raises(errors.ConnectError):
            await fetcher.fetch("https://feed.example/rss")


async def test_slow_resolution_counts_against_the_connect_timeout() -> None:
    """DNS slower than connect_timeout_s raises FetchTimeout."""
    resolver = FakeResolver({"feed.example": ["93.184.215.14"]}, delay_s=5)
    policy = FetchPolicy(connect_timeout_s=0.1)
    async with Fetcher(policy, resolver=resolver) as fetcher:
        with pytest.raises(errors.FetchTimeout):
            await fetcher.fetch("https://feed.example/rss")


async def test_unix_sockets_are_refused() -> None:
    """The guarded backend never opens a local socket."""
    backend = GuardedBackend(resolver=FakeResolver({}), allow_private=True)
    with pytest.raises(errors.BlockedAddress):
        await backend.connect_unix_socket("/run/docker.sock")


async def test_system_resolver_returns_addresses_of_a_literal() -> None:
    """The default resolver answers an IP literal with that address (no DNS traffic)."""
    assert await SystemResolver().resolve("127.0.0.1", 80) == ["127.0.0.1"]


@pytest.mark.integration
async def test_connection_goes_to_the_checked_address_and_keeps_the_host_name() -> None:
    """With allow_private, feed.example → 127.0.0.1 connects there; Host still names the feed."""
    with serve({"/rss": Document(b"<rss/>")}) as server:
        resolver = FakeResolver({"feed.example": ["127.0.0.1"]})
        policy = FetchPolicy(allow_private=True)
        async with Fetcher(policy, resolver=resolver) as fetcher:
            result = await fetcher.fetch(f"http://feed.example:{server.port}/rss")
    assert result.body == b"<rss/>"
    assert server.requests[0].headers["host"] == f"feed.example:{server.port}"
    assert resolver.asked == [("feed.example", server.port)]


@pytest.mark.integration
async def test_unreachable_first_address_falls_back_to_the_next() -> None:
    """When the first resolved address refuses, the next checked address is tried."""
    with serve({"/rss": Document(b"<rss/>")}) as server:
        # 127.0.0.2 is loopback too but nothing listens there on this port.
        resolver = FakeResolver({"feed.example": ["127.0.0.2", "127.0.0.1"]})
        async with Fetcher(FetchPolicy(allow_private=True), resolver=resolver) as fetcher:
            result = await fetcher.fetch(f"http://feed.example:{server.port}/rss")
    assert result.status == 200
