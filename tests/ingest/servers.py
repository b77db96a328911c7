"""Real HTTP servers on 127.0.0.1 for tests that put the network itself under test.

``serve(routes)`` starts a threaded HTTP/1.1 server on a free port and yields a
:class:`LocalServer`; ``routes`` maps a path to what that path answers: a :class:`Document`
(with ETag / Last-Modified and 304 handling, optionally compressed), a :class:`Redirect`, a bare
:class:`Status`, or a hostile behaviour (:class:`Drip`, :class:`Endless`, :class:`GzipBomb`,
:class:`Slow`). The server records every request and the peak number served at once.
"""

from __future__ import annotations

import contextlib
import gzip
import http.server
import threading
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import brotli

__all__ = [
    "Document",
    "Drip",
    "Endless",
    "GzipBomb",
    "LocalServer",
    "Redirect",
    "Request",
    "Route",
    "Slow",
    "Status",
    "serve",
]

_ZEROS = bytes(1024 * 1024)  # shared, so streaming a bomb allocates nothing per chunk


@dataclass(frozen=True)
class Document:
    """A document served with 200, or 304 when the request's validators still match."""

    body: bytes
    content_type: str = "application/rss+xml; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    encoding: str | None = None  # "gzip", "deflate" or "br": the body is compressed on the way out
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Redirect:
    """A redirect to ``location`` (absolute, or a path on the same server)."""

    location: str
    status: int = 301


@dataclass(frozen=True)
class Status:
    """A bare status answer, e.g. 503 with a Retry-After header."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class Drip:
    """Promises ``length`` bytes, then sends one byte every ``interval_s`` seconds."""

    interval_s: float = 1.0
    length: int = 1_000_000


@dataclass(frozen=True)
class Endless:
    """A chunked body that never ends."""

    chunk: bytes = b"<item>" + b"x" * 65_530


@dataclass(frozen=True)
class GzipBomb:
    """A gzip body of ``inflated_bytes`` zeros, compressed on the fly as the client reads."""

    inflated_bytes: int = 1024**3


@dataclass(frozen=True)
class Slow:
    """Waits ``delay_s`` seconds, then answers like ``then``; used to observe concurrency."""

    delay_s: float
    then: Document


Route = Document | Redirect | Status | Drip | Endless | GzipBomb | Slow


@dataclass(frozen=True)
class Request:
    """One request the server received."""

    path: str
    headers: Mapping[str, str]


class LocalServer:
    """A running server: its base URL, the requests it saw and its peak concurrency."""

    def __init__(self, routes: Mapping[str, Route]) -> None:
        self.routes = dict(routes)
        self.requests: list[Request] = []
        self.in_flight = 0
        self.peak_in_flight = 0
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self.port = int(self._httpd.server_address[1])
        self.base_url = f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """Return the absolute URL of ``path`` on this server."""
        return self.base_url + path

    def _enter(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1


def _not_modified(document: Document, headers: Mapping[str, str]) -> bool:
    # RFC 9110 13.2.2: If-None-Match decides when present; If-Modified-Since only otherwise.
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip() for tag in if_none_match.split(",")}
        return document.etag is not None and ("*" in tags or document.etag in tags)
    since = headers.get("if-modified-since")
    if since is None or document.last_modified is None:
        return False
    try:
        return parsedate_to_datetime(document.last_modified) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


def _compress(body: bytes, encoding: str | None) -> bytes:
    if encoding == "gzip":
        return gzip.compress(body)
    if encoding == "deflate":
        return zlib.compress(body)
    if encoding == "br":
        return bytes(brotli.compress(body))
    return body


def _handler_for(server: LocalServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return  # keep test output clean

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            headers = {name.lower(): value for name, value in self.headers.items()}
            server._enter(Request(path, headers))
            try:
                self._answer(server.routes.get(path), headers)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up, which is what hostile routes expect
            finally:
                server._leave()

        def _head(self, status: int, headers: Mapping[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()

        def _answer(self, route: Route | None, headers: Mapping[str, str]) -> None:
            if route is None:
                route = Status(404, body=b"not found")
            if isinstance(route, Slow):
                server.stopping.wait(route.delay_s)
                route = route.then
            if isinstance(route, Document):
                self._document(route, headers)
            elif isinstance(route, Redirect):
                self._head(route.status, {"Location": route.location, "Content-Length": "0"})
            elif isinstance(route, Status):
                self._head(route.status, {**route.headers, "Content-Length": str(len(route.body))})
                self.wfile.write(route.body)
            elif isinstance(route, Drip):
                self._head(
                    200,
                    {"Content-Type": "application/rss+xml", "Content-Length": str(route.length)},
                )
                for _ in range(route.length):
                    self.wfile.write(b"<")
                    self.wfile.flush()
                    if server.stopping.wait(route.interval_s):
                        break
                self.close_connection = True
            else:
                self._stream(route)

        def _document(self, document: Document, headers: Mapping[str, str]) -> None:
            validators = {"ETag": document.etag, "Last-Modified": document.last_modified}
            present = {name: value for name, value in validators.items() if value is not None}
            if _not_modified(document, headers):
                self._head(304, present)
                return
            body = _compress(document.body, document.encoding)
            extra = {"Content-Encoding": document.encoding} if document.encoding else {}
            self._head(
                200,
                {
                    "Content-Type": document.content_type,
                    "Content-Length": str(len(body)),
                    **present,
                    **extra,
                    **document.headers,
                },
            )
            self.wfile.write(body)

        def _stream(self, route: Endless | GzipBomb) -> None:
            head = {"Content-Type": "application/rss+xml", "Transfer-Encoding": "chunked"}
            if isinstance(route, GzipBomb):
                head["Content-Encoding"] = "gzip"
            self._head(200, head)
            self.close_connection = True
            for piece in _pieces(route):
                if server.stopping.is_set():
                    return
                if piece:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")

    return Handler


def _pieces(route: Endless | GzipBomb) -> Iterator[bytes]:
    if isinstance(route, Endless):
        while True:
            yield route.chunk
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    remaining = route.inflated_bytes
    while remaining > 0:
        size = min(remaining, len(_ZEROS))
        remaining -= size
        yield compressor.compress(_ZEROS if size == len(_ZEROS) else _ZEROS[:size])
    yield compressor.flush()


@contextlib.contextmanager
def serve(routes: Mapping[str, Route]) -> Iterator[LocalServer]:
    """Serve ``routes`` on 127.0.0.1 for the duration of the block; stop hostile loops on exit."""
    server = LocalServer(routes)
    thread = threading.Thread(
        target=server._httpd.serve_forever, args=(0.05,), name="test-http", daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server._httpd.shutdown()
        server._httpd.server_close()
        thread.join(timeout=5)
