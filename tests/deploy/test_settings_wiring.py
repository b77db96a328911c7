"""Every WIREWATCH_ setting the code reads is wired in compose and Kubernetes, or said optional.

The settings are enumerated from the code at test time: every subclass of ``CommonSettings``
defined in ``services/`` (their modules are found by their source text, then imported), so a
setting added later is checked without touching this file. A name is "documented as optional"
when it is in the table between the ``optional-settings`` markers of deploy/README.md.
"""

from __future__ import annotations

import functools
import importlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.config import ENV_PREFIX, CommonSettings
from tests.deploy.kustomize import render

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
DEPLOY_README = REPO / "deploy" / "README.md"
KUBERNETES = REPO / "deploy" / "kubernetes"
SECRET_SETTINGS = {"WIREWATCH_DATABASE_URL", "WIREWATCH_API_KEYS", "WIREWATCH_WEBHOOKS"}


def _settings_classes() -> list[type[CommonSettings]]:
    for path in sorted((REPO / "services").rglob("*.py")):
        if re.search(r"^class \w+\((\w+)?Settings\):", path.read_text("utf-8"), re.MULTILINE):
            module = ".".join(path.relative_to(REPO).with_suffix("").parts)
            importlib.import_module(module)
    found: list[type[CommonSettings]] = []
    pending: list[type[CommonSettings]] = [CommonSettings]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def _code_variables() -> list[str]:
    return sorted(
        {f"{ENV_PREFIX}{name.upper()}" for cls in _settings_classes() for name in cls.model_fields}
    )


@functools.cache
def _optional() -> set[str]:
    text = DEPLOY_README.read_text(encoding="utf-8")
    table = re.search(r"<!-- optional-settings.*?-->(.*?)<!-- /optional-settings -->", text, re.S)
    assert table, "deploy/README.md lost its optional-settings table"
    return set(re.findall(rf"^\| `({ENV_PREFIX}[A-Z0-9_]+)` \|", table.group(1), re.MULTILINE))


@functools.cache
def _compose_variables() -> set[str]:
    compose: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    names: set[str] = set()
    for service in compose["services"].values():
        environment = service.get("environment", {})
        keys = (
            environment
            if isinstance(environment, dict)
            else [entry.split("=", 1)[0] for entry in environment]
        )
        names.update(key for key in keys if key.startswith(ENV_PREFIX))
    return names


@functools.cache
def _kubernetes_variables() -> dict[str, set[str]]:
    """Per kind (ConfigMap, Secret, env): the WIREWATCH_ names the rendered trees set."""
    found: dict[str, set[str]] = {"ConfigMap": set(), "Secret": set(), "env": set()}
    trees = [KUBERNETES / "base", *(p for p in (KUBERNETES / "overlays").iterdir() if p.is_dir())]
    for tree in trees:
        for doc in render(tree):
            if doc["kind"] in ("ConfigMap", "Secret"):
                data = {**doc.get("data", {}), **doc.get("stringData", {})}
                found[doc["kind"]].update(k for k in data if k.startswith(ENV_PREFIX))
            if doc["kind"] == "Deployment":
                for container in doc["spec"]["template"]["spec"]["containers"]:
                    found["env"].update(
                        e["name"]
                        for e in container.get("env", [])
                        if e["name"].startswith(ENV_PREFIX)
                    )
    return found


CODE_VARIABLES = _code_variables()


def test_the_settings_are_found() -> None:
    """The enumeration sees every service's class (guards against finding nothing)."""
    names = {cls.__name__ for cls in _settings_classes()}
    assert {"IngestSettings", "ExtractSettings", "ApiSettings", "UpSettings"} <= names
    assert "WIREWATCH_METRICS_HOST" in CODE_VARIABLES


@pytest.mark.parametrize("variable", CODE_VARIABLES)
def test_setting_is_wired_in_compose_and_kubernetes_or_documented_optional(variable: str) -> None:
    if variable in _optional():
        return
    kubernetes = set().union(*_kubernetes_variables().values())
    assert variable in _compose_variables(), f"{variable} is missing from docker-compose.yml"
    assert variable in kubernetes, f"{variable} is missing from deploy/kubernetes"


def test_wiring_names_only_real_settings() -> None:
    """A misspelt or removed variable in compose, Kubernetes or the optional table is an error."""
    wired = _compose_variables() | set().union(*_kubernetes_variables().values()) | _optional()
    assert wired - set(CODE_VARIABLES) == set()


def test_secret_settings_come_from_the_secret_only() -> None:
    kubernetes = _kubernetes_variables()
    assert kubernetes["Secret"] >= SECRET_SETTINGS
    assert not SECRET_SETTINGS & (kubernetes["ConfigMap"] | kubernetes["env"])
