"""Network settings: the VPC, its subnets, NAT and VPC endpoints."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.network.zone_choice import EKS_UNSUPPORTED_ZONE_IDS, ZONE_ID
from infra.settings.base import Section
from infra.settings.rules import KeyRuleError, refuse_repeats

# Interface endpoints the platform knows how to declare. Each costs an hourly fee per AZ, so the
# set is closed and each entry must earn its place (ECR and STS keep image pulls and IRSA token
# exchange off the NAT gateway).
InterfaceEndpoint = Literal[
    "ecr.api",
    "ecr.dkr",
    "sts",
    "logs",
    "ec2",
    "elasticloadbalancing",
    "autoscaling",
    "sqs",
    "kms",
    "ssm",
    "ssmmessages",
    "ec2messages",
    "eks",
    "eks-auth",
]


_TRANSIT_GATEWAY_ID = re.compile(r"^tgw-[0-9a-f]{8,17}$")
_PEERING_ID = re.compile(r"^pcx-[0-9a-f]{8,17}$")


class FlowLogSettings(Section):
    """VPC flow logs, delivered to a CloudWatch log group."""

    enabled: bool = Field(True, description="Record VPC flow logs. Default `true`.")
    traffic_type: Literal["ACCEPT", "REJECT", "ALL"] = Field(
        "REJECT",
        description="Which traffic to record. Default `REJECT`: rejected flows are what a "
        "security review needs, and `ALL` multiplies log ingestion cost.",
    )
    retention_days: Literal[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731] = Field(
        30, description="CloudWatch retention of the flow-log group, in days. Default `30`."
    )


class DeployerRoute(Section):
    """A route from the private subnets to a network the deployer runs in."""

    cidr: str = Field(description="The deployer network's IPv4 range, outside `vpcCidr`. Required.")
    transit_gateway_id: str | None = Field(
        None, description="The transit gateway (`tgw-...`) that reaches it. One of the two targets."
    )
    vpc_peering_connection_id: str | None = Field(
        None, description="The VPC peering connection (`pcx-...`) that reaches it. One of the two targets."
    )

    @field_validator("cidr")
    @classmethod
    def _network(cls, value: str) -> str:
        try:
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not an IPv4 network ({exc})") from None
        if network.prefixlen == 0:
            raise ValueError("0.0.0.0/0 is the NAT gateway's route; name the deployer's network")
        return value

    @field_validator("transit_gateway_id")
    @classmethod
    def _transit_gateway(cls, value: str | None) -> str | None:
        if value is not None and not _TRANSIT_GATEWAY_ID.match(value):
            raise ValueError("must be a transit gateway id such as tgw-0123456789abcdef0")
        return value

    @field_validator("vpc_peering_connection_id")
    @classmethod
    def _peering(cls, value: str | None) -> str | None:
        if value is not None and not _PEERING_ID.match(value):
            raise ValueError("must be a VPC peering connection id such as pcx-0123456789abcdef0")
        return value

    @model_validator(mode="after")
    def _one_target(self) -> DeployerRoute:
        if (self.transit_gateway_id is None) == (self.vpc_peering_connection_id is None):
            raise KeyRuleError(
                "transitGatewayId",
                "give exactly one of transitGatewayId and vpcPeeringConnectionId",
                None,
                False,
            )
        return self


class NetworkSettings(Section):
    """The VPC the platform runs in."""

    vpc_cidr: str = Field(
        "10.40.0.0/16",
        description="IPv4 CIDR of the VPC, a prefix from /16 to /20. Default `10.40.0.0/16`. "
        "Private subnets get a quarter of it each, because the VPC CNI gives every pod a VPC "
        "address.",
    )
    az_count: int = Field(
        2, ge=2, le=3, description="Availability zones to span, 2 or 3. Default `2`."
    )
    availability_zone_ids: tuple[str, ...] = Field(
        (),
        description="The zones to span, by zone ID (`use1-az1`: the same physical zone in every "
        "account, unlike names), `azCount` of them, in subnet order. Each must be a zone of the "
        "region that EKS accepts (not `use1-az3`, `usw1-az2`, `cac1-az3`) and that offers at least "
        "one instance type of every pool (missing types are warned about); checked against the "
        "region's answer before anything is declared. Default unset: the first `azCount` of the "
        "region's zone IDs, sorted, that EKS accepts (instance offerings only check the choice, "
        "never change it). Subnets are planned by position in this list: changing the zones, "
        "their order or `azCount` replaces the subnets and everything in them (nodes, the search "
        "domain, load balancers), so pin them.",
    )
    nat_strategy: Literal["single", "per-az"] = Field(
        "single",
        description="`single`: one NAT gateway for the VPC (cheapest; an AZ outage cuts egress "
        "for the others). `per-az`: one per AZ (zone-independent egress, one hourly fee per AZ). "
        "Default `single`.",
    )
    interface_endpoints: tuple[InterfaceEndpoint, ...] = Field(
        (),
        description="Interface VPC endpoints to create (private DNS on). Default none. The S3 "
        "gateway endpoint is always created: it is free and keeps image layers and model "
        "artefacts off the NAT gateway.",
    )
    flow_logs: FlowLogSettings = Field(
        default_factory=FlowLogSettings, description="VPC flow logs."
    )
    deployer_routes: tuple[DeployerRoute, ...] = Field(
        (),
        description="Routes from every private subnet to the networks the deployer runs in "
        "(`cidr` with `transitGatewayId` or `vpcPeeringConnectionId`), so the API server's replies "
        "to a `cluster.endpoint.privateAccessCidrs` range outside `vpcCidr` go back through that "
        "connection instead of the NAT gateway. Declared in the route tables' own routes (a route "
        "added by hand is removed by the next update). The peer side needs its own return route to "
        "`vpcCidr` and must resolve the endpoint's name (see docs/deploying.md). "
        "Default none.",
    )

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr_is_private_and_sized(cls, value: str) -> str:
        try:
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError as exc:
            raise ValueError(f"must be an IPv4 network such as 10.40.0.0/16 ({exc})") from None
        if not network.is_private:
            raise ValueError("must be a private (RFC 1918) range")
        if not 16 <= network.prefixlen <= 20:
            raise ValueError("prefix length must be between /16 and /20")
        return value

    @field_validator("availability_zone_ids")
    @classmethod
    def _zone_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [zone_id for zone_id in value if not ZONE_ID.match(zone_id)]
        if bad:
            raise ValueError(f"not zone IDs (such as use1-az1): {', '.join(bad)}")
        refuse_repeats(value)
        unsupported = [zone_id for zone_id in value if zone_id in EKS_UNSUPPORTED_ZONE_IDS]
        if unsupported:
            raise ValueError(
                f"{', '.join(unsupported)}: EKS does not accept cluster subnets there "
                "(https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html)"
            )
        if len({zone_id.split("-az")[0] for zone_id in value}) > 1:
            raise ValueError("mixes zone IDs of different regions")
        return value

    @model_validator(mode="after")
    def _zone_ids_match_the_count(self) -> NetworkSettings:
        if self.availability_zone_ids and len(self.availability_zone_ids) != self.az_count:
            raise KeyRuleError(
                "availabilityZoneIds",
                f"lists {len(self.availability_zone_ids)} zones but azCount is {self.az_count}",
                list(self.availability_zone_ids),
            )
        return self

    @model_validator(mode="after")
    def _deployer_routes_leave_the_vpc(self) -> NetworkSettings:
        vpc = ipaddress.IPv4Network(self.vpc_cidr)
        cidrs = [route.cidr for route in self.deployer_routes]
        for index, cidr in enumerate(cidrs):
            # A wider range (10.0.0.0/8 through a transit gateway) is fine: the VPC's local route
            # is more specific and wins. One inside the VPC would be more specific than local,
            # which EC2 accepts only towards a network interface or appliance endpoint
            # (https://docs.aws.amazon.com/vpc/latest/userguide/route-table-options.html).
            if ipaddress.IPv4Network(cidr).subnet_of(vpc):
                raise KeyRuleError(
                    f"deployerRoutes[{index}].cidr",
                    f"is inside vpcCidr {self.vpc_cidr}, which the VPC routes locally",
                    cidr,
                )
        repeated = sorted({cidr for cidr in cidrs if cidrs.count(cidr) > 1})
        if repeated:
            raise KeyRuleError("deployerRoutes", f"routes {', '.join(repeated)} more than once", repeated)
        return self

    def routed_to(self, cidr: str) -> bool:
        """Whether the private subnets reach `cidr`: inside the VPC, or within a deployer route."""
        network = ipaddress.IPv4Network(cidr)
        routed = [ipaddress.IPv4Network(self.vpc_cidr)] + [
            ipaddress.IPv4Network(route.cidr) for route in self.deployer_routes
        ]
        return any(network.subnet_of(destination) for destination in routed)

    @field_validator("interface_endpoints")
    @classmethod
    def _no_duplicate_endpoints(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        refuse_repeats(value)
        return value
