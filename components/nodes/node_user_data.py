"""User data for self-managed AL2023 nodes: a nodeadm `NodeConfig` in a MIME multipart document.

On the EKS-optimized AL2023 AMI, `nodeadm` reads the instance's user data, merges every
`application/node.eks.aws` part in order, and joins the node to the cluster. Giving it the
endpoint, CA and service CIDR spares it a `DescribeCluster` call at boot (no `eks:DescribeCluster`
on the node role, no dependency on the EKS API during a scale-out).
Reference: https://awslabs.github.io/amazon-eks-ami/nodeadm/doc/api/ and
https://awslabs.github.io/amazon-eks-ami/nodeadm/doc/examples/ .
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence

import yaml

MIME_BOUNDARY = "MLPLATFORM-NODEADM"
NODEADM_CONTENT_TYPE = "application/node.eks.aws"


def kubelet_taint_flag(taints: Sequence[Mapping[str, str]]) -> str:
    """`--register-with-taints=key=value:Effect,...` (Kubernetes effect spelling)."""
    return "--register-with-taints=" + ",".join(f"{t['key']}={t['value']}:{t['effect']}" for t in taints)


def kubelet_label_flag(labels: Mapping[str, str]) -> str:
    """`--node-labels=k=v,...`, sorted so the document is stable."""
    return "--node-labels=" + ",".join(f"{key}={labels[key]}" for key in sorted(labels))


def node_config(
    *,
    cluster_name: str,
    api_server_endpoint: str,
    certificate_authority: str,
    service_cidr: str,
    labels: Mapping[str, str],
    taints: Sequence[Mapping[str, str]] = (),
) -> dict:
    """The nodeadm NodeConfig as a plain document."""
    flags = [kubelet_label_flag(labels)] if labels else []
    if taints:
        flags.append(kubelet_taint_flag(taints))
    spec: dict = {
        "cluster": {
            "name": cluster_name,
            "apiServerEndpoint": api_server_endpoint,
            "certificateAuthority": certificate_authority,
            "cidr": service_cidr,
        }
    }
    if flags:
        spec["kubelet"] = {"flags": flags}
    return {"apiVersion": "node.eks.aws/v1alpha1", "kind": "NodeConfig", "spec": spec}


def node_user_data(**kwargs) -> str:
    """The whole MIME document (plain text) for `node_config(**kwargs)`."""
    document = yaml.safe_dump(node_config(**kwargs), sort_keys=False, default_flow_style=False)
    return (
        "MIME-Version: 1.0\n"
        f'Content-Type: multipart/mixed; boundary="{MIME_BOUNDARY}"\n'
        "\n"
        f"--{MIME_BOUNDARY}\n"
        f"Content-Type: {NODEADM_CONTENT_TYPE}\n"
        "\n"
        "---\n"
        f"{document}"
        "\n"
        f"--{MIME_BOUNDARY}--\n"
    )


def encode_user_data(text: str) -> str:
    """Launch templates take user data base64-encoded."""
    return base64.b64encode(text.encode()).decode()
