"""EksCluster under mocks: control-plane hardening, identity, add-ons and the system pool.

pulumi-eks `Cluster` is a remote component; the offline harness (mlp/mock_eks.py) models its
`aws:eks/cluster:Cluster` child and runs the component's transforms on it, as the engine would.
"""

import json

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.cluster.access_entries import (
    CLUSTER_ADMIN_POLICY,
    access_entry_name,
    admin_entries,
    disable_creator_admin,
    viewer_entries,
)
from components.cluster.eks_cluster import CNI_POLICY, EBS_CSI_POLICY, EksCluster, EksClusterArgs
from components.cluster.managed_addons import AddonVersions
from components.nodes.placement import POOL_LABEL

VERSIONS = AddonVersions(
    vpc_cni="v1.22.3-eksbuild.1", coredns="v1.13.2-eksbuild.21", kube_proxy="v1.35.3-eksbuild.18", ebs_csi_driver="v1.58.0-eksbuild.1"
)
ADMIN = "arn:aws:iam::123456789012:role/platform-admin"
RUNNERS = "10.99.0.0/24"


def _args(**overrides):
    args = dict(
        cluster_name="mlp-unit",
        kubernetes_version="1.35",
        account_id="123456789012",
        vpc_id="vpc-123",
        subnet_ids=["subnet-a", "subnet-b", "subnet-c"],
        addon_versions=VERSIONS,
        admin_role_arns=[ADMIN],
        private_access_cidrs=[RUNNERS],
        system_instance_types=["m6a.large", "m6i.large"],
        cost_tags={"project": "ml-platform"},
    )
    args.update(overrides)
    return EksClusterArgs(**args)


@pytest.fixture(scope="module")
def cluster_run():
    """One declaration, shared: the cluster, and the outputs resolved under the same mocks."""
    from mlp.plan import declare_offline

    seen = {}

    def build():
        cluster = EksCluster("cluster", _args())
        seen["kubernetes_version"] = cluster.kubernetes_version
        seen["provider"] = cluster.kubernetes_provider
        pulumi.Output.all(
            cluster.cluster_name,
            cluster.endpoint,
            cluster.certificate_authority,
            cluster.service_cidr,
            cluster.oidc_provider_arn,
            cluster.oidc_issuer,
            cluster.cluster_security_group_id,
            cluster.kubeconfig,
        ).apply(lambda values: seen.update(outputs=values))
        seen["kubeconfig_output"] = cluster.kubeconfig

    inventory = declare_offline(build, project="ml-platform", stack="unit")
    return inventory, seen


def test_control_plane_is_private_api_authenticated_encrypted_and_logged(cluster_run):
    inventory, _ = cluster_run
    (component,) = inventory.of_type("eks:index:Cluster")
    inputs = component.inputs
    assert inputs["authenticationMode"] == "API"
    assert inputs["endpointPrivateAccess"] is True and inputs["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in inputs
    assert inputs["skipDefaultNodeGroup"] is True
    assert inputs["enabledClusterLogTypes"] == ["api", "audit", "authenticator"]
    assert inputs["name"] == "mlp-unit" and inputs["version"] == "1.35"
    (key,) = [k for k in inventory.of_type("aws:kms/key:Key") if k.name == "cluster-secrets-key"]
    assert key.inputs["enableKeyRotation"] is True
    assert inputs["encryptionConfigKeyArn"].startswith("arn:aws:kms:")
    (logs,) = inventory.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert logs.inputs["name"] == "/aws/eks/mlp-unit/cluster" and logs.inputs["retentionInDays"] == 90


def test_the_creator_is_not_made_admin(cluster_run):
    inventory, _ = cluster_run
    (child,) = inventory.of_type("aws:eks/cluster:Cluster")
    assert child.parent == inventory.of_type("eks:index:Cluster")[0].urn
    assert child.inputs["accessConfig"] == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False}


def test_the_transform_touches_only_the_eks_cluster():
    props = {"accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": True}}
    opts = pulumi.ResourceOptions()
    result = disable_creator_admin(pulumi.ResourceTransformArgs(True, "aws:eks/cluster:Cluster", "c", props, opts))
    assert result.props["accessConfig"]["bootstrapClusterCreatorAdminPermissions"] is False
    assert disable_creator_admin(pulumi.ResourceTransformArgs(True, "aws:iam/role:Role", "r", {}, opts)) is None


def test_admins_come_only_from_access_entries(cluster_run):
    inventory, _ = cluster_run
    admin_entries = [e for e in inventory.of_type("aws:eks/accessEntry:AccessEntry") if e.inputs["type"] == "STANDARD"]
    assert [e.inputs["principalArn"] for e in admin_entries] == [ADMIN]
    (association,) = inventory.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert association.inputs["policyArn"] == CLUSTER_ADMIN_POLICY
    assert association.inputs["accessScope"] == {"type": "cluster"}


def test_outputs_resolve_to_aws_shaped_values(cluster_run):
    _, seen = cluster_run
    name, endpoint, ca, cidr, oidc_arn, issuer, cluster_sg, kubeconfig = seen["outputs"]
    assert name == "mlp-unit" and seen["kubernetes_version"] == "1.35"
    assert endpoint.startswith("https://") and endpoint.endswith(".eks.amazonaws.com")
    assert cidr == "172.20.0.0/16" and ca
    assert issuer.startswith("https://oidc.eks.us-east-1.amazonaws.com/id/")
    assert oidc_arn == f"arn:aws:iam::123456789012:oidc-provider/{issuer.removeprefix('https://')}"
    assert cluster_sg.startswith("sg-")
    config = json.loads(kubeconfig)
    assert config["clusters"][0]["cluster"] == {"server": endpoint, "certificate-authority-data": ca}
    assert "get-token" in config["users"][0]["user"]["exec"]["args"]
    assert isinstance(seen["provider"], k8s.Provider)


def test_kubeconfig_is_secret(cluster_run):
    from pulumi.runtime.sync_await import _sync_await

    _, seen = cluster_run
    assert _sync_await(seen["kubeconfig_output"].is_secret())


def test_addons_are_pinned_and_cni_and_ebs_use_their_own_irsa_roles(cluster_run):
    inventory, _ = cluster_run
    addons = {a.inputs["addonName"]: a for a in inventory.of_type("aws:eks/addon:Addon")}
    assert {name: a.inputs["addonVersion"] for name, a in addons.items()} == {
        "vpc-cni": VERSIONS.vpc_cni,
        "kube-proxy": VERSIONS.kube_proxy,
        "coredns": VERSIONS.coredns,
        "aws-ebs-csi-driver": VERSIONS.ebs_csi_driver,
    }
    roles = {r.urn: r for r in inventory.of_type("aws:iam/role:Role")}
    attachments = inventory.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    for addon, policy, account in (("vpc-cni", CNI_POLICY, "aws-node"), ("aws-ebs-csi-driver", EBS_CSI_POLICY, "ebs-csi-controller-sa")):
        (attachment,) = [a for a in attachments if a.inputs["policyArn"] == policy]
        role = roles[attachment.parent]
        trust = json.loads(role.inputs["assumeRolePolicy"])
        condition = trust["Statement"][0]["Condition"]["StringEquals"]
        assert f"system:serviceaccount:kube-system:{account}" in condition.values(), addon
        assert addons[addon].inputs["serviceAccountRoleArn"].startswith("arn:aws:iam::"), addon
    coredns = json.loads(addons["coredns"].inputs["configurationValues"])
    assert coredns["nodeSelector"] == {POOL_LABEL: "system"}
    assert coredns["tolerations"][0]["key"] == "CriticalAddonsOnly"
    # The add-on schema takes the flag as a string; a boolean would be refused by EKS.
    assert json.loads(addons["vpc-cni"].inputs["configurationValues"]) == {"enableNetworkPolicy": "true"}


def test_the_system_pool_gets_the_cluster_subnets_and_waits_for_the_network_add_ons(cluster_run):
    """How the pool itself is built is tests/components/cluster/test_system_node_pool.py's."""
    inventory, _ = cluster_run
    (pool,) = inventory.of_type("mlplatform:cluster:SystemNodePool")
    (group,) = inventory.of_type("aws:eks/nodeGroup:NodeGroup")
    assert group.inputs["subnetIds"] == ["subnet-a", "subnet-b", "subnet-c"]
    assert group.inputs["instanceTypes"] == ["m6a.large", "m6i.large"]
    addons = {a.inputs["addonName"]: a.urn for a in inventory.of_type("aws:eks/addon:Addon")}
    assert {addons["vpc-cni"], addons["kube-proxy"]} <= set(pool.dependencies), f"{pool.name} does not wait for the CNI"


def test_default_storage_class_is_encrypted_gp3_through_the_cluster_provider(cluster_run):
    inventory, _ = cluster_run
    (storage_class,) = inventory.of_type("kubernetes:storage.k8s.io/v1:StorageClass")
    assert storage_class.inputs["parameters"] == {"type": "gp3", "encrypted": "true"}
    assert storage_class.provider == inventory.of_type("pulumi:providers:kubernetes")[0].urn


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"admin_role_arns": []}, "at least one admin role"),
        ({"public_endpoint": True}, "needs public_access_cidrs"),
        ({"public_access_cidrs": ["203.0.113.0/24"]}, "public endpoint is off"),
        ({"private_access_cidrs": []}, "private-only endpoint needs"),
    ],
)
def test_unsafe_combinations_are_refused(overrides, fragment):
    with pytest.raises(ValueError, match=fragment):
        EksCluster("cluster", _args(**overrides))


def test_a_public_endpoint_is_limited_to_the_given_cidrs(declare):
    inventory = declare(lambda: EksCluster("cluster", _args(public_endpoint=True, public_access_cidrs=["203.0.113.0/24"])))
    (component,) = inventory.of_type("eks:index:Cluster")
    assert component.inputs["endpointPublicAccess"] is True
    assert component.inputs["publicAccessCidrs"] == ["203.0.113.0/24"]


def test_pulumi_eks_declares_no_security_groups_and_answers_the_eks_group(cluster_run):
    from mlp.mock_eks import cluster_tagged_security_groups

    inventory, seen = cluster_run
    (component,) = inventory.of_type("eks:index:Cluster")
    assert component.inputs["skipDefaultSecurityGroups"] is True
    # The one group declared is the deployer's way in, on the control plane only.
    assert [group.name for group in inventory.of_type("aws:ec2/securityGroup:SecurityGroup")] == ["cluster-api-access"]
    cluster_sg = seen["outputs"][6]
    assert cluster_tagged_security_groups(inventory) == {cluster_sg: "EKS cluster security group of mlp-unit"}


def test_pulumi_eks_default_groups_would_tag_a_second_group(declare):
    """What skipping the defaults avoids: pulumi-eks's node group carries the cluster tag too,
    so a node given it and the EKS cluster group would have two tagged groups."""
    import pulumi_eks as eks

    from mlp.mock_eks import cluster_tagged_security_groups

    seen = {}

    def build():
        cluster = eks.Cluster("defaults", name="mlp-defaults", vpc_id="vpc-1", private_subnet_ids=["subnet-a"], skip_default_node_group=True)
        pulumi.Output.all(cluster.node_security_group_id, cluster.eks_cluster.vpc_config).apply(lambda v: seen.update(ids=v))

    inventory = declare(build)
    node_sg, vpc_config = seen["ids"]
    tagged = cluster_tagged_security_groups(inventory)
    assert set(tagged) == {node_sg, vpc_config["cluster_security_group_id"]}
    assert tagged[node_sg] == "defaults-nodeSecurityGroup"


def test_pulumi_eks_deploys_nothing_into_the_cluster_itself(cluster_run):
    """The creator-admin grant is removed; pulumi-eks needs it only for objects it would deploy
    into the cluster itself, so none of the options that make it do so may be set."""
    from components.cluster.access_entries import PULUMI_EKS_IN_CLUSTER_OPTIONS

    inventory, _ = cluster_run
    (component,) = inventory.of_type("eks:index:Cluster")
    inputs = component.inputs
    assert [option for option in PULUMI_EKS_IN_CLUSTER_OPTIONS if inputs.get(option) not in (None, False, [], {})] == []
    assert inputs["useDefaultVpcCni"] is True, "otherwise pulumi-eks installs its VPC CNI through its kubeconfig"
    assert inputs["authenticationMode"] == "API", "a ConfigMap mode makes pulumi-eks write aws-auth"
    assert inputs["skipDefaultNodeGroup"] is True


def test_register_outputs_name_exactly_the_typed_outputs():
    """Each component registers exactly the outputs it declares as typed attributes."""
    import ast
    import inspect

    from components.capacity import worker_pool
    from components.cluster import eks_cluster

    for module, cls in ((eks_cluster, "EksCluster"), (worker_pool, "WorkerPool")):
        tree = ast.parse(inspect.getsource(module))
        (node,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls]
        typed = {s.target.id for s in node.body if isinstance(s, ast.AnnAssign)}
        (call,) = [c for c in ast.walk(node) if isinstance(c, ast.Call) and getattr(c.func, "attr", "") == "register_outputs"]
        registered = {k.value for k in call.args[0].keys}
        assert registered == typed, f"{cls}: registered {sorted(registered)}, typed {sorted(typed)}"


DEPLOYER = "arn:aws:iam::123456789012:role/ci/ml-platform-deployer"


def _admin_principals(inventory):
    return sorted(entry.inputs["principalArn"] for entry in inventory.of_type("aws:eks/accessEntry:AccessEntry"))


def test_the_deployer_gets_its_own_cluster_admin_entry(declare):
    inventory = declare(lambda: EksCluster("cluster", _args(deployer_principal_arn=DEPLOYER)))
    assert _admin_principals(inventory) == sorted([ADMIN, DEPLOYER])
    association = inventory.named(f"cluster-{access_entry_name(DEPLOYER)}-policy")
    assert association.inputs["policyArn"] == CLUSTER_ADMIN_POLICY
    assert association.inputs["accessScope"] == {"type": "cluster"}


def test_a_deployer_that_is_also_an_admin_gets_one_entry(declare):
    """EKS takes one access entry per principal: a second one would fail the update."""
    inventory = declare(lambda: EksCluster("cluster", _args(admin_role_arns=[ADMIN, DEPLOYER], deployer_principal_arn=DEPLOYER)))
    assert _admin_principals(inventory) == sorted([ADMIN, DEPLOYER])


OTHER_ADMIN = "arn:aws:iam::123456789012:role/break-glass"
DEPLOYER_WITHOUT_PATH = "arn:aws:iam::123456789012:role/ml-platform-deployer"


def test_reordering_admin_roles_keeps_every_principal_under_its_resource():
    """Entries keyed by list position would move a principal to another resource name when the
    list is reordered: Pulumi creates the new entry before deleting the old, and EKS refuses a
    second entry for one principal (ResourceInUseException)."""
    forward = admin_entries([ADMIN, OTHER_ADMIN], DEPLOYER)
    backward = admin_entries([OTHER_ADMIN, ADMIN], DEPLOYER)
    assert forward == backward
    assert forward[access_entry_name(ADMIN)] == ADMIN


@pytest.mark.parametrize("listed", [DEPLOYER, DEPLOYER_WITHOUT_PATH])
def test_a_deployer_listed_as_admin_with_or_without_its_path_is_one_entry(listed):
    """The role ARN without its path and the STS issuer ARN with it are one principal; the entry
    keeps the ARN with the path, under the same name whether or not the deployer is listed."""
    alone = admin_entries([ADMIN], DEPLOYER)
    both = admin_entries([ADMIN, listed], DEPLOYER)
    assert both == alone
    assert sorted(both.values()) == sorted([ADMIN, DEPLOYER])
    assert access_entry_name(DEPLOYER) == access_entry_name(DEPLOYER_WITHOUT_PATH)


def test_roles_of_one_name_in_two_accounts_are_two_entries():
    elsewhere = "arn:aws:iam::210987654321:role/platform-admin"
    assert len(admin_entries([ADMIN, elsewhere], None)) == 2


def test_access_entries_are_replaced_delete_first(declare):
    """Only a new ARN for one principal replaces an entry under its name; EKS refuses the new
    entry while the old exists, so the old one must go first."""
    inventory = declare(lambda: EksCluster("cluster", _args(deployer_principal_arn=DEPLOYER)))
    entries = inventory.of_type("aws:eks/accessEntry:AccessEntry")
    associations = inventory.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert associations and all(association.delete_before_replace for association in associations)
    assert entries and all(entry.delete_before_replace for entry in entries)


def test_the_kubernetes_provider_waits_for_every_admin_grant(declare):
    """Its first call (the StorageClass, the Helm releases) runs as the deployer: before the
    deployer's entry and policy exist, the API server answers 401/403."""
    inventory = declare(lambda: EksCluster("cluster", _args(deployer_principal_arn=DEPLOYER)))
    (provider,) = inventory.of_type("pulumi:providers:kubernetes")
    grants = {association.urn for association in inventory.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")}
    assert len(grants) == 2
    assert grants <= set(provider.dependencies)


def test_private_access_sources_reach_the_control_plane_only(declare):
    """The deployer's way to a private endpoint: a group on the control plane's interfaces
    admitting 443 from the listed sources; never a rule on the EKS cluster group, which every
    node and pod carries."""
    group_source = "sg-0123456789abcdef0"
    inventory = declare(lambda: EksCluster("cluster", _args(private_access_security_group_ids=[group_source])))
    from mlp.mock_eks import declared_security_group_id

    group = inventory.named("cluster-api-access")
    rules = {
        rule.inputs.get("cidrIpv4") or rule.inputs.get("referencedSecurityGroupId"): rule.inputs
        for rule in inventory.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    }
    assert set(rules) == {RUNNERS, group_source}
    for rule in rules.values():
        assert (rule["ipProtocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 443, 443)
        assert rule["securityGroupId"] == declared_security_group_id(group.urn)
    (child,) = inventory.of_type("aws:eks/cluster:Cluster")
    assert child.inputs["vpcConfig"]["securityGroupIds"] == [declared_security_group_id(group.urn)]
    assert not any(key.startswith("kubernetes.io/cluster/") for key in group.inputs.get("tags", {}))


def test_a_public_endpoint_alone_declares_no_access_group(declare):
    inventory = declare(
        lambda: EksCluster(
            "cluster", _args(private_access_cidrs=[], public_endpoint=True, public_access_cidrs=["203.0.113.0/24"])
        )
    )
    assert not inventory.of_type("aws:ec2/securityGroup:SecurityGroup")


VIEWER = "arn:aws:iam::123456789012:role/ml-platform-preview"


def test_a_viewer_keeps_its_entry_name_when_it_becomes_an_admin():
    """One name per principal whatever its policy: a viewer promoted to admin changes its policy
    association, never its entry (which EKS would refuse to create twice)."""
    (viewer_name,) = viewer_entries([VIEWER], admin_entries([ADMIN], None))
    assert viewer_name in admin_entries([ADMIN, VIEWER], None)


def test_a_deployer_previewing_as_a_viewer_gets_only_its_admin_entry(declare):
    """Unpinned, a preview's deployer is whoever previews: the preview role itself."""
    inventory = declare(
        lambda: EksCluster("cluster", _args(viewer_role_arns=[VIEWER], deployer_principal_arn=VIEWER))
    )
    assert _admin_principals(inventory) == sorted([ADMIN, VIEWER])
