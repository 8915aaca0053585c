"""The EKS cluster: version, add-ons, access, endpoint, logs, system pool, GPU pool, autoscaling."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.capacity.cluster_autoscaler import CHART_FOR_KUBERNETES
from components.capacity.worker_pool import carries_spot
from components.cluster.eks_versions import END_OF_STANDARD_SUPPORT, known_versions
from components.cluster.principals import principal_key
from components.nodes.instance_catalog import pool_type_problems
from infra.settings.base import Section
from infra.settings.karpenter import KarpenterSettings
from infra.settings.rules import KeyRuleError, refuse_repeats

_MINOR_VERSION = re.compile(r"^1\.\d{2}$")
_ADDON_VERSION = re.compile(r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")
_SECURITY_GROUP_ID = re.compile(r"^sg-[0-9a-f]{8,17}$")
_ROLE_ARN = re.compile(r"^arn:aws:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")

RetentionDays = Literal[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731]


class AddonSettings(Section):
    """EKS managed add-on versions. Check what a cluster version offers with
    `aws eks describe-addon-versions --kubernetes-version <v> --addon-name <name>`."""

    # Source: ministryofjustice/cloud-platform-infrastructure PR #4678 (2026-07-08); vpc-cni
    # builds serve several Kubernetes minors.
    vpc_cni: str = Field("v1.22.3-eksbuild.1", description="vpc-cni add-on version. Default `v1.22.3-eksbuild.1`.")
    # Source: a public Terraform environment's recorded `describe-addon-versions` for EKS 1.35
    # (2026-09-04); v1.13.2 is CoreDNS for 1.34/1.35 (ministryofjustice/analytical-platform
    # PR #10190 pins v1.13.2-eksbuild.7 on 1.34).
    coredns: str = Field("v1.13.2-eksbuild.21", description="coredns add-on version. Default `v1.13.2-eksbuild.21`.")
    # Source: ComfyUI-on-EKS security notes (2026-08-12), "latest available (1.35)"; kube-proxy
    # must match the cluster minor.
    kube_proxy: str = Field(
        "v1.35.3-eksbuild.18",
        description="kube-proxy add-on version; its minor must equal the cluster's. Default `v1.35.3-eksbuild.18`.",
    )
    # Source: ministryofjustice/analytical-platform PR #10190 (2026-05-05).
    ebs_csi_driver: str = Field(
        "v1.58.0-eksbuild.1", description="aws-ebs-csi-driver add-on version. Default `v1.58.0-eksbuild.1`."
    )

    @field_validator("vpc_cni", "coredns", "kube_proxy", "ebs_csi_driver")
    @classmethod
    def _addon_version_shape(cls, value: str) -> str:
        if not _ADDON_VERSION.match(value):
            raise ValueError("must be an EKS add-on version such as v1.22.3-eksbuild.1")
        return value


class EndpointSettings(Section):
    """Who can reach the Kubernetes API server."""

    public_access: bool = Field(
        False,
        description="Also expose the API server on a public endpoint (the private endpoint is "
        "always on), to `publicAccessCidrs` only. Default `false`. The first deploy into a new "
        "account needs it (or `privateAccessCidrs` of a network already connected to the VPC), "
        "since nothing inside the VPC exists yet: see docs/deploying.md.",
    )
    public_access_cidrs: tuple[str, ...] = Field(
        (), description="With `publicAccess`, the only source ranges admitted. Default none."
    )
    allow_public_access_from_anywhere: bool = Field(
        False,
        description="Explicit opt-in to a public endpoint open to `0.0.0.0/0` (EKS's default "
        "when no CIDRs are given). Default `false`.",
    )
    private_access_cidrs: tuple[str, ...] = Field(
        (),
        description="Networks admitted to the private endpoint on 443 (a security group on the "
        "control plane's network interfaces only): the VPC's own range for a runner inside it, or "
        "a network connected to the VPC (peering, transit gateway, VPN) that resolves the "
        "endpoint's name. Default none.",
    )
    private_access_security_group_ids: tuple[str, ...] = Field(
        (),
        description="Security groups admitted to the private endpoint on 443 (a runner's group in "
        "this VPC or a peered one of the same region). Default none.",
    )
    deployer_outside_connected_networks: bool = Field(
        False,
        description="Explicit statement that every `pulumi up` runs outside the VPC and every "
        "network that resolves names through it (a hosted CI runner, a laptop on the internet), so "
        "it reaches only the public endpoint and needs no `privateAccessCidrs`. Requires "
        "`publicAccess`. Default `false`: a deployer inside the VPC (the in-VPC runner) resolves "
        "the endpoint's name to the private endpoint, where `publicAccessCidrs` never apply, so it "
        "needs `privateAccessCidrs` or `privateAccessSecurityGroupIds`.",
    )

    @field_validator("public_access_cidrs")
    @classmethod
    def _cidrs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for cidr in value:
            try:
                ipaddress.IPv4Network(cidr, strict=True)
            except ValueError as exc:
                raise ValueError(f"{cidr!r} is not an IPv4 network ({exc})") from None
        return value

    @field_validator("private_access_cidrs")
    @classmethod
    def _private_cidrs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for cidr in value:
            try:
                network = ipaddress.IPv4Network(cidr, strict=True)
            except ValueError as exc:
                raise ValueError(f"{cidr!r} is not an IPv4 network ({exc})") from None
            if network.prefixlen == 0:
                raise ValueError("0.0.0.0/0 is not a network connected to the VPC; list the deployer's ranges")
        return value

    @field_validator("private_access_security_group_ids")
    @classmethod
    def _security_group_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [group for group in value if not _SECURITY_GROUP_ID.match(group)]
        if bad:
            raise ValueError(f"not security group ids (sg-...): {', '.join(bad)}")
        return value

    @model_validator(mode="after")
    def _public_is_explicit(self) -> EndpointSettings:
        open_to_all = "0.0.0.0/0" in self.public_access_cidrs
        if self.public_access_cidrs and not self.public_access:
            raise KeyRuleError("publicAccessCidrs", "are set but publicAccess is false", list(self.public_access_cidrs))
        if self.public_access and not self.allow_public_access_from_anywhere:
            if not self.public_access_cidrs:
                raise KeyRuleError(
                    "publicAccessCidrs",
                    "a public endpoint without CIDRs is open to 0.0.0.0/0; list the admitted ranges "
                    "or set allowPublicAccessFromAnywhere: true",
                    [],
                )
            if open_to_all:
                raise KeyRuleError(
                    "publicAccessCidrs",
                    "0.0.0.0/0 opens the API server to the internet; set allowPublicAccessFromAnywhere: "
                    "true to mean it",
                    list(self.public_access_cidrs),
                )
        if self.allow_public_access_from_anywhere and not self.public_access:
            raise KeyRuleError("allowPublicAccessFromAnywhere", "has no effect while publicAccess is false", True)
        return self

    @model_validator(mode="after")
    def _deployer_has_a_path(self) -> EndpointSettings:
        """`pulumi up` talks to the API server (every Helm release and Kubernetes object), and the
        private endpoint is always on. With private access on, a caller inside the VPC (or in a
        connected network resolving names through it, e.g. a Route 53 Resolver forwarding rule)
        reaches the private endpoint whatever `publicAccess` says ("when you enable private access, Kubernetes API requests
        from within your cluster's VPC use the private VPC endpoint",
        https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html), and
        `publicAccessCidrs` never apply there. The security group EKS puts on the control plane
        admits only itself (https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html),
        so that caller needs an ingress rule on 443 ("Accessing a private only API server",
        same page). Only a deployer that stays outside every connected network, said explicitly
        with `deployerOutsideConnectedNetworks`, does without one."""
        has_private_sources = bool(self.private_access_cidrs or self.private_access_security_group_ids)
        if self.deployer_outside_connected_networks:
            if not self.public_access:
                raise KeyRuleError(
                    "deployerOutsideConnectedNetworks",
                    "a deployer outside every connected network needs the public endpoint; set "
                    "publicAccess: true with publicAccessCidrs (the deployer's egress addresses)",
                    True,
                )
            if has_private_sources:
                raise KeyRuleError(
                    "deployerOutsideConnectedNetworks",
                    "contradicts privateAccessCidrs / privateAccessSecurityGroupIds (a deployer on a "
                    "connected network); remove one or the other",
                    True,
                )
            return self
        if not has_private_sources:
            reach = (
                "with publicAccess: true a deployer inside the VPC or a connected network (such as the "
                "in-VPC CI runner) still resolves the endpoint to the private one, where "
                "publicAccessCidrs never apply"
                if self.public_access
                else "a private-only endpoint (publicAccess: false) leaves `pulumi up` no way to reach "
                "the API server"
            )
            raise KeyRuleError(
                "privateAccessCidrs",
                f"{reach}; add privateAccessCidrs (the deployer's network: its subnet range inside the "
                "VPC for a runner there, or a network connected to it) or privateAccessSecurityGroupIds"
                + (
                    ", or set deployerOutsideConnectedNetworks: true if every deploy comes from outside"
                    if self.public_access
                    else ", or, if every deploy comes from outside, publicAccess: true with "
                    "publicAccessCidrs (the deployer's egress addresses) and "
                    "deployerOutsideConnectedNetworks: true"
                ),
                None,
                False,
            )
        return self

    def admitted_cidrs(self) -> tuple[str, ...]:
        if not self.public_access:
            return ()
        return self.public_access_cidrs or ("0.0.0.0/0",)


class SystemPoolSettings(Section):
    """The EKS managed, on-demand node group reserved for cluster add-ons."""

    instance_types: tuple[str, ...] = Field(
        ("m6a.large", "m6i.large", "m7i.large"),
        min_length=1,
        description="On-demand types of one shape, in order of preference. Default "
        "`m6a.large, m6i.large, m7i.large` (2 vCPU, 8 GiB).",
    )
    min_size: int = Field(2, ge=1, le=10, description="Fewest nodes. Default `2` (one per zone for the add-ons' replicas).")
    max_size: int = Field(3, ge=1, le=10, description="Most nodes. Default `3`.")

    @model_validator(mode="after")
    def _consistent(self) -> SystemPoolSettings:
        problems = pool_type_problems(self.instance_types, carries_spot=False)
        if problems:
            raise KeyRuleError("instanceTypes", "; ".join(problems), list(self.instance_types))
        if self.min_size > self.max_size:
            raise KeyRuleError("minSize", f"is above maxSize ({self.max_size})", self.min_size)
        return self


class GpuPoolSettings(Section):
    """An optional NVIDIA pool (worker pool named `gpu`), spot-first."""

    enabled: bool = Field(False, description="Create the GPU pool. Default `false`.")
    instance_types: tuple[str, ...] = Field(
        ("g6.xlarge", "g5.xlarge", "g4dn.xlarge"),
        min_length=1,
        description="Single-GPU types of one shape. Default `g6.xlarge, g5.xlarge, g4dn.xlarge` "
        "(4 vCPU, 16 GiB, 1 GPU). A deliberate deviation from the 4-type rule for spot pools: a "
        "spot GPU pool needs 3, because the price table holds exactly three single-GPU types of "
        "each shape and a fourth would mix shapes, which the autoscaler cannot size; fewer spot "
        "capacity pools means more interruptions, offset by the on-demand settings below.",
    )
    on_demand_base_capacity: int = Field(0, ge=0, le=20, description="On-demand GPU instances before any spot (ceil(base / zones) per zonal group). Default `0`.")
    on_demand_percentage_above_base_capacity: int = Field(
        0, ge=0, le=100, description="On-demand share above the base, in percent. Default `0` (spot-first)."
    )
    min_size: int = Field(0, ge=0, le=20, description="Fewest GPU nodes (ceil(minSize / zones) per zonal group). Default `0` (scale from zero).")
    max_size: int = Field(2, ge=1, le=20, description="Most GPU nodes (ceil(maxSize / zones) per zonal group). Default `2`.")
    root_volume_gib: int = Field(100, ge=50, le=1000, description="gp3 root volume (model images are large). Default `100`.")

    @model_validator(mode="after")
    def _consistent(self) -> GpuPoolSettings:
        problems = pool_type_problems(
            self.instance_types,
            carries_spot=carries_spot(self.on_demand_percentage_above_base_capacity),
            gpu=True,
        )
        if problems:
            raise KeyRuleError("instanceTypes", "; ".join(problems), list(self.instance_types))
        if self.min_size > self.max_size:
            raise KeyRuleError("minSize", f"is above maxSize ({self.max_size})", self.min_size)
        return self


class AutoscalingSettings(Section):
    """cluster-autoscaler and metrics-server."""

    autoscaler_replicas: int = Field(
        1,
        ge=1,
        le=3,
        description="Pods of the capacity engine's controller, cluster-autoscaler or Karpenter (one "
        "active, leader-elected; Karpenter's chart puts each on its own system node). Default `1`.",
    )
    scale_down_unneeded_minutes: int = Field(
        10, ge=1, le=60, description="Minutes a node must be unneeded before the autoscaler removes it. Default `10`."
    )
    max_node_provision_minutes: int = Field(
        10,
        ge=3,
        le=30,
        description="Minutes a pool may take to deliver a node before the autoscaler tries the "
        "next priority tier (e.g. on-demand when spot is short). Default `10`.",
    )
    metrics_server_replicas: int = Field(1, ge=1, le=3, description="metrics-server pods. Default `1`.")


class ClusterSettings(Section):
    """The EKS cluster."""

    kubernetes_version: str = Field(
        "1.35",
        description="Kubernetes minor version, e.g. `1.35` (standard support until "
        f"{END_OF_STANDARD_SUPPORT['1.35']}). Default `1.35`.",
    )
    support_type: Literal["STANDARD", "EXTENDED"] = Field(
        "STANDARD",
        description="`STANDARD`: EKS upgrades the control plane when standard support ends, so "
        "the cluster never pays the extended-support rate (0.60 USD/h instead of 0.10). Default `STANDARD`.",
    )
    admin_role_arns: tuple[str, ...] = Field(
        min_length=1,
        description="IAM roles given cluster-admin through access entries (the people who operate "
        "the cluster). The creator gets no implicit admin; the role running `pulumi up` gets its own "
        "entry (see `deployerRoleArn`), so it need not be listed. Required, at least one.",
    )
    deployer_role_arn: str | None = Field(
        None,
        description="The IAM role that runs `pulumi up`, given a cluster-admin access entry (it "
        "installs the Helm releases and Kubernetes objects). Set, an update run as any other "
        "identity stops before declaring anything, so the entry never moves to whoever ran last. "
        "Default unset: the caller's role, found with `sts:GetCallerIdentity` (an assumed-role "
        "session counts as its role).",
    )
    endpoint: EndpointSettings = Field(
        description="API server endpoint access, and the deployer's path to it. Required: no "
        "default reaches a new account's cluster (see `privateAccessCidrs`, `publicAccessCidrs`).",
    )
    preview_role_arns: tuple[str, ...] = Field(
        (),
        description="IAM roles of the pull request previews (`AWS_PREVIEW_ROLE_ARN_<STACK>`), given "
        "read-only access to the cluster (EKS access entry, AmazonEKSViewPolicy, cluster scope) so "
        "a preview reaches the API server (its schemas; the diff stays against the Pulumi state); "
        "no write, no Secrets. Default none.",
    )
    log_retention_days: RetentionDays = Field(
        90, description="Retention of the control-plane log group (api, audit, authenticator), in days. Default `90`."
    )
    deletion_protection: bool = Field(True, description="EKS refuses to delete the cluster while on. Default `true`.")
    addons: AddonSettings = Field(default_factory=AddonSettings, description="Managed add-on versions.")
    system_pool: SystemPoolSettings = Field(default_factory=SystemPoolSettings, description="The system node group.")
    gpu_pool: GpuPoolSettings = Field(default_factory=GpuPoolSettings, description="The optional GPU pool.")
    autoscaling: AutoscalingSettings = Field(
        default_factory=AutoscalingSettings, description="cluster-autoscaler and metrics-server."
    )
    capacity_engine: Literal["cluster-autoscaler", "karpenter"] = Field(
        "cluster-autoscaler",
        description="What launches worker nodes. `cluster-autoscaler`: one self-managed Auto "
        "Scaling group per pool and zone, the node termination handler and lifecycle hooks. "
        "`karpenter`: Karpenter's NodePools and EC2NodeClasses, with its own interruption "
        "handling; no worker groups, no autoscaler, no handler. The system pool stays either way. "
        "See docs/karpenter.md. Default `cluster-autoscaler`.",
    )
    karpenter: KarpenterSettings = Field(
        default_factory=KarpenterSettings, description="Karpenter, with `capacityEngine: karpenter`."
    )

    @field_validator("kubernetes_version")
    @classmethod
    def _supported_version(cls, value: str) -> str:
        if not _MINOR_VERSION.match(value):
            raise ValueError("must be a Kubernetes minor version such as 1.35")
        if value not in END_OF_STANDARD_SUPPORT:
            raise ValueError(
                f"is not in the EKS support calendar (components/cluster/eks_versions.py): "
                f"{', '.join(known_versions())}"
            )
        if value not in CHART_FOR_KUBERNETES:
            raise ValueError(
                f"no cluster-autoscaler release is pinned for {value}; supported: "
                f"{', '.join(sorted(CHART_FOR_KUBERNETES))}"
            )
        return value

    @field_validator("admin_role_arns", "preview_role_arns")
    @classmethod
    def _role_arns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [arn for arn in value if not _ROLE_ARN.match(arn)]
        if bad:
            raise ValueError(f"not IAM role ARNs: {', '.join(bad)}")
        refuse_repeats(value)  # EKS takes one access entry per principal
        return value

    @field_validator("deployer_role_arn")
    @classmethod
    def _deployer_role_arn(cls, value: str | None) -> str | None:
        if value is not None and not _ROLE_ARN.match(value):
            raise ValueError("must be an IAM role ARN such as arn:aws:iam::123456789012:role/deployer")
        return value

    @model_validator(mode="after")
    def _one_access_entry_per_role(self) -> ClusterSettings:
        # By principal, not by string: a role's ARN with and without its path is one principal
        # (`components.cluster.principals.principal_key`).
        admins = {principal_key(arn) for arn in (*self.admin_role_arns, self.deployer_role_arn) if arn}
        both = sorted(arn for arn in self.preview_role_arns if principal_key(arn) in admins)
        if both:
            raise KeyRuleError(
                "previewRoleArns",
                "EKS allows one access entry per principal; a role in adminRoleArns or deployerRoleArn is already admin",
                both,
            )
        return self

    @model_validator(mode="after")
    def _kube_proxy_matches(self) -> ClusterSettings:
        minor = ".".join(self.addons.kube_proxy.removeprefix("v").split(".")[:2])
        if minor != self.kubernetes_version:
            raise KeyRuleError(
                "addons.kubeProxy",
                f"kube-proxy {minor} does not match kubernetesVersion {self.kubernetes_version}",
                self.addons.kube_proxy,
            )
        return self
