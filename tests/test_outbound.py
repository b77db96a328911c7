"""The shared SSRF guard: the address policy, and refusal at connect time via the resolver."""

from __future__ import annotations

import httpx2
import pytest

from services.outbound import (
    BlockedAddress,
    GuardedBackend,
    SystemResolver,
    UnresolvedHost,
    blocked_reason,
    guarded_transport,
    redact,
)
from tests.resolvers import FakeResolver


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


async def test_unix_sockets_are_refused() -> None:
    """The guarded backend never opens a local socket."""
    backend = GuardedBackend(resolver=FakeResolver({}), allow_private=True)
    with pytest.raises(BlockedAddress):
        await backend.connect_unix_socket("/run/docker.sock")


async def test_system_resolver_returns_addresses_of_a_literal() -> None:
    """The default resolver answers an IP literal with that address (no DNS traffic)."""
    assert await SystemResolver().resolve("127.0.0.1", 80) == ["127.0.0.1"]


async def test_the_backend_refuses_a_name_that_resolves_inward() -> None:
    """The refusal names the host, the address and its kind; the error is not retriable."""
    backend = GuardedBackend(
        resolver=FakeResolver({"h.example": ["10.1.2.3"]}), allow_private=False
    )
    with pytest.raises(
        BlockedAddress, match=r"h\.example resolves to 10\.1\.2\.3: private"
    ) as caught:
        await backend.connect_tcp("h.example", 443)
    assert not caught.value.retriable


@pytest.mark.parametrize("table", [{}, {"h.example": []}], ids=["no-such-host", "no-address"])
async def test_the_backend_says_when_a_name_does_not_resolve(table: dict[str, list[str]]) -> None:
    backend = GuardedBackend(resolver=FakeResolver(table), allow_private=False)
    with pytest.raises(UnresolvedHost, match=r"cannot resolve h\.example") as caught:
        await backend.connect_tcp("h.example", 443)
    assert caught.value.retriable


async def test_the_guarded_transport_refuses_before_any_connection() -> None:
    """What webhooks and ingest both use: an httpx2 client on it raises the guard's error."""
    resolver = FakeResolver({"intranet.example": ["127.0.0.1"]})
    transport = guarded_transport(allow_private=False, max_connections=4, resolver=resolver)
    async with httpx2.AsyncClient(transport=transport) as client:
        with pytest.raises(BlockedAddress, match="loopback"):
            await client.post("http://intranet.example/hook", content=b"{}")
    assert resolver.asked == [("intranet.example", 80)]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pw@h.example/rss?token=abc&x=1", "https://h.example/rss?token=***&x=1"),
        ("http://h.example/a?apikey=s3cret#f", "http://h.example/a?apikey=***#f"),
        ("http://[::1/", "<unparseable URL>"),
    ],
)
def test_redact_drops_credentials_and_masks_secret_parameters(url: str, shown: str) -> None:
    assert redact(url) == shown
