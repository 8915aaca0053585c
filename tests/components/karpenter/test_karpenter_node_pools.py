"""`KarpenterNodePools` declared under the mocks: per pool an EC2NodeClass and a NodePool that
Karpenter 1.14.1's CRDs accept, on the cluster's provider, in an order the API and Karpenter can
follow; the cluster security group tagged for discovery; the spot service-linked role on request."""

from __future__ import annotations

import pulumi_kubernetes as k8s
import pytest

from components.karpenter.karpenter_manifests import DISCOVERY_TAG
from components.karpenter.karpenter_node_pools import KarpenterNodePools, KarpenterNodePoolsArgs
from mlp.declared import DeclaredResource
from tests.components.karpenter.karpenter_pools import ON_DEMAND, SHARED, SPOT
from tests.karpenter_crds import crd_problems
from tests.kubernetes_checks import KUBECONFIG

NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
SECURITY_GROUP = "sg-0123456789abcdef0"
SPOT_ROLE = "aws:iam/serviceLinkedRole:ServiceLinkedRole"


def _pools(declare, pools=(SPOT, ON_DEMAND), **overrides):
    def build():
        cluster = k8s.Provider("k8s", kubeconfig=KUBECONFIG)
        args = dict(
            pools=list(pools),
            shared=SHARED,
            node_role_name="mlp-unit-karpenter-node",
            cluster_security_group_id=SECURITY_GROUP,
            kubernetes_provider=cluster,
        )
        args.update(overrides)
        KarpenterNodePools("karpenter-pools", KarpenterNodePoolsArgs(**args))

    return declare(build)


def _objects(inventory, type_: str) -> dict[str, DeclaredResource]:
    return {r.inputs["metadata"]["name"]: r for r in inventory.of_type(type_)}


def test_each_pool_gets_a_node_class_and_a_node_pool_the_crds_accept(declare):
    inventory = _pools(declare)
    classes, node_pools = _objects(inventory, NODE_CLASS), _objects(inventory, NODE_POOL)
    assert sorted(classes) == sorted(node_pools) == sorted([SPOT.name, ON_DEMAND.name])
    (provider,) = inventory.of_type("pulumi:providers:kubernetes")
    for resource in [*classes.values(), *node_pools.values()]:
        document = {key: resource.inputs[key] for key in ("apiVersion", "kind", "metadata", "spec")}
        assert crd_problems(document) == [], f"{resource.name}: {crd_problems(document)}"
        assert resource.provider and resource.provider.startswith(provider.urn), f"{resource.name} is off the cluster"
    for node_class in classes.values():
        assert node_class.inputs["spec"]["role"] == "mlp-unit-karpenter-node", f"{node_class.name}: {node_class.inputs['spec']}"


def test_a_node_pool_uses_its_own_class_and_waits_for_it(declare):
    inventory = _pools(declare)
    classes = _objects(inventory, NODE_CLASS)
    (tag,) = inventory.of_type("aws:ec2/tag:Tag")
    for name, node_pool in _objects(inventory, NODE_POOL).items():
        reference = node_pool.inputs["spec"]["template"]["spec"]["nodeClassRef"]
        assert reference["kind"] == "EC2NodeClass" and reference["name"] == name, f"{node_pool.name}: {reference}"
        assert classes[name].urn in node_pool.dependencies, f"{node_pool.name} may be created before its class"
        # Nodes launched from the class must find the security group by its tag.
        assert tag.urn in classes[name].dependencies, f"{classes[name].name} may launch before the tag exists"


def test_the_cluster_security_group_is_tagged_for_discovery(declare):
    (tag,) = _pools(declare).of_type("aws:ec2/tag:Tag")
    assert (tag.inputs["resourceId"], tag.inputs["key"], tag.inputs["value"]) == (
        SECURITY_GROUP,
        DISCOVERY_TAG,
        SHARED.cluster_name,
    ), f"{tag.name}: {tag.inputs}"


@pytest.mark.parametrize("create", [True, False])
def test_the_spot_service_linked_role_only_when_asked_and_before_any_pool(declare, create):
    inventory = _pools(declare, create_spot_service_linked_role=create)
    roles = inventory.of_type(SPOT_ROLE)
    assert len(roles) == int(create), f"spot service-linked role declared {len(roles)} times with create={create}"
    for role in roles:
        assert role.inputs["awsServiceName"] == "spot.amazonaws.com", role.name
        for node_pool in inventory.of_type(NODE_POOL):
            assert role.urn in node_pool.dependencies, f"{node_pool.name} may launch spot before {role.name}"


@pytest.mark.parametrize(("pools", "fragment"), [((), "at least one pool"), ((SPOT, SPOT), "pool names repeat")])
def test_no_pool_or_a_repeated_name_is_refused(declare, pools, fragment):
    with pytest.raises(ValueError, match=fragment):
        _pools(declare, pools=pools)
