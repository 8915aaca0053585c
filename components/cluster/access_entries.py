"""Who may reach the EKS API: one access entry per principal, admins and read-only viewers, and
no invisible creator-admin grant. Pure functions on ARNs, tested without Pulumi."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import pulumi

from components.cluster.principals import principal_key

CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
# Read-only on most Kubernetes objects, no Secrets (EKS user guide, "Review access policy
# permissions": AmazonEKSViewPolicy). What a preview needs to reach the API server, and nothing
# that writes: pulumi-kubernetes previews against a reachable API server, and where a server-side
# dry-run is refused (403) it computes that object's diff client-side (provider.go, Create/Update
# with `req.GetPreview()` and `apierrors.IsForbidden`).
CLUSTER_VIEW_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"


PULUMI_EKS_IN_CLUSTER_OPTIONS = (
    "roleMappings",
    "userMappings",
    "instanceRoles",
    "storageClasses",
    "vpcCniOptions",
    "fargate",
    "enableConfigMapMutable",
)
"""pulumi-eks `Cluster` options under which pulumi-eks itself deploys objects into the cluster
through its own kubeconfig (the aws-auth ConfigMap, StorageClasses, its VPC CNI, the Fargate
profile's CoreDNS changes; v4 `nodejs/eks/cluster/cluster.ts`). They are the only reason it
needs the creator-admin grant `disable_creator_admin` removes, so none may be set; nor may
`useDefaultVpcCni` be false or an authentication mode that uses the ConfigMap be chosen. A test
holds the declared cluster to that."""


def disable_creator_admin(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    """pulumi-eks always asks EKS to make the cluster's creator an admin
    (`accessConfig.bootstrapClusterCreatorAdminPermissions: true` whenever an authentication
    mode is set; pulumi-eks nodejs/eks/cluster/cluster.ts, v4.x). That grant is invisible,
    cannot be changed after creation and outlives whoever ran the first deploy, so this
    transform turns it off on the component's `aws:eks/cluster:Cluster` child; admins come
    only from explicit access entries.

    pulumi-eks wants the grant only because it may deploy in-cluster objects itself; safe only
    while none of `PULUMI_EKS_IN_CLUSTER_OPTIONS` is used (every in-cluster object here goes
    through `EksCluster.kubernetes_provider`, as an admin role from access entries)."""
    if args.type_ != "aws:eks/cluster:Cluster":
        return None
    props = dict(args.props)
    access_config = dict(props.get("accessConfig") or {})
    access_config["bootstrapClusterCreatorAdminPermissions"] = False
    props["accessConfig"] = access_config
    return pulumi.ResourceTransformResult(props=props, opts=args.opts)


def access_entry_name(arn: str) -> str:
    """A resource name that depends on the principal alone: `access-<name>-<hash>`, the hash over
    `principal_key` (so two accounts' roles of one name differ), whatever the principal's policy.
    Reordering `adminRoleArns` or `previewRoleArns`, the deployer becoming an admin role, or a
    viewer becoming an admin, leaves every principal under the same resource, so no update
    creates a second entry for a principal before deleting the first (EKS refuses it:
    ResourceInUseException)."""
    key = principal_key(arn)
    name = key.rsplit("/", 1)[1][:32]
    return f"access-{name}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"


def admin_entries(admin_role_arns: Sequence[str], deployer_principal_arn: str | None) -> dict[str, str]:
    """Access entry name (`access_entry_name`) -> principal ARN, one per principal: every admin
    role and the identity running `pulumi up`. An IAM principal can be in one access entry only
    (https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html), so ARNs of
    one principal (`principal_key`) make one entry; its ARN is the one with a path when one has it
    (the deployer's is the STS issuer ARN, the role's full ARN, which EKS matches the caller to),
    the deployer's on a tie. Sorted by name, so the order of `adminRoleArns` changes nothing."""
    chosen: dict[str, str] = {}
    candidates = [*admin_role_arns, *([deployer_principal_arn] if deployer_principal_arn else [])]
    for arn in candidates:
        key = principal_key(arn)
        held = chosen.get(key)
        if held is None or arn.count("/") >= held.count("/"):
            chosen[key] = arn
    return dict(sorted((access_entry_name(arn), arn) for arn in chosen.values()))


def viewer_entries(viewer_role_arns: Sequence[str], admins: Mapping[str, str]) -> dict[str, str]:
    """Access entry name -> principal ARN for the read-only roles, one per principal, leaving
    out any principal `admins` (from `admin_entries`) already holds: the config refuses a role
    both admin and viewer, but an unpinned deployer previewing as a viewer role is one, and
    its admin entry must be the only one."""
    held = {principal_key(arn) for arn in admins.values()}
    chosen: dict[str, str] = {}
    for arn in viewer_role_arns:
        key = principal_key(arn)
        if key not in held and (key not in chosen or arn.count("/") > chosen[key].count("/")):
            chosen[key] = arn
    return dict(sorted((access_entry_name(arn), arn) for arn in chosen.values()))
