"""A minimal HTTP/1.1 server on asyncio streams, enough for the demo wire's GET/HEAD traffic.

It consumes request heads from TCP connections, hands each parsed :class:`Request` to a
synchronous handler and writes the handler's response back, keeping connections alive between
requests. It needs no threads, logging or signal set-up, and :meth:`HTTPServer.aclose` ends
every open connection at once, which is what lets tests start and stop servers freely.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http import HTTPStatus
from urllib.parse import unquote, urlsplit

__all__ = ["HTTPServer", "Handler", "Request", "Response", "text_response"]

_MAX_HEAD = 16 * 1024

Response = tuple[int, dict[str, str], bytes]


@dataclass(frozen=True, slots=True)
class Request:
    """A request head: method, percent-decoded path and lower-cased header names."""

    method: str
    path: str
    headers: dict[str, str]


Handler = Callable[[Request], Response]


def text_response(status: int, text: str) -> Response:
    """A plain-text UTF-8 response."""
    return status, {"Content-Type": "text/plain; charset=utf-8"}, text.encode()


class HTTPServer:
    """Serves ``handler`` on ``host:port`` between :meth:`start` and :meth:`aclose`."""

    def __init__(self, handler: Handler, host: str, port: int) -> None:
        self._handler, self._host, self._port = handler, host, port
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}
        self._open = False

    async def start(self) -> int:
        """Start listening in the running loop; returns the bound port."""
        self._server = await asyncio.start_server(
            self._serve_connection, self._host, self._port, limit=_MAX_HEAD
        )
        self._open = True
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def aclose(self) -> None:
        """Stop listening and end open connections; safe to call more than once."""
        self._open = False
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        # Closing the transports ends each handler's pending read with EOF. Cancelling them
        # instead trips CPython 3.11.7's stream callback (task.exception() on a cancelled task).
        for writer in self._connections.values():
            writer.close()
        if tasks := set(self._connections):
            _, stuck = await asyncio.wait(tasks, timeout=0.5)
            for task in stuck:
                task.cancel()
            await asyncio.gather(*stuck, return_exceptions=True)
        await server.wait_closed()

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None  # a stream callback always runs in a task
        self._connections[task] = writer
        try:
            while self._open:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.LimitOverrunError:
                    writer.write(_encode(*text_response(431, "head too large\n"), close=True))
                    break
                except (asyncio.IncompleteReadError, ConnectionError):
                    break
                parsed = _parse_head(head)
                if parsed is None:
                    writer.write(_encode(*text_response(400, "bad request\n"), close=True))
                    break
                request, keep_alive = parsed
                status, headers, body = self._handler(request)
                head_only = request.method == "HEAD"
                writer.write(_encode(status, headers, body, close=not keep_alive, head=head_only))
                await writer.drain()
                if not keep_alive:
                    break
        except ConnectionError:
            pass  # the client went away mid-response; nothing to tell it
        finally:
            self._connections.pop(task, None)
            writer.close()
            with suppress(ConnectionError):
                await writer.wait_closed()


def _parse_head(head: bytes) -> tuple[Request, bool] | None:
    """Parse a request head; None when malformed. The flag says the connection may be reused."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            return None
        headers[name.lower()] = value.strip()
    keep_alive = parts[2] == "HTTP/1.1" and "close" not in headers.get("connection", "").lower()
    if headers.get("content-length", "0") != "0" or "transfer-encoding" in headers:
        keep_alive = False  # request bodies are never read, so the stream cannot be reused
    request = Request(parts[0], unquote(urlsplit(parts[1]).path), headers)
    return request, keep_alive


def _encode(
    status: int, headers: dict[str, str], body: bytes, *, close: bool, head: bool = False
) -> bytes:
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"]
    headers = {
        **headers,
        "Date": format_datetime(datetime.now(UTC), usegmt=True),
        "Content-Length": str(len(body)),
        "Connection": "close" if close else "keep-alive",
    }
    lines += [f"{name}: {value}" for name, value in headers.items()]
    payload = b"" if head or status == 304 else body
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload
