"""Clean stage of ingest: turns the HTML (or plain text) a feed carries into text for NLP.

It consumes the HTML of an entry's content or title as feedparser / the JSON Feed reader hand it
over and emits plain text: entities decoded, script/style and other non-prose elements dropped,
block elements (paragraphs, list items, headings, ``<br>``) kept as line breaks, and whitespace
folded inside each line. From the same parse it emits the safe HTML that ``RawItem.html`` carries:
an allowlist of prose elements and attributes, links made absolute with a safe scheme. The HTML is
parsed with a real HTML5 parser (lexbor via selectolax), so broken markup, unclosed tags and stray
``<`` characters are handled the way a browser would.
"""

from __future__ import annotations

import html as htmllib
import threading
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

__all__ = ["clean_html", "html_to_text", "plain_to_text"]

# Subtrees whose text is not prose: code, styling, embedded media and form widgets.
_DROP = frozenset(
    {
        "script", "style", "noscript", "template", "head", "title", "iframe", "object", "embed",
        "svg", "math", "canvas", "select", "option", "button", "textarea", "audio", "video",
    }
)  # fmt: skip

# Elements that start a new line of text (HTML block-level and list/table structure).
_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "div",
        "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
        "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary",
        "table", "tbody", "thead", "tfoot", "tr", "ul",
    }
)  # fmt: skip

# Table cells sit on one line but must not glue their words together.
_CELL = frozenset({"td", "th"})

# Elements the safe HTML keeps: prose, lists, tables, quotes and images. Any other element
# (forms, frames, <base>, <meta>, custom tags, ...) is replaced by its content; _DROP
# subtrees go entirely, so no raw-text or foreign (SVG/MathML) content ever survives.
_SAFE_ELEMENTS = frozenset(
    {
        "a", "abbr", "acronym", "address", "article", "aside", "b", "bdi", "bdo", "big",
        "blockquote", "br", "caption", "center", "cite", "code", "col", "colgroup", "dd", "del",
        "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "footer", "h1", "h2",
        "h3", "h4", "h5", "h6", "header", "hr", "i", "img", "ins", "kbd", "li", "main", "mark",
        "nav", "ol", "p", "pre", "q", "rp", "rt", "ruby", "s", "samp", "section", "small", "span",
        "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th",
        "thead", "time", "tr", "tt", "u", "ul", "var", "wbr",
    }
)  # fmt: skip
# Attributes kept on those elements: no event handlers, no style, no ids/classes.
_SAFE_ATTRIBUTES = frozenset(
    {
        "abbr", "alt", "cite", "colspan", "datetime", "dir", "headers", "height", "href",
        "hreflang", "lang", "reversed", "rowspan", "scope", "span", "src", "start", "title",
        "type", "value", "width",
    }
)  # fmt: skip
# Attributes holding a URL: made absolute, and removed unless the scheme is one of these.
_URL_ATTRIBUTES = frozenset({"href", "src", "cite"})
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})

# Zero-width characters publishers use as invisible separators: folded like whitespace.
_ZERO_WIDTH = str.maketrans(dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff", " "))


def _fold_line(line: str) -> str:
    # str.split() splits on every Unicode whitespace (incl. NBSP, which &nbsp; decodes to)
    # and drops the ends: one C pass where a regex substitution costs several.
    if not line.isascii():
        line = line.translate(_ZERO_WIDTH)
    return " ".join(line.split())


def _join_lines(lines: list[str]) -> str:
    return "\n".join(folded for folded in map(_fold_line, lines) if folded)


def plain_to_text(text: str) -> str:
    """Clean text that is not HTML: decode stray entities and fold whitespace.

    Line breaks in the input are kept as line breaks (blank lines dropped); runs of other
    whitespace become one space. Angle brackets are left alone, since in plain text they are
    literal characters, not markup.
    """
    if not text:
        return ""
    return _join_lines(htmllib.unescape(text).splitlines())


def _safe_url(value: str, base: str) -> str | None:
    """``value`` made absolute against ``base``, or None when its scheme is not a safe one."""
    try:
        url = urljoin(base, value.strip())
        scheme = urlsplit(url).scheme.lower()
    except ValueError:  # e.g. unbalanced IPv6 brackets
        return None
    return url if scheme in _SAFE_SCHEMES else None


def _sanitise_attributes(node: LexborNode, base: str) -> None:
    attributes = node.attributes
    if not attributes:
        return
    attrs = node.attrs
    for name, value in attributes.items():
        if name not in _SAFE_ATTRIBUTES:
            del attrs[name]
        elif name in _URL_ATTRIBUTES:
            url = _safe_url(value or "", base)
            if url is None:
                del attrs[name]
            elif url != value:
                attrs[name] = url


def _walk(start: LexborNode, base: str | None) -> str:
    """Return the text under ``start``; with a ``base``, also make the tree safe HTML in place."""
    sanitise = base is not None
    doomed: list[LexborNode] = []  # subtrees to remove once the walk is done
    unwrap: list[LexborNode] = []  # elements to replace by their content
    lines: list[str] = []
    current: list[str] = []

    def end_line() -> None:
        if current:
            lines.append("".join(current))
            current.clear()

    # Iterative walk (an explicit stack) so deeply nested markup cannot hit the recursion limit.
    # A str on the stack is text to emit once the nodes above it are done; "\n" ends the line.
    # Node kinds are told apart by tag: "-text", "-comment", "-doctype" are not element names
    # (an HTML tag name starts with a letter).
    stack: list[LexborNode | str] = [start]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        item = pop()
        if isinstance(item, str):
            if item == "\n":
                end_line()
            else:
                current.append(item)
            continue
        tag = item.tag or ""
        if tag == "-text":
            current.append(item.text_content or "")
            continue
        if tag.startswith("-") or not tag:  # comments, doctype, processing instructions
            if sanitise:
                doomed.append(item)
            continue
        if tag in _DROP:
            if sanitise:
                doomed.append(item)
            continue
        if sanitise and item is not start:
            if tag in _SAFE_ELEMENTS:
                _sanitise_attributes(item, base or "")
            else:
                unwrap.append(item)
        if tag == "br":
            end_line()
            continue
        if tag in _CELL:
            current.append(" ")
            push(" ")
        elif tag in _BLOCK:
            end_line()
            push("\n")
        extend(reversed([*item.iter(include_text=True)]))
    end_line()
    for node in doomed:
        node.decompose()
    for node in reversed(unwrap):  # innermost first, so each parent is still in place
        node.unwrap(delete_empty=True)
    return _join_lines(lines)


class _Document(threading.local):
    """Each thread's reusable lexbor document (a parser must not be shared across threads)."""

    parser: LexborHTMLParser | None = None
    fed = 0  # characters parsed into it so far


_DOCUMENT = _Document()
# Creating a lexbor document costs far more than parsing a feed entry into one, so entries are
# parsed into the <body> of a reused document (HTML fragment parsing in the body context, as
# for ``innerHTML``). Nodes replaced there are only freed with the document: it is renewed
# once this many characters went through it.
_RENEW_AFTER_CHARS = 4 * 1024 * 1024


def _parse(html: str) -> LexborNode | None:
    """``html`` parsed as the content of a <body> element; that element is returned.

    Only input the reused document cannot take (lone surrogates) gets a document of its own,
    whose <body> or, for a <frameset> document, root is returned.
    """
    document = _DOCUMENT
    if document.parser is None or document.fed > _RENEW_AFTER_CHARS:
        document.parser, document.fed = LexborHTMLParser(""), 0
    body = document.parser.body
    if body is not None:
        try:
            body.inner_html = html
        except UnicodeEncodeError:  # lone surrogates: the document parser drops them
            pass
        else:
            document.fed += len(html)
            return body
    tree = LexborHTMLParser(html)
    return tree.body or tree.root


def html_to_text(html: str) -> str:
    """Return the readable text of an HTML document or fragment.

    Promises: no markup survives (tags, comments, script/style bodies are gone), character
    references are decoded, each paragraph / list item / heading / ``<br>`` becomes a line
    break, whitespace inside a line is folded to single spaces, and there are no empty lines
    and no leading or trailing whitespace. Never raises on malformed HTML.
    """
    if not html or html.isspace():
        return ""
    if "<" not in html:
        # Nothing to parse as markup; entities are still decoded like a browser would.
        return _join_lines([htmllib.unescape(html)])
    start = _parse(html)
    return "" if start is None else _walk(start, None)


def clean_html(html: str, *, base: str) -> tuple[str, str]:
    """Return ``(safe_html, text)`` of untrusted HTML, from a single parse.

    ``text`` is exactly :func:`html_to_text` of ``html``. ``safe_html`` keeps only prose
    elements (paragraphs, headings, lists, tables, quotes, emphasis, links, images) with a few
    harmless attributes (no event handlers, styles, ids or classes); script/style/iframe/SVG/...
    subtrees and comments are removed, other elements are replaced by their content, and
    ``href``/``src``/``cite`` are made absolute against ``base`` and removed unless they are
    http, https or mailto URLs. It is serialised by the HTML5 parser, so text and attribute
    values are escaped. Never raises on malformed HTML.
    """
    if not html or html.isspace():
        return "", ""
    if "<" not in html:
        # No tag can start without "<": the string is already safe as HTML.
        return html.strip(), _join_lines([htmllib.unescape(html)])
    start = _parse(html)
    if start is None:
        return "", ""
    if start.tag != "body":  # a <frameset> document: no prose to keep as HTML
        return "", _walk(start, None)
    text = _walk(start, base)
    return (start.inner_html or "").strip(), text
