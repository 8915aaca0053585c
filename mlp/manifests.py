"""Writing the Kubernetes objects a stack declares, one YAML file each."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from mlp.plan import Inventory


def manifest_objects(inventory: Inventory) -> list[dict]:
    """Each object as the provider sends it to the API server (its declared fields)."""
    return [dict(resource.inputs) for resource in inventory.kubernetes_objects()]


def write_manifests(inventory: Inventory, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for index, obj in enumerate(manifest_objects(inventory)):
        metadata = obj.get("metadata") or {}
        parts = [obj.get("kind", "Object"), metadata.get("namespace", "cluster"), metadata.get("name", f"object-{index}")]
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", "_".join(str(part) for part in parts)).lower()
        path = directory / f"{index:03d}-{stem}.yaml"
        path.write_text(yaml.safe_dump(obj, sort_keys=False))
        written.append(path)
    return written
