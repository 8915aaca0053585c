"""The platform's two scheduling priorities, declared once for every service."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

USER_FACING = "ml-platform-user-facing"
BATCH = "ml-platform-batch"

PRIORITY_CLASS_BY_SETTING = {"user-facing": USER_FACING, "batch": BATCH}
"""The `priority` value of a service's config → the class its pods get."""


def priority_class_manifests() -> list[dict]:
    """User-facing pods outrank batch pods and may preempt them when capacity is short; batch
    pods never preempt anything. Both stay far below the cluster's own classes
    (`system-cluster-critical` is 2,000,000,000), so add-ons always win."""
    return [
        {
            "apiVersion": "scheduling.k8s.io/v1",
            "kind": "PriorityClass",
            "metadata": {"name": USER_FACING, "labels": {"app.kubernetes.io/part-of": "ml-platform"}},
            "value": 100000,
            "globalDefault": False,
            "preemptionPolicy": "PreemptLowerPriority",
            "description": "ML services on a user's request path.",
        },
        {
            "apiVersion": "scheduling.k8s.io/v1",
            "kind": "PriorityClass",
            "metadata": {"name": BATCH, "labels": {"app.kubernetes.io/part-of": "ml-platform"}},
            "value": 1000,
            "globalDefault": False,
            "preemptionPolicy": "Never",
            "description": "ML work that can wait for capacity.",
        },
    ]


@dataclass(frozen=True, kw_only=True)
class PriorityClassesArgs:
    """Inputs of `PriorityClasses`."""

    kubernetes_provider: k8s.Provider
    """Provider of the cluster. Required."""


class PriorityClasses(pulumi.ComponentResource):
    """Creates the `ml-platform-user-facing` and `ml-platform-batch` PriorityClasses. Services
    depend on this component: a pod naming a class that does not exist is refused."""

    names: list[str]

    def __init__(self, name: str, args: PriorityClassesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:cluster:PriorityClasses", name, None, opts)
        for manifest in priority_class_manifests():
            k8s.scheduling.v1.PriorityClass(
                f"{name}-{manifest['metadata']['name']}",
                metadata=manifest["metadata"],
                value=manifest["value"],
                global_default=manifest["globalDefault"],
                preemption_policy=manifest["preemptionPolicy"],
                description=manifest["description"],
                opts=pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider),
            )
        self.names = [USER_FACING, BATCH]
        self.register_outputs({"names": self.names})
