"""The analysts' page in a real browser over the whole stack with the offline demo feed.

``wirewatch up --demo`` runs as a process tree (broker, demo feed, ingest, extract, api);
Playwright drives Debian's Chromium (installed by ``tools/install-test-tools.sh``; Playwright's
own browser downloads do not work offline). Screenshots go to ``artifacts/``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest

from services.broker import free_port
from tests.e2e.updemo import spawn_up_demo

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of an api served by ``wirewatch up --demo``, once it lists an alert."""
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is absent: run tools/install-test-tools.sh (make test does)")
    pytest.importorskip("playwright", reason="playwright is installed with the dev extra")
    data = tmp_path_factory.mktemp("page")
    port = free_port()
    proc, log_path = spawn_up_demo(
        data, api_port=port, rate_per_s=4, unset=("WIREWATCH_REQUIRE_KEY_FOR_READS",)
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            assert proc.poll() is None, log_path.read_text(errors="replace")[-3000:]
            try:
                if httpx2.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            time.sleep(0.3)
        else:
            raise AssertionError("api not up in 45 s: " + log_path.read_text()[-3000:])
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextmanager
def _browser(java_script: bool) -> Iterator[Any]:
    """A fresh Chromium context (own user-data dir) at 1280x800."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
            viewport={"width": 1280, "height": 800},
            java_script_enabled=java_script,
        )
        try:
            yield context
        finally:
            context.close()


def _wait_for(probe: Any, timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _other_hosts(urls: list[str], base: str) -> list[str]:
    origin = urlsplit(base).netloc
    return [
        u
        for u in urls
        if urlsplit(u).scheme in ("http", "https", "ws", "wss") and urlsplit(u).netloc != origin
    ]


def test_page_shows_alerts_live_with_details_filters_and_no_other_host(stack: str) -> None:
    """An alert arrives over the stream without a reload; clicking one shows its evidence
    with highlights and its source links; a movement filter narrows the list and lands in the
    URL; Escape closes the detail; every request goes to the api's own origin."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    ARTIFACTS.mkdir(exist_ok=True)
    requests: list[str] = []
    with _browser(java_script=True) as context:
        page = context.new_page()
        page.on("request", lambda request: requests.append(request.url))
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        console: list[str] = []
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.goto(f"{stack}/")
        page.wait_for_selector("#live[data-state='live']", timeout=15000)
        page.evaluate("window.__sameDocument = true")
        rendered = int(page.locator("#alerts").get_attribute("data-max-seq") or 0)
        # Only the stream handler marks rows "fresh"; its seq must be newer than the render.
        fresh = page.locator("#alerts li.alert.fresh").first
        fresh.wait_for(timeout=45000)
        assert int(fresh.get_attribute("data-seq") or 0) > rendered
        assert page.evaluate("window.__sameDocument") is True
        page.screenshot(path=str(ARTIFACTS / "page-1280x800.png"))

        # A claim whose actor is written in its evidence: it must come out highlighted.
        def pick() -> dict[str, Any] | None:
            alerts = httpx2.get(f"{stack}/v1/alerts", params={"limit": 100}).json()["items"]
            shown = set(
                page.locator("#alerts li.alert").evaluate_all(
                    "rows => rows.map(r => r.dataset.clusterId)"
                )
            )
            for alert in alerts:
                claim = alert["data"]["claim"]
                actor = (claim.get("actor") or {}).get("text")
                if actor and actor in claim["evidence"] and alert["cluster_id"] in shown:
                    return alert
            return None

        alert = _wait_for(pick, 30, "an alert whose actor appears in its evidence")
        row = page.locator(f"#alerts li.alert[data-cluster-id='{alert['cluster_id']}']")
        row.locator("button.open").focus()
        page.keyboard.press("Enter")
        detail = page.locator("#detail")
        detail.wait_for(state="visible")
        page.locator("#detail .sources a").first.wait_for(timeout=10000)
        marks = detail.locator(".evidence mark.hl-actor").all_inner_texts()
        assert alert["data"]["claim"]["actor"]["text"] in marks
        cluster = httpx2.get(f"{stack}/v1/clusters/{alert['cluster_id']}").json()
        links = detail.locator(".sources a.raw").evaluate_all("as => as.map(a => a.href)")
        assert {f"{stack}/v1/items/{s['item_id']}" for s in cluster["sources"]} <= set(links)
        page.screenshot(path=str(ARTIFACTS / "page-detail-1280x800.png"))
        page.keyboard.press("Escape")
        detail.wait_for(state="hidden")
        assert page.evaluate("document.activeElement.classList.contains('open')")

        # Filter on a movement some listed alert does not have.
        def movements() -> list[str]:
            found = page.locator("#alerts li.alert dl.facts div:first-child dd").all_inner_texts()
            return [text.split(" ")[0] for text in found]

        before = _wait_for(
            lambda: (m := movements()) and len(set(m)) > 1 and m, 30, "two movements in the list"
        )
        chosen = min(set(before), key=before.count)
        page.select_option("#f-movement", chosen)
        page.locator("#filters button[type=submit]").click()
        page.wait_for_function(
            "m => [...document.querySelectorAll('#alerts li.alert dl.facts div:first-child dd')]"
            ".every(d => d.textContent.startsWith(m + ' '))",
            arg=chosen,
        )
        after = movements()
        # Before: more than one movement listed; after: only the chosen one.
        assert set(after) == {chosen}
        assert parse_qs(urlsplit(page.url).query)["movement"] == [chosen]
        assert page.evaluate("window.__sameDocument") is True

        # The timeline's actor bars filter the list too (movement cleared first).
        page.locator("#clear").click()
        page.wait_for_function("!location.search")
        bar = page.locator("#timeline button.actor-bar").first
        try:
            bar.wait_for(timeout=15000)
        except PlaywrightTimeout as exc:
            timeline = page.locator("#timeline").inner_html()[:500]
            raise AssertionError(f"no actor bar; console: {console}; timeline: {timeline}") from exc
        page.screenshot(path=str(ARTIFACTS / "page-1280x800.png"))
        bar.click()
        page.wait_for_url("**actor=**")
        actor = parse_qs(urlsplit(page.url).query)["actor"][0]
        expected = httpx2.get(f"{stack}/v1/alerts", params={"actor": actor, "limit": 200})
        allowed = {a["cluster_id"] for a in expected.json()["items"]}
        page.wait_for_timeout(500)
        listed = page.locator("#alerts li.alert").evaluate_all(
            "rows => rows.map(r => r.dataset.clusterId)"
        )
        assert set(listed) <= allowed
        assert page.locator("#f-actor").input_value() == actor

        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_timeout(300)
        page.screenshot(path=str(ARTIFACTS / "page-390x844.png"), full_page=False)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert not errors, errors
    assert any("/v1/alerts/stream" in u for u in requests)
    assert _other_hosts(requests, stack) == []


def test_page_without_javascript_lists_the_latest_alerts(stack: str) -> None:
    """With scripts off, / is server-rendered HTML of the latest alerts, and its filter form
    submits as a plain GET that the server applies."""
    alerts = _wait_for(
        lambda: httpx2.get(f"{stack}/v1/alerts", params={"limit": 5}).json()["items"],
        45,
        "an alert",
    )
    requests: list[str] = []
    with _browser(java_script=False) as context:
        page = context.new_page()
        page.on("request", lambda request: requests.append(request.url))
        page.goto(f"{stack}/")
        rows = page.locator("#alerts li.alert")
        assert rows.count() >= 1
        shown = set(rows.evaluate_all("rows => rows.map(r => r.dataset.clusterId)"))
        assert alerts[0]["cluster_id"] in shown
        assert page.locator("#live").inner_text().startswith("Static view")
        movement = alerts[0]["data"]["claim"]["movement"]
        page.select_option("#f-movement", movement)
        page.locator("#filters button[type=submit]").click()
        page.wait_for_url(f"**movement={movement}**")
        facts = page.locator("#alerts li.alert dl.facts div:first-child dd").all_inner_texts()
        assert facts
        assert all(text.startswith(f"{movement} ") for text in facts)
        page.screenshot(path=str(ARTIFACTS / "page-nojs-1280x800.png"))
    assert _other_hosts(requests, stack) == []
