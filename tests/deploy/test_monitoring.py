"""The Grafana dashboard and the Prometheus rules query metrics the services really export.

Every ``wirewatch_*`` name in a panel query or an alert expression must be a sample name of the
services' real /metrics output (tests/deploy/exported.py). Two families are written ahead of
the code that will export them (PLANNED): while no metric of their subsystem exists the check
is skipped with that reason; as soon as one does, the planned name must be among them, so a
rename is caught instead of leaving a panel blank.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.broker import EmbeddedBroker
from tests.deploy.exported import (
    api_exposition,
    extract_exposition,
    ingest_exposition,
    series,
)

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "deploy" / "grafana" / "dashboards" / "wirewatch.json"
RULES = REPO / "deploy" / "prometheus" / "rules" / "wirewatch.yml"
PROMETHEUS = REPO / "deploy" / "prometheus" / "prometheus.yml"
KUBERNETES_SCRAPE = REPO / "deploy" / "prometheus" / "kubernetes-scrape.yml"
# Metric name -> the prefix every metric of its (not yet written) subsystem will share.
PLANNED = {
    "wirewatch_alerts_total": "wirewatch_alert",
    "wirewatch_webhook_deliveries_total": "wirewatch_webhook",
}
_METRIC = re.compile(r"\bwirewatch_[a-z0-9_]+\b")
_JOBS = {"wirewatch-api", "wirewatch-ingest", "wirewatch-extract"}


def _dashboard() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return document


def _panel_queries() -> list[tuple[str, str]]:
    return [
        (panel["title"], target["expr"])
        for panel in _dashboard()["panels"]
        for target in panel.get("targets", [])
    ]


def _rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def _queried_names() -> list[str]:
    exprs = [expr for _, expr in _panel_queries()] + [rule["expr"] for rule in _rules()]
    return sorted({name for expr in exprs for name in _METRIC.findall(expr)})


@pytest.fixture(scope="module")
async def exported(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Sample names the three services expose, from their real registries."""
    async with EmbeddedBroker() as broker:
        # Side by side: each takes a few seconds to leave its consumer group on the way out.
        texts = await asyncio.gather(
            extract_exposition(broker.bootstrap, tmp_path_factory.mktemp("extract")),
            api_exposition(broker.bootstrap, tmp_path_factory.mktemp("api")),
        )
    return set().union(series(ingest_exposition()), *(series(text) for text in texts))


def test_dashboard_has_the_promised_panels() -> None:
    titles = " | ".join(panel["title"].lower() for panel in _dashboard()["panels"])
    for words in ("polls", "items per second", "latency", "claims", "alerts", "webhook", "lag"):
        assert words in titles, words


def test_every_panel_queries_through_the_datasource_variable() -> None:
    """Imported into any Grafana, the dashboard asks which Prometheus to use."""
    dashboard = _dashboard()
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["query"] == "prometheus"
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["targets"], panel["title"]
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]


def test_every_query_names_a_wirewatch_metric() -> None:
    for title, expr in _panel_queries():
        assert _METRIC.search(expr), f"{title}: {expr}"
    for rule in _rules():
        assert _METRIC.search(rule["expr"]) or "up{" in rule["expr"], rule["alert"]


def test_the_series_parser_knows_counter_and_histogram_suffixes() -> None:
    names = series(ingest_exposition())
    assert "wirewatch_ingest_polls_total" in names
    assert "wirewatch_ingest_fetch_duration_seconds_bucket" in names
    assert "wirewatch_ingest_polls" not in names


@pytest.mark.integration
@pytest.mark.parametrize("name", _queried_names())
def test_queried_metric_is_exported(name: str, exported: set[str]) -> None:
    if name in exported:
        return
    if name in PLANNED:
        family = PLANNED[name]
        siblings = sorted(n for n in exported if n.startswith(family))
        if not siblings:
            pytest.skip(f"{name}: no {family}* metric is exported yet (its code is not written)")
        pytest.fail(f"{name} is not exported, but {siblings} are: update the dashboard/rules")
    pytest.fail(f"{name} is queried but no service exports it")


@pytest.mark.parametrize("rule", _rules(), ids=lambda rule: rule["alert"])
def test_alert_rule_is_complete(rule: dict[str, Any]) -> None:
    assert re.fullmatch(r"Wirewatch[A-Za-z]+", rule["alert"])
    assert rule["labels"]["severity"] in ("info", "warning", "critical")
    assert rule["annotations"]["summary"]
    assert rule["annotations"]["description"]


def test_rules_cover_the_promised_conditions() -> None:
    exprs = " ".join(rule["expr"] for rule in _rules())
    assert "wirewatch_ingest_feed_consecutive_errors" in exprs  # feed stale
    assert "consumer_lag_records" in exprs
    assert 'wirewatch_webhook_deliveries_total{outcome="dead"}' in exprs
    assert "dead_letters_total" in exprs


def test_scrape_jobs_match_the_jobs_the_rules_name() -> None:
    """compose and Kubernetes give the same job names, which the rules and dashboard use."""
    compose_jobs = {
        job["job_name"] for job in yaml.safe_load(PROMETHEUS.read_text())["scrape_configs"]
    }
    assert compose_jobs == _JOBS
    (k8s_job,) = yaml.safe_load(KUBERNETES_SCRAPE.read_text())
    relabel = [r for r in k8s_job["relabel_configs"] if r.get("target_label") == "job"]
    assert relabel
    assert relabel[0]["replacement"] == "wirewatch-$1"


def test_prometheus_loads_the_rules_file() -> None:
    config = yaml.safe_load(PROMETHEUS.read_text())
    mounted = "/etc/prometheus/rules/"
    assert any(pattern.startswith(mounted) for pattern in config["rule_files"])
    assert RULES.parent.name == "rules"
