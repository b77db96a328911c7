"""The feeds list: YAML load/dump, error messages that point at the bad entry, OPML import and
export, duplicate collapsing and the shipped default feeds."""

from __future__ import annotations

from pathlib import Path

import pytest

import services.ingest
from services.ingest.feeds import (
    FeedConfig,
    FeedsFileError,
    dump_feeds,
    feeds_from_opml,
    feeds_to_opml,
    load_feeds,
)

DEFAULT_FEEDS = Path(services.ingest.__file__).parent / "default_feeds.yaml"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_dump_then_load_gives_the_same_feeds(tmp_path: Path) -> None:
    """dump_feeds output read back by load_feeds yields equal records, in order."""
    feeds = [
        FeedConfig(url="https://example.org/world.rss", name="World", interval_s=300),
        FeedConfig(url="https://example.net/atom", name="Wire: «Atom» & co", full_text=True),
        FeedConfig(url="http://127.0.0.1:8080/feed.xml", name="local"),
    ]
    loaded = load_feeds(_write(tmp_path, dump_feeds(feeds)))
    assert loaded == feeds
    assert loaded.warnings == []


def test_defaults_apply_when_optional_fields_are_absent(tmp_path: Path) -> None:
    """interval_s defaults to None (scheduler decides) and full_text to False."""
    (feed,) = load_feeds(_write(tmp_path, "feeds:\n  - {url: 'https://a.example/rss', name: A}\n"))
    assert feed.interval_s is None
    assert feed.full_text is False


@pytest.mark.parametrize(
    ("text", "index", "field", "fragment"),
    [
        pytest.param(
            "feeds:\n  - {url: https://a.example/rss, name: A}\n  - {url: 'ftp://x/y', name: B}\n",
            1, "url", "feeds[1].url", id="bad-scheme",
        ),
        pytest.param("feeds:\n  - {url: https://a.example/rss}\n", 0, "name", "feeds[0].name",
                     id="missing-name"),
        pytest.param(
            "feeds:\n  - {url: https://a.example/rss, name: A, interval_s: 0}\n",
            0, "interval_s", "feeds[0].interval_s", id="zero-interval",
        ),
        pytest.param(
            "feeds:\n  - {url: https://a.example/rss, name: A, interval: 60}\n",
            0, "interval", "feeds[0].interval", id="unknown-key",
        ),
        pytest.param("feeds:\n  - just-a-string\n", 0, None, "feeds[0]", id="not-a-mapping"),
        pytest.param("- {url: https://a.example/rss, name: A}\n", None, "feeds", "'feeds' list",
                     id="top-level-list"),
        pytest.param("other: []\n", None, "feeds", "'feeds' list", id="no-feeds-key"),
        pytest.param("", None, "feeds", "'feeds' list", id="empty-file"),
    ],
)  # fmt: skip
def test_bad_entries_raise_naming_file_index_and_field(
    tmp_path: Path, text: str, index: int | None, field: str | None, fragment: str
) -> None:
    """FeedsFileError names the file, the entry index and the field at fault."""
    path = _write(tmp_path, text)
    with pytest.raises(FeedsFileError) as caught:
        load_feeds(path)
    assert str(path) in str(caught.value)
    assert fragment in str(caught.value)
    assert (caught.value.source, caught.value.index, caught.value.field) == (
        str(path),
        index,
        field,
    )


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    """A YAML syntax error is reported with the file and the line."""
    path = _write(tmp_path, "feeds:\n  - url: https://a.example/rss\n    name: [unclosed\n")
    with pytest.raises(FeedsFileError, match=rf"{path}:\d+: invalid YAML"):
        load_feeds(path)


def test_missing_file_is_a_feeds_file_error(tmp_path: Path) -> None:
    """An unreadable file raises FeedsFileError, not a bare OSError."""
    with pytest.raises(FeedsFileError, match="cannot read"):
        load_feeds(tmp_path / "absent.yaml")


def test_duplicate_urls_are_collapsed_with_a_warning(tmp_path: Path) -> None:
    """The first entry per URL wins (after URL normalisation); later ones become warnings."""
    path = _write(
        tmp_path,
        "feeds:\n"
        "  - {url: 'https://Example.org', name: First}\n"
        "  - {url: 'https://b.example/rss', name: Other}\n"
        "  - {url: 'https://example.org/', name: Again}\n",
    )
    feeds = load_feeds(path)
    assert [f.name for f in feeds] == ["First", "Other"]
    assert len(feeds.warnings) == 1
    assert "feeds[2]" in feeds.warnings[0]
    assert "feeds[0]" in feeds.warnings[0]


NESTED_OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>Subscriptions</title></head>
  <body>
    <outline text="News">
      <outline text="World">
        <outline type="rss" text="BBC World" title="BBC News - World"
                 xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml"/>
        <outline type="rss" text="Guardian World" xmlUrl="https://www.theguardian.com/world/rss"/>
      </outline>
      <outline type="rss" xmlurl="https://feeds.npr.org/1004/rss.xml"/>
    </outline>
    <outline text="Just a folder"/>
    <outline type="rss" text="Broken" xmlUrl="not a url"/>
    <outline type="rss" text="BBC again" xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml"/>
  </body>
</opml>
"""


def test_opml_import_reads_nested_outlines() -> None:
    """Outlines at any depth with an xmlUrl become feeds; title, then text, then URL names them."""
    feeds = feeds_from_opml(NESTED_OPML)
    assert [(f.url, f.name) for f in feeds] == [
        ("https://feeds.bbci.co.uk/news/world/rss.xml", "BBC News - World"),
        ("https://www.theguardian.com/world/rss", "Guardian World"),
        ("https://feeds.npr.org/1004/rss.xml", "https://feeds.npr.org/1004/rss.xml"),
    ]
    assert len(feeds.warnings) == 2
    assert any("outline[3]" in w and "URL" in w for w in feeds.warnings)
    assert any("duplicate" in w and "outline[4]" in w for w in feeds.warnings)


def test_opml_export_round_trips_url_and_name() -> None:
    """feeds_to_opml output imports back to the same URLs and names, special characters intact."""
    feeds = [
        FeedConfig(url="https://a.example/rss?x=1&y=2", name='Tom & Jerry <"wire">'),
        FeedConfig(url="https://b.example/atom.xml", name="Défense", interval_s=60),
    ]
    back = feeds_from_opml(feeds_to_opml(feeds).encode("utf-8"))
    assert [(f.url, f.name) for f in back] == [(f.url, f.name) for f in feeds]
    assert back.warnings == []


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(
            b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b'<opml><body><outline text="&b;" xmlUrl="https://a.example/rss"/></body></opml>',
            id="entity-expansion",
        ),
        pytest.param(
            b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<opml><body><outline text="&x;" xmlUrl="https://a.example/rss"/></body></opml>',
            id="external-entity",
        ),
    ],
)
def test_opml_with_entity_declarations_is_refused(document: bytes) -> None:
    """Documents declaring entities are refused before anything is expanded or fetched."""
    with pytest.raises(FeedsFileError, match="refused"):
        feeds_from_opml(document, source="evil.opml")


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        pytest.param(b"<opml><body><outline", "not well-formed", id="truncated"),
        pytest.param(b"<rss><channel/></rss>", "not <opml>", id="not-opml"),
    ],
)
def test_opml_that_is_not_an_outline_is_an_error(document: bytes, fragment: str) -> None:
    """Broken XML and non-OPML documents raise FeedsFileError naming the source."""
    with pytest.raises(FeedsFileError, match=fragment) as caught:
        feeds_from_opml(document, source="subs.opml")
    assert "subs.opml" in str(caught.value)


def test_default_feeds_file_lists_at_least_twelve_unique_https_feeds() -> None:
    """The shipped default feeds load cleanly: ≥ 12 https feeds, unique URLs and names."""
    feeds = load_feeds(DEFAULT_FEEDS)
    assert feeds.warnings == []
    assert len(feeds) >= 12
    assert all(f.url.startswith("https://") for f in feeds)
    assert len({f.url for f in feeds}) == len(feeds)
    assert len({f.name for f in feeds}) == len(feeds)
    assert all(f.interval_s == 300 for f in feeds)
