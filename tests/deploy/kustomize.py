"""A small kustomize renderer for the static checks: no kustomize binary exists on test machines.

It reads a ``kustomization.yaml``, loads its ``resources`` (files, or directories holding their
own kustomization, recursively), applies its ``patches`` as strategic merges (maps merge, lists
of named maps merge by ``name``, other lists are replaced), then ``namespace`` and ``images``.
That is the subset deploy/kubernetes uses; anything else in a kustomization is refused, so a new
feature there fails the checks instead of being silently ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = ["KustomizeError", "load_documents", "render"]

Document = dict[str, Any]

_SUPPORTED = {"apiVersion", "kind", "resources", "patches", "namespace", "images"}
# Kinds without a namespace: the kustomization's `namespace` leaves them alone.
_CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume"}


class KustomizeError(Exception):
    """Raised when a kustomization uses a feature this renderer does not implement."""


def load_documents(path: Path) -> list[Document]:
    """Every non-empty YAML document of ``path``."""
    with path.open(encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


def _identity(doc: Document) -> tuple[str, str]:
    return doc["kind"], doc["metadata"]["name"]


def _merge(base: Any, patch: Any) -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = _merge(base[key], value) if key in base else value
        return merged
    if isinstance(base, list) and isinstance(patch, list) and _named(base) and _named(patch):
        by_name = {item["name"]: item for item in base}
        out = [_merge(by_name[i["name"]], i) if i["name"] in by_name else i for i in patch]
        patched = {item["name"] for item in patch}
        return [item for item in base if item["name"] not in patched] + out
    return patch


def _named(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(i, dict) and "name" in i for i in items)


def _set_image(doc: Document, images: list[dict[str, str]]) -> None:
    template = doc.get("spec", {}).get("template", {}).get("spec", {})
    for container in template.get("containers", []) + template.get("initContainers", []):
        name, _, tag = container["image"].partition(":")
        for image in images:
            if image["name"] == name:
                container["image"] = f"{image.get('newName', name)}:{image.get('newTag', tag)}"


def render(directory: Path) -> list[Document]:
    """The documents ``kubectl apply -k directory`` would apply (for the supported subset)."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text("utf-8"))
    unknown = set(kustomization) - _SUPPORTED
    if unknown:
        raise KustomizeError(f"{directory}: unsupported kustomization fields {sorted(unknown)}")
    docs: list[Document] = []
    for entry in kustomization.get("resources", []):
        target = (directory / entry).resolve()
        docs.extend(render(target) if target.is_dir() else load_documents(target))
    index = {_identity(doc): i for i, doc in enumerate(docs)}
    for patch_entry in kustomization.get("patches", []):
        if set(patch_entry) != {"path"}:
            raise KustomizeError(f"{directory}: only `patches: - path:` is supported")
        for patch in load_documents(directory / patch_entry["path"]):
            key = _identity(patch)
            if key not in index:
                raise KustomizeError(f"{directory}: patch targets missing resource {key}")
            docs[index[key]] = _merge(docs[index[key]], patch)
    if "namespace" in kustomization:
        for doc in docs:
            if doc["kind"] not in _CLUSTER_SCOPED:
                doc["metadata"]["namespace"] = kustomization["namespace"]
    for doc in docs:
        _set_image(doc, kustomization.get("images", []))
    return docs
