"""The floor `mlp cost` reports next to the estimate: the same workloads and availability on the
cheapest admitted instance types, the smallest search domain for the index, the fixed parts;
and the configuration keys named where a component costs more than 1.3 times its floor."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import date
from statistics import mean

import pytest
import yaml

from components.nodes.instance_catalog import instance_catalog
from mlp.cost.floor import cheapest_types
from mlp.cost.model import PricingContext
from mlp.cost.prices import PriceTable
from mlp.cost.stack import estimate_resources, stack_settings
from mlp.plan import PROJECT_DIR
from tests.mlp import price_rows as rows

ASG = "aws:autoscaling/group:Group"


def _priced(resources, stack):
    settings = stack_settings(PROJECT_DIR, stack)
    return estimate_resources(resources, settings, stack, as_of=date(2026, 11, 28)).estimate


def _components(estimate):
    return {row.component: row for row in estimate.components()}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_each_stack_is_within_1_3_times_its_floor_and_names_what_costs_more(stack, plan):
    estimate = _priced(plan(stack, images="pinned").resources, stack)
    assert estimate.monthly_total <= 1.3 * estimate.floor_total, f"{stack}: {estimate.monthly_total / estimate.floor_total:.2f}x"
    for row in estimate.components():
        assert row.floor_usd <= row.monthly_usd + 0.01, f"{stack}: {row.component} floor above its estimate"
        if row.ratio > 1.3:
            assert row.reasons, f"{stack}: {row.component} at {row.ratio:.2f}x names no key"


def test_the_spot_pool_floor_is_its_pods_on_the_cheapest_diversified_spot_types(plan):
    """Recomputed from the price rows: the four cheapest spot types of the pool's shape, averaged,
    at the nodes the zone spread needs, plus each node's root volume."""
    estimate = _priced(plan("prod", images="pinned").resources, "prod")
    shape = instance_catalog()["m6a.large"].shape
    same_shape = [t.name for t in instance_catalog().values() if t.shape == shape and not t.family.startswith("t") and t.architecture == "x86_64"]
    cheapest = sorted(same_shape, key=rows.spot)[:4]
    (pool,) = [p for p in estimate.pools if p.pool == "spot"]
    expected = 3 * (mean(rows.spot(t) for t in cheapest) * 730 + 40 * rows.service("ebs_gp3_storage"))
    assert pool.floor_usd == pytest.approx(expected)


def test_cheapest_types_keep_the_shape_and_leave_burstable_types_out():
    ctx = PricingContext(prices=PriceTable.load(), usage=None, as_of=date(2026, 11, 28), resources=())  # type: ignore[arg-type]
    types = cheapest_types("m6a.large", spot=False, ctx=ctx, count=3)
    assert all(instance_catalog()[t].shape == instance_catalog()["m6a.large"].shape for t in types)
    assert not any(t.startswith("t3") for t in types), "t3.large has the shape but is burstable"
    assert [rows.on_demand(t) for t in types] == sorted(rows.on_demand(t) for t in types)


def _rewrite_spot_groups(inventory, change):
    resources = []
    for resource in inventory.resources:
        if resource.type == ASG and "pool-spot" in resource.name:
            inputs = copy.deepcopy(resource.inputs)
            change(inputs)
            resource = replace(resource, inputs=inputs)
        resources.append(resource)
    return resources


def test_on_demand_for_workloads_that_accept_spot_is_named(plan):
    def on_demand(inputs):
        inputs["mixedInstancesPolicy"]["instancesDistribution"]["onDemandPercentageAboveBaseCapacity"] = 50

    estimate = _priced(_rewrite_spot_groups(plan("prod", images="pinned"), on_demand), "prod")
    row = _components(estimate)["pool-spot"]
    assert row.ratio > 1.3
    assert any(r.startswith("nodePools.spot.onDemandBaseCapacity") for r in row.reasons), row.reasons


def test_a_pool_held_above_what_its_workloads_need_is_named(plan):
    def bigger(inputs):
        inputs["desiredCapacity"] = inputs["minSize"] = 4

    estimate = _priced(_rewrite_spot_groups(plan("prod", images="pinned"), bigger), "prod")
    row = _components(estimate)["pool-spot"]
    assert row.ratio > 1.3
    assert any(r.startswith("nodePools.spot.minSize (12 nodes, the workloads need 3)") for r in row.reasons), row.reasons


def test_the_system_pool_counts_the_addons_requests(plan):
    estimate = _priced(plan("prod", images="pinned").resources, "prod")
    (system,) = [p for p in estimate.pools if p.pool == "system"]
    addons = [i for i in estimate.items if i.type == "kubernetes:helm.sh/v3:Release"]
    assert {i.name for i in addons} >= {"autoscaler-release", "metrics-server-release", "load-balancer-controller-release"}
    assert system.requested_usd == pytest.approx(sum(i.monthly_usd for i in addons))
    assert system.requested_usd > 0 and system.idle_usd < system.monthly_usd


def test_dedicated_masters_cost_more_than_the_search_floor_and_say_so(scratch_project, stack_document, tmp_path):
    from mlp.cli import main

    document = stack_document("prod")
    document["config"]["ml-platform:search"]["dedicatedMasterCount"] = 3
    project = scratch_project("prod", yaml.safe_dump(document))
    out = tmp_path / "cost.json"
    assert main(["--project-dir", str(project), "cost", "prod", "--json", str(out)]) == 0
    (search,) = [c for c in json.loads(out.read_text())["components"] if c["component"] == "search"]
    assert search["ratio"] > 1.3
    assert any(r.startswith("search.dedicatedMasterCount") for r in search["reasons"]), search["reasons"]


def test_a_workload_that_refuses_spot_is_floored_on_demand(plan):
    """experiments switched to `capacity: on-demand` moves to the on-demand pool; its floor stays
    on-demand (the cheapest type of the shape), because the workload does not accept spot."""
    from components.nodes.placement import service_pod_placement

    resources = []
    for resource in plan("prod", images="pinned").resources:
        if resource.type == "kubernetes:apps/v1:Deployment" and resource.inputs["metadata"]["name"] == "experiments":
            inputs = copy.deepcopy(resource.inputs)
            placement = service_pod_placement("on-demand")
            inputs["spec"]["template"]["spec"].update(affinity=placement["affinity"], tolerations=placement["tolerations"])
            resource = replace(resource, inputs=inputs)
        resources.append(resource)
    estimate = _priced(resources, "prod")
    (pool,) = [i for i in estimate.items if i.name == "pool-on-demand-asg-us-east-1a"]
    cheapest = min(("m6a.large", "m5a.large", "m6i.large", "m7i.large", "m7a.large", "m5.large"), key=rows.on_demand)
    assert f"on-demand {cheapest}" in pool.floor_basis and "spot" not in pool.floor_basis.split(":", 1)[1]
