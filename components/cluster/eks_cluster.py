"""The EKS cluster: a hardened control plane, its managed add-ons and the system pool."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pulumi_kubernetes as k8s

from components.cluster.access_entries import (
    CLUSTER_ADMIN_POLICY,
    CLUSTER_VIEW_POLICY,
    admin_entries,
    disable_creator_admin,
    viewer_entries,
)
from components.cluster.control_plane_policies import (
    cluster_trust_policy,
    secrets_key_policy,
    secrets_key_use_policy,
)
from components.cluster.managed_addons import (
    AddonVersions,
    coredns_configuration,
    ebs_csi_configuration,
    vpc_cni_configuration,
)
from components.cluster.principals import principal_key
from components.cluster.system_node_pool import SystemNodePool, SystemNodePoolArgs
from components.cluster.workload_role import WorkloadRole, WorkloadRoleArgs

CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator")
"""Who called the API, what changed, and who authenticated; `controllerManager` and
`scheduler` are left off: noisy, rarely read, and billed per GB ingested."""

CLUSTER_POLICY = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
CNI_POLICY = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"
EBS_CSI_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
STS_AUDIENCE = "sts.amazonaws.com"



@dataclass(frozen=True, kw_only=True)
class EksClusterArgs:
    """Inputs of `EksCluster`."""

    cluster_name: str
    """EKS cluster name; also names the control-plane log group."""
    kubernetes_version: str
    """Kubernetes minor version, e.g. "1.35"."""
    account_id: str
    """The AWS account (the secrets key's administrator)."""
    vpc_id: pulumi.Input[str]
    """The VPC."""
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Private subnets for the control plane's network interfaces and the system pool."""
    addon_versions: AddonVersions
    """Pinned versions of the managed add-ons."""
    admin_role_arns: Sequence[str]
    """IAM roles given cluster-admin through access entries (people and break-glass roles)."""
    deployer_principal_arn: str | None = None
    """The IAM role (or user) that runs `pulumi up`, given cluster-admin too: it installs every
    Kubernetes object through `kubernetes_provider`, and nothing else makes it admin. One entry
    only when it is also an admin role (EKS refuses a second entry for a principal). Default
    none (a component test's cluster; the program always passes it)."""
    system_instance_types: Sequence[str]
    """On-demand types of the system pool, one shape, in order of preference."""
    viewer_role_arns: Sequence[str] = ()
    """IAM roles given read-only access (AmazonEKSViewPolicy, cluster scope), e.g. the pull
    request previews' role. Default none."""
    system_min_size: int = 2
    """Fewest system nodes. Default 2."""
    system_max_size: int = 3
    """Most system nodes. Default 3."""
    public_endpoint: bool = False
    """Expose the API server publicly as well as privately. Default off."""
    public_access_cidrs: Sequence[str] = ()
    """With `public_endpoint`, the only sources admitted. Default none (required then)."""
    private_access_cidrs: Sequence[str] = ()
    """Sources admitted to the private endpoint on 443, by CIDR. Default none."""
    private_access_security_group_ids: Sequence[str] = ()
    """Sources admitted to the private endpoint on 443, by security group. Default none."""
    log_retention_days: int = 90
    """Retention of the control-plane log group. Default 90 days."""
    support_type: Literal["STANDARD", "EXTENDED"] = "STANDARD"
    """`STANDARD`: EKS upgrades the control plane when standard support ends, so the cluster is
    never billed the extended-support rate (0.60 USD/h instead of 0.10). Default `STANDARD`."""
    deletion_protection: bool = True
    """Refuse to delete the cluster until this is turned off. Default on."""
    cost_tags: Mapping[str, str] = field(default_factory=dict)
    """Cost tags for what EKS launches (system pool instances and volumes). Default none."""

    def problems(self) -> list[str]:
        found = []
        if not self.admin_role_arns:
            found.append("at least one admin role is required: the creator is not made admin")
        if {principal_key(arn) for arn in self.viewer_role_arns} & {principal_key(arn) for arn in self.admin_role_arns}:
            found.append("a role cannot be both admin and viewer: EKS allows one access entry per principal")
        if self.public_endpoint and not self.public_access_cidrs:
            found.append("a public endpoint needs public_access_cidrs (EKS would admit 0.0.0.0/0)")
        if self.public_access_cidrs and not self.public_endpoint:
            found.append("public_access_cidrs given but the public endpoint is off")
        if not self.public_endpoint and not (self.private_access_cidrs or self.private_access_security_group_ids):
            found.append("a private-only endpoint needs private_access_cidrs or private_access_security_group_ids")
        return found


class EksCluster(pulumi.ComponentResource):
    """An EKS cluster hardened by default, with its managed add-ons and on-demand system pool.

    Creates:
    - a customer-managed KMS key (rotation on) that envelope-encrypts Kubernetes Secrets, and
      the cluster IAM role allowed to use it;
    - the control-plane log group `/aws/eks/<name>/cluster` with a retention, before the
      cluster (EKS would otherwise create it with none), and `api`, `audit`, `authenticator`
      logs;
    - the pulumi-eks `Cluster`: authentication mode `API` (access entries, no aws-auth
      ConfigMap), no creator-admin grant (`disable_creator_admin`), private endpoint on, public
      endpoint off or limited to CIDRs, no default node group, no add-ons of its own;
    - with private access sources, a security group on the control plane admitting them on 443
      (the deployer's path to a private endpoint);
    - an IAM OIDC provider for IRSA, and a cluster-admin access entry per admin role and for the
      deployer (`admin_entries`);
    - a Kubernetes provider from the cluster's kubeconfig, for every in-cluster object, once the
      admin grants exist;
    - managed add-ons at pinned versions: vpc-cni (its own IRSA role with the CNI policy, so
      nodes do not carry it; network policy enforcement on) and kube-proxy before any node, then the system pool, then
      CoreDNS and the EBS CSI driver (IRSA role) placed on it, and an encrypted gp3 default
      StorageClass.
    """

    cluster_name: pulumi.Output[str]
    kubernetes_version: str
    kubernetes_provider: k8s.Provider
    kubeconfig: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    certificate_authority: pulumi.Output[str]
    service_cidr: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_issuer: pulumi.Output[str]
    cluster_security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None):
        problems = args.problems()
        if problems:
            raise ValueError(f"cluster {args.cluster_name!r}: " + "; ".join(problems))
        super().__init__("mlplatform:cluster:EksCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.kubernetes_version = args.kubernetes_version

        secrets_key = aws.kms.Key(
            f"{name}-secrets-key",
            description=f"Envelope encryption of Kubernetes Secrets in {args.cluster_name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=json.dumps(secrets_key_policy(args.account_id)),
            opts=child,
        )
        cluster_role = aws.iam.Role(
            f"{name}-cluster-role",
            assume_role_policy=json.dumps(cluster_trust_policy()),
            description=f"EKS control plane of {args.cluster_name}",
            opts=child,
        )
        role_child = pulumi.ResourceOptions(parent=cluster_role)
        cluster_policy = aws.iam.RolePolicyAttachment(
            f"{name}-cluster-policy", role=cluster_role.name, policy_arn=CLUSTER_POLICY, opts=role_child
        )
        key_use = aws.iam.RolePolicy(
            f"{name}-secrets-key-use",
            role=cluster_role.id,
            policy=secrets_key.arn.apply(lambda arn: json.dumps(secrets_key_use_policy(arn))),
            opts=role_child,
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs",
            name=f"/aws/eks/{args.cluster_name}/cluster",
            retention_in_days=args.log_retention_days,
            opts=child,
        )

        api_access = self._api_access_group(name, args)
        cluster = eks.Cluster(
            f"{name}-eks",
            name=args.cluster_name,
            version=args.kubernetes_version,
            vpc_id=args.vpc_id,
            private_subnet_ids=args.subnet_ids,
            endpoint_private_access=True,
            endpoint_public_access=args.public_endpoint,
            public_access_cidrs=list(args.public_access_cidrs) or None,
            authentication_mode=eks.AuthenticationMode.API,
            skip_default_node_group=True,
            service_role=cluster_role,
            encryption_config_key_arn=secrets_key.arn,
            enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
            # Every add-on is an EKS managed add-on declared below at a pinned version; nothing
            # unmanaged is installed behind them.
            bootstrap_self_managed_addons=False,
            # Also what keeps pulumi-eks from declaring its own VPC CNI custom resource, which
            # takes no provider and so trips `pulumi:disable-default-providers` (pulumi/pulumi-eks
            # #1294, whose workaround this is).
            use_default_vpc_cni=True,
            kube_proxy_addon_options=eks.KubeProxyAddonOptionsArgs(enabled=False),
            coredns_addon_options=eks.CoreDnsAddonOptionsArgs(enabled=False),
            create_oidc_provider=False,
            # No security groups of pulumi-eks's own: its node group carries the
            # `kubernetes.io/cluster/<name>` tag, as does the group EKS creates, and the load
            # balancer controller refuses a network interface with two such groups. Every node
            # (and pod) carries the EKS cluster security group only.
            skip_default_security_groups=True,
            # The deployer's way in, on the control plane's interfaces only (pulumi-eks v4
            # `createCore` puts `clusterSecurityGroup` in `vpcConfig.securityGroupIds`; EKS adds
            # such groups to its interfaces, not to nodes: sec-group-reqs.html).
            cluster_security_group=api_access,
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type=args.support_type),
            deletion_protection=args.deletion_protection,
            opts=pulumi.ResourceOptions(
                parent=self,
                transforms=[disable_creator_admin],
                depends_on=[log_group, cluster_policy, key_use],
            ),
        )
        eks_cluster = cluster.eks_cluster
        self.cluster_name = eks_cluster.name
        self.endpoint = eks_cluster.endpoint
        self.certificate_authority = eks_cluster.certificate_authority.apply(lambda ca: ca.data)
        self.service_cidr = eks_cluster.kubernetes_network_config.apply(lambda config: config.service_ipv4_cidr)
        self.oidc_issuer = eks_cluster.identities.apply(lambda identities: identities[0].oidcs[0].issuer)
        self.cluster_security_group_id = eks_cluster.vpc_config.apply(lambda config: config.cluster_security_group_id)
        self.kubeconfig = pulumi.Output.secret(cluster.kubeconfig_json)

        oidc_provider = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=self.oidc_issuer,
            client_id_lists=[STS_AUDIENCE],
            opts=child,
        )
        self.oidc_provider_arn = oidc_provider.arn

        admin_entries_by_name = admin_entries(args.admin_role_arns, args.deployer_principal_arn)
        admin_grants = [
            self._cluster_access(f"{name}-{entry_name}", principal)
            for entry_name, principal in admin_entries_by_name.items()
        ]

        for entry_name, principal in viewer_entries(args.viewer_role_arns, admin_entries_by_name).items():
            self._cluster_access(f"{name}-{entry_name}", principal, policy_arn=CLUSTER_VIEW_POLICY)

        # Every in-cluster object goes through this provider with the deployer's credentials, and
        # EKS authorizes a principal only once its access entry and policy association exist
        # (https://docs.aws.amazon.com/eks/latest/userguide/access-entries.html), so the provider
        # waits for the admin grants. That orders the calls; it does not prove the grant has
        # propagated: an association can take a short while to be honoured after the API
        # answers (reported for access entries; EKS documents no bound). In practice the first
        # Kubernetes object (the gp3 StorageClass below, then the Helm releases) comes only
        # after the system pool's nodes join and the EBS CSI add-on is active, minutes later. No
        # explicit wait: pulumi-aws has no sleep resource, and pulumi-time's `Sleep` would add
        # another provider plugin (and, with default providers disabled, another explicit
        # provider) to guard a gap the add-on ordering already covers; a 401/403 there is
        # retried by rerunning `pulumi up`.
        self.kubernetes_provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self.kubeconfig,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=admin_grants),
        )

        cni_role = WorkloadRole(
            f"{name}-vpc-cni",
            WorkloadRoleArgs(
                oidc_provider_arn=self.oidc_provider_arn,
                oidc_issuer=self.oidc_issuer,
                namespace="kube-system",
                service_account="aws-node",
                managed_policy_arns=(CNI_POLICY,),
                description="VPC CNI: pod network interfaces and addresses",
            ),
            opts=child,
        )
        vpc_cni = self._addon(
            name, "vpc-cni", args.addon_versions.vpc_cni, role_arn=cni_role.role_arn, configuration=vpc_cni_configuration()
        )
        kube_proxy = self._addon(name, "kube-proxy", args.addon_versions.kube_proxy)

        system_pool = SystemNodePool(
            f"{name}-system",
            SystemNodePoolArgs(
                cluster_name=self.cluster_name,
                kubernetes_version=args.kubernetes_version,
                subnet_ids=args.subnet_ids,
                instance_types=args.system_instance_types,
                min_size=args.system_min_size,
                max_size=args.system_max_size,
                cost_tags=args.cost_tags,
            ),
            # Nodes become Ready only once the CNI and kube-proxy run.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[vpc_cni, kube_proxy]),
        )
        self._addon(name, "coredns", args.addon_versions.coredns, configuration=coredns_configuration(), after=[system_pool])
        ebs_role = WorkloadRole(
            f"{name}-ebs-csi",
            WorkloadRoleArgs(
                oidc_provider_arn=self.oidc_provider_arn,
                oidc_issuer=self.oidc_issuer,
                namespace="kube-system",
                service_account="ebs-csi-controller-sa",
                managed_policy_arns=(EBS_CSI_POLICY,),
                description="EBS CSI controller: create, attach and delete volumes",
            ),
            opts=child,
        )
        ebs_csi = self._addon(
            name,
            "aws-ebs-csi-driver",
            args.addon_versions.ebs_csi_driver,
            role_arn=ebs_role.role_arn,
            configuration=ebs_csi_configuration(),
            after=[system_pool],
        )
        k8s.storage.v1.StorageClass(
            f"{name}-gp3",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="gp3", annotations={"storageclass.kubernetes.io/is-default-class": "true"}
            ),
            provisioner="ebs.csi.aws.com",
            parameters={"type": "gp3", "encrypted": "true"},
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            reclaim_policy="Delete",
            opts=pulumi.ResourceOptions(parent=self, provider=self.kubernetes_provider, depends_on=[ebs_csi]),
        )

        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "kubernetes_version": self.kubernetes_version,
                "kubernetes_provider": self.kubernetes_provider,
                "kubeconfig": self.kubeconfig,
                "endpoint": self.endpoint,
                "certificate_authority": self.certificate_authority,
                "service_cidr": self.service_cidr,
                "oidc_provider_arn": self.oidc_provider_arn,
                "oidc_issuer": self.oidc_issuer,
                "cluster_security_group_id": self.cluster_security_group_id,
            }
        )

    def _api_access_group(self, name: str, args: EksClusterArgs) -> aws.ec2.SecurityGroup | None:
        """With private access sources, a security group admitting them on 443, for the control
        plane alone. Not the cluster security group EKS creates: that one is on every node and
        pod too, and a rule there would open their port 443 to the same sources. It carries no
        `kubernetes.io/cluster/<name>` tag, so the load balancer controller never picks it.
        Adding it to a running cluster, or removing it (a bootstrap through the public endpoint
        turning private later), is an in-place `UpdateClusterConfig`, not a replacement
        (hashicorp/terraform-provider-aws `internal/service/eks/cluster.go`,
        `resourceClusterUpdate` on `vpc_config.0.security_group_ids`)."""
        if not (args.private_access_cidrs or args.private_access_security_group_ids):
            return None
        group = aws.ec2.SecurityGroup(
            f"{name}-api-access",
            vpc_id=args.vpc_id,
            description=f"HTTPS to the {args.cluster_name} API server from its deployers",
            tags={"Name": f"{args.cluster_name}-api-access"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        sources = [("cidr", cidr) for cidr in args.private_access_cidrs]
        sources += [("sg", group_id) for group_id in args.private_access_security_group_ids]
        for kind, source in sources:
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-api-access-{source.replace('/', '-')}",
                security_group_id=group.id,
                description=f"Kubernetes API from {source}",
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                cidr_ipv4=source if kind == "cidr" else None,
                referenced_security_group_id=source if kind == "sg" else None,
                opts=pulumi.ResourceOptions(parent=group),
            )
        return group

    def _cluster_access(
        self, name: str, principal_arn: str, *, policy_arn: str = CLUSTER_ADMIN_POLICY
    ) -> aws.eks.AccessPolicyAssociation:
        """A STANDARD access entry for one principal and, cluster-wide, the cluster-admin policy
        on it (or `policy_arn`: the viewers get AmazonEKSViewPolicy)."""
        # The name follows the principal (`access_entry_name`), so only a different ARN for one
        # principal (a path added) replaces an entry; EKS refuses a second entry for it
        # (ResourceInUseException), so the old one goes first.
        entry = aws.eks.AccessEntry(
            name,
            cluster_name=self.cluster_name,
            principal_arn=principal_arn,
            type="STANDARD",
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )
        return aws.eks.AccessPolicyAssociation(
            f"{name}-policy",
            cluster_name=self.cluster_name,
            principal_arn=entry.principal_arn,
            policy_arn=policy_arn,
            access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
            opts=pulumi.ResourceOptions(parent=entry, delete_before_replace=True),
        )

    def _addon(
        self,
        name: str,
        addon_name: str,
        version: str,
        *,
        role_arn: pulumi.Input[str] | None = None,
        configuration: dict | None = None,
        after: Sequence[pulumi.Resource] = (),
    ) -> aws.eks.Addon:
        return aws.eks.Addon(
            f"{name}-{addon_name}",
            cluster_name=self.cluster_name,
            addon_name=addon_name,
            addon_version=version,
            service_account_role_arn=role_arn,
            configuration_values=json.dumps(configuration) if configuration else None,
            # The version and configuration here are the truth; edits made in the cluster are
            # overwritten, not merged.
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(after)),
        )

