"""Pull request previews see the cluster: each stack gives its preview role a read-only EKS
access entry, declared from `ml-platform:cluster.previewRoleArns`."""

from __future__ import annotations

import pytest
import yaml

from mlp.plan import PROJECT_DIR

VIEW_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


def preview_roles(stack: str) -> list[str]:
    document = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())
    return document["config"]["ml-platform:cluster"]["previewRoleArns"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_preview_role_can_view_the_whole_cluster_and_nothing_more(plan, stack):
    inventory = plan(stack)
    roles = preview_roles(stack)
    assert roles, f"Pulumi.{stack}.yaml names no preview role"
    associations = inventory.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    for role in roles:
        entries = [r for r in inventory.of_type("aws:eks/accessEntry:AccessEntry") if r.inputs["principalArn"] == role]
        assert len(entries) == 1 and entries[0].inputs["type"] == "STANDARD", role
        granted = [a for a in associations if a.inputs["principalArn"] == role]
        assert [(a.inputs["policyArn"], a.inputs["accessScope"]) for a in granted] == [(VIEW_POLICY, {"type": "cluster"})]
        assert "kubernetesGroups" not in entries[0].inputs, "no RBAC group may widen the view policy"
