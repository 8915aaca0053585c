"""The Karpenter variant of each stack, planned by the real program: the switch swaps the whole
capacity set and nothing else, and what it declares passes the CRDs, parliament, the charts' keys
and checkov."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.capacity.worker_pool import capacity_type_of, pool_labels, pool_taints
from components.karpenter.karpenter_manifests import DISCOVERY_TAG
from infra.settings import load_settings
from mlp.diff import compare
from mlp.plan import PROJECT_DIR, Inventory
from tests.components.test_chart_values import release_problems
from tests.conftest import karpenter_variant
from tests.infra.test_iam_policies import problems_in
from tests.karpenter_crds import crd_problems
from tests.kubernetes_checks import (
    checkov_available,
    kubernetes_version,
    run_checkov,
    schema_problems,
    write_objects,
)

NODEPOOL = "kubernetes:karpenter.sh/v1:NodePool"
NODECLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
CAPACITY_COMPONENTS = (
    "mlplatform:capacity:WorkerPool",
    "mlplatform:capacity:ClusterAutoscaler",
    "mlplatform:interruption:InterruptionHandling",
    "mlplatform:karpenter:KarpenterController",
    "mlplatform:karpenter:KarpenterNodePools",
    "mlplatform:karpenter:KarpenterInterruptionQueue",
)
"""The components the switch creates or removes, whole."""


def _settings(stack: str):
    import yaml

    document = karpenter_variant(yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text()))
    config = {
        k: json.dumps(v) if isinstance(v, (dict, list)) else str(v)
        for k, v in document["config"].items()
    }
    return load_settings(stack, config)


def custom_resources(inventory: Inventory) -> list[dict]:
    return [r.inputs for r in inventory.resources if r.type in (NODEPOOL, NODECLASS)]


def test_no_autoscaler_groups_handler_or_hooks(karpenter_inventory):
    inventory = karpenter_inventory
    for kind in (
        "aws:autoscaling/group:Group",
        "aws:autoscaling/lifecycleHook:LifecycleHook",
        "mlplatform:capacity:WorkerPool",
        "mlplatform:capacity:ClusterAutoscaler",
        "mlplatform:interruption:InterruptionHandling",
    ):
        assert not inventory.of_type(kind), f"{inventory.stack}: a Karpenter stack declares {kind}"
    charts = {r.inputs["chart"] for r in inventory.of_type("kubernetes:helm.sh/v3:Release")}
    assert not [c for c in charts if "autoscaler" in c or "termination-handler" in c], charts
    assert {
        "oci://public.ecr.aws/karpenter/karpenter",
        "oci://public.ecr.aws/karpenter/karpenter-crd",
    } <= charts
    # The EKS-managed system pool stays and hosts the controller.
    assert len(inventory.of_type("aws:eks/nodeGroup:NodeGroup")) == 1
    (controller,) = [
        r
        for r in inventory.of_type("kubernetes:helm.sh/v3:Release")
        if r.inputs["name"] == "karpenter"
    ]
    assert controller.inputs["values"]["nodeSelector"]["ml-platform.io/pool"] == "system"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_replicas_follow_the_engine_setting(stack, karpenter_plan):
    (controller,) = [
        r
        for r in karpenter_plan(stack).of_type("kubernetes:helm.sh/v3:Release")
        if r.inputs["name"] == "karpenter"
    ]
    expected = _settings(stack).cluster.autoscaling.autoscaler_replicas
    assert controller.inputs["values"]["replicas"] == expected
    if stack == "prod":
        assert expected == 2


def test_nodes_can_join_and_be_found(karpenter_inventory):
    inventory = karpenter_inventory
    cluster_name = f"mlp-{inventory.stack}"
    (entry,) = [
        e
        for e in inventory.of_type("aws:eks/accessEntry:AccessEntry")
        if e.inputs.get("type") == "EC2_LINUX"
    ]
    node_classes = inventory.of_type(NODECLASS)
    assert node_classes
    for node_class in node_classes:
        assert node_class.inputs["spec"]["role"] in entry.inputs["principalArn"]
    subnets = inventory.of_type("aws:ec2/subnet:Subnet")
    private = [s for s in subnets if "private" in s.name]
    public = [s for s in subnets if "public" in s.name]
    assert private and all(s.inputs["tags"].get(DISCOVERY_TAG) == cluster_name for s in private)
    assert public and not any(DISCOVERY_TAG in s.inputs["tags"] for s in public), (
        "nodes must never land in public subnets"
    )
    (tag,) = inventory.of_type("aws:ec2/tag:Tag")
    assert (tag.inputs["key"], tag.inputs["value"]) == (DISCOVERY_TAG, cluster_name)


def test_autoscaler_stacks_carry_no_discovery_tag(stack_inventory):
    """The paired case: with the switch off, nothing of Karpenter's, not even a subnet tag."""
    assert DISCOVERY_TAG not in json.dumps([r.inputs for r in stack_inventory.resources])
    assert not [
        r
        for r in stack_inventory.resources
        if "karpenter" in r.type.lower() or "karpenter" in r.name
    ]


def test_custom_resources_pass_the_crds(karpenter_inventory):
    objects = custom_resources(karpenter_inventory)
    settings = _settings(karpenter_inventory.stack)
    assert {(o["kind"], o["metadata"]["name"]) for o in objects} == {
        (kind, name) for name in settings.node_pools for kind in ("NodePool", "EC2NodeClass")
    }
    problems = [p for o in objects for p in crd_problems(o)]
    assert not problems, "\n".join(problems)


def test_other_objects_validate_strictly(karpenter_inventory):
    objects = [
        r.inputs
        for r in karpenter_inventory.kubernetes_objects()
        if r.type not in (NODEPOOL, NODECLASS)
    ]
    assert objects
    assert schema_problems(objects, kubernetes_version(karpenter_inventory)) == []


def test_pools_keep_their_labels_and_taints(karpenter_inventory):
    """The NodePools put on their nodes exactly what the worker groups do, so no service's
    placement changes with the engine."""
    settings = _settings(karpenter_inventory.stack)
    for node_pool in karpenter_inventory.of_type(NODEPOOL):
        name = node_pool.inputs["metadata"]["name"]
        pool = settings.node_pools[name]
        capacity = capacity_type_of(
            pool.on_demand_base_capacity, pool.on_demand_percentage_above_base_capacity
        )
        template = node_pool.inputs["spec"]["template"]
        assert template["metadata"]["labels"] == pool_labels(name, capacity)
        assert template["spec"].get("taints", []) == pool_taints(capacity, gpu=False)


def _admits(node_pool: dict, pod_spec: dict) -> bool:
    """Whether a pod of `pod_spec` fits a node of `node_pool`: required node affinity on the
    NodePool's labels, and a toleration for each taint."""
    labels = node_pool["spec"]["template"]["metadata"]["labels"]
    terms = pod_spec.get("affinity", {}).get("nodeAffinity", {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution", {}
    ).get("nodeSelectorTerms") or [{"matchExpressions": []}]

    def holds(expression: dict) -> bool:
        value = labels.get(expression["key"])
        operator = expression["operator"]
        if operator == "In":
            return value in expression["values"]
        if operator == "NotIn":
            return value not in expression["values"]
        if operator == "Exists":
            return value is not None
        if operator == "DoesNotExist":
            return value is None
        raise AssertionError(f"operator {operator} not handled")

    if not any(all(holds(e) for e in term.get("matchExpressions", [])) for term in terms):
        return False
    tolerations = pod_spec.get("tolerations", [])
    for taint in node_pool["spec"]["template"]["spec"].get("taints", []):
        if not any(
            t.get("key") == taint["key"] and t.get("effect") in (None, taint["effect"])
            for t in tolerations
        ):
            return False
    return all(labels.get(k) == v for k, v in (pod_spec.get("nodeSelector") or {}).items())


def test_every_service_has_a_node_pool(karpenter_inventory):
    node_pools = [r.inputs for r in karpenter_inventory.of_type(NODEPOOL)]
    deployments = karpenter_inventory.of_type("kubernetes:apps/v1:Deployment")
    assert deployments
    for deployment in deployments:
        pod_spec = deployment.inputs["spec"]["template"]["spec"]
        fitting = [p["metadata"]["name"] for p in node_pools if _admits(p, pod_spec)]
        assert fitting, f"{karpenter_inventory.stack}: no NodePool admits {deployment.name}"


def test_policies_pass_parliament(karpenter_inventory):
    problems = problems_in(karpenter_inventory)
    assert not problems, "\n".join(problems)


def test_releases_use_only_chart_keys(karpenter_inventory):
    problems = release_problems(karpenter_inventory)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_switching_swaps_the_capacity_set_and_nothing_else(stack, plan, karpenter_plan):
    """The `mlp diff` comparison between the stack and its Karpenter variant (either direction:
    switching back is the same diff reversed): every added or removed resource belongs to a
    capacity component, and the only input that changes elsewhere is the private subnets'
    discovery tag. So switching and switching back leaves every other resource untouched."""
    before, after = plan(stack, images="pinned"), karpenter_plan(stack)  # both with their workloads
    added, removed, changed = compare(before.resources, after.resources)

    def in_capacity_set(inventory: Inventory, urn: str) -> bool:
        resource = inventory.by_urn(urn)
        chain = [resource]
        while chain[-1].parent:
            try:
                chain.append(inventory.by_urn(chain[-1].parent))
            except KeyError:
                break
        return any(r.type in CAPACITY_COMPONENTS for r in chain)

    assert added and removed
    assert [urn for urn in added if not in_capacity_set(after, urn)] == []
    assert [urn for urn in removed if not in_capacity_set(before, urn)] == []
    changes = {(after.by_urn(c.urn).name, keys) for c in changed for keys in c.keys}
    expected = {
        (s.name, f"tags.{DISCOVERY_TAG}")
        for s in after.of_type("aws:ec2/subnet:Subnet")
        if "private" in s.name
    }
    assert changes == expected
    back_added, back_removed, back_changed = compare(after.resources, before.resources)
    assert (sorted(back_added), sorted(back_removed)) == (sorted(removed), sorted(added))
    assert {c.urn for c in back_changed} == {c.urn for c in changed}


@pytest.mark.external
def test_karpenter_stacks_pass_checkov(karpenter_plan, tmp_path: Path):
    reason = checkov_available()
    if reason:
        pytest.skip(reason)
    for stack in ("dev", "prod"):
        write_objects(
            [r.inputs for r in karpenter_plan(stack).kubernetes_objects()],
            tmp_path / f"karpenter-{stack}",
        )
    report = run_checkov(tmp_path)
    assert report["summary"]["resource_count"] > 0, "checkov scanned nothing"
    assert report["summary"]["parsing_errors"] == 0
    failed = [
        f"{c['check_id']} {c['resource']} ({c['check_name']})"
        for c in report["results"]["failed_checks"]
    ]
    assert not failed, "\n".join(failed)


def test_the_spot_service_linked_role_is_declared_only_when_asked(
    karpenter_inventory, stack_document, scratch_project
):
    """Off by default (declaring it fails where it exists); declared when asked."""
    import yaml

    from mlp.plan import build_inventory

    def spot_roles(inventory):
        # dev also declares the account's OpenSearch role (`search.serviceLinkedRole: create`).
        return [
            role
            for role in inventory.of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole")
            if role.inputs["awsServiceName"] == "spot.amazonaws.com"
        ]

    assert not spot_roles(karpenter_inventory)
    if karpenter_inventory.stack != "dev":
        return
    document = karpenter_variant(stack_document("dev"))
    document["config"]["ml-platform:cluster"]["karpenter"] = {"createSpotServiceLinkedRole": True}
    project = scratch_project("dev", yaml.safe_dump(document, sort_keys=False))
    inventory = build_inventory("dev", project)
    assert len(spot_roles(inventory)) == 1


def test_the_gpu_pool_becomes_a_tainted_gpu_node_pool(stack_document, scratch_project):
    """The paired GPU case: with `cluster.gpuPool` on, a Karpenter stack declares a `gpu`
    NodePool (spot floor 3 types, GPU and spot taints, GPUs limited) and the device plugin."""
    import yaml

    from components.nodes.instance_catalog import MIN_SPOT_GPU_INSTANCE_TYPES
    from components.nodes.placement import GPU_TAINT, SPOT_TAINT
    from mlp.plan import build_inventory

    document = karpenter_variant(stack_document("dev"))
    document["config"]["ml-platform:cluster"]["gpuPool"] = {"enabled": True}
    inventory = build_inventory(
        "dev", scratch_project("dev", yaml.safe_dump(document, sort_keys=False))
    )
    pools = {r.inputs["metadata"]["name"]: r.inputs for r in inventory.of_type(NODEPOOL)}
    assert set(pools) == {"spot", "gpu"}
    spec = pools["gpu"]["spec"]
    assert spec["template"]["spec"]["taints"] == [SPOT_TAINT, GPU_TAINT]
    (types,) = [
        r
        for r in spec["template"]["spec"]["requirements"]
        if r["key"] == "node.kubernetes.io/instance-type"
    ]
    assert types["minValues"] == MIN_SPOT_GPU_INSTANCE_TYPES
    assert spec["limits"]["nvidia.com/gpu"] == "2"
    assert [p for o in custom_resources(inventory) for p in crd_problems(o)] == []
    from components.capacity.nvidia_device_plugin import CHART as DEVICE_PLUGIN_CHART

    assert DEVICE_PLUGIN_CHART in {
        r.inputs.get("chart") for r in inventory.of_type("kubernetes:helm.sh/v3:Release")
    }


def test_every_resource_uses_an_explicit_provider(karpenter_inventory):
    """As for the shipped stacks: default providers are disabled, so a Karpenter resource
    without an explicit provider would fail at `pulumi up`."""
    from tests.infra.test_program import test_every_resource_uses_an_explicit_provider as check

    check(karpenter_inventory)
    kinds = {r.type for r in karpenter_inventory.resources if r.provider}
    assert {NODEPOOL, NODECLASS, "aws:ec2/tag:Tag"} <= kinds


def test_cluster_wide_checks_hold_on_the_variant(karpenter_inventory):
    """The shipped stacks' own cluster checks, on the Karpenter variant: every Kubernetes object
    (the NodePools and EC2NodeClasses too) through the cluster's provider, and no node role
    (Karpenter's included) with the CNI's permissions."""
    from tests.infra.test_cluster_program import (
        test_every_kubernetes_resource_uses_the_cluster_provider,
        test_no_node_role_carries_cni_permissions,
    )

    test_every_kubernetes_resource_uses_the_cluster_provider(karpenter_inventory)
    test_no_node_role_carries_cni_permissions(karpenter_inventory)
    assert {
        e.inputs["type"] for e in karpenter_inventory.of_type("aws:eks/accessEntry:AccessEntry")
    } == {
        "STANDARD",
        "EC2_LINUX",
    }
    assert "interruptionQueueUrl" in karpenter_inventory.outputs


def test_creation_and_deletion_order(karpenter_inventory):
    """What the engine creates first it deletes last: the node access entry waits for the
    cluster; the EC2NodeClasses wait for the access entry and the controller; the NodePools for
    their EC2NodeClass and the controller. So on a switch back (or a destroy) the NodePools and
    EC2NodeClasses go first, while Karpenter still runs to drain and terminate their nodes."""
    inventory = karpenter_inventory
    (cluster,) = inventory.of_type("eks:index:Cluster")
    (entry,) = [
        e
        for e in inventory.of_type("aws:eks/accessEntry:AccessEntry")
        if e.inputs["type"] == "EC2_LINUX"
    ]
    (release,) = [
        r
        for r in inventory.of_type("kubernetes:helm.sh/v3:Release")
        if r.inputs["name"] == "karpenter"
    ]
    (crds,) = [
        r
        for r in inventory.of_type("kubernetes:helm.sh/v3:Release")
        if r.inputs["name"] == "karpenter-crd"
    ]
    assert cluster.urn in entry.dependencies, "the access entry would be created before the cluster"
    assert crds.urn in release.dependencies
    classes = {c.inputs["metadata"]["name"]: c for c in inventory.of_type(NODECLASS)}
    for node_class in classes.values():
        assert {entry.urn, release.urn} <= set(node_class.dependencies), node_class.name
    for node_pool in inventory.of_type(NODEPOOL):
        name = node_pool.inputs["spec"]["template"]["spec"]["nodeClassRef"]["name"]
        assert {classes[name].urn, release.urn} <= set(node_pool.dependencies), node_pool.name


def test_interruption_switch_off_removes_karpenters_queue(stack_document, scratch_project):
    """The paired case of the drill: with `interruption.enabled: false` a Karpenter stack has no
    queue, no rules, an empty `settings.interruptionQueue` and no SQS grant."""
    import yaml

    from mlp.plan import build_inventory

    document = karpenter_variant(stack_document("dev"))
    document["config"]["ml-platform:interruption"]["enabled"] = False
    inventory = build_inventory(
        "dev", scratch_project("dev", yaml.safe_dump(document, sort_keys=False))
    )
    assert not inventory.of_type("aws:sqs/queue:Queue")
    assert not inventory.of_type("aws:cloudwatch/eventRule:EventRule")
    (release,) = [
        r
        for r in inventory.of_type("kubernetes:helm.sh/v3:Release")
        if r.inputs["name"] == "karpenter"
    ]
    assert release.inputs["values"]["settings"]["interruptionQueue"] == ""
    (policy,) = [
        p
        for p in inventory.of_type("aws:iam/rolePolicy:RolePolicy")
        if p.name == "karpenter-controller-controller"
    ]
    assert "sqs:" not in policy.inputs["policy"]
    assert "interruptionQueueUrl" not in inventory.outputs
