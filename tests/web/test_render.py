"""The page's server-rendered HTML: escaping of hostile feed text, highlights, links, the URL's
filters (parsed, reflected in the form and applied to the list), CSP and the static files."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from proto import Movement, Polarity
from services.api.alerts.engine import AlertEngine
from services.api.app import create_app
from services.api.settings import ApiSettings
from services.api.store import Store
from services.api.web.cards import ago, alert_card, highlight, safe_href
from services.api.web.filters import ViewFilters
from services.api.web.routes import CSP
from tests.api.conftest import claim, mention
from tests.api.test_alerts_engine import article

HOSTILE = '<script>alert("x")</script>'
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
KEY = "page-test-key-0123456789"


def _alert(**claim_fields: Any) -> dict[str, Any]:
    """An alert as the API serves it, with ``claim_fields`` overriding the claim."""
    claim_json: dict[str, Any] = {
        "movement": "advance",
        "polarity": "asserted",
        "actor": {"text": "Russian", "canonical_id": "RUS", "canonical_name": "Russia"},
        "claimant": None,
        "location": {"text": "Kharkiv", "canonical_id": None, "relation": "into"},
        "size": None,
        "evidence": "Russian troops moved into Kharkiv.",
        **claim_fields,
    }
    return {
        "seq": 7,
        "type": "claim.new",
        "cluster_id": "k1",
        "independent_sources": 1,
        "created_at": "2026-03-02T11:00:00Z",
        "data": {
            "cluster": {"first_seen_at": "2026-03-02T11:00:00Z", "movement": "advance"},
            "claim": claim_json,
            "sources": [
                {"item_id": "i1", "title": HOSTILE, "url": "javascript:alert(1)"},
                {
                    "item_id": "i2",
                    "title": "Copy",
                    "url": "https://b.example/x",
                    "independent": False,
                    "reason": "same_wire:ap",
                },
            ],
            "disputes": [],
        },
    }


def test_highlight_marks_each_part_and_escapes_the_rest() -> None:
    """Parts found in the evidence are wrapped in <mark class="hl hl-KIND">; text between
    them is escaped, so markup in the evidence stays text."""
    evidence = f"NATO said 20,000 Russian troops massed near Ukraine {HOSTILE}"
    html = highlight(
        evidence,
        [("actor", "Russian"), ("claimant", "NATO"), ("place", "Ukraine"), ("size", "20,000")],
    )
    marked = dict(
        (kind, text) for kind, text in re.findall(r'<mark class="hl hl-(\w+)"[^>]*>([^<]*)<', html)
    )
    assert marked == {"actor": "Russian", "claimant": "NATO", "place": "Ukraine", "size": "20,000"}
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        pytest.param([("actor", "russian")], ["Russian"], id="case-insensitive-fallback"),
        pytest.param([("place", "Kyiv")], [], id="absent-text-unmarked"),
        pytest.param(
            [("place", "Russian troops"), ("actor", "Russian")], ["Russian troops"], id="overlap"
        ),
        pytest.param([("size", ""), ("claimant", None)], [], id="empty-parts"),
    ],
)
def test_highlight_edge_cases(parts: list[tuple[str, str | None]], expected: list[str]) -> None:
    """Case-insensitive fallback, absent text, overlapping parts and empty parts."""
    html = highlight("Russian troops crossed.", parts)
    assert re.findall(r"<mark[^>]*>([^<]*)</mark>", html) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("https://a.example/x?y=1", "https://a.example/x?y=1", id="https"),
        pytest.param("http://127.0.0.1:8/items/1", "http://127.0.0.1:8/items/1", id="http"),
        pytest.param("javascript:alert(1)", None, id="javascript"),
        pytest.param(" JavaScript:alert(1)", None, id="javascript-spaced"),
        pytest.param("data:text/html,<b>", None, id="data"),
        pytest.param("/relative", None, id="relative"),
        pytest.param(None, None, id="missing"),
    ],
)
def test_safe_href_keeps_only_absolute_http_urls(url: object, expected: str | None) -> None:
    """Only absolute http(s) URLs become links."""
    assert safe_href(url) == expected


def test_alert_card_escapes_feed_text_and_drops_unsafe_links() -> None:
    """Hostile actor text, evidence and source titles render as text; a javascript: link is
    not a link; the badge, the facts and the syndicated tag are shown."""
    card = alert_card(_alert(actor={"text": HOSTILE}, evidence=f"{HOSTILE} moved."), NOW)
    assert "<script>" not in card
    assert card.count("&lt;script&gt;") >= 3  # title, actor fact, evidence, source title
    assert "javascript:" not in card
    assert '<a href="https://b.example/x"' in card
    assert "syndicated: same_wire:ap" in card
    assert 'class="badge badge-new"' in card
    assert "into Kharkiv" in card
    assert "1 h ago" in card


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        pytest.param(10, "just now", id="seconds"),
        pytest.param(600, "10 min ago", id="minutes"),
        pytest.param(3 * 3600, "3 h ago", id="hours"),
        pytest.param(86400, "1 day ago", id="one-day"),
        pytest.param(3 * 365 * 86400, "3 years ago", id="years"),
    ],
)
def test_ago_is_coarse(seconds: int, expected: str) -> None:
    """Time since first report, in the unit a reader scans fastest."""
    assert ago(NOW - timedelta(seconds=seconds), NOW) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param({}, ViewFilters(), id="none"),
        pytest.param(
            {"actor": "  RUS ", "movement": "Advance", "polarity": "denied", "place": "Kyiv"},
            ViewFilters(actor="RUS", movement="advance", polarity="denied", place="Kyiv"),
            id="all",
        ),
        pytest.param({"movement": "retreat", "polarity": "maybe"}, ViewFilters(), id="unknown"),
        pytest.param({"actor": "x" * 201, "place": "   "}, ViewFilters(), id="too-long-or-blank"),
    ],
)
def test_view_filters_from_query(query: dict[str, str], expected: ViewFilters) -> None:
    """The URL's filters are trimmed; unknown, blank or over-long values are dropped."""
    assert ViewFilters.from_query(query) == expected


def test_view_filters_round_trip_through_the_query_string() -> None:
    """query() writes the names the page reads back; changes override and None removes."""
    filters = ViewFilters(actor="RUS", movement="advance", place="Kyiv")
    assert filters.query() == "?actor=RUS&movement=advance&place=Kyiv"
    assert filters.query(movement=None) == "?actor=RUS&place=Kyiv"
    assert filters.store_kwargs() == {"actor": "RUS", "movement": "advance", "location": "Kyiv"}


# --- the page served by the app, over a store the alert engine filled -----------------------


@pytest.fixture
async def database(tmp_path: Path) -> str:
    """A SQLite database with two alerts: a Russian advance into Kharkiv whose title, actor
    text and evidence carry markup, and a denied Belarusian buildup near Minsk."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'page.db'}"
    async with await Store.open(url) as store:
        engine = AlertEngine(store)
        hostile = claim(
            "c1",
            actor=mention(f"Russian{HOSTILE}", "RUS", "Russia"),
            place=mention("Kharkiv", "place:kharkiv", "Kharkiv"),
            movement=Movement.MOVEMENT_ADVANCE,
            evidence=f"Russian{HOSTILE} troops advanced into Kharkiv.",
        )
        hostile.fingerprint = "rus|advance|place:kharkiv|asserted"
        message = article("a", hostile)
        message.item.title = f"{HOSTILE} headline"
        await engine.ingest(message)
        denied = claim(
            "c2",
            actor=mention("Belarusian", "BLR", "Belarus"),
            place=mention("Minsk", "place:minsk", "Minsk"),
            polarity=Polarity.POLARITY_DENIED,
            evidence="Minsk denied that Belarusian troops were massing near Minsk.",
        )
        denied.fingerprint = "blr|buildup|place:minsk|denied"
        await engine.ingest(article("b", denied, body="Minsk denied any troop build-up."))
    return url


def _client(tmp_path: Path, database: str, **overrides: Any) -> TestClient:
    settings = ApiSettings(
        database_url=database,
        data_dir=tmp_path,
        api_consume=False,
        webhook_dispatch=False,
        api_keys=[KEY],
        **overrides,
    )
    return TestClient(create_app(settings))


@pytest.fixture
def client(tmp_path: Path, database: str) -> Iterator[TestClient]:
    with _client(tmp_path, database) as opened:
        yield opened


def _titles(html: str) -> list[str]:
    return re.findall(r'<h3 class="card-title">(.*?)</h3>', html)


@pytest.mark.integration
def test_page_lists_the_latest_alerts_escaped_with_csp(client: TestClient) -> None:
    """GET / is HTML listing both alerts newest first; markup from the feed is escaped; the
    response forbids loading or connecting anywhere but this origin."""
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == CSP
    directives = dict(d.strip().split(" ", 1) for d in CSP.split(";"))
    assert directives["default-src"] == directives["connect-src"] == "'self'"
    assert directives["script-src"] == directives["style-src"] == "'self'"
    html = response.text
    assert _titles(html) == [
        '<span class="tag tag-denied">denied</span> Belarus · buildup',
        "Russia · advance",
    ]
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; headline" in html
    assert re.search(r'<mark class="hl hl-place"[^>]*>Kharkiv</mark>', html)
    assert re.findall(r'<script src="([^"]+)"', html) == ["/static/app.js"]


@pytest.mark.integration
@pytest.mark.parametrize(
    ("query", "titles"),
    [
        pytest.param("?movement=advance", ["Russia · advance"], id="movement"),
        pytest.param("?polarity=denied", ["Belarus · buildup"], id="polarity"),
        pytest.param("?actor=rus", ["Russia · advance"], id="actor-id"),
        pytest.param("?place=Minsk", ["Belarus · buildup"], id="place-text"),
        pytest.param("?actor=RUS&polarity=denied", [], id="combined"),
        pytest.param("?movement=retreat", ["Belarus · buildup", "Russia · advance"], id="bad"),
    ],
)
def test_page_list_honours_the_url_filters(
    client: TestClient, query: str, titles: list[str]
) -> None:
    """The server-rendered list applies actor, movement, polarity and place from the URL."""
    html = client.get(f"/{query}").text
    shown = [re.sub(r"<[^>]+>", "", t).removeprefix("denied ") for t in _titles(html)]
    assert shown == titles
    assert ('id="empty" class="empty" hidden' in html) == bool(titles)


@pytest.mark.integration
def test_page_form_reflects_the_url_filters(client: TestClient) -> None:
    """The filter form is prefilled from the URL (escaped), so a shared link shows its view."""
    html = client.get("/", params={"actor": '"><b>x', "movement": "deploy"}).text
    assert 'value="&quot;&gt;&lt;b&gt;x"' in html
    assert '<option value="deploy" selected>' in html
    assert "<b>x" not in html


@pytest.mark.integration
def test_page_hides_alerts_when_reads_need_a_key(tmp_path: Path, database: str) -> None:
    """With WIREWATCH_REQUIRE_KEY_FOR_READS the page lists nothing without a key, and the
    alerts with a valid Bearer key."""
    with _client(tmp_path, database, require_key_for_reads=True) as client:
        anonymous = client.get("/")
        assert anonymous.status_code == 200
        assert _titles(anonymous.text) == []
        assert "Reads need an API key" in anonymous.text
        keyed = client.get("/", headers={"Authorization": f"Bearer {KEY}"})
        assert len(_titles(keyed.text)) == 2


@pytest.mark.integration
@pytest.mark.parametrize(
    ("name", "status", "content_type"),
    [
        pytest.param("app.js", 200, "text/javascript", id="script"),
        pytest.param("app.css", 200, "text/css", id="style"),
        pytest.param("missing.js", 404, None, id="missing"),
        pytest.param("..%2Froutes.py", 404, None, id="traversal"),
        pytest.param("routes.py", 404, None, id="other-type"),
    ],
)
def test_static_files(client: TestClient, name: str, status: int, content_type: str | None) -> None:
    """Only the page's own .js / .css / .txt files are served, with CSP and an ETag."""
    response = client.get(f"/static/{name}")
    assert response.status_code == status
    if content_type is not None:
        assert response.headers["content-type"].startswith(content_type)
        assert response.headers["content-security-policy"] == CSP
        again = client.get(f"/static/{name}", headers={"If-None-Match": response.headers["etag"]})
        assert again.status_code == 304


@pytest.mark.integration
def test_page_is_not_in_the_openapi_schema(client: TestClient) -> None:
    """The page and its files stay out of the API's OpenAPI document."""
    paths = client.get("/openapi.json").json()["paths"]
    assert "/" not in paths
    assert not any(p.startswith("/static") for p in paths)
