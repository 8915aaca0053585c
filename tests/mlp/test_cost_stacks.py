"""The real stacks, priced: totals from the price table and each stack's assumptions, under
budget, nothing unpriced, and the spot floor kept."""

from __future__ import annotations

import re
from datetime import date

import pytest

from mlp.cost import render
from mlp.cost.estimate import spot_share_problem
from mlp.cost.stack import estimate_resources, stack_settings
from mlp.plan import PROJECT_DIR
from tests.mlp import price_rows as rows


@pytest.fixture
def priced(pinned_inventory):
    settings = stack_settings(PROJECT_DIR, pinned_inventory.stack)
    return estimate_resources(pinned_inventory.resources, settings, pinned_inventory.stack, as_of=date(2026, 11, 28)), settings


def test_each_stack_stays_under_its_budget(priced):
    result, settings = priced
    assert result.estimate.monthly_total <= settings.cost.monthly_budget_usd, (
        f"{result.estimate.stack}: estimate {result.estimate.monthly_total:.2f} exceeds budget "
        f"{settings.cost.monthly_budget_usd:.2f}"
    )


def test_everything_each_stack_declares_is_priced(priced):
    result, _ = priced
    assert result.estimate.unpriced == ()


def test_prod_keeps_the_configured_share_of_workers_on_spot(pinned_inventory):
    settings = stack_settings(PROJECT_DIR, pinned_inventory.stack)
    assert spot_share_problem(pinned_inventory.resources, settings.cost.min_spot_share) is None


def test_network_lines_match_the_price_table(priced, pinned_inventory):
    result, settings = priced
    usage, hours = settings.cost, settings.cost.hours_per_month
    items = {item.name: item for item in result.estimate.items}
    nats = pinned_inventory.of_type("aws:ec2/natGateway:NatGateway")
    for nat in nats:
        expected = hours * rows.service("nat_gateway_hour") + usage.nat_gb_per_month / len(nats) * rows.service("nat_gateway_data_processed")
        assert items[nat.name].monthly_usd == pytest.approx(expected), nat.name
    for address in pinned_inventory.of_type("aws:ec2/eip:Eip"):
        assert items[address.name].monthly_usd == pytest.approx(hours * rows.service("public_ipv4_address_hour"))
    for endpoint in pinned_inventory.of_type("aws:ec2/vpcEndpoint:VpcEndpoint"):
        if endpoint.inputs["vpcEndpointType"] == "Interface":
            expected = settings.network.az_count * hours * rows.service("vpc_interface_endpoint_az_hour") + usage.interface_endpoint_gb_per_month * rows.service(
                "vpc_interface_endpoint_data_processed_first_1pb"
            )
        else:
            expected = 0.0
        assert items[endpoint.name].monthly_usd == pytest.approx(expected), endpoint.name
    for group in pinned_inventory.of_type("aws:cloudwatch/logGroup:LogGroup"):
        stored = usage.log_gb_per_month * group.inputs["retentionInDays"] / (hours / 24)
        expected = usage.log_gb_per_month * rows.service("cloudwatch_logs_ingestion_standard") + stored * rows.service("cloudwatch_logs_storage")
        assert items[group.name].monthly_usd == pytest.approx(expected), group.name


def test_every_priced_item_belongs_to_a_declared_component(priced, pinned_inventory):
    result, _ = priced
    top_level = {r.name for r in pinned_inventory.resources if r.parent is None}
    assert {item.component for item in result.estimate.items} <= top_level


def test_naive_posture_of_a_stack_has_a_nat_per_zone_and_no_endpoints(pinned_inventory):
    from mlp.cost.naive import naive_posture

    settings = stack_settings(PROJECT_DIR, pinned_inventory.stack)
    resources, usage = naive_posture(pinned_inventory.resources, settings.cost)
    nats = [r for r in resources if r.type == "aws:ec2/natGateway:NatGateway"]
    assert len(nats) == settings.network.az_count
    assert len({r.urn for r in resources}) == len(resources)
    endpoints = [r for r in resources if r.type == "aws:ec2/vpcEndpoint:VpcEndpoint"]
    assert all(e.inputs["vpcEndpointType"] == "Gateway" for e in endpoints)
    moved = len(settings.network.interface_endpoints) * settings.cost.interface_endpoint_gb_per_month
    assert usage.nat_gb_per_month == settings.cost.nat_gb_per_month + moved



def test_each_stack_pays_for_exactly_one_control_plane(priced):
    """pulumi-eks's component and the EKS cluster it creates are one bill, priced once."""
    result, _ = priced
    clusters = [item for item in result.estimate.items if item.type in ("eks:index:Cluster", "aws:eks/cluster:Cluster")]
    assert len(clusters) == 2, [item.name for item in clusters]
    charged = [item for item in clusters if item.monthly_usd > 0]
    assert len(charged) == 1, [(item.name, item.monthly_usd) for item in clusters]
    assert charged[0].monthly_usd == pytest.approx(730 * rows.service("eks_cluster_standard_support"))


def test_cost_attribution_does_not_depend_on_declaration_order(pinned_inventory):
    """A shared ALB is charged to one fixed Ingress, whatever order the engine registered them in;
    otherwise a diff shows cost moving between services that did not change."""
    import random

    settings = stack_settings(PROJECT_DIR, pinned_inventory.stack)
    shuffled = list(pinned_inventory.resources)
    random.Random(7).shuffle(shuffled)
    ordered = estimate_resources(pinned_inventory.resources, settings, pinned_inventory.stack, as_of=date(2026, 11, 28))
    reordered = estimate_resources(shuffled, settings, pinned_inventory.stack, as_of=date(2026, 11, 28))
    by_urn = {item.urn: item.monthly_usd for item in ordered.estimate.items}
    # Equal up to float summation order, which does follow the input.
    assert {item.urn: item.monthly_usd for item in reordered.estimate.items} == pytest.approx(by_urn)


def test_each_worker_pool_is_priced_once_over_all_its_zonal_groups(priced, pinned_inventory):
    """A pool is one Auto Scaling group per zone: the estimate prices it as one pool whose size
    is the sum of its zonal groups, and every zonal group is on the bill exactly once."""
    result, _ = priced
    estimate = result.estimate
    label = "k8s.io/cluster-autoscaler/node-template/label/ml-platform.io/pool"
    groups: dict[str, list] = {}
    for group in pinned_inventory.of_type("aws:autoscaling/group:Group"):
        pool = {t["key"]: t["value"] for t in group.inputs["tags"]}[label]
        groups.setdefault(pool, []).append(group)
    usage = {u.pool: u for u in estimate.pools}
    assert len(estimate.pools) == len(usage), f"a pool is priced twice: {[u.pool for u in estimate.pools]}"
    billed = {item.urn: item for item in estimate.items}
    for pool, zonal in groups.items():
        assert len(zonal) > 1, f"{pool}: one group, not one per zone"
        floor = sum(g.inputs["desiredCapacity"] for g in zonal)
        assert usage[pool].nodes >= floor, f"{pool}: priced {usage[pool].nodes} nodes below its zonal floors {floor}"
        assert all(g.urn in billed for g in zonal), f"{pool}: a zonal group is missing from the bill"
        assert sum(billed[g.urn].monthly_usd > 0 for g in zonal) <= 1, f"{pool}: priced on more than one zonal group"


def test_the_naive_posture_prices_every_workload(pinned_inventory):
    """The comparison is only fair if the naive side prices the same workloads: services that
    ask for spot run on the same pools there, bought on demand."""
    settings = stack_settings(PROJECT_DIR, pinned_inventory.stack)
    naive = estimate_resources(pinned_inventory.resources, settings, pinned_inventory.stack, naive=True, as_of=date(2026, 11, 28))
    assert naive.estimate.unpriced == ()


def test_the_baseline_prices_no_pool_above_what_its_peak_pods_need(pinned_inventory):
    """A pool the baseline's pods do not land on stays at its minSize (no autoscaler: a group
    stays at the desired capacity it is given), not at maxSize; one they land on at what they
    pack to, at least minSize."""
    settings = stack_settings(PROJECT_DIR, pinned_inventory.stack)
    baseline = estimate_resources(pinned_inventory.resources, settings, pinned_inventory.stack, naive=True, as_of=date(2026, 11, 28))
    groups = pinned_inventory.of_type("aws:autoscaling/group:Group")
    assert baseline.estimate.pools
    for usage in baseline.estimate.pools:
        if usage.pool == "system":  # the managed node group
            (system,) = pinned_inventory.of_type("eks:index:ManagedNodeGroup") or pinned_inventory.of_type("aws:eks/nodeGroup:NodeGroup")
            minimum = int(system.inputs["scalingConfig"]["minSize"])
        else:
            minimum = sum(int(g.inputs.get("minSize") or 0) for g in groups if g.name.startswith(f"pool-{usage.pool}-asg-"))
        assert usage.nodes == max(usage.nodes_needed, minimum), f"{usage.pool}: {usage}"


def test_the_baseline_gives_each_service_its_own_load_balancer_and_the_default_search_sizing(pinned_inventory):
    """Every Ingress loses its group (one ALB each, the controller's default), and the domain gets
    AWS's provisioning-guide sizing: 3 x r7g.large + 3 masters when zone-aware, else 1 x t3.medium."""
    from mlp.cost.ingresses import GROUP_ANNOTATION
    from mlp.cost.naive import naive_posture

    settings = stack_settings(PROJECT_DIR, pinned_inventory.stack)
    resources, _ = naive_posture(pinned_inventory.resources, settings.cost)
    ingresses = [r for r in resources if r.type == "kubernetes:networking.k8s.io/v1:Ingress"]
    assert ingresses and not any(GROUP_ANNOTATION in (r.inputs["metadata"].get("annotations") or {}) for r in ingresses)
    baseline = estimate_resources(pinned_inventory.resources, settings, pinned_inventory.stack, naive=True, as_of=date(2026, 11, 28))
    albs = [i for i in baseline.estimate.items if i.type.endswith("Ingress") and i.monthly_usd > 0]
    assert len(albs) == len(ingresses), "one ALB per Ingress"
    (domain,) = [r for r in resources if r.type == "aws:opensearch/domain:Domain"]
    cluster = domain.inputs["clusterConfig"]
    expected = ("r7g.large.search", 3, True) if settings.search.availability_zone_count > 1 else ("t3.medium.search", 1, False)
    assert (cluster["instanceType"], cluster["instanceCount"], cluster["dedicatedMasterEnabled"]) == expected
    assert domain.inputs["ebsOptions"]["volumeSize"] == 100


def test_counts_read_as_english(plan):
    """dev runs one system node and one-replica services: "1 node", "1 pod", never "1 nodes".
    (The search sizing lines, `search_sizing`, come from components/search/search_sizing.py.)"""
    settings = stack_settings(PROJECT_DIR, "dev")
    for naive in (False, True):
        result = estimate_resources(plan("dev", images="pinned").resources, settings, "dev", naive=naive, as_of=date(2026, 11, 28))
        text = render.table(result.estimate, result.budget_usd) + render.markdown(result.estimate, result.budget_usd)
        assert re.search(r"\b1 node\b", text) and re.search(r"\b1 pod\b", text), "dev has a one-node pool and a one-pod service"
        wrong = re.findall(r"\b1 (?:nodes|pods|Ingresses|instances|zones|dedicated masters|on-demand nodes)\b|\(s\)", text)
        assert not wrong, f"dev (naive={naive}): {sorted(set(wrong))}"
