"""The deployer's access entry: who runs `pulumi up`, as the program finds it."""

from __future__ import annotations

import pytest
import yaml

from components.cluster.access_entries import access_entry_name
from infra.deployer import DEPLOYER_KEY, UnusableDeployer, deployer_principal
from infra.settings import ConfigError
from mlp.mock_state import ACCOUNT_ID, DEPLOYER_ROLE
from mlp.plan import build_inventory

ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/ops/deployer"


@pytest.mark.parametrize(
    ("caller", "issuer", "principal"),
    [
        (f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/deployer/ci-run-42", ROLE, ROLE),
        (f"arn:aws:iam::{ACCOUNT_ID}:user/alice", f"arn:aws:iam::{ACCOUNT_ID}:user/alice", f"arn:aws:iam::{ACCOUNT_ID}:user/alice"),
    ],
)
def test_the_principal_is_the_role_behind_the_session(caller, issuer, principal):
    assert deployer_principal(caller, issuer) == principal


@pytest.mark.parametrize(
    "caller",
    [f"arn:aws:iam::{ACCOUNT_ID}:root", f"arn:aws:sts::{ACCOUNT_ID}:federated-user/bob"],
)
def test_callers_that_cannot_be_access_entry_principals_are_refused(caller):
    with pytest.raises(UnusableDeployer, match="run it as an IAM role"):
        deployer_principal(caller, caller)


def test_the_shipped_stacks_admit_the_deployer(stack_inventory):
    principals = {entry.inputs["principalArn"] for entry in stack_inventory.of_type("aws:eks/accessEntry:AccessEntry")}
    assert f"arn:aws:iam::{ACCOUNT_ID}:role/{DEPLOYER_ROLE}" in principals


def test_an_update_as_another_role_than_the_pinned_deployer_stops_before_declaring(scratch_project, stack_document):
    document = stack_document("dev")
    document["config"]["ml-platform:cluster"]["deployerRoleArn"] = f"arn:aws:iam::{ACCOUNT_ID}:role/someone-else"
    project = scratch_project("dev", yaml.safe_dump(document))
    with pytest.raises(ConfigError) as error:
        build_inventory("dev", project)
    assert "Pulumi.dev.yaml" in str(error.value)
    assert DEPLOYER_KEY in str(error.value)
    assert f"role/{DEPLOYER_ROLE}, not the stack's deployer" in str(error.value)


def test_without_a_pinned_deployer_the_caller_is_admitted(scratch_project, stack_document):
    document = stack_document("dev")
    del document["config"]["ml-platform:cluster"]["deployerRoleArn"]
    inventory = build_inventory("dev", scratch_project("dev", yaml.safe_dump(document)))
    principal = f"arn:aws:iam::{ACCOUNT_ID}:role/{DEPLOYER_ROLE}"
    assert inventory.named(f"cluster-{access_entry_name(principal)}").inputs["principalArn"] == principal
