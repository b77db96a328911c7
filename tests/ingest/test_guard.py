"""The SSRF guard as ingest's fetches meet it: refusals become ingest errors naming the URL."""

from __future__ import annotations

import pytest

from services.ingest import errors
from services.ingest.fetch import Fetcher, FetchPolicy
from tests.ingest.servers import Document, serve
from tests.resolvers import FakeResolver


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
