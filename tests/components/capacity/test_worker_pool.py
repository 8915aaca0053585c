"""WorkerPool under mocks: the mixed-instances group, its launch template and its node role."""

import base64
import email
import json

import pytest
import yaml

from components.capacity.worker_pool import (
    WorkerPool,
    WorkerPoolArgs,
    capacity_type_of,
    lowest_in_service_during_replacement,
    replacement_problem,
    zone_sizes,
)
from components.nodes.node_role import NODE_MANAGED_POLICIES
from components.nodes.placement import CAPACITY_LABEL, GPU_TAINT, POOL_LABEL, SPOT_TAINT

SIX_XLARGE = ["m6i.xlarge", "m6a.xlarge", "m7a.xlarge", "m5a.xlarge", "m5.xlarge", "m7i.xlarge"]
COST_TAGS = {"project": "ml-platform", "environment": "unit", "cost-center": "ml-unit"}
ENDPOINT = "https://ABCDEF.gr7.us-east-1.eks.amazonaws.com"
ZONE_SUBNETS = {"us-east-1a": "subnet-a", "us-east-1b": "subnet-b", "us-east-1c": "subnet-c"}
GROUP = "aws:autoscaling/group:Group"


def _args(**overrides):
    args = dict(
        pool_name="spot",
        group_name="mlp-unit-spot",
        cluster_name="mlp-unit",
        cluster_endpoint=ENDPOINT,
        cluster_certificate_authority="Q0EK",
        service_cidr="172.20.0.0/16",
        kubernetes_version="1.35",
        zone_subnet_ids=ZONE_SUBNETS,
        security_group_ids=["sg-cluster"],
        instance_types=SIX_XLARGE,
        min_size=1,
        max_size=6,
        cost_tags=COST_TAGS,
    )
    args.update(overrides)
    return WorkerPoolArgs(**args)


def _pool(declare, **overrides):
    return declare(lambda: WorkerPool("pool", _args(**overrides)))


def _node_config(template):
    message = email.message_from_string(base64.b64decode(template.inputs["userData"]).decode())
    return yaml.safe_load(message.get_payload()[0].get_payload())


@pytest.mark.parametrize(
    ("base", "percentage", "expected"), [(0, 0, "spot"), (2, 0, "spot"), (0, 25, "mixed"), (0, 100, "on-demand")]
)
def test_capacity_type_follows_the_mix(base, percentage, expected):
    assert capacity_type_of(base, percentage) == expected


def test_group_mixes_spot_and_on_demand_as_configured(declare):
    inventory = _pool(declare, on_demand_base_capacity=1, on_demand_percentage_above_base_capacity=20)
    groups = inventory.of_type(GROUP)
    assert len(groups) == len(ZONE_SUBNETS), "one group per zone"
    for group in groups:
        policy = group.inputs["mixedInstancesPolicy"]
        assert policy["instancesDistribution"] == {
            "onDemandAllocationStrategy": "lowest-price",
            "onDemandBaseCapacity": 1,  # ceil(1 / 3 zones): every zone keeps an on-demand base
            "onDemandPercentageAboveBaseCapacity": 20,
            "spotAllocationStrategy": "price-capacity-optimized",
        }, group.name
        assert [o["instanceType"] for o in policy["launchTemplate"]["overrides"]] == SIX_XLARGE, group.name
        assert group.inputs["capacityRebalance"] is True, group.name
        assert group.ignore_changes == ["desiredCapacity"], f"{group.name}: the autoscaler must own desired capacity"


def test_one_group_per_zone_from_one_template(declare):
    inventory = _pool(declare, min_size=4, max_size=7)
    assert len(inventory.of_type("aws:ec2/launchTemplate:LaunchTemplate")) == 1
    by_zone, templates = {}, set()
    for group in inventory.of_type(GROUP):
        (subnet,) = group.inputs["vpcZoneIdentifiers"]
        by_zone[subnet] = group
        spec = group.inputs["mixedInstancesPolicy"]["launchTemplate"]["launchTemplateSpecification"]
        templates.add(spec["launchTemplateId"])
        # ceil(4 / 3) = 2 and ceil(7 / 3) = 3 per zone: the pool floor and ceiling are at least
        # what was configured, and every zone may grow as far as the others.
        assert (group.inputs["minSize"], group.inputs["maxSize"], group.inputs["desiredCapacity"]) == (2, 3, 2), group.name
    assert len(templates) == 1, f"the zonal groups launch from one template, got {templates}"
    assert sorted(by_zone) == sorted(ZONE_SUBNETS.values()), "every zone's subnet has exactly one group"
    names = {zone: by_zone[subnet].inputs["name"] for zone, subnet in ZONE_SUBNETS.items()}
    assert names == {zone: f"mlp-unit-spot-{zone}" for zone in ZONE_SUBNETS}


@pytest.mark.parametrize(
    ("size", "zones", "per_zone"), [(0, 3, 0), (1, 3, 1), (3, 3, 1), (4, 3, 2), (6, 2, 3), (5, 1, 5)]
)
def test_zone_sizes_round_up_so_the_pool_gets_at_least_its_size(size, zones, per_zone):
    sizes = zone_sizes(min_size=size, max_size=size, on_demand_base_capacity=size, zone_count=zones)
    assert sizes.min_size == sizes.max_size == sizes.on_demand_base_capacity == per_zone
    assert per_zone * zones >= size and (per_zone - 1) * zones < size


def test_group_is_discoverable_and_carries_cost_and_extra_tags_to_instances(declare):
    inventory = _pool(declare, extra_instance_tags={"aws-node-termination-handler/managed": "true"})
    group = inventory.of_type(GROUP)[0]
    tags = {t["key"]: (t["value"], t["propagateAtLaunch"]) for t in group.inputs["tags"]}
    assert tags["k8s.io/cluster-autoscaler/enabled"] == ("true", False)
    assert tags["k8s.io/cluster-autoscaler/mlp-unit"] == ("owned", False)
    assert tags[f"k8s.io/cluster-autoscaler/node-template/label/{POOL_LABEL}"] == ("spot", False)
    assert tags[f"k8s.io/cluster-autoscaler/node-template/taint/{SPOT_TAINT['key']}"] == ("true:NoSchedule", False)
    assert tags["aws-node-termination-handler/managed"] == ("true", True)
    for key, value in COST_TAGS.items():
        assert tags[key] == (value, True), f"cost tag {key} not propagated to instances"


def test_launch_template_is_hardened_and_tags_what_it_launches(declare):
    inventory = _pool(declare)
    (template,) = inventory.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    assert template.inputs["metadataOptions"] == {
        "httpEndpoint": "enabled",
        "httpTokens": "required",
        "httpPutResponseHopLimit": 1,
        "instanceMetadataTags": "disabled",
    }
    (root,) = template.inputs["blockDeviceMappings"]
    assert root["deviceName"] == "/dev/xvda"
    assert root["ebs"]["volumeType"] == "gp3" and root["ebs"]["encrypted"] == "true"
    kinds = {spec["resourceType"]: spec["tags"] for spec in template.inputs["tagSpecifications"]}
    assert set(kinds) == {"instance", "volume", "network-interface"}
    for tags in kinds.values():
        assert COST_TAGS.items() <= tags.items()
    assert template.inputs["vpcSecurityGroupIds"] == ["sg-cluster"]
    assert template.inputs["imageId"].startswith("ami-")


def test_user_data_joins_the_given_cluster_with_pool_labels_and_spot_taint(declare):
    (template,) = _pool(declare).of_type("aws:ec2/launchTemplate:LaunchTemplate")
    config = _node_config(template)
    assert config["spec"]["cluster"]["apiServerEndpoint"] == ENDPOINT
    assert config["spec"]["cluster"]["cidr"] == "172.20.0.0/16"
    flags = config["spec"]["kubelet"]["flags"]
    assert f"{CAPACITY_LABEL}=spot" in flags[0] and f"{POOL_LABEL}=spot" in flags[0]
    assert flags[1] == "--register-with-taints=ml-platform.io/spot=true:NoSchedule"


def test_an_on_demand_pool_has_no_spot_taint(declare):
    inventory = _pool(declare, instance_types=["m6i.xlarge"], on_demand_percentage_above_base_capacity=100)
    (template,) = inventory.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    assert _node_config(template)["spec"]["kubelet"]["flags"] == [
        f"--node-labels={CAPACITY_LABEL}=on-demand,{POOL_LABEL}=spot"
    ]


def test_node_role_has_only_node_policies_and_joins_through_an_access_entry(declare):
    inventory = _pool(declare)
    attached = sorted(a.inputs["policyArn"] for a in inventory.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment"))
    assert attached == sorted(NODE_MANAGED_POLICIES)
    assert not any("CNI" in arn for arn in attached), "CNI permissions belong to the vpc-cni role"
    assert not inventory.of_type("aws:iam/rolePolicy:RolePolicy")
    (role,) = inventory.of_type("aws:iam/role:Role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    (entry,) = inventory.of_type("aws:eks/accessEntry:AccessEntry")
    assert entry.inputs["type"] == "EC2_LINUX" and entry.inputs["principalArn"].startswith("arn:aws:iam::")
    assert len(inventory.of_type("aws:iam/instanceProfile:InstanceProfile")) == 1


@pytest.mark.parametrize("gpu", [False, True])
def test_gpu_switch_selects_ami_taint_and_node_template(declare, gpu, monkeypatch):
    from mlp import mock_state

    asked = []
    answer = mock_state.INVOKES["aws:ssm/getParameter:getParameter"]
    monkeypatch.setitem(
        mock_state.INVOKES, "aws:ssm/getParameter:getParameter", lambda region, args: asked.append(args["name"]) or answer(region, args)
    )
    types = ["g6.xlarge", "g5.xlarge", "g4dn.xlarge"] if gpu else SIX_XLARGE
    inventory = _pool(declare, pool_name="gpu" if gpu else "spot", instance_types=types, min_size=0, max_size=2, gpu=gpu)
    variant = "nvidia" if gpu else "standard"
    assert asked == [f"/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/{variant}/recommended/image_id"]
    (template,) = inventory.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    taint_flag = _node_config(template)["spec"]["kubelet"]["flags"][1]
    assert (f"{GPU_TAINT['key']}=true:NoSchedule" in taint_flag) is gpu
    for group in inventory.of_type(GROUP):
        keys = {t["key"] for t in group.inputs["tags"]}
        assert ("k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu" in keys) is gpu, group.name


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"instance_types": SIX_XLARGE[:3]}, "at least 4"),
        ({"instance_types": ["m6i.xlarge", "m6a.xlarge", "m5.xlarge", "m6i.large"]}, "differ in vCPU"),
        ({"min_size": 5, "max_size": 2}, "min_size <= max_size"),
    ],
)
def test_bad_pools_are_refused_before_anything_is_declared(declare, overrides, fragment):
    declared = []

    def build():
        try:
            WorkerPool("pool", _args(**overrides))
        except ValueError as error:
            declared.append(str(error))

    assert not declare(build).resources
    assert declared and fragment in declared[0]


def test_the_ami_parameter_reaches_the_template_in_clear(declare):
    """pulumi-aws 7 answers the parameter's `value` as a secret, and the Python SDK then marks
    the whole result secret; the template must still get the image id in clear, or every
    preview shows it as [secret]."""
    seen = {}

    def build():
        import pulumi
        import pulumi_aws as aws

        WorkerPool("pool", _args())
        answer = aws.ssm.get_parameter_output(name="/aws/service/eks/optimized-ami/1.35/amazon-linux-2023/x86_64/standard/recommended/image_id")
        pulumi.Output.all(answer.value.is_secret(), answer.insecure_value.is_secret()).apply(lambda v: seen.update(secret=v))

    inventory = declare(build)
    assert seen["secret"] == [True, True]
    (template,) = inventory.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    assert template.inputs["imageId"].startswith("ami-")


def test_a_launch_template_change_rolls_the_pool(declare):
    inventory = _pool(declare)
    group = inventory.of_type(GROUP)[0]
    assert group.inputs["instanceRefresh"] == {
        "strategy": "Rolling",
        "preferences": {"minHealthyPercentage": 100, "maxHealthyPercentage": 200, "skipMatching": True},
    }
    # A refresh starts on any change of the mixed-instances policy: it must name the template's
    # latest version, so a new template version is such a change.
    (template,) = inventory.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    specification = group.inputs["mixedInstancesPolicy"]["launchTemplate"]["launchTemplateSpecification"]
    assert template.inputs["updateDefaultVersion"] is True
    assert specification["version"] not in ("$Default", "$Latest")


def _replacement_settings(group):
    """(min, max) healthy percentage a refresh of `group` runs with: its preferences, else
    AWS's defaults (90, no maximum = 100)."""
    preferences = group.inputs["instanceRefresh"].get("preferences", {})
    low = preferences.get("minHealthyPercentage", 90)
    high = preferences.get("maxHealthyPercentage", 100)
    return int(low), int(high)


@pytest.mark.parametrize(("min_size", "max_size"), [(1, 3), (2, 6), (3, 6), (6, 6)])
def test_replacing_a_small_zonal_group_never_empties_its_zone(declare, min_size, max_size):
    """Three zones, so each zonal group holds one or two instances: a refresh (and a health
    launches before it terminates."""
    inventory = _pool(declare, min_size=min_size, max_size=max_size)
    for group in inventory.of_type(GROUP):
        low, high = _replacement_settings(group)
        assert replacement_problem(low, high) is None, group.name
        for desired in range(1, int(group.inputs["maxSize"]) + 1):
            lowest = lowest_in_service_during_replacement(desired, low, high)
            assert lowest == desired, f"{group.name}: {desired} instance(s) drop to {lowest} during a refresh"
        # No group-level maintenance policy: it would also hold Capacity Rebalancing's
        # terminations, whose lifecycle action is the only spot notice (worker_pool.instance_refresh).
        assert "instanceMaintenancePolicy" not in group.inputs, group.name


@pytest.mark.parametrize(("desired", "low", "high", "lowest"), [(1, 90, 100, 0), (2, 90, 100, 1), (10, 90, 100, 9), (1, 100, 200, 1), (2, 100, 150, 2)])
def test_replacement_model_follows_aws_rounding(desired, low, high, lowest):
    """AWS's defaults (min 90 %, no max) terminate first; launch-before-terminate keeps desired."""
    assert lowest_in_service_during_replacement(desired, low, high) == lowest


@pytest.mark.parametrize(("low", "high"), [(100, 201), (-1, 150), (50, 200), (100, 99)])
def test_replacement_percentages_aws_refuses(low, high):
    assert replacement_problem(low, high) is not None


@pytest.mark.parametrize("rebalance", [True, False])
def test_capacity_rebalance_switch_reaches_every_zonal_group(declare, rebalance):
    inventory = _pool(declare, capacity_rebalance=rebalance)
    assert {group.inputs["capacityRebalance"] for group in inventory.of_type(GROUP)} == {rebalance}
