"""The cluster, its pools and autoscaling, per stack, checked against the stack file."""

from __future__ import annotations

import base64
import copy
import email
import json
import math
import re

import pytest
import yaml

from components.nodes.instance_catalog import MIN_SPOT_INSTANCE_TYPES, instance_catalog
from components.nodes.placement import CAPACITY_LABEL, POOL_LABEL, SPOT_TAINT
from infra.settings import load_settings
from mlp.plan import build_inventory


@pytest.fixture
def settings_of(stack_document, engine_config):
    return lambda stack: load_settings(stack, engine_config(stack_document(stack)))


def _groups(inventory):
    return {g.inputs["name"]: g for g in inventory.of_type("aws:autoscaling/group:Group")}


def _pool_groups(inventory, pool: str) -> dict:
    """One pool's zonal groups by name (`mlp-<stack>-<pool>-<zone>`), found by the pool label the
    autoscaler's node template carries (names alone would confuse pools sharing a prefix)."""
    label = f"k8s.io/cluster-autoscaler/node-template/label/{POOL_LABEL}"
    return {
        name: group
        for name, group in _groups(inventory).items()
        if {t["key"]: t["value"] for t in group.inputs["tags"]}.get(label) == pool
    }


def _template_of(inventory, group):
    template_id = group.inputs["mixedInstancesPolicy"]["launchTemplate"]["launchTemplateSpecification"]["launchTemplateId"]
    (template,) = [t for t in inventory.of_type("aws:ec2/launchTemplate:LaunchTemplate") if t.parent == group.parent]
    assert template_id.startswith("lt-")
    return template


def _taints_of(template) -> set[str]:
    """The taints a template's nodes register with, as `key=value:Effect`, from its user data."""
    message = email.message_from_string(base64.b64decode(template.inputs["userData"]).decode())
    flags = yaml.safe_load(message.get_payload()[0].get_payload())["spec"]["kubelet"]["flags"]
    (taints,) = [flag.removeprefix("--register-with-taints=") for flag in flags if flag.startswith("--register-with-taints=")]
    return set(taints.split(","))


def test_cluster_is_hardened(stack_inventory, settings_of):
    cluster = settings_of(stack_inventory.stack).cluster
    (component,) = stack_inventory.of_type("eks:index:Cluster")
    (child,) = stack_inventory.of_type("aws:eks/cluster:Cluster")
    assert component.inputs["version"] == cluster.kubernetes_version
    assert component.inputs["authenticationMode"] == "API"
    assert child.inputs["accessConfig"]["bootstrapClusterCreatorAdminPermissions"] is False
    assert child.inputs["encryptionConfig"]["resources"] == ["secrets"]
    assert child.inputs["vpcConfig"]["endpointPrivateAccess"] is True
    assert child.inputs["vpcConfig"]["endpointPublicAccess"] is cluster.endpoint.public_access
    assert set(child.inputs["enabledClusterLogTypes"]) == {"api", "audit", "authenticator"}
    assert component.inputs["skipDefaultNodeGroup"] is True
    (logs,) = [g for g in stack_inventory.of_type("aws:cloudwatch/logGroup:LogGroup") if g.name == "cluster-control-plane-logs"]
    assert logs.inputs["name"] == f"/aws/eks/{component.inputs['name']}/cluster"
    assert logs.inputs["retentionInDays"] == cluster.log_retention_days
    assert len(stack_inventory.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")) == 1


def test_prod_keeps_the_api_private(plan):
    (child,) = plan("prod").of_type("aws:eks/cluster:Cluster")
    assert child.inputs["vpcConfig"]["endpointPublicAccess"] is False


def test_system_pool_spans_zones_and_prod_has_two_nodes(stack_inventory, settings_of):
    settings = settings_of(stack_inventory.stack)
    (group,) = stack_inventory.of_type("aws:eks/nodeGroup:NodeGroup")
    assert group.inputs["capacityType"] == "ON_DEMAND"
    assert group.inputs["labels"][POOL_LABEL] == "system"
    assert group.inputs["taints"][0]["key"] == "CriticalAddonsOnly"
    assert len(group.inputs["subnetIds"]) == settings.network.az_count >= 2
    assert group.inputs["scalingConfig"]["minSize"] == settings.cluster.system_pool.min_size
    if stack_inventory.stack == "prod":
        assert group.inputs["scalingConfig"]["minSize"] >= 2


def test_each_worker_pool_matches_its_config_and_is_diversified(stack_inventory, settings_of):
    settings = settings_of(stack_inventory.stack)
    stack = stack_inventory.stack
    zones = settings.network.az_count
    all_groups = _groups(stack_inventory)
    zonal = {name: _pool_groups(stack_inventory, name) for name in settings.node_pools}
    assert sorted(all_groups) == sorted(g for groups in zonal.values() for g in groups), "a group outside the pools"
    catalog = instance_catalog()
    for name, pool in settings.node_pools.items():
        groups = zonal[name]
        assert len(groups) == zones, f"{name}: {sorted(groups)} is not one group per zone"
        assert len({tuple(g.inputs["vpcZoneIdentifiers"]) for g in groups.values()}) == zones, f"{name}: zones share a subnet"
        assert sum(g.inputs["minSize"] for g in groups.values()) >= pool.min_size, name
        assert sum(g.inputs["maxSize"] for g in groups.values()) >= pool.max_size, name
        for group_name, group in groups.items():
            assert len(group.inputs["vpcZoneIdentifiers"]) == 1, f"{group_name} spans zones"
            assert group_name.startswith(f"mlp-{stack}-{name}-"), group_name
            assert group.inputs["minSize"] == math.ceil(pool.min_size / zones), group_name
            assert group.inputs["maxSize"] == math.ceil(pool.max_size / zones), group_name
            distribution = group.inputs["mixedInstancesPolicy"]["instancesDistribution"]
            assert distribution["onDemandBaseCapacity"] == math.ceil(pool.on_demand_base_capacity / zones), group_name
            assert distribution["onDemandPercentageAboveBaseCapacity"] == pool.on_demand_percentage_above_base_capacity, name
            assert distribution["spotAllocationStrategy"] == "price-capacity-optimized", name
            assert group.inputs["capacityRebalance"] is settings.interruption.capacity_rebalance, name
            assert group.inputs["instanceRefresh"]["strategy"] == "Rolling", name
            assert group.ignore_changes == ["desiredCapacity"], name
            types = [o["instanceType"] for o in group.inputs["mixedInstancesPolicy"]["launchTemplate"]["overrides"]]
            assert len({catalog[t].shape for t in types}) == 1, f"{name}: mixed shapes {types}"
            spot = pool.on_demand_percentage_above_base_capacity < 100
            if spot:
                assert len(types) >= MIN_SPOT_INSTANCE_TYPES, name
            message = email.message_from_string(base64.b64decode(_template_of(stack_inventory, group).inputs["userData"]).decode())
            config = yaml.safe_load(message.get_payload()[0].get_payload())
            flags = " ".join(config["spec"]["kubelet"]["flags"])
            assert f"{POOL_LABEL}={name}" in flags, name
            assert (f"{SPOT_TAINT['key']}=true:NoSchedule" in flags) is spot, name
            assert config["spec"]["cluster"]["name"] == f"mlp-{stack_inventory.stack}"
            assert config["spec"]["cluster"]["apiServerEndpoint"].startswith("https://")
            assert config["spec"]["cluster"]["cidr"] == "172.20.0.0/16"
            assert f"{CAPACITY_LABEL}=" in flags


def test_each_pool_alarm_sits_above_a_full_scale_in_of_its_zonal_groups(stack_inventory, settings_of):
    """Scale-ins are lifecycle actions too: a pool's termination alarm must not fire when the
    autoscaler empties every zonal group from its declared maxSize down to its minSize."""
    settings = settings_of(stack_inventory.stack)
    alarms = {
        json.loads(stack_inventory.by_urn(a.parent).inputs["eventPattern"])["detail"]["AutoScalingGroupName"][0]: a
        for a in stack_inventory.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.inputs["metricName"] == "TriggeredRules"
    }
    for name in settings.node_pools:
        groups = _pool_groups(stack_inventory, name)
        scale_in = sum(g.inputs["maxSize"] - g.inputs["minSize"] for g in groups.values())
        (alarm,) = [alarms[g] for g in groups if g in alarms]
        assert alarm.inputs["threshold"] > scale_in, f"{name}: alarm at {alarm.inputs['threshold']}, a scale-in terminates {scale_in}"


def test_every_node_carries_exactly_one_cluster_tagged_security_group(stack_inventory):
    """The load balancer controller opens one security group per network interface to its ALBs
    (ip targets): the single one tagged `kubernetes.io/cluster/<name>`; two fail every target."""
    from mlp.mock_eks import cluster_tagged_security_groups

    tagged = cluster_tagged_security_groups(stack_inventory)
    (eks_group,) = [group for group, what in tagged.items() if what.startswith("EKS cluster security group")]
    managed_parents = {group.parent for group in stack_inventory.of_type("aws:eks/nodeGroup:NodeGroup")}
    templates = stack_inventory.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    pools = {group.parent for group in _groups(stack_inventory).values()}  # one template per pool, for all its zones
    assert len(templates) == len(managed_parents) + len(pools)
    for template in templates:
        groups = template.inputs.get("vpcSecurityGroupIds") or []
        if not groups and template.parent in managed_parents:
            groups = [eks_group]  # a managed node group's template names none: EKS attaches its group
        carrying = [group for group in groups if group in tagged]
        assert len(carrying) == 1, f"{template.name}: cluster-tagged security groups {carrying} of {groups}"


def network_policy_problems(inventory) -> list[str]:
    """NetworkPolicies declared while the VPC CNI would not enforce them."""
    policies = [r.name for r in inventory.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")]
    (cni,) = [a for a in inventory.of_type("aws:eks/addon:Addon") if a.inputs["addonName"] == "vpc-cni"]
    configuration = json.loads(cni.inputs.get("configurationValues") or "{}")
    if policies and configuration.get("enableNetworkPolicy") != "true":
        return [f"{cni.name} does not enable network policy (configurationValues {configuration}); unenforced: {policies}"]
    return []


def test_declared_network_policies_are_enforced(stack_inventory):
    assert stack_inventory.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy"), "the services declare policies"
    assert network_policy_problems(stack_inventory) == []


def test_network_policies_without_the_cni_flag_are_caught(plan):
    inventory = copy.deepcopy(plan("dev"))
    (cni,) = [a for a in inventory.of_type("aws:eks/addon:Addon") if a.inputs["addonName"] == "vpc-cni"]
    del cni.inputs["configurationValues"]
    (problem,) = network_policy_problems(inventory)
    assert problem.startswith("cluster-vpc-cni does not enable network policy")


def test_prod_has_a_spot_pool_and_an_on_demand_fallback(plan):
    distributions = [
        g.inputs["mixedInstancesPolicy"]["instancesDistribution"]["onDemandPercentageAboveBaseCapacity"]
        for g in plan("prod").of_type("aws:autoscaling/group:Group")
    ]
    assert min(distributions) == 0 and max(distributions) == 100


def test_autoscaler_discovers_every_worker_group_and_prefers_spot(stack_inventory):
    stack = stack_inventory.stack
    (release,) = [r for r in stack_inventory.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == "cluster-autoscaler"]
    values = release.inputs["values"]
    assert values["autoDiscovery"]["clusterName"] == f"mlp-{stack}"
    assert values["extraArgs"]["expander"].startswith("priority")
    assert values["extraArgs"]["balance-similar-node-groups"] is True
    assert values["nodeSelector"] == {POOL_LABEL: "system"}
    for name, group in _groups(stack_inventory).items():
        tags = {t["key"]: t["value"] for t in group.inputs["tags"]}
        assert tags.get("k8s.io/cluster-autoscaler/enabled") == "true", name
        assert tags.get(f"k8s.io/cluster-autoscaler/mlp-{stack}") == "owned", name
    (config_map,) = [o for o in stack_inventory.kubernetes_objects() if o.inputs["kind"] == "ConfigMap"]
    tiers = yaml.safe_load(config_map.inputs["data"]["priorities"])
    top = tiers[max(tiers)]
    spot_groups = [
        name
        for name, g in _groups(stack_inventory).items()
        if g.inputs["mixedInstancesPolicy"]["instancesDistribution"]["onDemandPercentageAboveBaseCapacity"] == 0
    ]
    assert sorted(top) == sorted(f"^{name.replace('-', chr(92) + '-')}$" for name in spot_groups)
    # Every zonal group of a pool ranks where its pool does: matched by a regex of its pool's tier
    # and by no regex of another tier above the catch-all (the expander takes the highest match).
    for name, group in _groups(stack_inventory).items():
        percentage = group.inputs["mixedInstancesPolicy"]["instancesDistribution"]["onDemandPercentageAboveBaseCapacity"]
        ranked = [priority for priority, regexes in tiers.items() if any(re.fullmatch(r, name) for r in regexes) and regexes != [".*"]]
        assert len(ranked) == 1, f"{name} matches tiers {ranked}"
        assert (ranked[0] == max(tiers)) is (percentage == 0), f"{name} ranks {ranked[0]}"
    policy = json.loads(next(p for p in stack_inventory.of_type("aws:iam/rolePolicy:RolePolicy") if "cluster-autoscaler" in p.inputs["policy"]).inputs["policy"])
    (scale,) = [s for s in policy["Statement"] if s["Sid"] == "ScaleOwnGroupsOnly"]
    assert scale["Condition"]["StringEquals"] == {f"aws:ResourceTag/k8s.io/cluster-autoscaler/mlp-{stack}": "owned"}


def test_metrics_server_runs_on_the_system_pool(stack_inventory):
    (release,) = [r for r in stack_inventory.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == "metrics-server"]
    assert release.inputs["values"]["nodeSelector"] == {POOL_LABEL: "system"}


def test_every_kubernetes_resource_uses_the_cluster_provider(stack_inventory):
    (provider,) = stack_inventory.of_type("pulumi:providers:kubernetes")
    assert provider.inputs["kubeconfig"] == "[secret]"
    for resource in stack_inventory.resources:
        if resource.type.startswith("kubernetes:"):
            assert resource.provider == provider.urn, resource.name


def test_no_node_role_carries_cni_permissions(stack_inventory):
    cni = [a for a in stack_inventory.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") if a.inputs["policyArn"].endswith("AmazonEKS_CNI_Policy")]
    (attachment,) = cni
    role = stack_inventory.by_urn(attachment.parent)
    assert "sts:AssumeRoleWithWebIdentity" in role.inputs["assumeRolePolicy"], "the CNI policy belongs to the IRSA role"


def test_exports(stack_inventory):
    outputs = stack_inventory.outputs
    assert outputs["clusterName"] == f"mlp-{stack_inventory.stack}"
    assert outputs["oidcProviderArn"].startswith("arn:aws:iam::123456789012:oidc-provider/oidc.eks.")
    # A secret output: the plan shows it as the engine does, never in clear.
    assert outputs["kubeconfig"] == "[secret]"


@pytest.mark.parametrize("enabled", [False, True])
def test_gpu_pool_switch(enabled, stack_document, scratch_project):
    document = stack_document("dev")
    document["config"]["ml-platform:cluster"]["gpuPool"] = {"enabled": enabled}
    project = scratch_project("dev", yaml.safe_dump(document))
    inventory = build_inventory("dev", project)
    groups = _pool_groups(inventory, "gpu")
    assert bool(groups) is enabled
    plugins = [r for r in inventory.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == "nvidia-device-plugin"]
    assert len(plugins) == int(enabled)
    if enabled:
        for name, group in groups.items():
            tags = {t["key"]: t["value"] for t in group.inputs["tags"]}
            assert tags["k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu"] == "1", name
        # The plugin's pods must be able to land exactly where the GPU pool's nodes are.
        values = plugins[0].inputs["values"]
        assert values["nodeSelector"] == {POOL_LABEL: "gpu"}
        node_taints = _taints_of(_template_of(inventory, next(iter(groups.values()))))
        tolerated = {f"{t['key']}={t['value']}:{t['effect']}" for t in values["tolerations"] if t["operator"] == "Equal"}
        assert node_taints and node_taints <= tolerated


@pytest.mark.parametrize("rebalance", [True, False])
def test_capacity_rebalance_switch(rebalance, stack_document, scratch_project):
    """`interruption.capacityRebalance` reaches every worker group, and decides whether EC2's
    spot warning and rebalance recommendation are forwarded to the handler (only without it)."""
    document = stack_document("dev")
    document["config"]["ml-platform:interruption"]["capacityRebalance"] = rebalance
    inventory = build_inventory("dev", scratch_project("dev", yaml.safe_dump(document)))
    groups = _groups(inventory)
    assert groups and {g.inputs["capacityRebalance"] for g in groups.values()} == {rebalance}
    detail_types = {
        detail
        for rule in inventory.of_type("aws:cloudwatch/eventRule:EventRule")
        for detail in json.loads(rule.inputs["eventPattern"])["detail-type"]
    }
    warnings = {"EC2 Spot Instance Interruption Warning", "EC2 Instance Rebalance Recommendation"}
    if rebalance:
        assert not warnings & detail_types, sorted(detail_types)
    else:
        assert warnings <= detail_types, sorted(detail_types)


def test_declared_kubernetes_objects_validate_against_the_cluster_version(stack_inventory, settings_of):
    import kubernetes_validate

    from mlp.manifests import manifest_objects

    version = f"{settings_of(stack_inventory.stack).cluster.kubernetes_version}.0"
    objects = manifest_objects(stack_inventory)
    assert {o["kind"] for o in objects} >= {"ConfigMap", "StorageClass"}
    for obj in objects:
        kubernetes_validate.validate(obj, version, strict=True)
