"""The feeds list: which feeds ingest polls, read from YAML or imported from OPML.

It consumes a YAML file (``feeds: [{url, name, interval_s, full_text}]``) or an OPML outline
and emits validated :class:`FeedConfig` records, one per distinct feed URL, plus the warnings
about what was dropped. Bad input raises :class:`FeedsFileError` naming the file, the entry and
the field, so an operator can fix the list without reading a traceback. OPML is parsed with
expat and any entity declaration is refused before it can expand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET
from xml.parsers import expat

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    TypeAdapter,
    ValidationError,
    field_validator,
)
from pydantic_core import ErrorDetails

__all__ = [
    "FeedConfig",
    "FeedList",
    "FeedsFileError",
    "dump_feeds",
    "feeds_from_opml",
    "feeds_to_opml",
    "load_feeds",
    "parse_feeds",
]

_HTTP_URL: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)


class FeedsFileError(ValueError):
    """Raised when a feeds file (YAML or OPML) cannot be read or holds an invalid entry.

    ``source`` is the file, ``index`` the 0-based entry (None for file-level problems) and
    ``field`` the offending key (None when the entry as a whole is wrong).
    """

    def __init__(
        self, message: str, *, source: str, index: int | None = None, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.source, self.index, self.field = source, index, field


class FeedConfig(BaseModel):
    """One feed to poll; ``url`` is a validated, normalised http(s) URL kept as a string."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    url: str
    name: str = Field(min_length=1)
    interval_s: int | None = Field(default=None, gt=0)
    full_text: bool = False

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        try:
            return str(_HTTP_URL.validate_python(value))
        except ValidationError as exc:
            raise ValueError(f"not an http(s) URL: {exc.errors()[0]['msg']}") from None


class FeedList(list[FeedConfig]):
    """The feeds read from one source, with ``warnings`` about entries that were dropped."""

    def __init__(self, feeds: Iterable[FeedConfig] = (), warnings: Iterable[str] = ()) -> None:
        super().__init__(feeds)
        self.warnings: list[str] = list(warnings)


def _message(error: ErrorDetails) -> str:
    """pydantic's message without the "Value error, " prefix it adds to validator errors."""
    if error["type"] == "value_error" and "error" in error.get("ctx", {}):
        return str(error["ctx"]["error"])
    return error["msg"]


def _entry_error(source: str, index: int, exc: ValidationError) -> FeedsFileError:
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"])
        problems.append(f"feeds[{index}].{field}: {_message(error)} (got {error['input']!r})")
    first = exc.errors()[0]["loc"]
    return FeedsFileError(
        f"{source}: {'; '.join(problems)}",
        source=source,
        index=index,
        field=str(first[0]) if first else None,
    )


def _collapse(feeds: Iterable[tuple[int, FeedConfig]], source: str, label: str) -> FeedList:
    """Keep the first entry for each URL; later ones become warnings."""
    result = FeedList()
    first_seen: dict[str, int] = {}
    for index, feed in feeds:
        if feed.url in first_seen:
            result.warnings.append(
                f"{source}: {label}[{index}]: duplicate of {label}[{first_seen[feed.url]}] "
                f"({feed.url}); dropped"
            )
            continue
        first_seen[feed.url] = index
        result.append(feed)
    return result


def parse_feeds(entries: Sequence[Any], source: str) -> FeedList:
    """Validate raw ``feeds`` entries (mappings); raise on the first bad entry."""
    validated = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            raise FeedsFileError(
                f"{source}: feeds[{index}]: expected a mapping with url and name, "
                f"got {type(entry).__name__}",
                source=source,
                index=index,
            )
        try:
            validated.append((index, FeedConfig.model_validate(dict(entry))))
        except ValidationError as exc:
            raise _entry_error(source, index, exc) from None
    return _collapse(validated, source, "feeds")


def load_feeds(path: str | Path) -> FeedList:
    """Read a YAML feeds file; duplicates are dropped and listed in ``.warnings``.

    Raises :class:`FeedsFileError` (naming the file, entry index and field) on any problem.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FeedsFileError(f"{source}: cannot read feeds file: {exc}", source=source) from exc
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or exc
        raise FeedsFileError(f"{source}{where}: invalid YAML: {problem}", source=source) from exc
    if not isinstance(document, Mapping) or not isinstance(document.get("feeds"), list):
        raise FeedsFileError(
            f"{source}: expected a mapping with a 'feeds' list at the top level",
            source=source,
            field="feeds",
        )
    return parse_feeds(document["feeds"], source)


def dump_feeds(feeds: Iterable[FeedConfig]) -> str:
    """Render feeds as YAML that :func:`load_feeds` reads back to equal records."""
    entries: list[dict[str, object]] = []
    for feed in feeds:
        entry: dict[str, object] = {"url": feed.url, "name": feed.name}
        if feed.interval_s is not None:
            entry["interval_s"] = feed.interval_s
        if feed.full_text:
            entry["full_text"] = True
        entries.append(entry)
    return yaml.safe_dump({"feeds": entries}, sort_keys=False, allow_unicode=True)


def _refuse(source: str, what: str) -> FeedsFileError:
    return FeedsFileError(f"{source}: OPML refused: {what}", source=source)


def feeds_from_opml(data: bytes, *, source: str = "<opml>") -> FeedList:
    """Import every ``outline`` with an ``xmlUrl``, however deeply nested, in document order.

    The name is the outline's ``title``, else its ``text``, else the URL. Outlines with an
    invalid URL and repeated URLs are skipped and listed in ``.warnings``. Documents that are
    not well-formed OPML, or that declare entities, raise :class:`FeedsFileError`.
    """
    outlines: list[tuple[int, dict[str, str]]] = []
    root: list[str] = []
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def on_entity_decl(name: str, *_: object) -> None:
        # Refusing the declaration stops "billion laughs" before a single expansion happens.
        raise _refuse(source, f"entity declaration {name!r}")

    def on_external_ref(*_: object) -> int:
        raise _refuse(source, "external entity reference")

    def on_start(name: str, attrs: dict[str, str]) -> None:
        if not root:
            root.append(name)
        if name == "outline":
            lowered = {key.lower(): value for key, value in attrs.items()}
            if lowered.get("xmlurl", "").strip():
                outlines.append((parser.CurrentLineNumber, lowered))

    parser.EntityDeclHandler = on_entity_decl
    parser.ExternalEntityRefHandler = on_external_ref
    parser.StartElementHandler = on_start
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise FeedsFileError(f"{source}: not well-formed XML: {exc}", source=source) from exc
    if root != ["opml"]:
        raise FeedsFileError(f"{source}: root element is not <opml>", source=source)

    valid: list[tuple[int, FeedConfig]] = []
    warnings = []
    for index, (line, attrs) in enumerate(outlines):
        url = attrs["xmlurl"].strip()
        name = (attrs.get("title") or "").strip() or (attrs.get("text") or "").strip() or url
        try:
            valid.append((index, FeedConfig(url=url, name=name)))
        except ValidationError as exc:
            warnings.append(
                f"{source}: outline[{index}] (line {line}): {_message(exc.errors()[0])}"
            )
    result = _collapse(valid, source, "outline")
    result.warnings[:0] = warnings
    return result


def feeds_to_opml(feeds: Iterable[FeedConfig], *, title: str = "wirewatch feeds") -> str:
    """Render feeds as an OPML 2.0 document (url and name; OPML has no place for the rest)."""
    opml = ET.Element("opml", version="2.0")
    ET.SubElement(ET.SubElement(opml, "head"), "title").text = title
    body = ET.SubElement(opml, "body")
    for feed in feeds:
        ET.SubElement(body, "outline", type="rss", text=feed.name, title=feed.name, xmlUrl=feed.url)
    ET.indent(opml)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(opml, encoding="unicode") + "\n"
