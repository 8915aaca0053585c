"""Cluster and node-pool config: every refusal names the key path in the stack file."""

from __future__ import annotations

import pytest

from infra.settings import ConfigError, load_settings

SIX = ["m6a.large", "m7a.large", "m6i.large", "m5a.large", "m5.large", "m7i.large"]


def _cluster(**changes):
    def apply(config):
        config["ml-platform:cluster"].update(changes)

    return apply


def _pool(name="spot", **changes):
    def apply(config):
        config["ml-platform:nodePools"].setdefault(name, {"instanceTypes": SIX}).update(changes)

    return apply


# (mutation, key path the error must name, a fragment of the explanation)
REFUSALS = {
    "preview role that is also admin": (
        _cluster(previewRoleArns=["arn:aws:iam::123456789012:role/ml-platform-admin"]),
        "ml-platform:cluster.previewRoleArns",
        "one access entry per principal",
    ),
    "preview role that is the deployer": (
        _cluster(previewRoleArns=["arn:aws:iam::123456789012:role/ml-platform-deployer"]),
        "ml-platform:cluster.previewRoleArns",
        "already admin",
    ),
    "preview role that is the deployer under its path": (
        _cluster(previewRoleArns=["arn:aws:iam::123456789012:role/ci/ml-platform-deployer"]),
        "ml-platform:cluster.previewRoleArns",
        "already admin",
    ),
    "preview role that is not a role ARN": (
        _cluster(previewRoleArns=["arn:aws:iam::123456789012:user/someone"]),
        "ml-platform:cluster.previewRoleArns",
        "not IAM role ARNs",
    ),
    "spot pool with three types": (_pool(instanceTypes=SIX[:3]), "ml-platform:nodePools.spot.instanceTypes", "at least 4"),
    "types of different vCPU/memory": (
        _pool(instanceTypes=["m6a.large", "m6i.large", "m5.large", "m6i.xlarge"]),
        "ml-platform:nodePools.spot.instanceTypes",
        "differ in vCPU, memory",
    ),
    "unknown instance type": (_pool(instanceTypes=[*SIX[:4], "m9z.large"]), "ml-platform:nodePools.spot.instanceTypes", "unknown instance type"),
    "arm type on an x86 pool": (_pool(instanceTypes=[*SIX[:4], "m7g.large"]), "ml-platform:nodePools.spot.instanceTypes", "not x86_64"),
    "pool min above max": (_pool(minSize=5, maxSize=2), "ml-platform:nodePools.spot.minSize", "above maxSize"),
    "on-demand base above max": (_pool(onDemandBaseCapacity=9, maxSize=4), "ml-platform:nodePools.spot.onDemandBaseCapacity", "above maxSize"),
    "percentage above 100": (_pool(onDemandPercentageAboveBaseCapacity=120), "ml-platform:nodePools.spot.onDemandPercentageAboveBaseCapacity", "less than or equal to 100"),
    "reserved pool name": (_pool(name="system"), "ml-platform:nodePools.system", "reserved"),
    "bad pool name": (_pool(name="Spot_Pool"), "ml-platform:nodePools.Spot_Pool", "lower-case"),
    "no pools": (lambda c: c.__setitem__("ml-platform:nodePools", {}), "ml-platform:nodePools", "at least 1"),
    "system pool min above max": (
        _cluster(systemPool={"minSize": 3, "maxSize": 2}),
        "ml-platform:cluster.systemPool.minSize",
        "above maxSize",
    ),
    "system pool of mixed shapes": (
        _cluster(systemPool={"instanceTypes": ["m6a.large", "m6a.xlarge"]}),
        "ml-platform:cluster.systemPool.instanceTypes",
        "differ in vCPU",
    ),
    "gpu pool without gpus": (
        _cluster(gpuPool={"enabled": True, "instanceTypes": SIX}),
        "ml-platform:cluster.gpuPool.instanceTypes",
        "needs GPU types",
    ),
    "version with a patch level": (_cluster(kubernetesVersion="1.35.2"), "ml-platform:cluster.kubernetesVersion", "minor version such as 1.35"),
    "version with a v": (_cluster(kubernetesVersion="v1.35"), "ml-platform:cluster.kubernetesVersion", "minor version"),
    "version the EKS calendar does not list": (
        _cluster(kubernetesVersion="1.36"),
        "ml-platform:cluster.kubernetesVersion",
        "not in the EKS support calendar",
    ),
    "version without a pinned autoscaler": (_cluster(kubernetesVersion="1.33"), "ml-platform:cluster.kubernetesVersion", "supported: 1.34, 1.35"),
    "kube-proxy of another minor": (
        _cluster(addons={"kubeProxy": "v1.34.6-eksbuild.2"}),
        "ml-platform:cluster.addons.kubeProxy",
        "does not match kubernetesVersion 1.35",
    ),
    "add-on version shape": (_cluster(addons={"coredns": "1.13.2"}), "ml-platform:cluster.addons.coredns", "eksbuild"),
    "no admin role": (_cluster(adminRoleArns=[]), "ml-platform:cluster.adminRoleArns", "at least 1"),
    "admin that is not a role ARN": (
        _cluster(adminRoleArns=["arn:aws:iam::123456789012:user/alice"]),
        "ml-platform:cluster.adminRoleArns",
        "not IAM role ARNs",
    ),
    "public endpoint open to the internet without opt-in": (
        _cluster(endpoint={"publicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}),
        "ml-platform:cluster.endpoint.publicAccessCidrs",
        "allowPublicAccessFromAnywhere",
    ),
    "public endpoint without CIDRs": (
        _cluster(endpoint={"publicAccess": True}),
        "ml-platform:cluster.endpoint.publicAccessCidrs",
        "open to 0.0.0.0/0",
    ),
    "CIDRs with the public endpoint off": (
        _cluster(endpoint={"publicAccessCidrs": ["203.0.113.0/24"]}),
        "ml-platform:cluster.endpoint.publicAccessCidrs",
        "publicAccess is false",
    ),
    "bad CIDR": (
        _cluster(endpoint={"publicAccess": True, "publicAccessCidrs": ["203.0.113.0/33"]}),
        "ml-platform:cluster.endpoint.publicAccessCidrs",
        "not an IPv4 network",
    ),
    "log retention not offered by CloudWatch": (_cluster(logRetentionDays=45), "ml-platform:cluster.logRetentionDays", "Input should be 1, 3"),
}


@pytest.mark.parametrize("stack", ["dev", "prod"])
@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_bad_cluster_config_is_refused(case, stack, stack_document, engine_config):
    mutate, key_path, fragment = REFUSALS[case]
    document = stack_document(stack)
    mutate(document["config"])
    with pytest.raises(ConfigError) as caught:
        load_settings(stack, engine_config(document))
    matching = [p for p in caught.value.problems if p.key_path == key_path]
    assert matching, f"no problem names {key_path}: {caught.value}"
    assert any(fragment in p.render() for p in matching), str(caught.value)


def test_public_endpoint_open_to_all_is_accepted_only_when_said(stack_document, engine_config):
    document = stack_document("dev")
    document["config"]["ml-platform:cluster"]["endpoint"] = {
        "publicAccess": True,
        "allowPublicAccessFromAnywhere": True,
        "deployerOutsideConnectedNetworks": True,
    }
    settings = load_settings("dev", engine_config(document))
    assert settings.cluster.endpoint.admitted_cidrs() == ("0.0.0.0/0",)


def test_an_on_demand_pool_may_have_fewer_types(stack_document, engine_config):
    document = stack_document("dev")
    document["config"]["ml-platform:nodePools"]["steady"] = {
        "instanceTypes": ["m6i.large"],
        "onDemandPercentageAboveBaseCapacity": 100,
    }
    assert "steady" in load_settings("dev", engine_config(document)).node_pools


def test_defaults_are_private_and_standard_support(stack_document, engine_config):
    document = stack_document("prod")
    document["config"]["ml-platform:cluster"] = {
        "adminRoleArns": ["arn:aws:iam::123456789012:role/admin"],
        "endpoint": {"privateAccessCidrs": ["10.60.0.0/24"]},
    }
    cluster = load_settings("prod", engine_config(document)).cluster
    assert cluster.endpoint.public_access is False
    assert cluster.support_type == "STANDARD" and cluster.deletion_protection is True
    assert cluster.gpu_pool.enabled is False
    assert cluster.system_pool.min_size >= 2


def test_an_admin_role_listed_twice_is_refused(stack_document, engine_config):
    from infra.settings import ConfigError, load_settings

    document = stack_document("dev")
    role = "arn:aws:iam::123456789012:role/admin"
    document["config"]["ml-platform:cluster"]["adminRoleArns"] = [role, role]
    with pytest.raises(ConfigError, match="ml-platform:cluster.adminRoleArns: lists .* more than once"):
        load_settings("dev", engine_config(document))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_private_endpoint_without_a_deployer_path_is_refused(stack, stack_document, engine_config):
    """Nothing outside the VPC reaches a private-only endpoint unless admitted, and on a new
    account nothing is inside it yet: the stack must say how `pulumi up` gets in."""
    document = stack_document(stack)
    document["config"]["ml-platform:cluster"]["endpoint"] = {"publicAccess": False}
    with pytest.raises(ConfigError) as caught:
        load_settings(stack, engine_config(document))
    message = str(caught.value)
    assert f"Pulumi.{stack}.yaml" in message
    assert "ml-platform:cluster.endpoint.privateAccessCidrs: a private-only endpoint" in message
    for what_to_add in ("privateAccessCidrs", "privateAccessSecurityGroupIds", "publicAccessCidrs"):
        assert what_to_add in message


@pytest.mark.parametrize(
    ("endpoint", "fragment"),
    [
        ({"privateAccessCidrs": ["0.0.0.0/0"]}, "0.0.0.0/0 is not a network connected"),
        ({"privateAccessCidrs": ["10.60.0.1/24"]}, "is not an IPv4 network"),
        ({"privateAccessSecurityGroupIds": ["runner-sg"]}, "not security group ids"),
    ],
)
def test_bad_private_access_sources_are_refused(endpoint, fragment, stack_document, engine_config):
    document = stack_document("prod")
    document["config"]["ml-platform:cluster"]["endpoint"] = endpoint
    with pytest.raises(ConfigError, match=fragment):
        load_settings("prod", engine_config(document))


def test_a_public_endpoint_is_no_path_for_a_deployer_inside_the_vpc(stack_document, engine_config):
    """With private access on (always), a caller inside the VPC or a connected network (dev's
    in-VPC runner) resolves the endpoint to the private one, where publicAccessCidrs never apply
    (https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html)."""
    document = stack_document("dev")
    document["config"]["ml-platform:cluster"]["endpoint"] = {
        "publicAccess": True,
        "publicAccessCidrs": ["203.0.113.10/32"],
    }
    with pytest.raises(ConfigError) as caught:
        load_settings("dev", engine_config(document))
    message = str(caught.value)
    assert "Pulumi.dev.yaml" in message
    assert "ml-platform:cluster.endpoint.privateAccessCidrs: with publicAccess: true" in message
    assert "deployerOutsideConnectedNetworks" in message


def test_a_deployer_only_outside_is_an_explicit_choice(stack_document, engine_config):
    document = stack_document("dev")
    endpoint = {"publicAccess": True, "publicAccessCidrs": ["203.0.113.10/32"], "deployerOutsideConnectedNetworks": True}
    document["config"]["ml-platform:cluster"]["endpoint"] = endpoint
    assert load_settings("dev", engine_config(document)).cluster.endpoint.private_access_cidrs == ()


@pytest.mark.parametrize(
    ("endpoint", "fragment"),
    [
        (
            {
                "publicAccess": True,
                "publicAccessCidrs": ["203.0.113.10/32"],
                "privateAccessCidrs": ["10.40.0.0/17"],
                "deployerOutsideConnectedNetworks": True,
            },
            "contradicts",
        ),
        ({"deployerOutsideConnectedNetworks": True}, "needs the public endpoint"),
    ],
)
def test_the_outside_only_statement_must_be_coherent(endpoint, fragment, stack_document, engine_config):
    document = stack_document("dev")
    document["config"]["ml-platform:cluster"]["endpoint"] = endpoint
    with pytest.raises(ConfigError, match=f"ml-platform:cluster.endpoint.deployerOutsideConnectedNetworks: .*{fragment}"):
        load_settings("dev", engine_config(document))


def test_a_private_access_range_outside_the_vpc_needs_a_declared_route(stack_document, engine_config):
    """Private route tables send everything outside the VPC to the NAT gateway, so the API
    server's replies to an unrouted deployer network never get back."""
    document = stack_document("prod")
    document["config"]["ml-platform:network"].pop("deployerRoutes")
    with pytest.raises(ConfigError) as caught:
        load_settings("prod", engine_config(document))
    message = str(caught.value)
    assert "Pulumi.prod.yaml" in message
    assert "ml-platform:cluster.endpoint.privateAccessCidrs[0]: is outside network.vpcCidr" in message
    assert "network.deployerRoutes" in message


@pytest.mark.parametrize(
    ("routes", "covered"),
    [
        ([{"cidr": "10.60.0.0/24", "transitGatewayId": "tgw-0123456789abcdef0"}], True),
        ([{"cidr": "10.0.0.0/8", "vpcPeeringConnectionId": "pcx-0123456789abcdef0"}], True),
        ([{"cidr": "10.60.1.0/24", "transitGatewayId": "tgw-0123456789abcdef0"}], False),
    ],
)
def test_a_route_covers_the_range_or_the_config_is_refused(routes, covered, stack_document, engine_config):
    document = stack_document("prod")
    document["config"]["ml-platform:network"]["deployerRoutes"] = routes
    document["config"]["ml-platform:cluster"]["endpoint"] = {"privateAccessCidrs": ["10.60.0.0/24"]}
    if covered:
        load_settings("prod", engine_config(document))
    else:
        with pytest.raises(ConfigError, match=r"privateAccessCidrs\[0\]: is outside"):
            load_settings("prod", engine_config(document))


@pytest.mark.parametrize(
    ("route", "key", "fragment"),
    [
        ({"cidr": "10.60.0.0/24"}, "deployerRoutes[0].transitGatewayId", "exactly one of"),
        (
            {"cidr": "10.60.0.0/24", "transitGatewayId": "tgw-0123456789abcdef0", "vpcPeeringConnectionId": "pcx-0123456789abcdef0"},
            "deployerRoutes[0].transitGatewayId",
            "exactly one of",
        ),
        ({"cidr": "10.50.8.0/24", "transitGatewayId": "tgw-0123456789abcdef0"}, "deployerRoutes[0].cidr", "inside vpcCidr"),
        ({"cidr": "0.0.0.0/0", "transitGatewayId": "tgw-0123456789abcdef0"}, "deployerRoutes[0].cidr", "NAT gateway's route"),
        ({"cidr": "10.60.0.0/24", "transitGatewayId": "attachment-1"}, "deployerRoutes[0].transitGatewayId", "transit gateway id"),
    ],
)
def test_bad_deployer_routes_are_refused(route, key, fragment, stack_document, engine_config):
    document = stack_document("prod")
    document["config"]["ml-platform:network"]["deployerRoutes"] = [route]
    with pytest.raises(ConfigError) as caught:
        load_settings("prod", engine_config(document))
    matching = [p for p in caught.value.problems if p.key_path == f"ml-platform:network.{key}"]
    assert matching and any(fragment in p.render() for p in matching), str(caught.value)
