"""The Network component under mocks, each switch on and off."""

import json

import pytest

from components.network.network import Network, NetworkArgs, flow_log_delivery_policy

ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]


def _network(declare, **overrides):
    args = dict(region="us-east-1", vpc_cidr="10.40.0.0/16", availability_zones=ZONES)
    args.update(overrides)
    return declare(lambda: Network("net", NetworkArgs(**args)))


def _routes_to_nat(inventory):
    return [
        route["natGatewayId"]
        for table in inventory.of_type("aws:ec2/routeTable:RouteTable")
        for route in table.inputs.get("routes", [])
        if "natGatewayId" in route
    ]


def test_single_nat_serves_every_private_route_table(declare):
    inventory = _network(declare, nat_strategy="single")
    assert len(inventory.of_type("aws:ec2/natGateway:NatGateway")) == 1
    assert len(inventory.of_type("aws:ec2/eip:Eip")) == 1
    routes = _routes_to_nat(inventory)
    assert len(routes) == 3 and len(set(routes)) == 1


def test_per_az_nat_gives_each_zone_its_own_gateway(declare):
    inventory = _network(declare, nat_strategy="per-az")
    nats = inventory.of_type("aws:ec2/natGateway:NatGateway")
    assert len(nats) == 3
    assert len(set(_routes_to_nat(inventory))) == 3


def test_subnets_carry_load_balancer_role_tags_and_no_public_ips(declare):
    inventory = _network(declare)
    subnets = inventory.of_type("aws:ec2/subnet:Subnet")
    public = [s for s in subnets if "kubernetes.io/role/elb" in s.inputs["tags"]]
    private = [s for s in subnets if "kubernetes.io/role/internal-elb" in s.inputs["tags"]]
    assert len(public) == 3 and len(private) == 3
    assert {s.inputs["availabilityZone"] for s in private} == set(ZONES)
    assert all(s.inputs.get("mapPublicIpOnLaunch") is not True for s in subnets), "public IPs auto-assigned"


def test_s3_gateway_endpoint_is_always_on_the_private_route_tables(declare):
    inventory = _network(declare)
    (s3,) = [e for e in inventory.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") if e.inputs["serviceName"].endswith(".s3")]
    assert s3.inputs["vpcEndpointType"] == "Gateway"
    assert len(s3.inputs["routeTableIds"]) == 3


@pytest.mark.parametrize("endpoints", [(), ("ecr.api", "ecr.dkr", "sts")])
def test_interface_endpoints_follow_the_switch(declare, endpoints):
    inventory = _network(declare, interface_endpoints=endpoints)
    interface = [e for e in inventory.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") if e.inputs["vpcEndpointType"] == "Interface"]
    assert sorted(e.inputs["serviceName"] for e in interface) == sorted(f"com.amazonaws.us-east-1.{s}" for s in endpoints)
    assert all(e.inputs["privateDnsEnabled"] for e in interface)
    groups = inventory.of_type("aws:ec2/securityGroup:SecurityGroup")
    assert len(groups) == (1 if endpoints else 0)
    for group in groups:
        for rule in group.inputs["ingress"]:
            assert rule["cidrBlocks"] == ["10.40.0.0/16"], f"{group.name} admits traffic from outside the VPC"


@pytest.mark.parametrize("enabled", [True, False])
def test_flow_logs_follow_the_switch(declare, enabled):
    inventory = _network(declare, flow_logs_enabled=enabled, flow_log_retention_days=14)
    flow_logs = inventory.of_type("aws:ec2/flowLog:FlowLog")
    groups = inventory.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert len(flow_logs) == (1 if enabled else 0)
    assert len(groups) == (1 if enabled else 0)
    if enabled:
        assert groups[0].inputs["retentionInDays"] == 14
        assert flow_logs[0].inputs["trafficType"] == "REJECT"
        (policy,) = inventory.of_type("aws:iam/rolePolicy:RolePolicy")
        document = json.loads(policy.inputs["policy"])
        assert document["Statement"][0]["Resource"][0].startswith("arn:aws:logs:us-east-1:")


def test_default_security_group_is_emptied(declare):
    inventory = _network(declare)
    (default,) = inventory.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default.inputs.get("ingress", []) == [] and default.inputs.get("egress", []) == []


def test_every_child_is_parented_below_the_component(declare):
    inventory = _network(declare)
    (component,) = inventory.of_type("mlplatform:network:Network")
    below = {r.urn for r in inventory.children_of(component.urn)}
    assert below == {r.urn for r in inventory.resources if r is not component}


def test_flow_log_policy_is_scoped_to_its_log_group():
    document = flow_log_delivery_policy("arn:aws:logs:us-east-1:123456789012:log-group:g")
    (statement,) = document["Statement"]
    assert statement["Resource"] == [
        "arn:aws:logs:us-east-1:123456789012:log-group:g",
        "arn:aws:logs:us-east-1:123456789012:log-group:g:*",
    ]
    assert "*" not in statement["Action"]


def test_deployer_routes_are_inline_on_every_private_route_table(declare):
    """Inline routes are authoritative on an `aws.ec2.RouteTable` (pulumi-aws docs): a deployer
    network routed anywhere else would be removed by the next update."""
    from components.network.network import DeployerRoute

    routes = [
        DeployerRoute(cidr="10.60.0.0/24", transit_gateway_id="tgw-0123456789abcdef0"),
        DeployerRoute(cidr="172.16.0.0/16", vpc_peering_connection_id="pcx-0123456789abcdef0"),
    ]
    inventory = _network(declare, deployer_routes=routes)
    assert inventory.of_type("aws:ec2/route:Route") == []
    private = [t for t in inventory.of_type("aws:ec2/routeTable:RouteTable") if "private" in t.name]
    assert len(private) == 3
    for table in private:
        by_cidr = {route["cidrBlock"]: route for route in table.inputs["routes"]}
        assert by_cidr["10.60.0.0/24"]["transitGatewayId"] == "tgw-0123456789abcdef0"
        assert by_cidr["172.16.0.0/16"]["vpcPeeringConnectionId"] == "pcx-0123456789abcdef0"
        assert "natGatewayId" in by_cidr["0.0.0.0/0"]
    public = [t for t in inventory.of_type("aws:ec2/routeTable:RouteTable") if "public" in t.name]
    assert all("10.60.0.0/24" not in str(t.inputs["routes"]) for t in public)


def test_prod_routes_its_deployer_network(plan):
    tables = [t for t in plan("prod").of_type("aws:ec2/routeTable:RouteTable") if "private" in t.name]
    assert tables and all(
        any(route.get("cidrBlock") == "10.60.0.0/24" and route.get("transitGatewayId") for route in t.inputs["routes"])
        for t in tables
    )
