"""Independence of sources: is a newly seen article its own report, or a copy of one already
counted?

Consumes the stored items of a cluster (URL, feed, text) and emits, for a new item, either
"independent" or the earlier item it copies and the rule that said so. Rules, first match wins:

1. ``same_url`` — the same canonical URL (scheme, ``www.``, fragment, tracking query and
   trailing slash ignored): one article reached through two feeds;
2. ``same_publisher`` — the same publisher host (the item's URL, else its feed's): one outlet
   repeating itself is not corroboration;
3. ``same_wire:<agency>`` — both credit the same wire agency in the dateline ("(Reuters)",
   "(AP)", "(RIA Novosti)" ...) or one is the agency's own site; RIA Novosti and Sputnik are
   one agency (Rossiya Segodnya);
4. ``near_duplicate`` — word 4-shingle Jaccard similarity of the texts at or above 0.8: a
   reprint with a new headline or a trimmed paragraph.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = [
    "NEAR_DUPLICATE_THRESHOLD",
    "Copy",
    "Source",
    "canonical_url",
    "copy_of",
    "jaccard",
    "publisher",
    "shingles",
    "wire_credits",
]

NEAR_DUPLICATE_THRESHOLD = 0.8
_SHINGLE = 4
# Wire credits are in the dateline ("MOSCOW, November 21 (Sputnik) —"); looking further would
# catch articles that merely mention an agency.
_DATELINE_CHARS = 400
_WIRES = {
    "reuters": "reuters",
    "ap": "ap",
    "associated press": "ap",
    "afp": "afp",
    "agence france-presse": "afp",
    "ria novosti": "rossiya-segodnya",
    "ria": "rossiya-segodnya",
    "sputnik": "rossiya-segodnya",
    "tass": "tass",
    "itar-tass": "tass",
    "interfax": "interfax",
    "xinhua": "xinhua",
    "dpa": "dpa",
    "upi": "upi",
    "anadolu": "anadolu",
    "efe": "efe",
    "ansa": "ansa",
    "kyodo": "kyodo",
    "yonhap": "yonhap",
}
_HOST_WIRES = {
    "reuters.com": "reuters",
    "apnews.com": "ap",
    "afp.com": "afp",
    "ria.ru": "rossiya-segodnya",
    "sputniknews.com": "rossiya-segodnya",
    "tass.com": "tass",
    "tass.ru": "tass",
    "interfax.ru": "interfax",
    "xinhuanet.com": "xinhua",
    "dpa.com": "dpa",
    "upi.com": "upi",
    "aa.com.tr": "anadolu",
}
_CREDIT = re.compile(
    r"\((" + "|".join(sorted((re.escape(w) for w in _WIRES), key=len, reverse=True)) + r")\)",
    re.IGNORECASE,
)
_TRACKING = re.compile(r"^(utm_|fbclid$|gclid$|mc_|ref$|ocid$|cmpid$)", re.IGNORECASE)
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Source:
    """What independence is judged on: one stored item."""

    item_id: str
    url: str | None
    feed_url: str
    text: str
    _shingles: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    def shingle_set(self) -> frozenset[str]:
        """The item's word shingles (computed once per Source)."""
        if not self._shingles:
            object.__setattr__(self, "_shingles", shingles(self.text))
        return self._shingles


@dataclass(frozen=True, slots=True)
class Copy:
    """The earlier source a new item copies, and the rule that matched."""

    item_id: str
    reason: str


def canonical_url(url: str | None) -> str | None:
    """``url`` without scheme, ``www.``, fragment, tracking parameters or trailing slash;
    None for an empty URL."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if not _TRACKING.match(k)))
    path = parts.path.rstrip("/") or "/"
    return urlunsplit(("", host + port, path, query, "")).removeprefix("//")


def publisher(url: str | None, feed_url: str) -> str:
    """The publisher's host (with a non-default port): the item URL's, else the feed's."""
    for candidate in (url, feed_url):
        if candidate:
            parts = urlsplit(candidate)
            host = (parts.hostname or "").lower().removeprefix("www.")
            if host:
                return f"{host}:{parts.port}" if parts.port else host
    return ""


def wire_credits(text: str, host: str = "") -> frozenset[str]:
    """Wire agencies the dateline credits, plus the agency whose own site ``host`` is."""
    found = {_WIRES[m.group(1).lower()] for m in _CREDIT.finditer(text[:_DATELINE_CHARS])}
    bare = host.split(":")[0]
    for domain, wire in _HOST_WIRES.items():
        if bare == domain or bare.endswith("." + domain):
            found.add(wire)
    return frozenset(found)


def shingles(text: str, size: int = _SHINGLE) -> frozenset[str]:
    """Lower-cased word ``size``-grams of ``text`` (the whole text when shorter)."""
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) <= size:
        return frozenset({" ".join(words)}) if words else frozenset()
    return frozenset(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Size of the intersection over size of the union; 0.0 when both are empty."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def copy_of(
    new: Source, earlier: Iterable[Source], threshold: float = NEAR_DUPLICATE_THRESHOLD
) -> Copy | None:
    """The earlier source ``new`` copies (rules in the module docstring, in order), or None
    when ``new`` is independent of all of them."""
    candidates = [s for s in earlier if s.item_id != new.item_id]
    new_url, new_host = canonical_url(new.url), publisher(new.url, new.feed_url)
    new_wires = wire_credits(new.text, new_host)
    for source in candidates:
        if new_url is not None and canonical_url(source.url) == new_url:
            return Copy(source.item_id, "same_url")
    for source in candidates:
        if new_host and publisher(source.url, source.feed_url) == new_host:
            return Copy(source.item_id, "same_publisher")
    for source in candidates:
        host = publisher(source.url, source.feed_url)
        shared = new_wires & wire_credits(source.text, host)
        if shared:
            return Copy(source.item_id, f"same_wire:{min(shared)}")
    for source in candidates:
        if jaccard(new.shingle_set(), source.shingle_set()) >= threshold:
            return Copy(source.item_id, "near_duplicate")
    return None
