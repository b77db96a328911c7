"""HTML → clean text: what the NLP stage is promised to receive."""

from __future__ import annotations

import re

import pytest

from services.ingest.clean import html_to_text, plain_to_text

_TAG = re.compile(r"</?[A-Za-z][^>]*>")


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        pytest.param("<p>One.</p><p>Two.</p>", "One.\nTwo.", id="paragraphs-become-lines"),
        pytest.param("first<br>second<br/>third", "first\nsecond\nthird", id="br-breaks-line"),
        pytest.param("<b>bold</b> and <i>it</i>alic", "bold and italic", id="inline-tags-no-break"),
        pytest.param(
            "<p>a</p><script>alert(1)</script><style>p{}</style><noscript>x</noscript><p>b</p>",
            "a\nb",
            id="script-style-dropped",
        ),
        pytest.param(
            "AT&amp;T &lt;3 &eacute;t&eacute; &#8212; &#x2019;",
            "AT&T <3 été — \u2019",
            id="entities-decoded",
        ),
        pytest.param("a&nbsp;&nbsp;b \t\n  c", "a b c", id="whitespace-and-nbsp-folded"),
        pytest.param("<p>\n  spaced   out \n</p>\n\n<p></p>", "spaced out", id="no-empty-lines"),
        pytest.param("keep<!-- hidden -->this", "keepthis", id="comments-dropped"),
        pytest.param("<ul><li>one</li><li>two</li></ul>", "one\ntwo", id="list-items-lines"),
        pytest.param(
            "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>",
            "a b\nc",
            id="table-cells-spaced-rows-broken",
        ),
        pytest.param("<p>unclosed <b>bold <i>it", "unclosed bold it", id="malformed-html"),
        pytest.param("<h1>Title</h1>Body text", "Title\nBody text", id="heading-breaks"),
        pytest.param("no markup at all", "no markup at all", id="plain-string"),
        pytest.param("", "", id="empty"),
        pytest.param("   \n ", "", id="whitespace-only"),
        pytest.param(
            "<html><head><title>T</title></head><body><p>B</p></body></html>",
            "B",
            id="full-document-head-dropped",
        ),
    ],
)
def test_html_to_text(html: str, expected: str) -> None:
    """html_to_text strips markup, keeps block structure as lines and folds whitespace."""
    assert html_to_text(html) == expected


def test_html_to_text_survives_deep_nesting() -> None:
    """Deeply nested markup (a hostile feed) does not hit the recursion limit."""
    html = "<div>" * 20_000 + "deep" + "</div>" * 20_000
    assert html_to_text(html) == "deep"


def test_html_to_text_leaves_no_tags_in_messy_markup() -> None:
    """Nothing tag-like survives a mix of attributes, entities and broken nesting."""
    html = (
        '<div class="x"><p style="a">x <a href="/y?a=1&amp;b=2">link</a></div></p>'
        "<img src=x onerror=alert(1)><iframe src='//evil'></iframe><svg><text>t</text></svg>"
    )
    text = html_to_text(html)
    assert not _TAG.search(text)
    assert text == "x link"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a < b && c > d", "a < b && c > d", id="angle-brackets-literal"),
        pytest.param("Tom &amp; Jerry", "Tom & Jerry", id="stray-entity-decoded"),
        pytest.param("line one\n\n\n  line two  ", "line one\nline two", id="lines-kept-folded"),
    ],
)
def test_plain_to_text(text: str, expected: str) -> None:
    """plain_to_text treats its input as text: entities decoded, markup characters kept."""
    assert plain_to_text(text) == expected
