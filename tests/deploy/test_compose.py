"""docker-compose.yml: valid against the Compose Specification, and shaped as the README says.

The schema is the Compose Specification's own JSON schema (compose-spec/compose-spec,
Apache-2.0) as vendored by the check-jsonschema package (`builtin_schemas/vendor/`, with its
licence under `licenses/LICENSE.compose-spec`); it is validated with jsonschema.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return document


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    schema = json.loads(vendor.joinpath("compose-spec.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def test_compose_file_validates_against_the_compose_specification(
    compose: dict[str, Any], validator: jsonschema.protocols.Validator
) -> None:
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []


def test_the_schema_rejects_a_misspelt_service_key(
    compose: dict[str, Any], validator: jsonschema.protocols.Validator
) -> None:
    """The check has teeth: an unknown key in a service is a schema error."""
    broken = {**compose, "services": {**compose["services"], "api": {"imagee": "x"}}}
    assert not validator.is_valid(broken)


def test_the_stack_has_kafka_postgres_three_services_and_monitoring(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert set(services) >= {"kafka", "postgres", "ingest", "extract", "api", "prometheus"}
    assert "grafana" in services
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert "broker,controller" in services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"]
    assert services["extract"]["deploy"]["replicas"] == 2


@pytest.mark.parametrize("service", ["ingest", "extract", "api"])
def test_each_service_builds_its_own_dockerfile(compose: dict[str, Any], service: str) -> None:
    build = compose["services"][service]["build"]
    dockerfile = REPO / build["context"] / build["dockerfile"]
    assert dockerfile.is_file()
    assert dockerfile.name == f"Dockerfile.{service}"


@pytest.mark.parametrize("service", ["ingest", "extract", "api"])
def test_each_service_waits_for_a_healthy_kafka(compose: dict[str, Any], service: str) -> None:
    depends = compose["services"][service]["depends_on"]
    assert depends["kafka"]["condition"] == "service_healthy"
    assert "healthcheck" in compose["services"]["kafka"]


def test_the_api_stores_in_the_compose_postgres(compose: dict[str, Any]) -> None:
    api = compose["services"]["api"]
    assert api["environment"]["WIREWATCH_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert "@postgres:5432/" in api["environment"]["WIREWATCH_DATABASE_URL"]
    assert api["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_mounted_monitoring_files_exist(compose: dict[str, Any]) -> None:
    """Every bind mount of Prometheus and Grafana points at a file or folder in deploy/."""
    for name in ("prometheus", "grafana"):
        for volume in compose["services"][name]["volumes"]:
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), f"{name}: {source}"
