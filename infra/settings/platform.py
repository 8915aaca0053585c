"""The root of a stack's configuration: one model, one namespace (`ml-platform:`)."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from components.capacity.worker_pool import zone_sizes
from infra.settings.alerts import AlertSettings
from infra.settings.base import Section
from infra.settings.cluster import ClusterSettings, GpuPoolSettings
from infra.settings.cost import CostSettings
from infra.settings.dns import DnsSettings
from infra.settings.interruption import InterruptionSettings
from infra.settings.karpenter import karpenter_problem
from infra.settings.load_balancer import LoadBalancerSettings
from infra.settings.network import NetworkSettings
from infra.settings.node_pools import POOL_NAME_PATTERN, RESERVED_POOL_NAMES, NodePoolSettings
from infra.settings.rules import KeyRuleError
from infra.settings.search import SearchSettings
from infra.settings.services import ACM_CERTIFICATE_ARN, SERVICE_NAME, ServiceSettings

_TAG_VALUE = re.compile(r"^[\w .:/=+\-@]{1,256}$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")


class TagSettings(Section):
    """Who owns and pays for the stack. These become cost-allocation tags on every resource."""

    team: str = Field(description="Owning team, tag `team`. Required.")
    cost_center: str = Field(description="Cost center to bill, tag `cost-center`. Required.")

    @field_validator("team", "cost_center")
    @classmethod
    def _valid_tag_value(cls, value: str) -> str:
        if not _TAG_VALUE.match(value):
            raise ValueError(
                "must be 1-256 characters of letters, digits, spaces and _ . : / = + - @"
            )
        return value


class PlatformSettings(Section):
    """Everything that differs between environments, validated once before anything is declared."""

    region: str = Field(description="AWS region to deploy to, e.g. `us-east-1`. Required.")
    tags: TagSettings = Field(description="Ownership tags. Required.")
    network: NetworkSettings = Field(
        default_factory=NetworkSettings, description="The VPC. See the network keys."
    )
    alerts: AlertSettings = Field(
        default_factory=AlertSettings, description="Alert topic subscribers."
    )
    interruption: InterruptionSettings = Field(
        default_factory=InterruptionSettings, description="Spot interruption handling."
    )
    search: SearchSettings = Field(
        default_factory=SearchSettings, description="The search domain behind autocomplete."
    )
    services: dict[str, ServiceSettings] = Field(
        default_factory=dict,
        description="ML services by name (namespace, Deployment, Service, HPA, PDB, network "
        "policies, IAM role, ECR repository each). See docs/services.md. Default none.",
    )
    dns: DnsSettings | None = Field(
        None,
        description="The Route 53 hosted zone of the exposed services' hosts: the stack "
        "requests and DNS-validates their ACM certificates there and writes their alias records "
        "to the load balancer. Default none: every exposed service then needs `certificateArn`.",
    )
    load_balancer: LoadBalancerSettings = Field(
        default_factory=LoadBalancerSettings,
        description="The internet-facing ALB the exposed services share: deletion protection and access logs.",
    )
    cost: CostSettings = Field(
        default_factory=CostSettings,
        description="Budget, budget alerts and the usage assumptions of `mlp cost`.",
    )
    cluster: ClusterSettings = Field(description="The EKS cluster. Required (admin roles).")
    node_pools: dict[str, NodePoolSettings] = Field(
        min_length=1,
        description="Worker pools by name (lower-case, up to 20 characters; `system` and `gpu` "
        "are reserved). Each becomes one self-managed Auto Scaling group per zone. Required, at least one.",
    )

    @field_validator("region")
    @classmethod
    def _region_shape(cls, value: str) -> str:
        if not _REGION.match(value):
            raise ValueError("must be an AWS region code such as us-east-1")
        return value

    @model_validator(mode="after")
    def _search_fits_the_network(self) -> "PlatformSettings":
        if self.search.availability_zone_count > self.network.az_count:
            raise KeyRuleError(
                "search.availabilityZoneCount",
                f"the domain cannot span more zones than the VPC has private subnets "
                f"(network.azCount is {self.network.az_count})",
                self.search.availability_zone_count,
            )
        return self

    @model_validator(mode="after")
    def _private_deployers_are_routed(self) -> "PlatformSettings":
        """The API server answers a `privateAccessCidrs` deployer from its network interfaces in
        the private subnets, whose route tables send everything outside the VPC to the NAT
        gateway; a network outside `vpcCidr` is reached only through a declared
        `network.deployerRoutes` entry (a route added by hand is removed by the next update:
        inline routes are authoritative, pulumi-aws `aws.ec2.RouteTable` docs)."""
        for index, cidr in enumerate(self.cluster.endpoint.private_access_cidrs):
            if not self.network.routed_to(cidr):
                raise KeyRuleError(
                    f"cluster.endpoint.privateAccessCidrs[{index}]",
                    f"is outside network.vpcCidr ({self.network.vpc_cidr}) and no network.deployerRoutes "
                    "entry covers it, so the API server's replies would go to the NAT gateway; add a "
                    "route {cidr, transitGatewayId | vpcPeeringConnectionId} to network.deployerRoutes",
                    cidr,
                )
        return self

    @model_validator(mode="after")
    def _services_fit_the_platform(self) -> "PlatformSettings":
        for name, service in self.services.items():
            if not SERVICE_NAME.match(name):
                raise KeyRuleError(
                    f"services.{name}", "a service name must be a DNS label of at most 32 characters", name, False
                )
            for caller in service.callers:
                if caller == name:
                    raise KeyRuleError(f"services.{name}.callers", "a service cannot list itself as a caller", caller)
                if caller not in self.services:
                    raise KeyRuleError(
                        f"services.{name}.callers",
                        f"unknown caller {caller!r}; declared services: {', '.join(sorted(self.services))}",
                        caller,
                    )
            # Every drain (spot notice, rebalance, scale-in) goes through the termination handler,
            # so every service must stop inside its budget, whatever pool it runs on.
            problem = self.interruption.drain_budget().pod_problem(
                service.termination_grace_period_seconds, service.pre_stop_seconds
            )
            if problem:
                key = "preStopSeconds" if problem.startswith("preStop") else "terminationGracePeriodSeconds"
                value = service.pre_stop_seconds if key == "preStopSeconds" else service.termination_grace_period_seconds
                raise KeyRuleError(f"services.{name}.{key}", problem, value)
        return self

    @model_validator(mode="after")
    def _exposed_services_have_certificates(self) -> "PlatformSettings":
        """The load balancer controller cannot build an HTTPS listener without a certificate, so
        every exposed host has one: an issued certificate from config, or one the stack requests
        and validates in the hosted zone (which must then hold the host)."""
        for name, service in self.services.items():
            if service.exposed == "none" or service.host is None:
                continue
            if service.certificate_arn is not None:
                region = ACM_CERTIFICATE_ARN.match(service.certificate_arn).group(1)  # type: ignore[union-attr]
                if region != self.region:
                    raise KeyRuleError(
                        f"services.{name}.certificateArn",
                        f"is in {region}; a load balancer uses certificates of its own region ({self.region})",
                        service.certificate_arn,
                    )
            elif self.dns is None:
                raise KeyRuleError(
                    f"services.{name}.certificateArn",
                    f"host {service.host} has no certificate: set dns.hostedZoneId and dns.hostedZoneName "
                    "(the stack then requests and validates one in ACM) or this service's certificateArn",
                    None,
                    False,
                )
            if self.dns is not None and not self.dns.holds(service.host):
                raise KeyRuleError(
                    f"services.{name}.host",
                    f"is not in the hosted zone {self.dns.hosted_zone_name} (dns.hostedZoneName), where "
                    "the stack validates its certificate and writes its record",
                    service.host,
                )
        return self

    def worker_pool_scale_ranges(self) -> dict[str, int]:
        """The most instances a full scale-in from peak terminates in every worker pool: over its
        zonal groups (one per `network.azCount` zone, sizes split by `zone_sizes`, rounding up),
        the summed maxSize minus the summed minSize. The GPU pool is the worker pool `gpu` when
        switched on (`cluster.gpuPool`)."""
        pools: dict[str, NodePoolSettings | GpuPoolSettings] = dict(self.node_pools)
        if self.cluster.gpu_pool.enabled:
            pools["gpu"] = self.cluster.gpu_pool
        zones = self.network.az_count
        ranges = {}
        for name, pool in pools.items():
            sizes = zone_sizes(
                min_size=pool.min_size,
                max_size=pool.max_size,
                on_demand_base_capacity=pool.on_demand_base_capacity,
                zone_count=zones,
            )
            ranges[name] = zones * (sizes.max_size - sizes.min_size)
        return ranges

    def notice_alarm_threshold(self, pool: str) -> int:
        """Terminations per period that raise the pool's alarm (`interruption.noticeAlarm`)."""
        return self.interruption.notice_alarm.threshold_for(pool, self.worker_pool_scale_ranges()[pool])

    @model_validator(mode="after")
    def _alarm_thresholds_name_real_pools(self) -> "PlatformSettings":
        worker_pools = set(self.worker_pool_scale_ranges())
        unknown = self.interruption.unknown_pools(worker_pools)
        if unknown:
            raise KeyRuleError(
                "interruption.noticeAlarm.poolThresholds",
                f"names pools the stack does not have: {', '.join(unknown)}; its worker pools are "
                f"{', '.join(sorted(worker_pools))}",
                sorted(unknown),
            )
        return self

    @property
    def uses_karpenter(self) -> bool:
        return self.cluster.capacity_engine == "karpenter"

    @model_validator(mode="after")
    def _karpenter_can_honour_the_pools(self) -> "PlatformSettings":
        """With `cluster.capacityEngine: karpenter`, every pool key must mean something to a
        NodePool (infra/settings/karpenter.py says what each one means)."""
        if not self.uses_karpenter:
            return self
        problem = karpenter_problem(self)
        if problem:
            raise problem
        return self

    @field_validator("node_pools")
    @classmethod
    def _pool_names(cls, value: dict[str, NodePoolSettings]) -> dict[str, NodePoolSettings]:
        for name in value:
            if name in RESERVED_POOL_NAMES:
                raise KeyRuleError(name, f"pool name {name!r} is reserved ({', '.join(RESERVED_POOL_NAMES)})", name)
            if not re.match(POOL_NAME_PATTERN, name):
                raise KeyRuleError(name, "pool names are 1-20 lower-case letters, digits and -, starting with a letter", name)
        return value
