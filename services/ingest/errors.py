"""Ingest's exception tree. The scheduler reads ``retriable`` to decide the backoff.

::

    IngestError
    ├── FetchError                     the feed could not be fetched
    │   ├── FetchTimeout               connect/read/total time limit exceeded (retriable)
    │   ├── ConnectError               DNS failure, refused or reset connection (retriable)
    │   ├── BlockedAddress             the host resolves to a private/loopback/metadata address
    │   ├── TooManyRedirects           more than the allowed redirects, or a redirect loop
    │   ├── BodyTooLarge               body (after decompression) over the size cap
    │   ├── DecodingError              gzip/deflate/brotli body could not be decoded
    │   └── HTTPStatusError            a non-2xx, non-304 answer
    │       ├── RateLimited            429 or 503, with the server's Retry-After (retriable)
    │       ├── ServerError            5xx (retriable)
    │       ├── Gone                   410: the feed is gone for good
    │       └── ClientError            other 4xx
    └── ParseError                     the body is not a feed we can read
        ├── NotAFeed                   HTML page or other non-feed document
        ├── MalformedFeed              a feed document too broken to yield entries
        └── UnsafeDocument             XML with entity expansion / external entities
"""

from __future__ import annotations

__all__ = [
    "BlockedAddress",
    "BodyTooLarge",
    "ClientError",
    "ConnectError",
    "DecodingError",
    "FetchError",
    "FetchTimeout",
    "Gone",
    "HTTPStatusError",
    "IngestError",
    "MalformedFeed",
    "NotAFeed",
    "ParseError",
    "RateLimited",
    "ServerError",
    "TooManyRedirects",
    "UnsafeDocument",
]


class IngestError(Exception):
    """Raised when a feed poll fails; the base of every ingest error."""

    retriable: bool = False

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class FetchError(IngestError):
    """Raised when the feed's bytes could not be obtained."""


class FetchTimeout(FetchError):
    """Raised when connecting, reading or the whole fetch exceeds its time limit."""

    retriable = True


class ConnectError(FetchError):
    """Raised when the host cannot be resolved or the connection fails."""

    retriable = True


class BlockedAddress(FetchError):
    """Raised when a host resolves to an address the SSRF guard refuses."""


class TooManyRedirects(FetchError):
    """Raised when a fetch follows more redirects than allowed, or loops."""


class BodyTooLarge(FetchError):
    """Raised when the body, after decompression, exceeds the size cap."""


class DecodingError(FetchError):
    """Raised when a compressed body cannot be decompressed."""


class HTTPStatusError(FetchError):
    """Raised when the server answers with a status that carries no feed."""

    def __init__(self, message: str, *, status: int, url: str | None = None) -> None:
        super().__init__(message, url=url)
        self.status = status


class RateLimited(HTTPStatusError):
    """Raised on 429 or 503; ``retry_after_s`` holds the server's Retry-After, if any."""

    retriable = True

    def __init__(
        self, message: str, *, status: int, retry_after_s: float | None, url: str | None = None
    ) -> None:
        super().__init__(message, status=status, url=url)
        self.retry_after_s = retry_after_s


class ServerError(HTTPStatusError):
    """Raised on a 5xx answer other than 503."""

    retriable = True


class Gone(HTTPStatusError):
    """Raised on 410 Gone: the publisher removed the feed."""


class ClientError(HTTPStatusError):
    """Raised on a 4xx answer other than 410 and 429."""


class ParseError(IngestError):
    """Raised when the fetched body is not a readable feed."""


class NotAFeed(ParseError):
    """Raised when the body is an HTML page or another non-feed document."""


class MalformedFeed(ParseError):
    """Raised when a feed document is too broken to yield any entry."""


class UnsafeDocument(ParseError):
    """Raised when an XML document uses entity expansion or external entities."""
