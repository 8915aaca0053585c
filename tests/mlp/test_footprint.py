"""The slim footprint `mlp plan` prints: pods at minimum scale, placed and packed exactly as the
cost estimate places and packs them, plus the nodes a hard zone spread needs."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import date

import pytest

from components.nodes.placement import service_pod_placement
from components.services.service_spec import ServiceSpec, Variant
from components.services.workload_manifests import deployment_manifest
from mlp.cost.estimate import estimate
from mlp.cost.stack import estimate_resources, stack_settings
from mlp.footprint import capacity_fit, footprint, render, zone_spread
from mlp.declared import DeclaredResource
from mlp.plan import PROJECT_DIR, Inventory

DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def _resource(type_: str, name: str, inputs: dict) -> DeclaredResource:
    return DeclaredResource(urn=f"urn:{type_}::{name}", type=type_, name=name, parent=None, provider=None, custom=True, inputs=inputs)


def _deployment(name: str, cpu: str, memory: str, replicas: int | None = None) -> DeclaredResource:
    pod = {"containers": [{"name": "app", "resources": {"requests": {"cpu": cpu, "memory": memory}}}]}
    spec = {"template": {"spec": pod}}
    if replicas is not None:
        spec["replicas"] = replicas
    return _resource(DEPLOYMENT, name, {"kind": "Deployment", "metadata": {"name": name, "namespace": name}, "spec": spec})


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


def test_pods_without_a_pool_are_reported_not_guessed():
    text = render(footprint(_inventory(_deployment("a", "100m", "256Mi"))))
    assert "footprint at minimum scale (unit): 1 pod for 0 services and 0 add-ons," in text
    assert "a/a: no pool admits its pods" in text


def test_the_zone_spread_comes_from_the_rendered_constraint():
    service = ServiceSpec(name="recs", variants=(Variant(digest="sha256:" + "a" * 64),), zone_count=3)
    pod = deployment_manifest(service, service.variants[0], "image")["spec"]["template"]["spec"]
    assert zone_spread(pod) == 3
    pod["topologySpreadConstraints"] = [c for c in pod["topologySpreadConstraints"] if c["topologyKey"] != "topology.kubernetes.io/zone"]
    assert zone_spread(pod) == 0, "a best-effort node spread needs no extra node"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_pools_are_packed_as_the_cost_estimate_packs_them(stack, plan):
    """One placement and packing for both reports: the footprint's nodes by requests are the
    estimate's nodes needed, pool by pool."""
    inventory = plan(stack, images="pinned")
    settings = stack_settings(PROJECT_DIR, stack)
    result = footprint(inventory, usage=settings.cost)
    needed = {usage.pool: usage.nodes_needed for usage in estimate(inventory.resources, settings.cost, stack=stack).pools}
    assert result.pools, f"{stack}: no pool sized"
    for pool in result.pools:
        assert pool.packed_nodes == needed[pool.pool], f"{stack}: pool {pool.pool}"
    assert not result.problems, result.problems


def test_prod_needs_a_node_in_every_zone_its_services_spread_over(plan):
    inventory = plan("prod", images="pinned")
    settings = stack_settings(PROJECT_DIR, "prod")
    result = footprint(inventory)
    (spot,) = [pool for pool in result.pools if pool.pool == "spot"]
    widest = max(w.zones for w in result.workloads if w.pool == "spot")
    assert widest == settings.network.az_count
    assert spot.nodes >= settings.network.az_count, f"{spot.nodes} nodes cannot hold a {widest}-zone spread"
    assert spot.pods == sum(w.pods for w in result.workloads if w.pool == "spot")
    text = render(result)
    pool_lines = [line for line in text.splitlines() if line.startswith("  pool ")]
    assert len(pool_lines) == len(result.pools), "one line per pool, not per instance type"
    assert f"{spot.nodes} nodes for {spot.pods} pods" in text and "for the zone spread" in text


def test_a_workload_lands_where_its_node_affinity_allows(plan):
    """Switch one prod Deployment to `on-demand` placement: it moves to the on-demand pool."""
    inventory = plan("prod", images="pinned")
    resources = []
    for resource in inventory.resources:
        if resource.type == DEPLOYMENT and resource.inputs["metadata"]["name"] == "experiments":
            inputs = copy.deepcopy(resource.inputs)
            placement = service_pod_placement("on-demand")
            inputs["spec"]["template"]["spec"].update(affinity=placement["affinity"], tolerations=placement["tolerations"])
            resource = replace(resource, inputs=inputs)
        resources.append(resource)
    moved = footprint(Inventory(project=inventory.project, stack="prod", resources=resources, outputs={}))
    placed = {w.name: w.pool for w in moved.workloads}
    assert placed["experiments"] == "on-demand"
    assert placed["discovery"] == "spot"
    assert {pool.pool for pool in moved.pools} == {"spot", "on-demand", "system"}, "the add-ons stay on the system pool"


def test_mlp_plan_prints_the_footprint(capsys, scratch_project, stack_document):
    import yaml

    from mlp.cli import main

    project = scratch_project("dev", yaml.safe_dump(stack_document("dev", images="pinned"), sort_keys=False))
    assert main(["--project-dir", str(project), "plan", "dev"]) == 0
    printed = capsys.readouterr().out
    assert "footprint at minimum scale (dev):" in printed
    assert "  pool spot: " in printed
    assert "first deploy:" not in printed


def test_mlp_plan_says_which_services_wait_for_an_image(capsys):
    """The shipped stacks pin no image: the plan names each service, what was declared for it,
    and the key to pin."""
    from mlp.cli import main

    assert main(["plan", "prod"]) == 0
    printed = capsys.readouterr().out
    assert "no workload yet for 4 of 4 services (no image pinned)" in printed
    assert (
        "service discovery: no image digest yet: repository ml-platform-prod/discovery and role declared, "
        "workload not deployed; push the image, pin ml-platform:services.discovery.image.digest, run pulumi up again"
    ) in printed
    assert "pin ml-platform:services.recommendations.variants.<control|candidate>.digest" in printed


def test_a_shipped_stack_runs_no_service_pod_before_its_images_are_pushed(stack_inventory):
    result = footprint(stack_inventory)
    service_pods = [w for w in result.workloads if w.namespace != "kube-system"]
    assert service_pods == [], "only the add-ons run before the images are pushed"
    assert result.without_workload == ("discovery", "experiments", "recommendations", "search-autocomplete")


def _with_min_replicas(inventory: Inventory, minimums: dict[str, int]) -> Inventory:
    resources = []
    for resource in inventory.resources:
        if resource.type == "kubernetes:autoscaling/v2:HorizontalPodAutoscaler":
            target = resource.inputs["spec"]["scaleTargetRef"]["name"]
            if target in minimums:
                inputs = copy.deepcopy(resource.inputs)
                inputs["spec"]["minReplicas"] = minimums[target]
                resource = replace(resource, inputs=inputs)
        resources.append(resource)
    return Inventory(project=inventory.project, stack=inventory.stack, resources=resources, outputs={})


def test_prod_fits_its_pools_ceilings(plan):
    fit = capacity_fit(footprint(plan("prod", images="pinned"), usage=stack_settings(PROJECT_DIR, "prod").cost))
    assert fit.refusals == () and fit.warnings == ()


def test_spot_only_services_above_the_ceiling_are_refused_naming_pool_and_services(plan):
    """discovery asks for spot (capacity: spot): 250 pods of 200m (50 vCPU) cannot fit on 21 spot nodes,
    and no other pool admits them."""
    result = footprint(_with_min_replicas(plan("prod", images="pinned"), {"discovery": 250}))
    (spot,) = [pool for pool in result.pools if pool.pool == "spot"]
    assert spot.nodes > spot.max_size == 21
    fit = capacity_fit(result)
    assert len(fit.refusals) == 1 and not fit.warnings
    assert "pool spot" in fit.refusals[0] and "discovery/discovery" in fit.refusals[0]
    assert "maxSize 21 (ml-platform:nodePools.spot.maxSize)" in fit.refusals[0]
    assert "experiments/experiments" not in fit.refusals[0], "experiments may run on on-demand"


def test_an_overflow_that_may_run_elsewhere_is_only_a_warning_and_priced_where_it_runs(plan):
    """experiments prefers spot but admits the on-demand pool: 400 pods need 25 spot nodes, four
    above the ceiling of 21; the estimate caps spot at 21 and prices the rest on on-demand."""
    inventory = _with_min_replicas(plan("prod", images="pinned"), {"experiments": 400})
    settings = stack_settings(PROJECT_DIR, "prod")
    fit = capacity_fit(footprint(inventory, usage=settings.cost))
    assert fit.refusals == ()
    assert len(fit.warnings) == 1 and "pool spot" in fit.warnings[0] and "experiments/experiments" in fit.warnings[0]
    assert "ml-platform:nodePools.spot.maxSize" in fit.warnings[0]
    result = estimate_resources(inventory.resources, settings, "prod", as_of=date(2026, 11, 28)).estimate
    nodes = {pool.pool: pool.nodes for pool in result.pools}
    assert nodes["spot"] == 21, "capped at maxSize (3 zones × 7)"
    assert 0 < nodes["on-demand"] <= 9, "the overflow is priced on the pool that admits it, within its maxSize"
    (experiments,) = [i for i in result.items if i.name == "experiments-deployment"]
    assert "on pool on-demand" in experiments.basis and "on pool spot" in experiments.basis


def test_an_overflow_no_pool_has_room_for_is_refused_naming_the_key(plan):
    """500 pods: the on-demand pool fills at its own maxSize 9 and spot still needs 22 > 21."""
    fit = capacity_fit(footprint(_with_min_replicas(plan("prod", images="pinned"), {"experiments": 500})))
    assert len(fit.refusals) == 1 and not fit.warnings
    assert "pool spot" in fit.refusals[0] and "ml-platform:nodePools.spot.maxSize" in fit.refusals[0]


def test_mlp_plan_and_cost_refuse_a_stack_that_does_not_fit(scratch_project, stack_document, capsys):
    import yaml

    from mlp.cli import EXIT_CONFIG, main

    document = stack_document("prod", images="pinned")
    document["config"]["ml-platform:nodePools"]["spot"]["maxSize"] = 3
    document["config"]["ml-platform:services"]["discovery"]["replicas"] = {"min": 30, "max": 40}
    project = scratch_project("prod", yaml.safe_dump(document))
    assert main(["--project-dir", str(project), "plan", "prod"]) == EXIT_CONFIG
    error = capsys.readouterr().err
    assert "error: Pulumi.prod.yaml: pool spot" in error and "discovery/discovery" in error
    assert main(["--project-dir", str(project), "cost", "prod"]) == EXIT_CONFIG
    assert "pool spot" in capsys.readouterr().err
