"""Each pricing rule against figures computed here from the price table rows it names."""

from __future__ import annotations

import math
from datetime import date

import pytest

from infra.settings.cost import CostSettings
from mlp.cost.estimate import estimate, spot_share_problem
from mlp.cost.naive import naive_posture
from mlp.cost.pools import ASG, MANAGED_NODE_GROUPS
from mlp.plan import declare_offline
from tests.mlp import price_rows as rows
from tests.mlp.crafted import WORKER_TYPES, declare_platform, resource

TODAY = date(2026, 11, 28)
HOURS = 730


def _platform(**options):
    return declare_offline(lambda: declare_platform(**options), project="ml-platform", stack="unit").resources


@pytest.fixture(scope="module")
def platform():
    return _platform()


def _item(result, name):
    (item,) = [i for i in result.items if i.name == name]
    return item


def _price(resources, usage=None, as_of=TODAY, **options):
    return estimate(resources, usage or CostSettings(), stack="unit", as_of=as_of, **options)


# --- EKS control plane ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "support", "standard_hours"),
    [
        ("1.35", None, HOURS),  # standard until 2027-03-27
        ("1.33", None, 0),  # extended since 2026-07-29
        ("1.34", None, 96),  # standard ends 2026-12-02: 4 days of the month from 2026-11-28
        ("1.33", "STANDARD", HOURS),  # auto-upgraded, never billed extended
        ("1.29", None, 0),  # older than the calendar
    ],
)
def test_eks_control_plane_prices_extended_support_by_the_hour(version, support, standard_hours):
    inputs = {"version": version, "skipDefaultNodeGroup": True}
    if support:
        inputs["upgradePolicy"] = {"supportType": support}
    result = _price([resource("eks:index:Cluster", "cluster", inputs)])
    expected = standard_hours * rows.service("eks_cluster_standard_support") + (HOURS - standard_hours) * rows.service(
        "eks_cluster_extended_support_total"
    )
    assert _item(result, "cluster").monthly_usd == pytest.approx(expected)
    assert not result.unpriced


def test_a_pulumi_eks_default_node_group_is_reported_unpriced():
    result = _price([resource("eks:index:Cluster", "cluster", {"version": "1.35"})])
    assert any("default node group" in entry for entry in result.unpriced)


# --- node pools -----------------------------------------------------------------------------


def _worker_pool_cost(nodes, base=1, percentage=25, volume_gb=50):
    on_demand = min(nodes, base) + math.ceil((nodes - min(nodes, base)) * percentage / 100)
    spot = nodes - on_demand
    spot_hourly = sum(rows.spot(t) for t in WORKER_TYPES) / len(WORKER_TYPES)
    ebs = nodes * volume_gb * rows.service("ebs_gp3_storage")
    return HOURS * (on_demand * rows.on_demand(WORKER_TYPES[0]) + spot * spot_hourly) + ebs


def test_worker_pool_prices_base_on_demand_and_the_spot_share_from_advisor_savings(platform):
    result = _price(platform)
    pool = _item(result, "workers-asg")
    deployments = sum(_item(result, n).monthly_usd for n in ("api", "ranker"))
    # The pool's line keeps the idle part; what Deployments request is charged to them.
    assert pool.monthly_usd + deployments == pytest.approx(_worker_pool_cost(4))
    (usage,) = [p for p in result.pools if p.pool == "general"]
    assert usage.nodes == 4 and usage.monthly_usd == pytest.approx(_worker_pool_cost(4))


def test_managed_system_pool_is_on_demand_with_its_disks(platform):
    result = _price(platform)
    expected = 2 * HOURS * rows.on_demand("m6i.large") + 2 * 30 * rows.service("ebs_gp3_storage")
    assert _item(result, "system").monthly_usd == pytest.approx(expected)


def test_workload_requests_are_charged_by_dominant_share_and_idle_is_the_rest(platform):
    result = _price(platform)
    usable = 1 - CostSettings().node_reserved_fraction
    cpu, memory = rows.vcpu("m6i.xlarge") * usable, rows.memory_gib("m6i.xlarge") * usable
    node_month = _worker_pool_cost(4) / 4
    api = 3 * max(1 / cpu, 2 / memory) * node_month  # HPA minReplicas 3 beats spec.replicas 1
    ranker = 2 * max(0.5 / cpu, 6 / memory) * node_month
    assert _item(result, "api").monthly_usd == pytest.approx(api)
    assert _item(result, "ranker").monthly_usd == pytest.approx(ranker)
    (usage,) = [p for p in result.pools if p.pool == "general"]
    assert usage.idle_usd == pytest.approx(_worker_pool_cost(4) - api - ranker)
    assert usage.idle_usd > 0 and usage.nodes_needed == 2


def test_requests_beyond_the_desired_size_grow_the_pool():
    resources = _platform(desired=1, api_replicas_min=8)
    result = _price(resources)
    (usage,) = [p for p in result.pools if p.pool == "general"]
    assert usage.nodes_needed > 1
    assert usage.monthly_usd == pytest.approx(_worker_pool_cost(usage.nodes_needed))
    assert "above desired 1" in _item(result, "workers-asg").basis


def test_a_workload_no_pool_admits_is_reported(platform):
    result = _price(platform)
    assert _item(result, "pinned").monthly_usd == 0
    assert any(entry.startswith("pinned:") for entry in result.unpriced)


# --- search domain --------------------------------------------------------------------------


def _domain_base():
    data = 3 * HOURS * rows.service("opensearch_r6g.large.search")
    masters = 3 * HOURS * rows.service("opensearch_m6g.large.search")
    storage = 3 * 100 * rows.service("opensearch_gp3_storage")
    return data, masters, storage


def test_search_domain_in_standard_support_is_nodes_masters_and_storage(platform):
    assert _item(_price(platform), "search").monthly_usd == pytest.approx(sum(_domain_base()))


def test_search_domain_whose_support_was_extended_pays_the_instance_price_again():
    data, masters, storage = _domain_base()
    result = _price(_platform(search_version="OpenSearch_2.9"))
    assert _item(result, "search").monthly_usd == pytest.approx(2 * (data + masters) + storage)


def test_search_surcharge_switches_from_nih_to_instance_price_on_2026_11_07():
    data, masters, storage = _domain_base()
    start = date(2026, 10, 20)
    nih_hours = 18 * 24  # 2026-10-20 .. 2026-11-07
    rate = rows.service("opensearch_extended_support_standard_rate")
    large = 4  # normalized units of a `large` instance
    nih = 6 * nih_hours * large * rate
    doubled = (HOURS - nih_hours) * 3 * (rows.service("opensearch_r6g.large.search") + rows.service("opensearch_m6g.large.search"))
    result = _price(_platform(search_version="OpenSearch_2.9"), as_of=start)
    assert _item(result, "search").monthly_usd == pytest.approx(data + masters + storage + nih + doubled)


def test_search_on_elasticsearch_5_6_pays_per_normalized_hour():
    data, masters, storage = _domain_base()
    surcharge = 6 * HOURS * 4 * rows.service("opensearch_extended_support_standard_rate")
    result = _price(_platform(search_version="Elasticsearch_5.6"))
    assert _item(result, "search").monthly_usd == pytest.approx(data + masters + storage + surcharge)


def test_an_unpriced_search_instance_type_is_reported_not_guessed():
    domain = resource(
        "aws:opensearch/domain:Domain",
        "search",
        {"engineVersion": "OpenSearch_2.19", "clusterConfig": {"instanceType": "i4g.large.search", "instanceCount": 2}},
    )
    result = _price([domain])
    assert _item(result, "search").monthly_usd == 0
    assert any("i4g.large.search" in entry for entry in result.unpriced)


# --- load balancers from Ingresses ----------------------------------------------------------


def test_one_alb_per_ingress_group_and_per_ungrouped_ingress(platform):
    result = _price(platform)
    alb = HOURS * rows.service("alb_hour") + HOURS * 1 * rows.service("alb_lcu_hour")
    public_ips = 3 * HOURS * rows.service("public_ipv4_address_hour")  # internet-facing, 3 public subnets
    assert _item(result, "api-ing").monthly_usd == pytest.approx(alb + public_ips)
    assert _item(result, "ranker-ing").monthly_usd == 0  # same group, same ALB
    assert _item(result, "admin-ing").monthly_usd == pytest.approx(alb)


def test_the_ingress_class_params_group_and_scheme_override_the_annotations():
    """As the controller does (v3.5.0 docs/guide/ingress/ingress_class.md): every Ingress of a
    class whose IngressClassParams set a group joins it, whatever its annotations say."""

    def ingress(name: str, annotations: dict) -> object:
        return resource("kubernetes:networking.k8s.io/v1:Ingress", name, {
            "metadata": {"name": name, "annotations": annotations}, "spec": {"ingressClassName": "alb"}})

    release = resource("kubernetes:helm.sh/v3:Release", "lbc", {
        "chart": "aws-load-balancer-controller",
        "values": {"ingressClass": "alb", "createIngressClassResource": True, "ingressClassParams": {
            "create": True, "name": "alb", "spec": {"group": {"name": "shared"}, "scheme": "internet-facing"}}},
    })
    result = _price([release, ingress("a-ing", {}), ingress("b-ing", {"alb.ingress.kubernetes.io/group.name": "other"})])
    alb = HOURS * rows.service("alb_hour") + HOURS * 1 * rows.service("alb_lcu_hour")
    public_ips = 2 * HOURS * rows.service("public_ipv4_address_hour")  # internet-facing, at least 2 zones
    assert _item(result, "a-ing").monthly_usd == pytest.approx(alb + public_ips)
    assert _item(result, "b-ing").monthly_usd == 0  # the class's group, not its annotation's


# --- network and small services -------------------------------------------------------------


def test_network_and_service_rules():
    usage = CostSettings(nat_gb_per_month=120, interface_endpoint_gb_per_month=7, log_gb_per_month=3, ecr_gb_per_repository=4, sqs_million_requests_per_month=2)
    resources = [
        resource("aws:ec2/natGateway:NatGateway", "nat-a"),
        resource("aws:ec2/natGateway:NatGateway", "nat-b"),
        resource("aws:ec2/eip:Eip", "eip"),
        resource("aws:ec2/vpcEndpoint:VpcEndpoint", "sts", {"vpcEndpointType": "Interface", "subnetIds": ["a", "b", "c"]}),
        resource("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", {"vpcEndpointType": "Gateway"}),
        resource("aws:kms/key:Key", "key"),
        resource("aws:cloudwatch/logGroup:LogGroup", "logs", {"retentionInDays": 30}),
        resource("aws:sqs/queue:Queue", "queue"),
        resource("aws:sqs/queue:Queue", "fifo", {"fifoQueue": True}),
        resource("aws:ecr/repository:Repository", "repo"),
    ]
    result = _price(resources, usage)
    price = {item.name: item.monthly_usd for item in result.items}
    nat = HOURS * rows.service("nat_gateway_hour") + 60 * rows.service("nat_gateway_data_processed")
    assert price["nat-a"] == pytest.approx(nat) and price["nat-b"] == pytest.approx(nat)
    assert price["eip"] == pytest.approx(HOURS * rows.service("public_ipv4_address_hour"))
    assert price["sts"] == pytest.approx(
        3 * HOURS * rows.service("vpc_interface_endpoint_az_hour") + 7 * rows.service("vpc_interface_endpoint_data_processed_first_1pb")
    )
    assert price["s3"] == 0
    assert price["key"] == pytest.approx(rows.service("kms_customer_managed_key"))
    stored = 3 * 30 / (HOURS / 24)
    assert price["logs"] == pytest.approx(3 * rows.service("cloudwatch_logs_ingestion_standard") + stored * rows.service("cloudwatch_logs_storage"))
    assert price["queue"] == pytest.approx(2 * rows.service("sqs_standard_requests"))
    assert price["fifo"] == pytest.approx(2 * rows.service("sqs_fifo_requests"))
    assert price["repo"] == pytest.approx(4 * rows.service("ecr_storage"))
    assert result.monthly_total == pytest.approx(sum(price.values()))


def test_per_component_totals_add_up(platform):
    result = _price(platform)
    assert sum(result.by_component().values()) == pytest.approx(result.monthly_total)


# --- guardrail: spot share ------------------------------------------------------------------


def test_spot_share_floor_is_enforced_on_worker_pools_only():
    mostly_on_demand = _platform(on_demand_base=1, on_demand_percentage=100)
    problem = spot_share_problem(mostly_on_demand, 0.5)
    assert problem and "0 of 4 instances on spot" in problem
    mostly_spot = _platform(on_demand_base=1, on_demand_percentage=0)  # 3 of 4 on spot
    assert spot_share_problem(mostly_spot, 0.5) is None
    assert spot_share_problem(mostly_spot, 0.8) is not None
    assert spot_share_problem([], 0.9) is None  # no worker pools: nothing to keep on spot


# --- naive posture --------------------------------------------------------------------------


def test_naive_posture_runs_everything_on_demand_at_peak(platform):
    """Without an autoscaler a group stays at its desired capacity; the hand-sized baseline sets
    it to what the peak pods pack to, at least minSize, never the ceiling (mlp/cost/naive.py)."""
    usage = CostSettings()
    resources, naive_usage = naive_posture(platform, usage)
    result = _price(resources, naive_usage, at_peak=True)
    (workers,) = [p for p in result.pools if p.pool == "general"]
    assert workers.nodes == workers.nodes_needed == 4, "the peak pods pack to 4 nodes; maxSize 10 is not priced"
    expected = 4 * HOURS * rows.on_demand(WORKER_TYPES[0]) + 4 * 50 * rows.service("ebs_gp3_storage")
    assert workers.monthly_usd == pytest.approx(expected)
    (system,) = [p for p in result.pools if p.pool == "system"]
    groups = [r for r in platform if r.type in MANAGED_NODE_GROUPS or r.type == ASG]
    minimum = sum(int((g.inputs.get("scalingConfig") or g.inputs).get("minSize") or 0) for g in groups if "system" in g.name)
    assert system.nodes_needed == 0 and system.nodes == minimum, "a pool nothing lands on stays at minSize"
    assert _item(result, "api").basis.startswith("8 pods (HPA maxReplicas)")
    assert result.monthly_total > _price(platform).monthly_total


def test_renderings_show_idle_capacity_per_pool(platform):
    from mlp.cost import render

    result = _price(platform)
    (usage,) = [p for p in result.pools if p.pool == "general"]
    idle = f"{usage.idle_usd:,.2f}"
    text = render.table(result, budget=1000)
    assert "node pools" in text and f"idle {idle}" in text and "OVER BUDGET" in text
    assert "NOT PRICED" in text and "pinned" in text
    comment = render.markdown(result, budget=5000)
    assert "| general | 4 | 2 |" in comment and idle in comment
