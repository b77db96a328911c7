"""Clean stage of ingest: turns the HTML (or plain text) a feed carries into text for NLP.

It consumes the HTML of an entry's content or title as feedparser / the JSON Feed reader hand it
over and emits plain text: entities decoded, script/style and other non-prose elements dropped,
block elements (paragraphs, list items, headings, ``<br>``) kept as line breaks, and whitespace
folded inside each line. The HTML is parsed with a real HTML5 parser (lexbor via selectolax), so
broken markup, unclosed tags and stray ``<`` characters are handled the way a browser would.
"""

from __future__ import annotations

import html as htmllib
import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

__all__ = ["html_to_text", "plain_to_text"]

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

# Every Unicode whitespace (incl. NBSP, which &nbsp; decodes to) plus zero-width characters
# that publishers use as invisible separators.
_SPACE_RUN = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")


def _fold_line(line: str) -> str:
    return _SPACE_RUN.sub(" ", line).strip()


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
    tree = LexborHTMLParser(html)
    start = tree.body or tree.root
    if start is None:
        return ""
    lines: list[str] = []
    current: list[str] = []

    def end_line() -> None:
        if current:
            lines.append("".join(current))
            current.clear()

    # Iterative walk (an explicit stack) so deeply nested markup cannot hit the recursion limit.
    # A str on the stack is text to emit once the nodes above it are done; "\n" ends the line.
    stack: list[LexborNode | str] = [start]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if item == "\n":
                end_line()
            else:
                current.append(item)
            continue
        if item.is_text_node:
            current.append(item.text_content or "")
            continue
        if not item.is_element_node:
            continue  # comments, doctype, processing instructions
        tag = item.tag or ""
        if tag in _DROP:
            continue
        if tag == "br":
            end_line()
            continue
        if tag in _CELL:
            current.append(" ")
            stack.append(" ")
        elif tag in _BLOCK:
            end_line()
            stack.append("\n")
        stack.extend(reversed(list(item.iter(include_text=True))))
    end_line()
    return _join_lines(lines)
