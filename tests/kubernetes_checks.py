"""Third-party checks on Kubernetes objects, shared by the component and stack tests:
kubernetes-validate (the API's OpenAPI schemas, offline, strict) and checkov (in its own
environment through uvx)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import yaml

from mlp.plan import PROJECT_DIR, Inventory

CHECKOV = "checkov==3.3.30"
CHECKOV_CONFIG = PROJECT_DIR / ".checkov.yaml"

DEFAULT_KUBERNETES_VERSION = "1.35"
"""The cluster version when a test declares objects without a cluster (the version issue 3's
stacks run; kubernetes-validate 1.37 ships schemas up to 1.37)."""

# A kubeconfig of the shape `aws eks update-kubeconfig` writes, for a provider under mocks.
KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters:
- name: ml-platform-unit
  cluster:
    server: https://0123456789ABCDEF0123456789ABCDEF.gr7.us-east-1.eks.amazonaws.com
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMvakNDQWVhZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRc0ZBREFWTVJNd0VRWURWUVFERXdwcmRXSmwKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=
contexts:
- name: ml-platform-unit
  context:
    cluster: ml-platform-unit
    user: ml-platform-unit
current-context: ml-platform-unit
users:
- name: ml-platform-unit
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [eks, get-token, --cluster-name, ml-platform-unit, --output, json]
"""


def kubernetes_version(inventory: Inventory) -> str:
    """The cluster's minor version as the stack declares it, else the default."""
    for cluster in inventory.of_type("eks:index:Cluster"):
        version = cluster.inputs.get("version")
        if isinstance(version, str) and version:
            return version
    return DEFAULT_KUBERNETES_VERSION


def schema_problems(objects: list[dict], version: str) -> list[str]:
    """Every object that does not validate in strict mode, named by kind/namespace/name."""
    problems = []
    for obj in objects:
        metadata = obj.get("metadata") or {}
        label = f"{obj.get('kind')} {metadata.get('namespace', '-')}/{metadata.get('name')}"
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            problems.append(f"{label}: {error.message} at {list(error.path)}")
        except kubernetes_validate.SchemaNotFoundError:
            problems.append(f"{label}: no schema for {obj.get('apiVersion')} {obj.get('kind')} in Kubernetes {version}")
    return problems


def checkov_available() -> str | None:
    """Why checkov cannot run here, or None."""
    if shutil.which("uvx") is None:
        return "uvx is not on PATH, so checkov cannot run in its own environment"
    probe = subprocess.run(["uvx", "--from", CHECKOV, "checkov", "--version"], capture_output=True, text=True, timeout=600, check=False)
    if probe.returncode != 0:
        return f"uvx could not install {CHECKOV}: {probe.stderr.strip()[-300:]}"
    return None


def run_checkov(directory: Path) -> dict:
    """checkov's Kubernetes checks over every YAML file in `directory`, with the project's
    `.checkov.yaml`; returns its JSON report (one framework)."""
    completed = subprocess.run(
        [
            "uvx", "--from", CHECKOV, "checkov",
            "--config-file", str(CHECKOV_CONFIG),
            "--directory", str(directory),
            "--framework", "kubernetes",
            "--output", "json",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,  # checkov exits 1 on failed checks; the report says which
        # No platform: the run is offline, and guideline links are not needed.
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    if completed.returncode not in (0, 1) or not completed.stdout.strip():
        raise RuntimeError(f"checkov failed to run (exit {completed.returncode}): {completed.stderr[-2000:]}")
    report = json.loads(completed.stdout)
    return report[0] if isinstance(report, list) else report


def write_objects(objects: list[dict], directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for index, obj in enumerate(objects):
        metadata = obj.get("metadata") or {}
        stem = f"{index:03d}-{obj['kind']}-{metadata.get('namespace', 'cluster')}-{metadata.get('name')}".lower()
        (directory / f"{stem}.yaml").write_text(yaml.safe_dump(obj, sort_keys=False))
