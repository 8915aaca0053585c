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
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

import pulumi

from mlp.mock_state import ACCOUNT_ID, PARTITION, MockContext

if TYPE_CHECKING:
    from pulumi.runtime.mocks import MockResourceArgs

    from mlp.mocks import RecordingMonitor

SERVICE_CIDR = "172.20.0.0/16"
"""What EKS picks when the VPC is in 10.0.0.0/8 and no range is given."""
CHILD_TYPE = "aws:eks/cluster:Cluster"


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


def eks_cluster_hook(monitor: RecordingMonitor, ctx: MockContext, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
    from mlp.mocks import DeclaredResource, resource_reference, wire_to_plain

    cluster_name = ctx.inputs.get("name") or ctx.physical_name()
    region = ctx.region
    child_name = f"{args.name}-eksCluster"
    child_urn = monitor.make_urn(ctx.urn, CHILD_TYPE, child_name)
    props = _transformed(args, child_name, _child_inputs(ctx.inputs, cluster_name))

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
        "vpcConfig": {
            **props["vpcConfig"],
            "clusterSecurityGroupId": f"sg-{ctx.hex(17, salt='eks-cluster-sg')}",
            "vpcId": ctx.inputs.get("vpcId"),
        },
        "platformVersion": "eks.1",
        "status": "ACTIVE",
    }
    monitor.register_synthetic(child_urn, cluster_name, state)
    monitor.recorder.resources.append(
        DeclaredResource(
            urn=child_urn,
            type=CHILD_TYPE,
            name=child_name,
            parent=ctx.urn,
            provider=monitor.component_provider("aws"),
            custom=True,
            inputs=wire_to_plain(props),
        )
    )
    config = kubeconfig(cluster_name, endpoint, ca_data, region)
    outputs = {
        "eksCluster": resource_reference(child_urn, cluster_name),
        "kubeconfig": config,
        "kubeconfigJson": json.dumps(config),
        "clusterSecurityGroupId": f"sg-{ctx.hex(17, salt='component-cluster-sg')}",
        "nodeSecurityGroupId": f"sg-{ctx.hex(17, salt='component-node-sg')}",
        # pulumi-eks answers "" when it did not create the OIDC provider itself.
        "oidcProviderArn": "",
        "oidcProviderUrl": issuer,
        "oidcIssuer": issuer.removeprefix("https://"),
        "defaultNodeGroupAsgName": "",
    }
    return f"{cluster_name}-component", outputs
