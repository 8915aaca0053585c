"""The pod and container security contexts the Helm add-ons run with, as plain values.

The same posture as the services' pods (`components/services/workload_manifests.py`): non-root
with a UID of 10000 or more, seccomp `RuntimeDefault`, no privilege escalation, every capability
dropped, a read-only root filesystem. Each add-on component places these at its chart's own
values keys (`POD_SECURITY_CONTEXT_KEY`, `CONTAINER_SECURITY_CONTEXT_KEY` next to each release,
with the template that reads them) and names what its workload cannot take.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

ADDON_UID = 65534
"""`nobody`: above 10000 (checkov CKV_K8S_40) and the user the add-on charts' own examples
suggest (cluster-autoscaler values.yaml `securityContext`, commented). Their images are static Go
binaries that read nothing owned by another user."""

SECCOMP = {"type": "RuntimeDefault"}


def pod_security_context(*, as_root: bool = False) -> dict:
    """The pod-level context; `as_root` keeps only what a root workload may still have."""
    if as_root:
        return {"seccompProfile": dict(SECCOMP)}
    return {
        "runAsNonRoot": True,
        "runAsUser": ADDON_UID,
        "runAsGroup": ADDON_UID,
        "fsGroup": ADDON_UID,
        "seccompProfile": dict(SECCOMP),
    }


def container_security_context(*, as_root: bool = False) -> dict:
    """The container-level context (repeating the user, which some charts set per container)."""
    context = {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
        "seccompProfile": dict(SECCOMP),
    }
    if not as_root:
        context |= {"runAsNonRoot": True, "runAsUser": ADDON_UID, "runAsGroup": ADDON_UID}
    return context


REQUIRED = (
    "runAsNonRoot",
    "runAsUser",
    "seccompProfile",
    "allowPrivilegeEscalation",
    "capabilities",
    "readOnlyRootFilesystem",
)
"""What every add-on pod must have, by field name."""


def hardening_gaps(pod: Mapping, container: Mapping, exempt: Collection[str] = ()) -> list[str]:
    """The `REQUIRED` settings the effective pod + container contexts lack (a container field
    wins over the pod's, as in Kubernetes), except the `exempt` ones."""
    merged = {**pod, **container}
    wanted = {
        "runAsNonRoot": merged.get("runAsNonRoot") is True,
        "runAsUser": isinstance(merged.get("runAsUser"), int) and merged["runAsUser"] >= 10000,
        "seccompProfile": merged.get("seccompProfile", {}).get("type") == "RuntimeDefault",
        "allowPrivilegeEscalation": container.get("allowPrivilegeEscalation") is False,
        "capabilities": "ALL" in container.get("capabilities", {}).get("drop", []),
        "readOnlyRootFilesystem": container.get("readOnlyRootFilesystem") is True,
    }
    return [name for name in REQUIRED if not wanted[name] and name not in exempt]
