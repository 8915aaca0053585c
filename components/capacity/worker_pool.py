"""A self-managed worker pool: one Auto Scaling group per availability zone, each mixing spot and
on-demand capacity."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.nodes.instance_catalog import pool_type_problems
from components.nodes.node_launch import (
    encrypted_gp3_root,
    imdsv2_metadata_options,
    launch_tag_specifications,
)
from components.nodes.node_role import NodeRole
from components.nodes.node_user_data import encode_user_data, node_user_data
from components.nodes.placement import (
    CAPACITY_LABEL,
    GPU_TAINT,
    POOL_LABEL,
    SPOT_TAINT,
    CapacityType,
)

SPOT_ALLOCATION_STRATEGY = "price-capacity-optimized"
"""Spot from the pools least likely to be interrupted, and among those the cheapest (AWS's
recommended strategy for most workloads; `lowest-price` chases the pools about to run dry)."""

ON_DEMAND_ALLOCATION_STRATEGY = "lowest-price"
"""Every type of a pool is the same shape, so the cheapest on-demand one is the best one."""

REPLACEMENT_MIN_HEALTHY_PERCENTAGE = 100
REPLACEMENT_MAX_HEALTHY_PERCENTAGE = 200
"""Launch before terminate when an instance refresh replaces the group's instances. A zonal group holds one or two instances; AWS's defaults
(minimum 90 % rounded up, no maximum, i.e. "terminate and launch") replace one at a time by
terminating it first, so a one-instance zone empties and its pods go Pending against their zone
spread. With the floor at 100 % nothing is terminated before its replacement is in service, and a
ceiling of 200 % lets a refresh launch the whole group's replacements at once. Both must be set,
100-200 for the maximum and at most 100 apart
(https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstanceMaintenancePolicy.html;
https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-maintenance-policy-overview-and-considerations.html)."""

AUTOSCALER_TAG_PREFIX = "k8s.io/cluster-autoscaler"

GROUP_METRICS = (
    "GroupDesiredCapacity",
    "GroupInServiceInstances",
    "GroupPendingInstances",
    "GroupTotalInstances",
)
"""Auto Scaling group metrics (free at one-minute granularity), for the capacity dashboards."""


@dataclass(frozen=True)
class ZoneSizes:
    """One zonal group's share of a pool's sizes."""

    min_size: int
    max_size: int
    on_demand_base_capacity: int


def zone_sizes(*, min_size: int, max_size: int, on_demand_base_capacity: int, zone_count: int) -> ZoneSizes:
    """Split a pool's sizes over its zonal groups, rounding up: every zonal group gets
    ceil(size / zones), so the pool's floor, ceiling and on-demand base are at least what was
    configured and every zone gets the same share (cluster-autoscaler's
    `balance-similar-node-groups` keeps similar groups level, which only works if each zone may
    grow as far as the others). A `min_size` that is not a multiple of the zone count therefore
    buys more floor than asked: 1 in three zones is 3 instances, one per zone."""
    if zone_count < 1:
        raise ValueError("a worker pool needs at least one zone")
    return ZoneSizes(
        min_size=math.ceil(min_size / zone_count),
        max_size=math.ceil(max_size / zone_count),
        on_demand_base_capacity=math.ceil(on_demand_base_capacity / zone_count),
    )


def zonal_group_name(group_name: str, zone: str) -> str:
    """The Auto Scaling group of one pool in one zone: the pool's group name, then the zone."""
    return f"{group_name}-{zone}"


def capacity_type_of(on_demand_base_capacity: int, on_demand_percentage_above_base_capacity: int) -> CapacityType:
    """What the pool buys, as the `CAPACITY_LABEL` value: all on-demand, spot above any
    on-demand base, or a percentage mix."""
    if on_demand_percentage_above_base_capacity >= 100:
        return "on-demand"
    if on_demand_percentage_above_base_capacity == 0:
        return "spot"
    return "mixed"


def carries_spot(on_demand_percentage_above_base_capacity: int) -> bool:
    return on_demand_percentage_above_base_capacity < 100


def ami_parameter_name(kubernetes_version: str, gpu: bool) -> str:
    """AWS's public SSM parameter for the recommended EKS-optimized AL2023 AMI
    (https://docs.aws.amazon.com/eks/latest/userguide/retrieve-ami-id.html)."""
    variant = "nvidia" if gpu else "standard"
    return f"/aws/service/eks/optimized-ami/{kubernetes_version}/amazon-linux-2023/x86_64/{variant}/recommended/image_id"


def replacement_problem(min_healthy_percentage: int, max_healthy_percentage: int) -> str | None:
    """What AWS refuses in an instance maintenance policy or refresh preferences, or None
    (API_InstanceMaintenancePolicy: minimum 0-100, maximum 100-200, at most 100 apart)."""
    if not 0 <= min_healthy_percentage <= 100:
        return f"minimum healthy percentage {min_healthy_percentage} is outside 0-100"
    if not 100 <= max_healthy_percentage <= 200:
        return f"maximum healthy percentage {max_healthy_percentage} is outside 100-200"
    if max_healthy_percentage - min_healthy_percentage > 100:
        return "minimum and maximum healthy percentages are more than 100 apart"
    return None


def lowest_in_service_during_replacement(desired: int, min_healthy_percentage: int, max_healthy_percentage: int) -> int:
    """The fewest in-service instances while a group of `desired` replaces all of them, as this
    project reads AWS's documentation (a model, not AWS's code; the assertion that bites is on
    the declared percentages): the floor is `min` % of desired rounded up, the ceiling `max` % of
    desired (in service plus pending) rounded down; a group that may not launch above desired
    terminates first, and always replaces at least one instance at a time even below the floor
    (https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-instance-refresh.html, "minimum
    healthy percentage" and its limitations: a one-instance group is terminated and relaunched
    at the same time; the maintenance-policy page above; alphagov/tech-ops#211 saw min 100 with
    no max still terminate a group's only instance)."""
    if desired == 0:
        return 0
    floor = math.ceil(desired * min_healthy_percentage / 100)
    ceiling = desired * max_healthy_percentage // 100
    if ceiling > desired:
        # Room to launch first: replacements come up, then old instances go, never below floor.
        return floor
    return desired - max(1, desired - floor)


def instance_refresh() -> aws.autoscaling.GroupInstanceRefreshArgs:
    """Roll the pool when its launch template changes (a new AMI, user data, tags): a refresh
    starts on any change of the mixed-instances policy, which names the template's latest
    version. Instances already on that version are skipped; each one leaving goes through the
    group's termination lifecycle hook, so the termination handler drains its node first, and
    only once its replacement is in service. pulumi-aws documents `min_healthy_percentage` as
    defaulting to 90 in the refresh preferences (aws.autoscaling.GroupInstanceRefreshPreferencesArgs),
    so both percentages are stated here.

    Deliberately no group-level `instance_maintenance_policy` with the same percentages: that
    policy also governs replacements Auto Scaling starts itself, and with Capacity Rebalancing the
    group's termination lifecycle action is the only interruption notice the handler gets (the
    EC2 spot warning rule is off, `interruption_events`). A policy that holds a terminating spot
    instance until its replacement passes its health-check grace period (120 s here) could push
    that notice past the two-minute reclaim; AWS's maintenance-policy page
    (instance-maintenance-policy-overview-and-considerations.html) does not say Capacity
    Rebalancing is exempt, so the group keeps AWS's default for its own replacements."""
    return aws.autoscaling.GroupInstanceRefreshArgs(
        strategy="Rolling",
        preferences=aws.autoscaling.GroupInstanceRefreshPreferencesArgs(
            min_healthy_percentage=REPLACEMENT_MIN_HEALTHY_PERCENTAGE,
            max_healthy_percentage=REPLACEMENT_MAX_HEALTHY_PERCENTAGE,
            skip_matching=True,
        ),
    )


def pool_labels(pool_name: str, capacity_type: CapacityType) -> dict[str, str]:
    return {POOL_LABEL: pool_name, CAPACITY_LABEL: capacity_type}


def pool_taints(capacity_type: CapacityType, gpu: bool) -> list[dict[str, str]]:
    """Spot-bearing pools repel pods that did not say they can take a reclaim; GPU pools repel
    pods that did not ask for a GPU."""
    taints = []
    if capacity_type != "on-demand":
        taints.append(dict(SPOT_TAINT))
    if gpu:
        taints.append(dict(GPU_TAINT))
    return taints


def autoscaler_tags(
    cluster_name: str,
    labels: Mapping[str, str],
    taints: Sequence[Mapping[str, str]],
    gpu_count: int = 0,
) -> dict[str, str]:
    """Group tags (not propagated) for cluster-autoscaler: auto-discovery, and the node template
    it needs to scale a group up from zero (labels, taints, extended resources)."""
    tags = {
        f"{AUTOSCALER_TAG_PREFIX}/enabled": "true",
        f"{AUTOSCALER_TAG_PREFIX}/{cluster_name}": "owned",
    }
    for key, value in labels.items():
        tags[f"{AUTOSCALER_TAG_PREFIX}/node-template/label/{key}"] = value
    for taint in taints:
        tags[f"{AUTOSCALER_TAG_PREFIX}/node-template/taint/{taint['key']}"] = f"{taint['value']}:{taint['effect']}"
    if gpu_count:
        tags[f"{AUTOSCALER_TAG_PREFIX}/node-template/resources/nvidia.com/gpu"] = str(gpu_count)
    return tags


@dataclass(frozen=True, kw_only=True)
class WorkerPoolArgs:
    """Inputs of `WorkerPool`."""

    pool_name: str
    """The pool's name, its `POOL_LABEL` value."""
    group_name: str
    """Prefix of the zonal Auto Scaling groups' names (`zonal_group_name`); the autoscaler's
    priority expander matches each of them."""
    cluster_name: pulumi.Input[str]
    """The EKS cluster the nodes join."""
    cluster_endpoint: pulumi.Input[str]
    """API server URL, written into the nodeadm config."""
    cluster_certificate_authority: pulumi.Input[str]
    """The cluster CA (base64), written into the nodeadm config."""
    service_cidr: pulumi.Input[str]
    """The cluster's Kubernetes service CIDR (nodeadm derives the DNS address from it)."""
    kubernetes_version: str
    """Cluster minor version, e.g. "1.35"; selects the AMI parameter."""
    zone_subnet_ids: Mapping[str, pulumi.Input[str]]
    """Availability zone -> the private subnet to launch into there; one Auto Scaling group per
    entry."""
    security_group_ids: Sequence[pulumi.Input[str]]
    """Security groups of the nodes (and, under the VPC CNI, of their pods)."""
    instance_types: Sequence[str]
    """Interchangeable types, all one shape; at least four for a pool that carries spot."""
    on_demand_base_capacity: int = 0
    """Instances of the pool always bought on-demand before any spot, split over its zones by
    `zone_sizes` (rounded up per zone). Default 0."""
    on_demand_percentage_above_base_capacity: int = 0
    """On-demand share of capacity above the base, 0-100. Default 0 (all spot)."""
    min_size: int = 0
    """Fewest instances of the pool, split over its zones by `zone_sizes` (rounded up per zone).
    Default 0 (the autoscaler scales up from zero)."""
    max_size: int = 3
    """Most instances of the pool, split over its zones by `zone_sizes` (rounded up per zone);
    the autoscaler's ceiling. Default 3."""
    root_volume_gib: int = 40
    """gp3 root volume size (images and ephemeral storage). Default 40 GiB."""
    gpu: bool = False
    """NVIDIA AMI variant, GPU taint and GPU node template. Default off."""
    cost_tags: Mapping[str, str] = field(default_factory=dict)
    """Cost-allocation tags for instances, volumes and network interfaces (provider default
    tags do not reach what Auto Scaling launches). Default none."""
    extra_instance_tags: Mapping[str, str] = field(default_factory=dict)
    """More tags propagated to instances at launch (e.g. the termination handler's
    managed-instance tag). Default none."""
    capacity_rebalance: bool = True
    """Capacity Rebalancing: the group launches a replacement for a spot instance at elevated
    risk or being reclaimed, and terminates the old one through its lifecycle hook. Default
    true."""

    def problems(self) -> list[str]:
        found = pool_type_problems(
            self.instance_types,
            carries_spot=carries_spot(self.on_demand_percentage_above_base_capacity),
            gpu=self.gpu,
        )
        if not 0 <= self.on_demand_percentage_above_base_capacity <= 100:
            found.append("on_demand_percentage_above_base_capacity must be 0-100")
        if not 0 <= self.min_size <= self.max_size or self.max_size < 1:
            found.append(f"sizes must satisfy 0 <= min_size <= max_size and max_size >= 1 (got {self.min_size}..{self.max_size})")
        if self.on_demand_base_capacity > self.max_size:
            found.append("on_demand_base_capacity exceeds max_size")
        if not self.zone_subnet_ids:
            found.append("zone_subnet_ids must name at least one zone")
        if self.root_volume_gib < 20:
            found.append("root_volume_gib must be at least 20 (the AMI's snapshot size)")
        return found


class WorkerPool(pulumi.ComponentResource):
    """A self-managed node group for workloads: one Auto Scaling group per availability zone,
    spot and on-demand in each. Zonal groups let cluster-autoscaler add a node in the very zone a
    pending pod's topology spread needs (a group spanning zones lets AWS pick the zone).

    Creates:
    - a node role (kubelet and image pulls only) with its instance profile, and the EC2_LINUX
      access entry that lets those nodes join the cluster;
    - a launch template: the EKS-optimized AL2023 AMI from AWS's public SSM parameter for the
      cluster version (standard or NVIDIA), IMDSv2 with hop limit 1, an encrypted gp3 root,
      nodeadm user data carrying the cluster endpoint, CA, service CIDR, the pool's labels and
      taints, and cost tags on instances, volumes and network interfaces;
    - per zone, an Auto Scaling group (`zonal_group_name`, sizes from `zone_sizes`) launching
      into that zone's subnet, all from the one template, with a MixedInstancesPolicy (on-demand base and percentage,
      price-capacity-optimized spot, capacity rebalance) and a
      rolling instance refresh on launch-template changes that launches before terminating, tagged for cluster-autoscaler auto-discovery and scale-from-zero. The autoscaler owns the desired capacity, so Pulumi
      ignores changes to it.
    """

    asg_names: dict[str, pulumi.Output[str]]
    """Availability zone -> that zone's Auto Scaling group name."""
    asg_arns: dict[str, pulumi.Output[str]]
    """Availability zone -> that zone's Auto Scaling group ARN."""
    node_role_arn: pulumi.Output[str]
    capacity_type: CapacityType
    pool_name: str
    carries_spot: bool
    capacity_rebalance: bool

    def __init__(self, name: str, args: WorkerPoolArgs, opts: pulumi.ResourceOptions | None = None):
        problems = args.problems()
        if problems:
            raise ValueError(f"worker pool {args.pool_name!r}: " + "; ".join(problems))
        super().__init__("mlplatform:capacity:WorkerPool", name, None, opts)
        self.pool_name = args.pool_name
        self.carries_spot = carries_spot(args.on_demand_percentage_above_base_capacity)
        self.capacity_rebalance = args.capacity_rebalance
        self.capacity_type = capacity_type_of(args.on_demand_base_capacity, args.on_demand_percentage_above_base_capacity)
        labels = pool_labels(args.pool_name, self.capacity_type)
        taints = pool_taints(self.capacity_type, args.gpu)
        child = pulumi.ResourceOptions(parent=self)

        node_role = NodeRole(f"{name}-node", instance_profile=True, opts=child)
        access = aws.eks.AccessEntry(
            f"{name}-access",
            cluster_name=args.cluster_name,
            principal_arn=node_role.role_arn,
            type="EC2_LINUX",
            opts=child,
        )

        ami = aws.ssm.get_parameter_output(
            name=ami_parameter_name(args.kubernetes_version, args.gpu),
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        user_data = pulumi.Output.all(
            args.cluster_name, args.cluster_endpoint, args.cluster_certificate_authority, args.service_cidr
        ).apply(
            lambda values: encode_user_data(
                node_user_data(
                    cluster_name=values[0],
                    api_server_endpoint=values[1],
                    certificate_authority=values[2],
                    service_cidr=values[3],
                    labels=labels,
                    taints=taints,
                )
            )
        )
        instance_tags = {**args.cost_tags, **args.extra_instance_tags, "Name": args.group_name}
        template = aws.ec2.LaunchTemplate(
            f"{name}-lt",
            description=f"Worker pool {args.pool_name}: EKS AL2023 nodes",
            # A public parameter, not a secret. pulumi-aws 7 marks `value` sensitive whatever the
            # type, and the Python SDK makes a whole invoke result secret when any field is, so
            # the clear field is taken and unmarked: previews show the AMI that will launch.
            image_id=pulumi.Output.unsecret(ami.insecure_value),
            user_data=user_data,
            iam_instance_profile=aws.ec2.LaunchTemplateIamInstanceProfileArgs(arn=node_role.instance_profile_arn),
            vpc_security_group_ids=list(args.security_group_ids),
            metadata_options=imdsv2_metadata_options(),
            block_device_mappings=[encrypted_gp3_root(args.root_volume_gib)],
            tag_specifications=launch_tag_specifications(instance_tags),
            update_default_version=True,
            opts=child,
        )

        gpu_count = 1 if args.gpu else 0
        group_tags = pulumi.Output.from_input(args.cluster_name).apply(
            lambda cluster: [
                aws.autoscaling.GroupTagArgs(key=key, value=value, propagate_at_launch=True)
                for key, value in {**instance_tags, f"kubernetes.io/cluster/{cluster}": "owned"}.items()
            ]
            + [
                aws.autoscaling.GroupTagArgs(key=key, value=value, propagate_at_launch=False)
                for key, value in autoscaler_tags(cluster, labels, taints, gpu_count).items()
            ]
        )
        sizes = zone_sizes(
            min_size=args.min_size,
            max_size=args.max_size,
            on_demand_base_capacity=args.on_demand_base_capacity,
            zone_count=len(args.zone_subnet_ids),
        )
        self.asg_names = {}
        self.asg_arns = {}
        for zone, subnet_id in args.zone_subnet_ids.items():
            group = aws.autoscaling.Group(
                f"{name}-asg-{zone}",
                name=zonal_group_name(args.group_name, zone),
                min_size=sizes.min_size,
                max_size=sizes.max_size,
                desired_capacity=sizes.min_size,
                vpc_zone_identifiers=[subnet_id],
                capacity_rebalance=args.capacity_rebalance,
                mixed_instances_policy=aws.autoscaling.GroupMixedInstancesPolicyArgs(
                    instances_distribution=aws.autoscaling.GroupMixedInstancesPolicyInstancesDistributionArgs(
                        on_demand_allocation_strategy=ON_DEMAND_ALLOCATION_STRATEGY,
                        on_demand_base_capacity=sizes.on_demand_base_capacity,
                        on_demand_percentage_above_base_capacity=args.on_demand_percentage_above_base_capacity,
                        spot_allocation_strategy=SPOT_ALLOCATION_STRATEGY,
                    ),
                    launch_template=aws.autoscaling.GroupMixedInstancesPolicyLaunchTemplateArgs(
                        launch_template_specification=aws.autoscaling.GroupMixedInstancesPolicyLaunchTemplateLaunchTemplateSpecificationArgs(
                            launch_template_id=template.id,
                            version=template.latest_version.apply(str),
                        ),
                        overrides=[
                            aws.autoscaling.GroupMixedInstancesPolicyLaunchTemplateOverrideArgs(instance_type=instance_type)
                            for instance_type in args.instance_types
                        ],
                    ),
                ),
                health_check_type="EC2",
                health_check_grace_period=120,
                enabled_metrics=list(GROUP_METRICS),
                instance_refresh=instance_refresh(),
                # Nodes join asynchronously and spot may take a while; `pulumi up` does not wait for
                # instances, the autoscaler and the node's readiness do.
                wait_for_capacity_timeout="0",
                tags=group_tags,
                opts=pulumi.ResourceOptions(
                    parent=self,
                    # The autoscaler owns the desired capacity; a deploy must not reset it.
                    ignore_changes=["desiredCapacity"],
                    # Instances must not launch before their role may join the cluster.
                    depends_on=[access],
                ),
            )
            self.asg_names[zone] = group.name
            self.asg_arns[zone] = group.arn
        self.node_role_arn = node_role.role_arn
        self.register_outputs(
            {
                "asg_names": self.asg_names,
                "asg_arns": self.asg_arns,
                "node_role_arn": self.node_role_arn,
                "capacity_type": self.capacity_type,
                "pool_name": self.pool_name,
                "carries_spot": self.carries_spot,
                "capacity_rebalance": self.capacity_rebalance,
            }
        )
