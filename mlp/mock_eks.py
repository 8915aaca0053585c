"""What the pulumi-eks `Cluster` remote component would answer, for the offline plan.

Under mocks a remote component is one registration and nothing more: its children are never
created, and its resource-reference outputs (`eksCluster`) would point nowhere (pulumi/pulumi
#15731). This hook does what the engine and the pulumi-eks provider would do for the one child
the program reads through: it models the `aws:eks/cluster:Cluster` child pulumi-eks declares
(the fields are those pulumi-eks v4 `nodejs/eks/cluster/cluster.ts` sets), runs the component's
resource transforms on it as the engine runs them on a remote component's children, records it
in the inventory under the component, registers it so `getResource` can rehydrate it, and
returns the component's outputs with `eksCluster` as a reference to it. So the program reads
the endpoint, CA, service CIDR and OIDC issuer through the same attribute paths as in AWS, and
the kubeconfig has the shape pulumi-eks generates.

Security groups are modelled as far as the cluster tag goes (`kubernetes.io/cluster/<name>`,
which the AWS Load Balancer Controller needs on exactly one group per network interface):
EKS creates the cluster security group and tags it `owned` itself
(https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html); unless
`skipDefaultSecurityGroups` is set, pulumi-eks also declares its own cluster group and a node
group tagged `owned` (v4 `nodejs/eks/nodes/securitygroup.ts`), recorded here as its children.
`cluster_tagged_security_groups` answers which group ids carry the tag.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any, Protocol

import pulumi

from mlp.declared import DeclaredResource, Inventory, Recorder
from mlp.mock_state import ACCOUNT_ID, PARTITION, MockContext
from mlp.wire import resource_reference, wire_to_plain

if TYPE_CHECKING:
    from pulumi.runtime.mocks import MockResourceArgs

SERVICE_CIDR = "172.20.0.0/16"
"""What EKS picks when the VPC is in 10.0.0.0/8 and no range is given."""
COMPONENT_TYPE = "eks:index:Cluster"
CHILD_TYPE = "aws:eks/cluster:Cluster"
SECURITY_GROUP_TYPE = "aws:ec2/securityGroup:SecurityGroup"
CLUSTER_TAG_PREFIX = "kubernetes.io/cluster/"


class ChildRegistry(Protocol):
    """What the hook needs of the mock monitor (`mlp.mocks.RecordingMonitor`, which imports this
    module, so the hook names only the methods it calls)."""

    recorder: Recorder

    def make_urn(self, parent: str, type_: str, name: str) -> str: ...

    def register_synthetic(self, urn: str, resource_id: str, state: dict[str, Any]) -> None: ...

    def component_provider(self, package: str) -> str | None: ...


def eks_security_group_id(component_urn: str) -> str:
    """The id of the security group EKS creates for the cluster of a pulumi-eks component."""
    return f"sg-{MockContext(region='', urn=component_urn, name='', inputs={}).hex(17, salt='eks-cluster-sg')}"


def declared_security_group_id(urn: str) -> str:
    """The id the mocks give a declared `aws.ec2.SecurityGroup` (mock_state's `_ec2`)."""
    return f"sg-{MockContext(region='', urn=urn, name='', inputs={}).hex()}"


def cluster_tagged_security_groups(inventory: Inventory) -> dict[str, str]:
    """Security group id -> what it is, for every group carrying a `kubernetes.io/cluster/` tag:
    the group EKS creates for each cluster (tagged by EKS), and every declared group whose tags
    include it (pulumi-eks's node group, or one of the program's own)."""
    tagged = {}
    for child in inventory.of_type(CHILD_TYPE):
        if child.parent and inventory.by_urn(child.parent).type == COMPONENT_TYPE:
            tagged[eks_security_group_id(child.parent)] = f"EKS cluster security group of {child.inputs['name']}"
    for group in inventory.of_type(SECURITY_GROUP_TYPE):
        tags = group.inputs.get("tags") or {}
        if any(key.startswith(CLUSTER_TAG_PREFIX) for key in tags):
            tagged[declared_security_group_id(group.urn)] = group.name
    return tagged


def kubeconfig(cluster_name: str, endpoint: str, ca_data: str, region: str) -> dict[str, Any]:
    """The kubeconfig pulumi-eks generates (`generateKubeconfig`): token from `aws eks get-token`."""
    return {
        "apiVersion": "v1",
        "clusters": [{"cluster": {"server": endpoint, "certificate-authority-data": ca_data}, "name": "kubernetes"}],
        "contexts": [{"context": {"cluster": "kubernetes", "user": "aws"}, "name": "aws"}],
        "current-context": "aws",
        "kind": "Config",
        "users": [
            {
                "name": "aws",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": ["--region", region, "eks", "get-token", "--cluster-name", cluster_name, "--output", "json"],
                        "env": [
                            {
                                "name": "KUBERNETES_EXEC_INFO",
                                "value": '{"apiVersion": "client.authentication.k8s.io/v1beta1"}',
                            }
                        ],
                    }
                },
            }
        ],
    }


def _child_inputs(inputs: dict[str, Any], name: str) -> dict[str, Any]:
    """The `aws.eks.Cluster` arguments pulumi-eks builds from the component's inputs."""
    props: dict[str, Any] = {
        "name": name,
        "version": inputs.get("version"),
        "bootstrapSelfManagedAddons": inputs.get("bootstrapSelfManagedAddons", True),
        "vpcConfig": {
            "subnetIds": [*(inputs.get("publicSubnetIds") or []), *(inputs.get("privateSubnetIds") or [])]
            or inputs.get("subnetIds"),
            "endpointPrivateAccess": inputs.get("endpointPrivateAccess"),
            "endpointPublicAccess": inputs.get("endpointPublicAccess"),
            "publicAccessCidrs": inputs.get("publicAccessCidrs"),
        },
        "enabledClusterLogTypes": inputs.get("enabledClusterLogTypes"),
        "upgradePolicy": inputs.get("upgradePolicy"),
        "deletionProtection": inputs.get("deletionProtection"),
    }
    if inputs.get("clusterSecurityGroup"):
        # A resource reference reaches the mocks as the group's URN.
        props["vpcConfig"]["securityGroupIds"] = [declared_security_group_id(inputs["clusterSecurityGroup"])]
    if inputs.get("encryptionConfigKeyArn"):
        props["encryptionConfig"] = {"provider": {"keyArn": inputs["encryptionConfigKeyArn"]}, "resources": ["secrets"]}
    if inputs.get("authenticationMode"):
        # pulumi-eks hard-codes the creator-admin grant whenever a mode is set.
        props["accessConfig"] = {
            "authenticationMode": inputs["authenticationMode"],
            "bootstrapClusterCreatorAdminPermissions": True,
        }
    return props


def _transformed(args: MockResourceArgs, child_name: str, props: dict[str, Any]) -> dict[str, Any]:
    for transform in args.transforms:
        result = transform(
            pulumi.ResourceTransformArgs(
                custom=True, type_=CHILD_TYPE, name=child_name, props=props, opts=pulumi.ResourceOptions()
            )
        )
        if result is not None:
            props = dict(result.props)
    return props


def _default_security_groups(
    monitor: ChildRegistry, ctx: MockContext, name: str, cluster_name: str
) -> tuple[str, str] | None:
    """pulumi-eks's own cluster and node security groups, recorded as its children, unless
    `skipDefaultSecurityGroups` is set; their ids (cluster, node)."""
    if ctx.inputs.get("skipDefaultSecurityGroups"):
        return None
    common = ctx.inputs.get("tags") or {}
    groups = {
        "eksClusterSecurityGroup": {
            "Name": f"{name}-eksClusterSecurityGroup",
            **(ctx.inputs.get("clusterSecurityGroupTags") or {}),
            **common,
        },
        "nodeSecurityGroup": {
            "Name": f"{name}-nodeSecurityGroup",
            f"{CLUSTER_TAG_PREFIX}{cluster_name}": "owned",
            **(ctx.inputs.get("nodeSecurityGroupTags") or {}),
            **common,
        },
    }
    ids = []
    for role, tags in groups.items():
        group_name = f"{name}-{role}"
        urn = monitor.make_urn(ctx.urn, SECURITY_GROUP_TYPE, group_name)
        group_id = declared_security_group_id(urn)
        inputs = {"vpcId": ctx.inputs.get("vpcId"), "revokeRulesOnDelete": True, "tags": tags}
        _record_child(monitor, ctx, urn, SECURITY_GROUP_TYPE, group_name, group_id, inputs, {**inputs, "id": group_id})
        ids.append(group_id)
    return ids[0], ids[1]


def _record_child(
    monitor: ChildRegistry,
    ctx: MockContext,
    urn: str,
    type_: str,
    name: str,
    resource_id: str,
    inputs: dict[str, Any],
    state: dict[str, Any],
) -> None:
    monitor.register_synthetic(urn, resource_id, state)
    monitor.recorder.resources.append(
        DeclaredResource(
            urn=urn,
            type=type_,
            name=name,
            parent=ctx.urn,
            provider=monitor.component_provider("aws"),
            custom=True,
            inputs=wire_to_plain(inputs),
        )
    )


def eks_cluster_hook(monitor: ChildRegistry, ctx: MockContext, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
    cluster_name = ctx.inputs.get("name") or ctx.physical_name()
    region = ctx.region
    eks_group_id = eks_security_group_id(ctx.urn)
    default_groups = _default_security_groups(monitor, ctx, args.name, cluster_name)
    child_name = f"{args.name}-eksCluster"
    child_urn = monitor.make_urn(ctx.urn, CHILD_TYPE, child_name)
    child_inputs = _child_inputs(ctx.inputs, cluster_name)
    if default_groups and not ctx.inputs.get("clusterSecurityGroup"):
        child_inputs["vpcConfig"]["securityGroupIds"] = [default_groups[0]]
    props = _transformed(args, child_name, child_inputs)

    endpoint_id = ctx.hex(32, salt="endpoint").upper()
    oidc_id = ctx.hex(32, salt="oidc").upper()
    ca_pem = f"-----BEGIN CERTIFICATE-----\nMIIC{ctx.hex(60, salt='ca')}\n-----END CERTIFICATE-----\n"
    ca_data = base64.b64encode(ca_pem.encode()).decode()
    endpoint = f"https://{endpoint_id}.gr7.{region}.eks.amazonaws.com"
    issuer = f"https://oidc.eks.{region}.amazonaws.com/id/{oidc_id}"
    arn = f"arn:{PARTITION}:eks:{region}:{ACCOUNT_ID}:cluster/{cluster_name}"
    state = {
        **props,
        "id": cluster_name,
        "arn": arn,
        "endpoint": endpoint,
        "certificateAuthority": {"data": ca_data},
        "kubernetesNetworkConfig": {"serviceIpv4Cidr": SERVICE_CIDR, "ipFamily": "ipv4"},
        "identities": [{"oidcs": [{"issuer": issuer}]}],
        "vpcConfig": {**props["vpcConfig"], "clusterSecurityGroupId": eks_group_id, "vpcId": ctx.inputs.get("vpcId")},
        "platformVersion": "eks.1",
        "status": "ACTIVE",
    }
    _record_child(monitor, ctx, child_urn, CHILD_TYPE, child_name, cluster_name, props, state)
    config = kubeconfig(cluster_name, endpoint, ca_data, region)
    outputs = {
        "eksCluster": resource_reference(child_urn, cluster_name),
        "kubeconfig": config,
        "kubeconfigJson": json.dumps(config),
        # Without its default groups pulumi-eks answers the EKS-created group for both (v4
        # `nodejs/eks/cluster/cluster.ts`, `createCluster`'s return value).
        "clusterSecurityGroupId": (
            child_inputs["vpcConfig"]["securityGroupIds"][0]
            if ctx.inputs.get("clusterSecurityGroup") or default_groups
            else eks_group_id
        ),
        "nodeSecurityGroupId": default_groups[1] if default_groups else eks_group_id,
        # pulumi-eks answers "" when it did not create the OIDC provider itself.
        "oidcProviderArn": "",
        "oidcProviderUrl": issuer,
        "oidcIssuer": issuer.removeprefix("https://"),
        "defaultNodeGroupAsgName": "",
    }
    return f"{cluster_name}-component", outputs
