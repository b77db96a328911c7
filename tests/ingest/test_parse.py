"""parse_feed on hand-written documents: content choice, links, dates, safety, errors."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from services.ingest.errors import MalformedFeed, NotAFeed, UnsafeDocument
from services.ingest.parse import OFF_LOOP_THRESHOLD, parse_feed, parse_feed_async

FEED = "https://news.example.com/world/rss.xml"

_NS = (
    'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"'
)


def rss(items: str, channel: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" {_NS}><channel>'
        f"<title>Wire</title><link>https://news.example.com/</link>{channel}{items}"
        "</channel></rss>"
    ).encode()


def atom(entries: str, attrs: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" {attrs}>'
        f"<title>Atom wire</title><id>urn:feed</id>{entries}</feed>"
    ).encode()


def test_content_encoded_preferred_over_description() -> None:
    """RSS content:encoded (full text) wins over the description (summary)."""
    body = rss(
        "<item><title>T</title><description>Short summary.</description>"
        "<content:encoded><![CDATA[<p>Full <b>story</b>.</p><p>Second.</p>]]></content:encoded>"
        "</item>"
    )
    entry = parse_feed(body, feed_url=FEED).entries[0]
    assert entry.text == "Full story.\nSecond."
    assert "<b>story</b>" in entry.html


def test_description_used_when_no_full_content() -> None:
    """Without content:encoded the description's HTML is the content."""
    body = rss("<item><title>T</title><description>&lt;p&gt;Only &amp;amp; this&lt;/p&gt;")
    body = body.replace(b"</channel>", b"</description></item></channel>")
    entry = parse_feed(body, feed_url=FEED).entries[0]
    assert entry.text == "Only & this"


def test_atom_content_preferred_over_summary() -> None:
    """Atom <content> wins over <summary>; type="text" content is escaped into html."""
    body = atom(
        "<entry><id>urn:1</id><title>T</title><summary>sum</summary>"
        '<content type="text">a &lt; b, really</content></entry>'
    )
    entry = parse_feed(body, feed_url=FEED).entries[0]
    assert entry.text == "a < b, really"
    assert entry.html == "a &lt; b, really"


def test_relative_links_resolved_against_feed_url() -> None:
    """Relative item links become absolute against the feed URL (or Content-Location)."""
    body = rss("<item><title>T</title><link>/politics/1</link><guid>g1</guid></item>")
    entry = parse_feed(body, feed_url=FEED).entries[0]
    assert entry.url == "https://news.example.com/politics/1"
    moved = parse_feed(body, feed_url=FEED, headers={"Content-Location": "https://cdn.example/x"})
    assert moved.entries[0].url == "https://cdn.example/politics/1"


def test_atom_xml_base_resolves_links() -> None:
    """Atom links resolve against xml:base, itself resolved against the feed URL."""
    body = atom(
        '<entry xml:base="/blog/"><id>urn:1</id><title>T</title>'
        '<link rel="alternate" href="post-1"/></entry>'
    )
    assert parse_feed(body, feed_url=FEED).entries[0].url == "https://news.example.com/blog/post-1"


def test_guid_kept_as_published() -> None:
    """A relative-looking guid is not rewritten into a URL (ids must not move with the base)."""
    body = rss("<item><title>T</title><guid>12345</guid></item>")
    entry = parse_feed(body, feed_url=FEED).entries[0]
    assert entry.guid == "12345"


def test_dates_converted_to_utc() -> None:
    """pubDate with an offset becomes a UTC-aware datetime."""
    body = rss("<item><title>T</title><pubDate>Tue, 10 Jun 2003 04:00:00 -0500</pubDate></item>")
    published = parse_feed(body, feed_url=FEED).entries[0].published_at
    assert published == datetime(2003, 6, 10, 9, 0, tzinfo=UTC)
    assert published is not None
    assert published.utcoffset() is not None


def test_updated_used_when_published_missing() -> None:
    """Atom entries with only <updated> take it as the date."""
    body = atom("<entry><id>urn:1</id><title>T</title><updated>2024-03-01T10:00:00+02:00</updated>")
    body = body.replace(b"</feed>", b"</entry></feed>")
    entry = parse_feed(body, feed_url=FEED).entries[0]
    assert entry.published_at == datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "date_xml",
    [
        pytest.param("", id="no-date"),
        pytest.param("<pubDate>Friday, January 29, 2021 04:42 PM</pubDate>", id="unparseable"),
    ],
)
def test_missing_or_unusable_date_is_none(date_xml: str) -> None:
    """An entry without a usable date gets published_at None (the caller estimates it)."""
    body = rss(f"<item><title>T</title>{date_xml}</item>")
    assert parse_feed(body, feed_url=FEED).entries[0].published_at is None


def test_entry_language_overrides_feed_language() -> None:
    """dc:language on an item wins; otherwise the channel language applies."""
    body = rss(
        "<item><title>a</title><dc:language>fr</dc:language></item><item><title>b</title></item>",
        channel="<language>en-gb</language>",
    )
    feed = parse_feed(body, feed_url=FEED)
    assert feed.language == "en-gb"
    assert [e.language for e in feed.entries] == ["fr", "en-gb"]


def test_feed_polling_hints() -> None:
    """<ttl> minutes become seconds; sy:updatePeriod/updateFrequency become a period."""
    body = rss(
        "",
        channel="<ttl>15</ttl><sy:updatePeriod>hourly</sy:updatePeriod>"
        "<sy:updateFrequency>4</sy:updateFrequency>",
    )
    feed = parse_feed(body, feed_url=FEED)
    assert (feed.ttl_s, feed.update_period_s) == (900, 900)
    assert feed.entries == ()


def test_entry_fields_cleaned() -> None:
    """Titles are plain one-line text; authors and categories are de-duplicated strings."""
    body = rss(
        "<item><title>A &lt;b&gt;bold&lt;/b&gt;\n title</title><dc:creator>Ann</dc:creator>"
        "<category>World</category><category>World</category><category>Europe</category></item>"
    )
    entry = parse_feed(body, feed_url=FEED).entries[0]
    assert entry.title == "A bold title"
    assert entry.authors == ("Ann",)
    assert entry.categories == ("World", "Europe")


def test_charset_from_content_type_header() -> None:
    """The HTTP charset decides the encoding of a body that declares none."""
    doc = '<rss version="2.0"><channel><title>Лента</title><item><title>Войска</title></item>'
    body = (doc + "</channel></rss>").encode("windows-1251")
    feed = parse_feed(body, feed_url=FEED, content_type="application/rss+xml; charset=windows-1251")
    assert feed.title == "Лента"
    assert feed.entries[0].title == "Войска"


def test_broken_xml_with_entries_keeps_them_and_warns() -> None:
    """A not-well-formed feed that still yields entries returns them with a warning."""
    body = rss('<item><title>T</title><media url="a?x=1&y=2"/></item>').replace(
        b"<rss ", b'<rss xmlns:media="http://search.yahoo.com/mrss/" '
    )
    feed = parse_feed(body, feed_url=FEED)
    assert len(feed.entries) == 1
    assert feed.warning


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
        for i in range(1, 10)
    )
    + ']>\n<rss version="2.0"><channel><title>&lol9;</title>'
    "<item><title>&lol9;</title></item></channel></rss>"
)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(BILLION_LAUGHS.encode(), id="billion-laughs"),
        pytest.param(BILLION_LAUGHS.encode("utf-16"), id="billion-laughs-utf16"),
        pytest.param(
            b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            b'<rss version="2.0"><channel><item><title>&xxe;</title></item></channel></rss>',
            id="external-entity",
        ),
        pytest.param(
            b'<!-- <b>comment with markup</b> --><!DOCTYPE rss [<!ENTITY % pe SYSTEM "http://x/">'
            b'%pe;]><rss version="2.0"><channel><item><title>t</title></item></channel></rss>',
            id="parameter-entity-after-comment",
        ),
    ],
)
def test_entity_declarations_refused_quickly(body: bytes) -> None:
    """XML whose DOCTYPE declares entities is refused before any parser expands them."""
    started = time.perf_counter()
    with pytest.raises(UnsafeDocument):
        parse_feed(body, feed_url=FEED)
    assert time.perf_counter() - started < 1.0


def test_doctype_without_entities_is_fine() -> None:
    """A plain DOCTYPE (RSS 0.91's Netscape DTD reference) is not refused."""
    body = (
        b'<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"'
        b' "http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss version="0.91"><channel>'
        b"<title>Old</title><item><title>t</title><link>http://x.example/1</link></item>"
        b"</channel></rss>"
    )
    assert len(parse_feed(body, feed_url=FEED).entries) == 1


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(
            b"<!DOCTYPE html><html><head><title>Home</title></head><body><p>Hi</p></body></html>",
            "text/html; charset=utf-8",
            id="html5-page",
        ),
        pytest.param(
            b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>x'
            b"</title></head><body/></html>",
            None,
            id="xhtml-page",
        ),
        pytest.param(b"<svg><rect/></svg>", "image/svg+xml", id="other-xml"),
    ],
)
def test_html_page_is_not_a_feed(body: bytes, content_type: str | None) -> None:
    """An HTML page or other non-feed document raises NotAFeed."""
    with pytest.raises(NotAFeed):
        parse_feed(body, feed_url=FEED, content_type=content_type)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"", id="empty-body"),
        pytest.param(b"<!-- only a comment -->", id="no-element"),
        pytest.param(rss("")[:-30], id="truncated-before-items"),
    ],
)
def test_unusable_documents_are_malformed(body: bytes) -> None:
    """A body with nothing readable raises MalformedFeed."""
    with pytest.raises(MalformedFeed):
        parse_feed(body, feed_url=FEED)


def test_json_feed_dispatched_by_content_type() -> None:
    """A JSON Feed body goes to the JSON Feed reader, by content type or by its leading brace."""
    body = b'\n {"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": []}'
    assert parse_feed(body, feed_url=FEED, content_type="application/feed+json").title == "J"
    assert parse_feed(body, feed_url=FEED).title == "J"


async def test_parse_feed_async_matches_sync_for_small_and_large_bodies() -> None:
    """parse_feed_async gives the same result as parse_feed on both sides of the threshold."""
    item = "<item><title>T{0}</title><guid>g{0}</guid><description>{1}</description></item>"
    small = rss(item.format(0, "x"))
    large = rss("".join(item.format(i, "word " * 200) for i in range(300)))
    assert len(small) < OFF_LOOP_THRESHOLD < len(large)
    for body in (small, large):
        assert await parse_feed_async(body, feed_url=FEED) == parse_feed(body, feed_url=FEED)
