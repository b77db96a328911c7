"""The deploy files start: each service's settings load from the environment they give it.

No container engine or cluster exists on test machines, so this stands in for starting them:
the environment of every wirewatch container is built as the engine would build it — the
image's ``ENV`` lines, then for docker-compose.yml its ``environment`` with ``${VAR:-default}``
resolved as with no ``.env`` and nothing exported, and for Kubernetes the base + example
overlay rendered, ``envFrom`` ConfigMaps and Secrets in order, then ``env`` (the pod name for
``fieldRef: metadata.name``) — and that service's settings loader runs on exactly that
environment, then checks what the command checks next (a broker is configured) and, for
ingest, loads the feeds file the overlay mounts. A shipped value that would stop a container
at start-up fails here.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.api.settings import ApiSettings
from services.config import ENV_PREFIX, CommonSettings, SettingsError, load_settings
from services.extract.settings import ExtractSettings
from services.ingest.feeds import load_feeds
from services.ingest.settings import IngestSettings
from tests.deploy.kustomize import render

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
KUBERNETES = REPO / "deploy" / "kubernetes"
LOADERS: dict[str, type[CommonSettings]] = {
    "ingest": IngestSettings,
    "extract": ExtractSettings,
    "api": ApiSettings,
}
# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $VAR, and $$ for "$".
_INTERPOLATION = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


class Unresolvable(Exception):
    """Raised when a compose value requires a variable that an empty environment lacks."""


def interpolate(value: str, environ: dict[str, str]) -> str:
    """Compose's interpolation of ``value`` against ``environ`` (empty here: no ``.env``)."""

    def one(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["bare"]
        op, arg = match["op"], match["arg"] or ""
        present = name in environ
        usable = present and (environ[name] != "" or not (op or "").startswith(":"))
        if op in (":-", "-"):
            return environ[name] if usable else arg
        if op in (":?", "?"):
            if not usable:
                raise Unresolvable(f"${{{name}}} is required: {arg}")
            return environ[name]
        return environ.get(name, "")

    return _INTERPOLATION.sub(one, value)


def test_interpolation_follows_compose() -> None:
    env = {"SET": "x", "EMPTY": ""}
    assert interpolate("${UNSET:-d}|${EMPTY:-d}|${EMPTY-d}|${SET:-d}", env) == "d|d||x"
    assert interpolate("a$$b ${UNSET} $SET", env) == "a$b  x"
    with pytest.raises(Unresolvable):
        interpolate("${UNSET:?set it}", env)


def image_environment(command: str) -> dict[str, str]:
    """The ``WIREWATCH_`` variables the service's image sets with ``ENV``."""
    text = (REPO / "deploy" / "docker" / f"Dockerfile.{command}").read_text(encoding="utf-8")
    found: dict[str, str] = {}
    for instruction in re.findall(r"^ENV\s+((?:.*\\\n)*.*)$", text, re.MULTILINE):
        for name, value in re.findall(r"(\w+)=(\"[^\"]*\"|\S+)", instruction.replace("\\\n", " ")):
            if name.startswith(ENV_PREFIX):
                found[name] = value.strip('"')
    return found


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def compose_environments() -> Iterator[tuple[str, str, dict[str, str]]]:
    """Per wirewatch service of docker-compose.yml: its command and its container environment."""
    compose: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    for name, service in compose["services"].items():
        command = (service.get("command") or [None])[0]
        if command not in LOADERS:
            continue
        environment = service.get("environment", {})
        if isinstance(environment, list):
            environment = dict(entry.partition("=")[::2] for entry in environment)
        env = image_environment(command)
        for key, value in environment.items():
            if value is not None:  # a bare name passes the host's value: none here
                env[key] = interpolate(_text(value), {})
        yield name, command, env


def _config_data(doc: dict[str, Any]) -> dict[str, str]:
    data = {k: _text(v) for k, v in doc.get("stringData", {}).items()}
    if doc["kind"] == "Secret":
        for key, value in doc.get("data", {}).items():
            data.setdefault(key, base64.b64decode(value).decode("utf-8"))
    else:
        data.update({k: _text(v) for k, v in doc.get("data", {}).items()})
    return data


def kubernetes_environments() -> Iterator[tuple[str, str, dict[str, str], dict[str, str]]]:
    """Per container of the example overlay: its name, command, environment and mounted files."""
    docs = render(KUBERNETES / "overlays" / "example")
    configs = {
        (doc["kind"], doc["metadata"]["name"]): _config_data(doc)
        for doc in docs
        if doc["kind"] in ("ConfigMap", "Secret")
    }
    for doc in docs:
        if doc["kind"] != "Deployment":
            continue
        pod = doc["spec"]["template"]
        volumes = {v["name"]: v for v in pod["spec"].get("volumes", [])}
        for container in pod["spec"]["containers"]:
            command = (container.get("args") or [None])[0]
            if command not in LOADERS:
                continue
            env = image_environment(command)
            for source in container.get("envFrom", []):
                kind, ref = (
                    ("ConfigMap", source["configMapRef"])
                    if "configMapRef" in source
                    else ("Secret", source["secretRef"])
                )
                present = (kind, ref["name"]) in configs
                assert present or ref.get("optional"), f"{kind} {ref['name']} is not rendered"
                env.update(configs.get((kind, ref["name"]), {}))
            for entry in container.get("env", []):
                if "value" in entry:
                    env[entry["name"]] = _text(entry["value"])
                    continue
                field = entry["valueFrom"]["fieldRef"]["fieldPath"]
                assert field == "metadata.name", f"unexpected fieldRef {field}"
                env[entry["name"]] = f"{doc['metadata']['name']}-5d8f7c9b4f-x7k2q"
            files: dict[str, str] = {}
            for mount in container.get("volumeMounts", []):
                config_map = volumes[mount["name"]].get("configMap")
                if config_map:
                    for key, content in configs[("ConfigMap", config_map["name"])].items():
                        files[f"{mount['mountPath'].rstrip('/')}/{key}"] = content
            yield f"{doc['metadata']['name']}/{container['name']}", command, env, files


def _start(monkeypatch: pytest.MonkeyPatch, command: str, env: dict[str, str]) -> CommonSettings:
    """What ``wirewatch COMMAND`` does before it opens anything, on exactly ``env``."""
    for name in [n for n in os.environ if n.startswith(ENV_PREFIX)]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(LOADERS[command])
    if not isinstance(settings, ApiSettings) or settings.api_consume:
        assert settings.bootstrap
    return settings


COMPOSE = list(compose_environments())
KUBERNETES_CONTAINERS = list(kubernetes_environments())


def test_every_service_is_checked() -> None:
    assert sorted(command for _, command, _ in COMPOSE) == ["api", "extract", "ingest"]
    assert sorted(command for _, command, _, _ in KUBERNETES_CONTAINERS) == [
        "api",
        "extract",
        "ingest",
    ]


@pytest.mark.parametrize(("service", "command", "env"), COMPOSE, ids=[s for s, _, _ in COMPOSE])
def test_compose_service_starts_with_its_defaults(
    monkeypatch: pytest.MonkeyPatch, service: str, command: str, env: dict[str, str]
) -> None:
    """With no ``.env``: every ``${VAR:-default}`` at its default."""
    settings = _start(monkeypatch, command, env)
    if isinstance(settings, ApiSettings):
        assert settings.database.startswith("postgresql+asyncpg://wirewatch:")
        assert settings.keys == ()  # WIREWATCH_API_KEYS defaults to empty: writes refused


@pytest.mark.parametrize(
    ("container", "command", "env", "files"),
    KUBERNETES_CONTAINERS,
    ids=[c for c, _, _, _ in KUBERNETES_CONTAINERS],
)
def test_kubernetes_container_starts_with_the_example_overlay(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    container: str,
    command: str,
    env: dict[str, str],
    files: dict[str, str],
) -> None:
    settings = _start(monkeypatch, command, env)
    if isinstance(settings, IngestSettings) and settings.feeds_file is not None:
        mounted = files.get(settings.feeds_file.as_posix())
        assert mounted is not None, f"{settings.feeds_file} is not mounted in {container}"
        local = tmp_path / "feeds.yaml"
        local.write_text(mounted, encoding="utf-8")
        assert load_feeds(local)


@pytest.mark.parametrize(
    ("variable", "value"),
    [("WIREWATCH_API_KEYS", "short"), ("WIREWATCH_WEBHOOKS", "not json")],
)
def test_a_bad_shipped_value_would_fail_here(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    """The check is not vacuous: the compose api with one bad value does not start."""
    _, command, env = next(entry for entry in COMPOSE if entry[1] == "api")
    with pytest.raises(SettingsError, match=variable):
        _start(monkeypatch, command, {**env, variable: value})
