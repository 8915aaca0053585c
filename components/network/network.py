"""The platform's VPC: subnets per AZ, NAT, endpoints and flow logs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.network.subnet_plan import plan_subnets


@dataclass(frozen=True, kw_only=True)
class DeployerRoute:
    """A route from the private subnets to a network outside the VPC the deployer runs in."""

    cidr: str
    """The network's IPv4 range."""
    transit_gateway_id: str | None = None
    """The transit gateway that reaches it; or:"""
    vpc_peering_connection_id: str | None = None
    """the VPC peering connection that reaches it. Exactly one of the two."""

    def route_args(self) -> aws.ec2.RouteTableRouteArgs:
        if (self.transit_gateway_id is None) == (self.vpc_peering_connection_id is None):
            raise ValueError(f"route to {self.cidr}: exactly one of a transit gateway and a peering connection")
        return aws.ec2.RouteTableRouteArgs(
            cidr_block=self.cidr,
            transit_gateway_id=self.transit_gateway_id,
            vpc_peering_connection_id=self.vpc_peering_connection_id,
        )


@dataclass(frozen=True, kw_only=True)
class NetworkArgs:
    """Inputs of `Network`."""

    region: str
    """AWS region; interface endpoint service names are built from it."""
    vpc_cidr: str
    """IPv4 CIDR of the VPC (/16 to /20)."""
    availability_zones: Sequence[str]
    """Zones to span, 1 to 3; one public and one private subnet each."""
    nat_strategy: Literal["single", "per-az"] = "single"
    """`single` (default): one NAT gateway. `per-az`: one per zone, each zone's private route
    table uses its own, so losing a zone never cuts the others' egress."""
    interface_endpoints: Sequence[str] = ()
    """Short service names (`ecr.api`, `sts`, ...) to get interface endpoints. Default none."""
    flow_logs_enabled: bool = True
    """Record VPC flow logs to CloudWatch. Default on."""
    flow_log_traffic_type: Literal["ACCEPT", "REJECT", "ALL"] = "REJECT"
    """Traffic recorded by flow logs. Default `REJECT`."""
    flow_log_retention_days: int = 30
    """Retention of the flow-log group. Default 30 days."""
    extra_subnet_tags: dict[str, str] = field(default_factory=dict)
    """Tags added to every subnet (e.g. a cluster's discovery tag). Default none."""
    deployer_routes: Sequence[DeployerRoute] = ()
    """Routes on every private route table to the deployer's networks outside the VPC, so the
    API server's replies to them leave through that connection, not the NAT. Default none."""
    private_subnet_tags: dict[str, str] = field(default_factory=dict)
    """Tags added to the private subnets only (Karpenter's `karpenter.sh/discovery`: nodes must
    never be launched into a public subnet). Default none."""


def flow_log_delivery_policy(log_group_arn: str) -> dict:
    """Least privilege for the flow-log service: write streams and events to one log group."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteFlowLogs",
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogStreams",
                ],
                "Resource": [log_group_arn, f"{log_group_arn}:*"],
            }
        ],
    }


def flow_log_trust_policy(account_id: str) -> dict:
    """Only the flow-log service, acting for this account, may assume the delivery role."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ],
    }


class Network(pulumi.ComponentResource):
    """A VPC laid out for EKS.

    Creates:
    - the VPC (DNS support and hostnames on) and an internet gateway;
    - per zone, a public subnet (tagged `kubernetes.io/role/elb` for internet-facing load
      balancers, no auto-assigned public IPs) and a private subnet (tagged
      `kubernetes.io/role/internal-elb`) where nodes, pods and the search domain live;
    - NAT gateways with their Elastic IPs, one or one per zone (`nat_strategy`);
    - route tables: one public, one private per zone (default route to its NAT gateway, plus
      `deployer_routes`);
    - an S3 gateway endpoint on the private route tables: free, and it keeps image layers
      (ECR stores them in S3) and model artefacts off the NAT gateway's per-GB charge;
    - optional interface endpoints with a security group admitting HTTPS from the VPC only;
    - the VPC's default security group, emptied, so nothing can fall back on it;
    - flow logs to a CloudWatch log group with retention, through a role that may write to that
      group only.
    """

    vpc_id: pulumi.Output[str]
    vpc_cidr: pulumi.Output[str]
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]
    availability_zones: list[str]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:network:Network", name, None, opts)
        zones = plan_subnets(args.vpc_cidr, list(args.availability_zones))
        child = pulumi.ResourceOptions(parent=self)

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.vpc_cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": f"{name}-vpc"},
            opts=child,
        )
        vpc_child = pulumi.ResourceOptions(parent=vpc)
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags={"Name": f"{name}-default-closed"},
            opts=vpc_child,
        )
        internet_gateway = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=vpc.id, tags={"Name": f"{name}-igw"}, opts=vpc_child
        )

        public_route_table = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=internet_gateway.id)],
            tags={"Name": f"{name}-public"},
            opts=vpc_child,
        )

        public_subnets: list[aws.ec2.Subnet] = []
        private_subnets: list[aws.ec2.Subnet] = []
        for zone in zones:
            suffix = zone.availability_zone[-1]
            public = aws.ec2.Subnet(
                f"{name}-public-{suffix}",
                vpc_id=vpc.id,
                cidr_block=zone.public_cidr,
                availability_zone=zone.availability_zone,
                map_public_ip_on_launch=False,
                tags={
                    "Name": f"{name}-public-{suffix}",
                    "kubernetes.io/role/elb": "1",
                    **args.extra_subnet_tags,
                },
                opts=vpc_child,
            )
            private = aws.ec2.Subnet(
                f"{name}-private-{suffix}",
                vpc_id=vpc.id,
                cidr_block=zone.private_cidr,
                availability_zone=zone.availability_zone,
                tags={
                    "Name": f"{name}-private-{suffix}",
                    "kubernetes.io/role/internal-elb": "1",
                    **args.extra_subnet_tags,
                    **args.private_subnet_tags,
                },
                opts=vpc_child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{suffix}-rta",
                subnet_id=public.id,
                route_table_id=public_route_table.id,
                opts=pulumi.ResourceOptions(parent=public),
            )
            public_subnets.append(public)
            private_subnets.append(private)

        nat_count = 1 if args.nat_strategy == "single" else len(zones)
        nat_gateways: list[aws.ec2.NatGateway] = []
        for index in range(nat_count):
            suffix = zones[index].availability_zone[-1]
            address = aws.ec2.Eip(
                f"{name}-nat-{suffix}-eip",
                domain="vpc",
                tags={"Name": f"{name}-nat-{suffix}"},
                opts=vpc_child,
            )
            nat_gateways.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{suffix}",
                    allocation_id=address.id,
                    subnet_id=public_subnets[index].id,
                    tags={"Name": f"{name}-nat-{suffix}"},
                    opts=pulumi.ResourceOptions(parent=vpc, depends_on=[internet_gateway]),
                )
            )

        private_route_tables: list[aws.ec2.RouteTable] = []
        for index, zone in enumerate(zones):
            suffix = zone.availability_zone[-1]
            nat = nat_gateways[index if args.nat_strategy == "per-az" else 0]
            table = aws.ec2.RouteTable(
                f"{name}-private-{suffix}-rt",
                vpc_id=vpc.id,
                # Every route of the table is inline: inline routes are authoritative (a route
                # added outside this list, by hand or as an `aws.ec2.Route`, is removed by the
                # next update, and the two ways conflict on one table: pulumi-aws
                # `aws.ec2.RouteTable` docs, https://www.pulumi.com/registry/packages/aws/api-docs/ec2/routetable/),
                # so the deployer's networks are routed here too.
                routes=[
                    aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id),
                    *(route.route_args() for route in args.deployer_routes),
                ],
                tags={"Name": f"{name}-private-{suffix}"},
                opts=vpc_child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{suffix}-rta",
                subnet_id=private_subnets[index].id,
                route_table_id=table.id,
                opts=pulumi.ResourceOptions(parent=private_subnets[index]),
            )
            private_route_tables.append(table)

        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[table.id for table in private_route_tables],
            tags={"Name": f"{name}-s3"},
            opts=vpc_child,
        )

        if args.interface_endpoints:
            endpoint_sg = aws.ec2.SecurityGroup(
                f"{name}-endpoints-sg",
                vpc_id=vpc.id,
                description="HTTPS from inside the VPC to interface endpoints",
                ingress=[
                    aws.ec2.SecurityGroupIngressArgs(
                        description="HTTPS from the VPC",
                        protocol="tcp",
                        from_port=443,
                        to_port=443,
                        cidr_blocks=[args.vpc_cidr],
                    )
                ],
                tags={"Name": f"{name}-endpoints"},
                opts=vpc_child,
            )
            for service in args.interface_endpoints:
                aws.ec2.VpcEndpoint(
                    f"{name}-{service.replace('.', '-')}",
                    vpc_id=vpc.id,
                    service_name=f"com.amazonaws.{args.region}.{service}",
                    vpc_endpoint_type="Interface",
                    private_dns_enabled=True,
                    subnet_ids=[subnet.id for subnet in private_subnets],
                    security_group_ids=[endpoint_sg.id],
                    tags={"Name": f"{name}-{service}"},
                    opts=vpc_child,
                )

        if args.flow_logs_enabled:
            self._declare_flow_logs(name, args, vpc)

        self.vpc_id = vpc.id
        self.vpc_cidr = vpc.cidr_block
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in public_subnets])
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in private_subnets])
        self.availability_zones = [zone.availability_zone for zone in zones]
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "vpc_cidr": self.vpc_cidr,
                "public_subnet_ids": self.public_subnet_ids,
                "private_subnet_ids": self.private_subnet_ids,
                "availability_zones": self.availability_zones,
            }
        )

    def _declare_flow_logs(self, name: str, args: NetworkArgs, vpc: aws.ec2.Vpc) -> None:
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            retention_in_days=args.flow_log_retention_days,
            opts=pulumi.ResourceOptions(parent=self),
        )
        account_id = vpc.owner_id
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            description="Delivers this VPC's flow logs to its log group",
            assume_role_policy=account_id.apply(lambda a: json.dumps(flow_log_trust_policy(a))),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs-write",
            role=role.id,
            policy=log_group.arn.apply(lambda arn: json.dumps(flow_log_delivery_policy(arn))),
            opts=pulumi.ResourceOptions(parent=role),
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type=args.flow_log_traffic_type,
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=600,
            tags={"Name": f"{name}-flow-log"},
            opts=pulumi.ResourceOptions(parent=vpc),
        )
