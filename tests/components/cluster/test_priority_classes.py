"""`PriorityClasses` declared under the mocks: the two classes services name, user-facing above
batch, batch never preempting, both below the range Kubernetes keeps for its own classes."""

from __future__ import annotations

import pulumi_kubernetes as k8s

from components.cluster.priority_classes import (
    BATCH,
    PRIORITY_CLASS_BY_SETTING,
    USER_FACING,
    PriorityClasses,
    PriorityClassesArgs,
)
from mlp.declared import DeclaredResource, Inventory
from tests.kubernetes_checks import DEFAULT_KUBERNETES_VERSION, KUBECONFIG, schema_problems

PRIORITY_CLASS = "kubernetes:scheduling.k8s.io/v1:PriorityClass"
# Kubernetes refuses a user-defined PriorityClass above one billion; higher values are reserved
# for system-cluster-critical and system-node-critical (Kubernetes docs, "Pod Priority and
# Preemption", PriorityClass: https://kubernetes.io/docs/concepts/scheduling-eviction/pod-priority-preemption/#priorityclass).
HIGHEST_USER_DEFINED_PRIORITY = 1_000_000_000


def _classes(declare) -> tuple[dict[str, DeclaredResource], Inventory]:
    def build():
        cluster = k8s.Provider("k8s", kubeconfig=KUBECONFIG)
        PriorityClasses("priorities", PriorityClassesArgs(kubernetes_provider=cluster))

    inventory = declare(build)
    return {r.inputs["metadata"]["name"]: r for r in inventory.of_type(PRIORITY_CLASS)}, inventory


def test_the_two_classes_services_name_are_declared_on_the_cluster(declare):
    classes, inventory = _classes(declare)
    assert sorted(classes) == sorted([USER_FACING, BATCH])
    assert set(PRIORITY_CLASS_BY_SETTING.values()) == set(classes), "a service setting names an undeclared class"
    (provider,) = inventory.of_type("pulumi:providers:kubernetes")
    for name, resource in classes.items():
        assert resource.provider and resource.provider.startswith(provider.urn), f"{resource.name} is not on the cluster's provider"
        assert resource.inputs.get("globalDefault") is False, f"{name} would become every pod's default"


def test_user_facing_outranks_batch_and_only_it_preempts(declare):
    classes, _ = _classes(declare)
    user_facing, batch = classes[USER_FACING].inputs, classes[BATCH].inputs
    assert user_facing["value"] > batch["value"], f"{USER_FACING} ({user_facing['value']}) must outrank {BATCH} ({batch['value']})"
    assert user_facing["preemptionPolicy"] == "PreemptLowerPriority", f"{USER_FACING}: {user_facing['preemptionPolicy']}"
    assert batch["preemptionPolicy"] == "Never", f"{BATCH} may preempt: {batch['preemptionPolicy']}"
    for name, resource in classes.items():
        value = resource.inputs["value"]
        assert value <= HIGHEST_USER_DEFINED_PRIORITY, f"{name}: value {value} is in the system range"


def test_the_declared_classes_validate_against_the_api_schema(declare):
    classes, _ = _classes(declare)
    objects = [{"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", **r.inputs} for r in classes.values()]
    assert schema_problems(objects, DEFAULT_KUBERNETES_VERSION) == []
