"""Identity stage of ingest: decides which parsed entries are "the same item" across polls.

It consumes a feed URL and a :class:`~services.ingest.parse.ParsedEntry` and emits the stable
item id that keys ``items.raw`` messages and the seen-id store, plus the content hash whose change
makes a new version of an item. Ids depend only on what the publisher put in the feed (guid, else
link, else title and date), never on fetch time or process state, so the same entry gets the same
id after a restart. Links are normalised first so tracking parameters and cosmetic URL differences
do not mint new ids.
"""

from __future__ import annotations

import functools
import hashlib
from typing import TYPE_CHECKING
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

if TYPE_CHECKING:
    from services.ingest.parse import ParsedEntry

__all__ = ["content_hash", "item_id", "normalise_link", "resolve_link"]

_DEFAULT_PORTS = {"http": 80, "https": 443}

# Query parameters that only say where a click came from. Matched case-insensitively; any
# parameter starting with "utm_" is dropped as well.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "twclid",
        "mc_cid", "mc_eid", "ocid", "cmpid", "_ga", "_gl", "ref", "ref_src", "mkt_tok", "_hsenc",
        "_hsmi", "oly_anon_id", "oly_enc_id", "vero_id", "smid", "at_medium", "at_campaign",
    }
)  # fmt: skip

_ID_HEX_CHARS = 32


def _is_tracking(raw_key: str) -> bool:
    key = unquote(raw_key.replace("+", " ")).strip().lower()
    return key.startswith("utm_") or key in _TRACKING_PARAMS


# Pure, and asked for the same feed URL once per entry of every poll of that feed.
@functools.lru_cache(maxsize=4096)
def normalise_link(url: str) -> str:
    """Return a canonical form of ``url`` for comparing and hashing links.

    Lower-cases scheme and host, drops the default port, the fragment, empty query pairs and
    tracking parameters (``utm_*``, ``fbclid``, ``gclid``, ``mc_cid``, ``ocid``, ``ref``, ...),
    sorts the remaining query pairs (their encoding is kept byte for byte) and gives an empty
    http(s) path as ``/``. Strings that are not absolute URLs come back stripped but otherwise
    unchanged. Idempotent: normalising a normalised link returns it unchanged.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # unbalanced IPv6 brackets or a non-numeric port
        return url
    if not parts.scheme or not parts.netloc:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:  # IPv6 literal: hostname strips the brackets
        host = f"[{host}]"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    if port is not None and _DEFAULT_PORTS.get(scheme) != port:
        netloc = f"{netloc}:{port}"
    path = parts.path
    if not path and scheme in _DEFAULT_PORTS:
        path = "/"
    pairs = [p for p in parts.query.split("&") if p and not _is_tracking(p.partition("=")[0])]
    return urlunsplit((scheme, netloc, path, "&".join(sorted(pairs)), ""))


def resolve_link(link: object, base: str) -> str | None:
    """Return ``link`` made absolute against ``base`` if it is an http(s) URL, else None.

    Feeds carry root-relative and document-relative links; anything that does not end up as
    http or https (``javascript:``, ``mailto:``, empty strings, non-strings) is not a link to an
    article and is dropped.
    """
    if not isinstance(link, str) or not link.strip():
        return None
    url = urljoin(base, link.strip())
    return url if urlsplit(url).scheme.lower() in ("http", "https") else None


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:_ID_HEX_CHARS]


def item_id(feed_url: str, entry: ParsedEntry) -> str:
    """Return the stable id (32 lower-case hex characters) of ``entry`` in the feed ``feed_url``.

    Keyed on, in order of preference: the entry's guid scoped to the normalised feed URL (two
    feeds that both publish guid "1" get different ids), else the entry's normalised link, else
    its title and publication date (and, when both of those are empty too, its text). The same
    entry yields the same id on every poll and in every process.
    """
    guid = (entry.guid or "").strip()
    if guid:
        # A newline cannot occur in a normalised URL, so feed URL and guid cannot run together.
        return _digest(f"guid:{normalise_link(feed_url)}\n{guid}")
    if entry.url and entry.url.strip():
        return _digest(f"link:{normalise_link(entry.url)}")
    date = entry.published_at.isoformat() if entry.published_at else ""
    key = f"title:{entry.title.strip()}\n{date}"
    if not entry.title.strip() and not date:
        key += f"\ntext:{entry.text}"
    return _digest(key)


def content_hash(title: str, text: str) -> str:
    """Return the hex SHA-256 of an item's title and text; a change of it marks a new version."""
    return hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()
