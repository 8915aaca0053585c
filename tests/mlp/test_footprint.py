"""The slim footprint `mlp plan` prints: quantities, packing against the instance table, and the
reading of pods at minimum scale from an inventory."""

from __future__ import annotations

import csv
import math

import pytest

from mlp.footprint import (
    INSTANCE_TABLE,
    InstanceShape,
    Pool,
    footprint,
    load_instance_table,
    nodes_needed,
    quantity,
    render,
)
from mlp.mocks import DeclaredResource
from mlp.plan import Inventory


@pytest.mark.parametrize(
    ("text", "value"),
    [("250m", 0.25), ("1", 1.0), ("1.5", 1.5), ("512Mi", 512 * 2**20), ("1Gi", 2**30), ("128974848", 128974848.0), ("129M", 129e6)],
)
def test_quantities_follow_the_kubernetes_suffixes(text, value):
    assert quantity(text) == pytest.approx(value)


def test_a_malformed_quantity_is_refused():
    with pytest.raises(ValueError, match="not a Kubernetes quantity"):
        quantity("250 millicores")


def _row(instance_type: str) -> dict[str, str]:
    with INSTANCE_TABLE.open(newline="") as handle:
        return next(row for row in csv.DictReader(handle) if row["instance_type"] == instance_type)


@pytest.mark.parametrize("instance_type", ["t3.medium", "m6i.large", "c6i.xlarge", "r6i.large"])
def test_identical_pods_pack_to_the_arithmetic_bound(instance_type):
    """For identical pods, first-fit needs max(ceil(cpu total / vCPU), ceil(mem total / memory))
    nodes, with vCPU and memory as written in the shipped CSV row."""
    row = _row(instance_type)
    shape = load_instance_table()[instance_type]
    assert (shape.vcpu, shape.memory_gib) == (int(row["vcpu"]), float(row["memory_gib"]))
    pod = (250.0, 512.0)
    for count in (1, 4, 7, 23):
        per_node = min(int(row["vcpu"]) * 1000 // pod[0], float(row["memory_gib"]) * 1024 // pod[1])
        assert nodes_needed([pod] * count, shape) == math.ceil(count / per_node), f"{count} pods on {instance_type}"


def test_a_pod_larger_than_the_instance_does_not_pack():
    shape = load_instance_table()["t3.micro"]
    assert nodes_needed([(500.0, 2048.0)], shape) is None


def test_mixed_pods_fill_nodes_first_fit():
    shape = InstanceShape("x", vcpu=2, memory_gib=4)
    # A big pod and three small ones share one node; a second big pod needs a second.
    assert nodes_needed([(1500.0, 1024.0), (150.0, 256.0), (150.0, 256.0), (150.0, 256.0)], shape) == 1
    assert nodes_needed([(1500.0, 1024.0), (1500.0, 1024.0)], shape) == 2


def _resource(type_: str, name: str, inputs: dict) -> DeclaredResource:
    return DeclaredResource(urn=f"urn:{type_}::{name}", type=type_, name=name, parent=None, provider=None, custom=True, inputs=inputs)


def _deployment(name: str, cpu: str, memory: str, replicas: int | None = None, system: bool = False) -> DeclaredResource:
    pod = {"containers": [{"name": "app", "resources": {"requests": {"cpu": cpu, "memory": memory}}}]}
    if system:
        pod["tolerations"] = [{"key": "CriticalAddonsOnly", "operator": "Exists"}]
    spec = {"template": {"spec": pod}}
    if replicas is not None:
        spec["replicas"] = replicas
    return _resource("kubernetes:apps/v1:Deployment", name, {"kind": "Deployment", "metadata": {"name": name, "namespace": name}, "spec": spec})


def _autoscaler(name: str, minimum: int) -> DeclaredResource:
    spec = {"scaleTargetRef": {"kind": "Deployment", "name": name}, "minReplicas": minimum, "maxReplicas": 10}
    return _resource("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", name, {"kind": "HorizontalPodAutoscaler", "metadata": {"name": name, "namespace": name}, "spec": spec})


def _inventory(*resources: DeclaredResource) -> Inventory:
    return Inventory(project="ml-platform", stack="unit", resources=list(resources), outputs={})


def test_pods_at_minimum_scale_come_from_the_autoscalers():
    inventory = _inventory(
        _deployment("a", "250m", "512Mi"),
        _autoscaler("a", 3),
        _deployment("b", "100m", "256Mi", replicas=0),
        _deployment("c", "0.2", "1Gi"),
    )
    result = footprint(inventory)
    assert {w.name: w.pods for w in result.workloads} == {"a": 3, "b": 0, "c": 1}
    assert result.pods == 4
    assert result.cpu_millicores == pytest.approx(3 * 250 + 200)
    assert result.memory_mib == pytest.approx(3 * 512 + 1024)


def test_pods_pack_onto_each_pool_of_their_kind():
    group = _resource(
        "aws:autoscaling/group:Group",
        "spot-pool",
        {"mixedInstancesPolicy": {"launchTemplate": {"overrides": [{"instanceType": "m6i.large"}, {"instanceType": "t3.medium"}]}}},
    )
    system = _resource("eks:index:ManagedNodeGroup", "system", {"instanceTypes": ["t3.large"]})
    inventory = _inventory(_deployment("a", "250m", "512Mi"), _autoscaler("a", 6), _deployment("addon", "100m", "128Mi", system=True), group, system)
    result = footprint(inventory)
    assert set(result.pools) == {Pool("spot-pool", ("m6i.large", "t3.medium"), False), Pool("system", ("t3.large",), True)}
    packed = {(p.pool, p.instance_type): p.nodes for p in result.packings}
    # m6i.large: 2 vCPU, 8 GiB -> 8 pods of 250m fit by CPU; t3.medium: 2 vCPU, 4 GiB -> 8 by memory.
    assert packed == {("spot-pool", "m6i.large"): 1, ("spot-pool", "t3.medium"): 1, ("system", "t3.large"): 1}
    text = render(result)
    assert "1 × m6i.large (2 vCPU, 8 GiB)" in text and "7 pods" in text


def test_absent_pools_are_reported_not_guessed():
    text = render(footprint(_inventory(_deployment("a", "100m", "256Mi"))))
    assert "1 pods" in text
    assert "no node pool with known instance types" in text


def test_mlp_plan_prints_the_footprint(capsys):
    from mlp.cli import main

    assert main(["plan", "dev"]) == 0
    printed = capsys.readouterr().out
    assert "footprint at minimum scale (dev):" in printed
