"""Pricing rules for resources priced on their own: one function per resource type, each
returning the monthly USD and the arithmetic behind it. Node pools, workloads and load
balancers built from Ingresses need the whole inventory and live in `node_pool.py` (with
`pools.py`, `workloads.py`, `placement.py`, `packing.py`) and `ingresses.py`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from components.search.search_engine_support import size_factor, surcharge_periods
from mlp.cost.calendars import eks_extended_hours, hours_between
from mlp.cost.model import PricingContext, Resource, lookup
from mlp.cost.prices import UnpricedError


@dataclass(frozen=True)
class Priced:
    monthly_usd: float
    basis: str


def usd(value: float) -> str:
    return f"${value:,.2f}"


def ebs_monthly(ctx: PricingContext, size_gb: float, volume_type: str, iops: float = 0, throughput: float = 0) -> Priced:
    """One EBS volume-month. Only gp3 is in the price table; baseline 3,000 IOPS and 125 MiB/s
    are included in its storage price."""
    if volume_type != "gp3":
        raise UnpricedError(f"no EBS {volume_type} price in the table (gp3 only)")
    prices = ctx.prices
    storage = size_gb * prices.service("ebs_gp3_storage")
    extra_iops = max(0.0, iops - 3000) * prices.service("ebs_gp3_iops_above_3000")
    extra_throughput = max(0.0, throughput - 125) * prices.service("ebs_gp3_throughput_above_125")
    basis = f"{size_gb:g} GB gp3"
    if extra_iops:
        basis += f" + {iops - 3000:g} IOPS above 3000"
    if extra_throughput:
        basis += f" + {throughput - 125:g} MiB/s above 125"
    return Priced(storage + extra_iops + extra_throughput, basis)


def eks_cluster(resource: Resource, ctx: PricingContext) -> Priced:
    inputs = resource.inputs
    parent = ctx.by_urn().get(resource.parent or "")
    if resource.type == "aws:eks/cluster:Cluster" and parent is not None and parent.type == "eks:index:Cluster":
        # The pulumi-eks component and the EKS cluster it creates are one control plane.
        return Priced(0.0, f"control plane of {parent.name}, priced there")
    version = str(inputs.get("version") or "")
    standard = ctx.prices.service("eks_cluster_standard_support")
    extended = ctx.prices.service("eks_cluster_extended_support_total")
    support_type = lookup(inputs, "upgradePolicy.supportType", "EXTENDED")
    if not version:
        hours_extended, note = 0.0, "no version set: EKS picks its default (standard support)"
    elif support_type == "STANDARD":
        hours_extended, note = 0.0, "support type STANDARD: upgraded at end of standard support"
    else:
        hours_extended, note = eks_extended_hours(version, ctx.as_of, ctx.hours)
    hours_standard = ctx.hours - hours_extended
    monthly = hours_standard * standard + hours_extended * extended
    basis = f"control plane {version or 'default'} ({note}): {hours_standard:g} h × ${standard}"
    if hours_extended:
        basis += f" + {hours_extended:g} h × ${extended} extended"
    if resource.type == "eks:index:Cluster" and not inputs.get("skipDefaultNodeGroup"):
        ctx.unpriced.append(f"{resource.name}: pulumi-eks default node group (set skipDefaultNodeGroup)")
        basis += "; default node group NOT priced"
    return Priced(monthly, basis)


def nat_gateway(resource: Resource, ctx: PricingContext) -> Priced:
    hourly = ctx.prices.service("nat_gateway_hour")
    per_gb = ctx.prices.service("nat_gateway_data_processed")
    share_gb = ctx.usage.nat_gb_per_month / max(1, len(ctx.of_type(resource.type)))
    monthly = ctx.hours * hourly + share_gb * per_gb
    return Priced(monthly, f"{ctx.hours:g} h × ${hourly} + {share_gb:g} GB × ${per_gb} (NAT traffic split over gateways)")


def elastic_ip(resource: Resource, ctx: PricingContext) -> Priced:
    rate = ctx.prices.service("public_ipv4_address_hour")
    return Priced(ctx.hours * rate, f"public IPv4: {ctx.hours:g} h × ${rate}")


def vpc_endpoint(resource: Resource, ctx: PricingContext) -> Priced:
    kind = resource.inputs.get("vpcEndpointType", "Gateway")
    if kind == "Gateway":
        return Priced(0.0, "gateway endpoint: free")
    if kind != "Interface":
        raise UnpricedError(f"no price for {kind} endpoints")
    zones = len(resource.inputs.get("subnetIds") or resource.inputs.get("subnetConfigurations") or []) or 1
    hourly = ctx.prices.service("vpc_interface_endpoint_az_hour")
    per_gb = ctx.prices.service("vpc_interface_endpoint_data_processed_first_1pb")
    gb = ctx.usage.interface_endpoint_gb_per_month
    return Priced(
        zones * ctx.hours * hourly + gb * per_gb,
        f"{zones} AZ × {ctx.hours:g} h × ${hourly} + {gb:g} GB × ${per_gb}",
    )


def kms_key(resource: Resource, ctx: PricingContext) -> Priced:
    rate = ctx.prices.service("kms_customer_managed_key")
    basis = f"1 key-month × ${rate:g}"
    if resource.inputs.get("enableKeyRotation"):
        basis += " (each yearly rotation adds a key-month; first year priced)"
    return Priced(rate, basis)


def log_group(resource: Resource, ctx: PricingContext) -> Priced:
    ingest_rate = ctx.prices.service("cloudwatch_logs_ingestion_standard")
    storage_rate = ctx.prices.service("cloudwatch_logs_storage")
    gb = ctx.usage.log_gb_per_month
    retention = resource.inputs.get("retentionInDays") or 0
    if retention:
        stored = gb * retention / ctx.usage.days_per_month
        note = f"{retention} d retention"
    else:
        stored = gb * 12
        note = "NO retention: storage grows every month, one year priced"
    basis = f"{gb:g} GB × ${ingest_rate} ingest + {stored:.2f} GB stored × ${storage_rate} ({note})"
    if resource.inputs.get("logGroupClass") == "INFREQUENT_ACCESS":
        basis += "; infrequent-access class priced at standard rates"
    return Priced(gb * ingest_rate + stored * storage_rate, basis)


def sqs_queue(resource: Resource, ctx: PricingContext) -> Priced:
    fifo = bool(resource.inputs.get("fifoQueue"))
    rate = ctx.prices.service("sqs_fifo_requests" if fifo else "sqs_standard_requests")
    requests = ctx.usage.sqs_million_requests_per_month
    return Priced(requests * rate, f"{requests:g} M requests × ${rate} ({'FIFO' if fifo else 'standard'})")


def ecr_repository(resource: Resource, ctx: PricingContext) -> Priced:
    rate = ctx.prices.service("ecr_storage")
    gb = ctx.usage.ecr_gb_per_repository
    return Priced(gb * rate, f"{gb:g} GB stored × ${rate}")


def ebs_volume(resource: Resource, ctx: PricingContext) -> Priced:
    inputs = resource.inputs
    return ebs_monthly(ctx, float(inputs.get("size") or 0), inputs.get("type", "gp3"), inputs.get("iops") or 0, inputs.get("throughput") or 0)


def load_balancer(resource: Resource, ctx: PricingContext) -> Priced:
    """A load balancer declared directly (the controller's ALBs are priced from Ingresses)."""
    kind = resource.inputs.get("loadBalancerType", "application")
    if kind != "application":
        raise UnpricedError(f"no price for {kind} load balancers in the table")
    zones = len(resource.inputs.get("subnets") or resource.inputs.get("subnetMappings") or []) or 2
    return alb_monthly(ctx, internet_facing=not resource.inputs.get("internal", False), zones=zones)


def alb_monthly(ctx: PricingContext, *, internet_facing: bool, zones: int) -> Priced:
    hourly = ctx.prices.service("alb_hour")
    lcu_rate = ctx.prices.service("alb_lcu_hour")
    lcu = ctx.usage.alb_lcu_per_hour
    monthly = ctx.hours * hourly + ctx.hours * lcu * lcu_rate
    basis = f"ALB {ctx.hours:g} h × ${hourly} + {lcu:g} LCU × {ctx.hours:g} h × ${lcu_rate}"
    if internet_facing:
        ipv4 = ctx.prices.service("public_ipv4_address_hour")
        monthly += zones * ctx.hours * ipv4
        basis += f" + {zones} public IPv4 × {ctx.hours:g} h × ${ipv4}"
    return Priced(monthly, basis)


def opensearch_domain(resource: Resource, ctx: PricingContext) -> Priced:
    inputs = resource.inputs
    cluster = inputs.get("clusterConfig") or {}
    parts: list[tuple[float, str]] = []
    nodes: list[tuple[str, int]] = []

    data_type = cluster.get("instanceType", "r6g.large.search")
    data_count = int(cluster.get("instanceCount") or 1)
    nodes.append((data_type, data_count))
    if cluster.get("dedicatedMasterEnabled"):
        nodes.append((cluster.get("dedicatedMasterType", data_type), int(cluster.get("dedicatedMasterCount") or 3)))
    for instance_type, count in nodes:
        hourly = ctx.prices.opensearch_hourly(instance_type)
        parts.append((count * ctx.hours * hourly, f"{count} × {instance_type} × {ctx.hours:g} h × ${hourly}"))
    if cluster.get("warmEnabled"):
        ctx.unpriced.append(f"{resource.name}: UltraWarm nodes")

    ebs = inputs.get("ebsOptions") or {}
    if ebs.get("ebsEnabled", True) and ebs.get("volumeSize"):
        volume_type = ebs.get("volumeType", "gp3")
        if volume_type != "gp3":
            raise UnpricedError(f"no OpenSearch {volume_type} storage price (gp3 only)")
        size = float(ebs["volumeSize"])
        rate = ctx.prices.service("opensearch_gp3_storage")
        parts.append((data_count * size * rate, f"{data_count} × {size:g} GB gp3 × ${rate}"))
        if (ebs.get("iops") or 0) > 3000 or (ebs.get("throughput") or 0) > 125:
            ctx.unpriced.append(f"{resource.name}: gp3 IOPS/throughput above baseline (no source)")

    version = str(inputs.get("engineVersion") or "")
    try:
        periods = surcharge_periods(version)
    except ValueError:  # not an engine version (or none set): the calendar cannot say
        periods = None
    if periods is None:
        ctx.unpriced.append(f"{resource.name}: {version or 'default version'} is not in the support calendar")
        parts.append((0.0, f"{version or 'default version'}: support calendar unknown, no surcharge priced"))
    for period in periods or ():
        hours = hours_between(ctx.as_of, ctx.hours, period.start, period.end)
        if not hours:
            continue
        for instance_type, count in nodes:
            if not period.step.equals_instance_price:
                rate = ctx.prices.service("opensearch_extended_support_standard_rate")
                factor = size_factor(instance_type)
                parts.append((count * hours * factor * rate, f"extended support {count} × {hours:g} h × {factor:g} NIH × ${rate}"))
            else:
                hourly = ctx.prices.opensearch_hourly(instance_type)
                parts.append((count * hours * hourly, f"extended support (= instance price) {count} × {hours:g} h × ${hourly}"))
    return Priced(sum(value for value, _ in parts), f"{version}: " + " + ".join(text for _, text in parts))


Rule = Callable[[Resource, PricingContext], Priced]

RULES: dict[str, Rule] = {
    "eks:index:Cluster": eks_cluster,
    "aws:eks/cluster:Cluster": eks_cluster,
    "aws:ec2/natGateway:NatGateway": nat_gateway,
    "aws:ec2/eip:Eip": elastic_ip,
    "aws:ec2/vpcEndpoint:VpcEndpoint": vpc_endpoint,
    "aws:kms/key:Key": kms_key,
    "aws:cloudwatch/logGroup:LogGroup": log_group,
    "aws:sqs/queue:Queue": sqs_queue,
    "aws:ecr/repository:Repository": ecr_repository,
    "aws:ebs/volume:Volume": ebs_volume,
    "aws:lb/loadBalancer:LoadBalancer": load_balancer,
    "aws:alb/loadBalancer:LoadBalancer": load_balancer,
    "aws:opensearch/domain:Domain": opensearch_domain,
}
