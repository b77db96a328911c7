"""Safe HTML for RawItem.html: what clean_html keeps and removes, and how parse_feed uses it."""

from __future__ import annotations

import pytest
from selectolax.lexbor import LexborHTMLParser

from services.ingest import clean
from services.ingest.clean import clean_html, html_to_text
from services.ingest.parse import parse_feed

BASE = "https://wire.example/world/feed.xml"
# What a reader may be handed: prose elements and harmless attributes only.
ALLOWED_TAGS = {
    "a", "abbr", "acronym", "address", "article", "aside", "b", "bdi", "bdo", "big",
    "blockquote", "br", "caption", "center", "cite", "code", "col", "colgroup", "dd", "del",
    "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "footer", "h1", "h2",
    "h3", "h4", "h5", "h6", "header", "hr", "i", "img", "ins", "kbd", "li", "main", "mark",
    "nav", "ol", "p", "pre", "q", "rp", "rt", "ruby", "s", "samp", "section", "small", "span",
    "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "time", "tr", "tt", "u", "ul", "var", "wbr",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "cite"}

HOSTILE = [
    pytest.param("<p>a</p><script>alert(1)</script>", id="script"),
    pytest.param("<img src=x onerror=alert(1)><p onclick='x()'>t</p>", id="event-handlers"),
    pytest.param("<a href='javascript:alert(1)'>j</a>", id="javascript-href"),
    pytest.param("<a href=' JaVa\tScRiPt:alert(1)'>j</a>", id="javascript-href-obfuscated"),
    pytest.param("<a href='\x01javascript:alert(1)'>j</a>", id="javascript-href-control-char"),
    pytest.param("<img src='data:text/html;base64,PHNjcmlwdD4='>", id="data-uri"),
    pytest.param("<p style='background:url(javascript:x)'>s</p>", id="style-attribute"),
    pytest.param("<iframe src='//evil.example/'></iframe>after", id="iframe"),
    pytest.param("<svg><script>alert(1)</script></svg><math><mi>x</mi></math>", id="svg-math"),
    pytest.param("<xmp><script>alert(1)</script></xmp>", id="xmp-raw-text"),
    pytest.param("<noscript><p title='</noscript><img src=x onerror=alert(1)>'>", id="noscript"),
    pytest.param("<form action='javascript:x'><input onfocus=x autofocus></form>", id="form"),
    pytest.param("<base href='https://evil.example/'><meta http-equiv=refresh>", id="base-meta"),
    pytest.param("<object data='x.swf'><embed src='y.swf'></object>", id="object-embed"),
    pytest.param("keep<!-- <script>alert(1)</script> -->this", id="comment"),
    pytest.param("<p>x</p><!-- unclosed <script>alert(1)</script>", id="unclosed-comment"),
    pytest.param("<custom-tag onload=x>inside</custom-tag>", id="unknown-element"),
    pytest.param("<a href=x id=top class=c name=n>l</a>", id="id-class-name"),
    pytest.param("<plaintext><b onclick=x>", id="plaintext"),
    pytest.param("<body onload=alert(1)><p>b</p>", id="body-attributes"),
]


def _elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every element of ``html`` as an HTML5 parser (a browser) reads it back."""
    tree = LexborHTMLParser(html, is_fragment=True)
    nodes = [] if tree.root is None else list(tree.root.traverse(include_text=False))
    return [(n.tag or "", n.attributes) for n in nodes if n.is_element_node]


def _assert_safe(html: str) -> None:
    for tag, attributes in _elements(html):
        assert tag in ALLOWED_TAGS, tag
        assert not any(name.startswith("on") for name in attributes), attributes
        assert "style" not in attributes, attributes
        assert "id" not in attributes, attributes
        for name in URL_ATTRIBUTES & attributes.keys():
            assert (attributes[name] or "").startswith(("https://", "http://", "mailto:"))
    assert "<!--" not in html


@pytest.mark.parametrize("html", HOSTILE)
def test_clean_html_output_is_safe(html: str) -> None:
    """Read back by a browser's parser, the safe HTML has only allowlisted elements/attributes."""
    safe, _ = clean_html(html, base=BASE)
    _assert_safe(safe)


@pytest.mark.parametrize("html", HOSTILE)
def test_clean_html_text_is_html_to_text(html: str) -> None:
    """The text from the one parse is exactly what html_to_text makes of the same HTML."""
    assert clean_html(html, base=BASE)[1] == html_to_text(html)


@pytest.mark.parametrize("html", HOSTILE)
def test_clean_html_is_stable(html: str) -> None:
    """Cleaning safe HTML again changes nothing (it is already in canonical form)."""
    safe, text = clean_html(html, base=BASE)
    assert clean_html(safe, base=BASE) == (safe, text)


def test_clean_html_keeps_prose_structure() -> None:
    """Paragraphs, emphasis, lists, tables and quotes survive with their harmless attributes."""
    html = (
        "<h2>Head</h2><p lang=en>One <b>bold</b> <em>word</em></p><ul><li>a</li></ul>"
        "<table><tr><td colspan=2>c</td></tr></table><blockquote cite='https://s.example/q'>"
        "q</blockquote><img src='https://cdn.example/i.png' alt='map'>"
    )
    safe, text = clean_html(html, base=BASE)
    tags = [tag for tag, _ in _elements(safe)]
    for tag in ("h2", "p", "b", "em", "ul", "li", "table", "td", "blockquote", "img"):
        assert tag in tags
    assert ("img", {"src": "https://cdn.example/i.png", "alt": "map"}) in _elements(safe)
    assert ("td", {"colspan": "2"}) in _elements(safe)
    assert text == "Head\nOne bold word\na\nc\nq"


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        pytest.param("/world/1", "https://wire.example/world/1", id="root-relative"),
        pytest.param("2?a=1&b=2", "https://wire.example/world/2?a=1&b=2", id="document-relative"),
        pytest.param("//cdn.example/x", "https://cdn.example/x", id="scheme-relative"),
        pytest.param("mailto:desk@wire.example", "mailto:desk@wire.example", id="mailto-kept"),
        pytest.param("ftp://files.example/x", None, id="other-scheme-dropped"),
        pytest.param("vbscript:x", None, id="vbscript-dropped"),
    ],
)
def test_clean_html_links_made_absolute(href: str, expected: str | None) -> None:
    """Links resolve against the base; any scheme but http(s)/mailto loses its href."""
    safe, _ = clean_html(f'<a href="{href}">l</a>', base=BASE)
    [anchor] = [attributes for tag, attributes in _elements(safe) if tag == "a"]
    assert anchor.get("href") == expected


@pytest.mark.parametrize(
    "html",
    [
        pytest.param("AT&amp;T &lt;3 plain", id="entities"),
        pytest.param("  just words  ", id="plain"),
    ],
)
def test_clean_html_without_markup_is_kept(html: str) -> None:
    """A string with no "<" cannot hold a tag: it is kept (trimmed), its text decoded."""
    assert clean_html(html, base=BASE) == (html.strip(), html_to_text(html))


def test_entries_do_not_bleed_into_each_other() -> None:
    """An unclosed tag or raw-text element in one input does not affect the next one."""
    assert html_to_text("<b>open <textarea>swallow") == "open"
    assert clean_html("<p>next</p>", base=BASE) == ("<p>next</p>", "next")
    assert html_to_text("<table><tr><td>x") == "x"
    assert clean_html("after", base=BASE) == ("after", "after")


def test_reused_document_is_renewed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the renewal threshold a fresh document is used, with the same results."""
    monkeypatch.setattr(clean, "_RENEW_AFTER_CHARS", 10)
    before = clean._DOCUMENT.parser
    results = [clean_html(f"<p>entry <b>{n}</b></p>", base=BASE) for n in range(5)]
    assert results == [(f"<p>entry <b>{n}</b></p>", f"entry {n}") for n in range(5)]
    assert clean._DOCUMENT.parser is not before


def test_lone_surrogate_does_not_raise() -> None:
    """Text that cannot be encoded as UTF-8 (a lone surrogate) is still cleaned."""
    safe, text = clean_html("<p>a\ud800b</p>", base=BASE)
    assert text.startswith("a")
    assert text.endswith("b")
    _assert_safe(safe)


def test_parse_feed_html_is_safe_and_absolute() -> None:
    """RawItem.html of a hostile RSS item is safe, with links absolute against the feed URL."""
    body = (
        b"<?xml version='1.0'?><rss version='2.0'><channel><title>W</title><item>"
        b"<title>T</title><guid>1</guid><description><![CDATA[<p onclick='x()'>Troops "
        b"<a href='/story/1'>moved</a></p><script>alert(1)</script>"
        b"<a href='javascript:alert(1)'>j</a>]]></description></item></channel></rss>"
    )
    entry = parse_feed(body, feed_url=BASE).entries[0]
    _assert_safe(entry.html)
    assert ("a", {"href": "https://wire.example/story/1"}) in _elements(entry.html)
    assert entry.text == "Troops moved\nj"


def test_parse_feed_resolves_content_links_against_xml_base() -> None:
    """An Atom entry's xml:base decides what its content's relative links point at."""
    body = (
        b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>W</title>"
        b"<entry xml:base='https://other.example/news/'><id>urn:1</id><title>T</title>"
        b"<content type='html'>&lt;a href='item/7'&gt;x&lt;/a&gt;</content></entry></feed>"
    )
    entry = parse_feed(body, feed_url=BASE).entries[0]
    assert ("a", {"href": "https://other.example/news/item/7"}) in _elements(entry.html)


def test_json_feed_content_html_is_safe() -> None:
    """JSON Feed content_html gets the same allowlist, links absolute against the feed URL."""
    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "W", "items": [{"id": "1",'
        b' "content_html": "<p onclick=\\"x()\\">Troops <a href=\\"/s/1\\">moved</a></p>'
        b'<script>alert(1)</script>"}]}'
    )
    entry = parse_feed(body, feed_url=BASE).entries[0]
    _assert_safe(entry.html)
    assert ("a", {"href": "https://wire.example/s/1"}) in _elements(entry.html)
    assert entry.text == "Troops moved"
