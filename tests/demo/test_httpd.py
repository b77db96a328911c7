"""The demo's minimal HTTP/1.1 server at the byte level: keep-alive, Connection: close, and
malformed or oversized request heads."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from services.demo.httpd import HTTPServer, Request, Response, text_response

pytestmark = pytest.mark.integration


def _echo(request: Request) -> Response:
    return text_response(200, f"{request.method} {request.path}")


@pytest.fixture
async def port() -> AsyncIterator[int]:
    server = HTTPServer(_echo, "127.0.0.1", 0)
    bound = await server.start()
    yield bound
    await server.aclose()


async def _exchange(port: int, raw: bytes) -> bytes:
    """Send raw bytes and read until the server closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(raw)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
        await writer.wait_closed()


async def test_keep_alive_serves_several_requests_on_one_connection(port: int) -> None:
    """Pipelined HTTP/1.1 requests are answered in order; Connection: close ends the stream."""
    raw = (
        b"GET /a%20b HTTP/1.1\r\nHost: x\r\n\r\n"
        b"HEAD /c HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /d?q=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    answer = await _exchange(port, raw)
    assert answer.count(b"HTTP/1.1 200 OK") == 3
    assert b"GET /a b" in answer
    assert b"HEAD /c" not in answer, "HEAD answers carry no body"
    assert answer.endswith(b"GET /d")
    assert answer.rsplit(b"HTTP/1.1 200", 1)[1].count(b"Connection: close") == 1


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        pytest.param(b"NONSENSE\r\n\r\n", b"400", id="bad-request-line"),
        pytest.param(b"GET / HTTP/1.1\r\nno colon here\r\n\r\n", b"400", id="bad-header"),
        pytest.param(b"GET / HTTP/1.1\r\nX: " + b"a" * 20_000 + b"\r\n\r\n", b"431",
                     id="head-too-large"),
    ],
)  # fmt: skip
async def test_malformed_heads_get_an_error_and_the_connection_closes(
    port: int, raw: bytes, status: bytes
) -> None:
    """A head the server cannot parse is answered with 4xx and the connection is closed."""
    answer = await _exchange(port, raw)
    assert answer.startswith(b"HTTP/1.1 " + status)
    assert b"Connection: close" in answer


async def test_http_1_0_closes_after_one_response(port: int) -> None:
    """HTTP/1.0 clients get one response and a closed connection."""
    answer = await _exchange(port, b"GET /x HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 OK")
    assert answer.endswith(b"GET /x")
