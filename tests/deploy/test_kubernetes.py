"""The Kubernetes manifests: valid against the API schemas, and wired the way operators expect.

The base and every overlay are rendered (tests/deploy/kustomize.py) and each document is checked
with kubernetes-validate in strict mode (unknown fields are errors) against a pinned Kubernetes
minor version. The remaining tests check what a schema cannot: probes, requests, budgets, the
autoscaler's target and that every ConfigMap/Secret a pod names exists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from tests.deploy.kustomize import Document, KustomizeError, load_documents, render

REPO = Path(__file__).resolve().parents[2]
KUBERNETES = REPO / "deploy" / "kubernetes"
# The oldest minor the manifests promise to work on (autoscaling/v2 and policy/v1 are GA there).
KUBERNETES_VERSION = "1.29"
TREES = {
    "base": KUBERNETES / "base",
    **{f"overlay-{p.name}": p for p in sorted((KUBERNETES / "overlays").iterdir()) if p.is_dir()},
}


def _rendered() -> list[tuple[str, Document]]:
    return [(tree, doc) for tree, path in TREES.items() for doc in render(path)]


def _id(case: tuple[str, Document]) -> str:
    tree, doc = case
    return f"{tree}:{doc['kind']}/{doc['metadata']['name']}"


RENDERED = _rendered()


def _of_kind(tree: str, kind: str) -> list[Document]:
    return [doc for t, doc in RENDERED if t == tree and doc["kind"] == kind]


def test_there_is_an_overlay() -> None:
    assert any(name.startswith("overlay-") for name in TREES)


@pytest.mark.parametrize("case", RENDERED, ids=[_id(c) for c in RENDERED])
def test_document_validates_against_the_kubernetes_schema(case: tuple[str, Document]) -> None:
    _, doc = case
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_validator_rejects_an_unknown_field() -> None:
    """Strict mode is on: a misspelt field is an error, not silently ignored."""
    deployment = dict(_of_kind("base", "Deployment")[0])
    deployment["spec"] = {**deployment["spec"], "replica": 2}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_every_manifest_file_is_rendered() -> None:
    """No YAML file under deploy/kubernetes is forgotten by its kustomization."""
    used: set[Path] = set()
    for path in TREES.values():
        kustomization = load_documents(path / "kustomization.yaml")[0]
        used.add(path / "kustomization.yaml")
        used.update((path / entry).resolve() for entry in kustomization.get("resources", []))
        used.update(path / entry["path"] for entry in kustomization.get("patches", []))
    assert set(KUBERNETES.rglob("*.yaml")) - used == set()


def test_a_patch_for_a_missing_resource_is_refused(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: []\npatches:\n  - path: p.yaml\n")
    (tmp_path / "p.yaml").write_text("kind: Deployment\nmetadata:\n  name: nope\n")
    with pytest.raises(KustomizeError):
        render(tmp_path)


def _containers(doc: Document) -> list[dict[str, Any]]:
    containers: list[dict[str, Any]] = doc["spec"]["template"]["spec"]["containers"]
    return containers


@pytest.mark.parametrize("tree", list(TREES))
def test_every_container_has_probes_requests_and_runs_as_non_root(tree: str) -> None:
    deployments = _of_kind(tree, "Deployment")
    assert {d["metadata"]["name"] for d in deployments} >= {
        "wirewatch-ingest",
        "wirewatch-extract",
        "wirewatch-api",
    }
    for deployment in deployments:
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        for container in _containers(deployment):
            where = f"{deployment['metadata']['name']}/{container['name']}"
            assert "readinessProbe" in container, where
            assert "livenessProbe" in container, where
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), where
            assert "memory" in container["resources"]["limits"], where


@pytest.mark.parametrize("tree", list(TREES))
def test_every_deployment_has_a_disruption_budget_selecting_its_pods(tree: str) -> None:
    budgets = _of_kind(tree, "PodDisruptionBudget")
    for deployment in _of_kind(tree, "Deployment"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        matching = [
            b for b in budgets if b["spec"]["selector"]["matchLabels"].items() <= labels.items()
        ]
        assert len(matching) == 1, deployment["metadata"]["name"]


@pytest.mark.parametrize("tree", list(TREES))
def test_extract_is_autoscaled_up_to_the_partition_count(tree: str) -> None:
    """Consumers beyond the partition count idle, so the autoscaler stops there."""
    (hpa,) = _of_kind(tree, "HorizontalPodAutoscaler")
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "wirewatch-extract")
    (config,) = [
        c for c in _of_kind(tree, "ConfigMap") if c["metadata"]["name"] == "wirewatch-config"
    ]
    assert hpa["spec"]["maxReplicas"] == int(config["data"]["WIREWATCH_TOPIC_PARTITIONS"])
    assert hpa["spec"]["minReplicas"] >= 2


@pytest.mark.parametrize("tree", list(TREES))
def test_every_referenced_config_map_and_secret_exists(tree: str) -> None:
    names = {
        (doc["kind"], doc["metadata"]["name"])
        for t, doc in RENDERED
        if t == tree and doc["kind"] in ("ConfigMap", "Secret")
    }
    needed: set[tuple[str, str]] = set()
    for deployment in _of_kind(tree, "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        for container in pod["containers"]:
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    needed.add(("ConfigMap", source["configMapRef"]["name"]))
                if "secretRef" in source:
                    needed.add(("Secret", source["secretRef"]["name"]))
        for volume in pod.get("volumes", []):
            if "configMap" in volume:
                needed.add(("ConfigMap", volume["configMap"]["name"]))
    if tree == "base":
        # The base leaves the Secret to the overlay (or to the cluster's secret store).
        needed.discard(("Secret", "wirewatch-secrets"))
    assert needed <= names


@pytest.mark.parametrize("tree", list(TREES))
def test_scrape_annotations_name_a_declared_container_port(tree: str) -> None:
    for deployment in _of_kind(tree, "Deployment"):
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        ports = {p["containerPort"] for c in _containers(deployment) for p in c["ports"]}
        assert int(annotations["prometheus.io/port"]) in ports
