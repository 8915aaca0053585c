"""The EKS managed add-ons' versions and configuration values (VPC CNI, CoreDNS, kube-proxy, EBS
CSI driver), as plain data."""

from __future__ import annotations

from dataclasses import dataclass

from components.nodes.placement import POOL_LABEL, SYSTEM_POOL, SYSTEM_TAINT, toleration_for


@dataclass(frozen=True, kw_only=True)
class AddonVersions:
    """EKS managed add-on versions (`aws eks describe-addon-versions --kubernetes-version X`).
    No field has a default here: a version valid for one cluster minor is wrong for another, so
    the caller always states it (the stacks take theirs from `ml-platform:cluster.addons`, whose
    defaults are documented in `infra/settings/cluster.py`)."""

    vpc_cni: str
    """vpc-cni add-on version, e.g. "v1.22.3-eksbuild.1" (1.14 or newer for network policy).
    Required, no default."""
    coredns: str
    """coredns add-on version, e.g. "v1.13.2-eksbuild.21". Required, no default."""
    kube_proxy: str
    """kube-proxy add-on version; its minor must equal the cluster's, e.g. "v1.35.3-eksbuild.18".
    Required, no default."""
    ebs_csi_driver: str
    """aws-ebs-csi-driver add-on version, e.g. "v1.58.0-eksbuild.1". Required, no default."""



def system_addon_placement() -> dict:
    """nodeSelector and tolerations in the shape EKS add-on configuration schemas take."""
    return {"nodeSelector": {POOL_LABEL: SYSTEM_POOL}, "tolerations": [toleration_for(SYSTEM_TAINT)]}


def vpc_cni_configuration() -> dict:
    """The VPC CNI's network policy agent on: without it NetworkPolicy objects are accepted and
    never enforced. The add-on's configuration schema takes the flag as the string "true"
    (https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html)."""
    return {"enableNetworkPolicy": "true"}


def coredns_configuration() -> dict:
    return {**system_addon_placement(), "replicaCount": 2}


def ebs_csi_configuration() -> dict:
    """The controller on the system pool; the node plugin on every node, whatever its taints,
    so a volume can attach wherever its pod lands."""
    return {"controller": system_addon_placement(), "node": {"tolerateAllTaints": True}}
