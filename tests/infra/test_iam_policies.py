"""Every IAM policy document the program declares, through the IAM linter parliament.

The sweep walks inventories rather than a list of known policies, so whatever later components
declare (roles, queue and topic policies, key policies) is covered without touching this file.
Trust policies (`aws:iam/role:Role` `assumeRolePolicy`) have no Resource, which parliament reads
as malformed; they get a structural check instead.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator

import pytest

from tests.iam_lint import tolerated

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # parliament imports pkg_resources
    import parliament

BLOCKING = {"MEDIUM", "HIGH", "CRITICAL"}
INVALID_ACTION = {"UNKNOWN_ACTION", "UNKNOWN_PREFIX"}  # rated LOW, but they mean a typo
TRUST_POLICY = ("aws:iam/role:Role", "assumeRolePolicy")


def policy_documents(inventory) -> Iterator[tuple[str, str, dict]]:
    """(resource name, input key, document) for every input that holds a policy document."""
    for resource in inventory.resources:
        for key, value in resource.inputs.items():
            if not isinstance(value, str) or '"Statement"' not in value:
                continue
            document = json.loads(value)
            if isinstance(document, dict) and "Statement" in document:
                yield resource, key, document


def problems_in(inventory) -> list[str]:
    problems = []
    for resource, key, document in policy_documents(inventory):
        where = f"{resource.name} ({resource.type}) {key}"
        if (resource.type, key) == TRUST_POLICY:
            for statement in document["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                if not all(action.startswith("sts:AssumeRole") or action == "sts:TagSession" for action in actions):
                    problems.append(f"{where}: trust policy grants {actions}")
                if statement["Effect"] == "Allow" and statement.get("Principal") in ("*", {"AWS": "*"}):
                    problems.append(f"{where}: anyone may assume the role")
            continue
        analysed = parliament.analyze_policy_string(json.dumps(document))
        for finding in analysed.findings:
            finding = parliament.enhance_finding(finding)
            if tolerated(finding.issue, finding.detail, document):
                continue
            if finding.issue in INVALID_ACTION or finding.severity in BLOCKING:
                problems.append(f"{where}: {finding.issue} ({finding.severity}) {finding.detail}")
    return problems


def test_every_stack_policy_passes_parliament(every_plan):
    assert list(policy_documents(every_plan)), f"stack {every_plan.stack} declares no policy"
    problems = problems_in(every_plan)
    assert not problems, "\n".join(problems)


def test_interruption_handling_policies_pass_parliament(interruption_example):
    inventory = interruption_example()
    checked = {(r.type, key) for r, key, _ in policy_documents(inventory)}
    assert {
        ("aws:sqs/queuePolicy:QueuePolicy", "policy"),
        ("aws:iam/rolePolicy:RolePolicy", "policy"),
        TRUST_POLICY,
    } <= checked
    problems = problems_in(inventory)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "statement, issue",
    [
        ({"Effect": "Allow", "Action": "sqs:RecieveMessage", "Resource": "*"}, "UNKNOWN_ACTION"),
        ({"Effect": "Allow", "Action": "sqs:ReceiveMessage", "Resource": "arn:aws:s3:::bucket"}, "RESOURCE_MISMATCH"),
    ],
)
def test_the_sweep_catches_a_bad_document(declare, statement, issue):
    """The linter, as the sweep calls it, does refuse a typo and a mismatched resource."""
    import pulumi_aws as aws

    inventory = declare(
        lambda: aws.iam.Policy("bad", policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    )
    problems = problems_in(inventory)
    assert problems and issue in problems[0], problems


def _resource_types() -> dict[str, list[str]]:
    """Action -> its resource types, from the Service Authorization Reference tables parliament
    bundles (`parliament/iam_definition.json`); an action with none lists only ''."""
    from pathlib import Path

    definition = json.loads((Path(parliament.__file__).parent / "iam_definition.json").read_text())
    return {
        f"{service['prefix']}:{privilege['privilege']}".lower(): [r["resource_type"] for r in privilege["resource_types"]]
        for service in definition
        for privilege in service["privileges"]
    }


def restrictable_on_star(document: dict, resource_types: dict[str, list[str]]) -> list[str]:
    """Actions an Allow grants on `*` although the reference lets a policy name their resource
    (checkov's CKV_AWS_355, "no '*' resource for restrictable actions")."""
    found = []
    for statement in document["Statement"]:
        resources = statement.get("Resource", [])
        resources = [resources] if isinstance(resources, str) else resources
        if statement["Effect"] != "Allow" or "*" not in resources:
            continue
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        found += [a for a in actions if any(t for t in resource_types.get(a.lower(), [""]))]
    return found


KEY_POLICY = ("aws:kms/key:Key", "policy")
"""In a key policy `"Resource": "*"` means the key itself
(https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html)."""


def test_no_restrictable_action_is_granted_on_star(stack_inventory):
    resource_types = _resource_types()
    problems = [
        f"{resource.name} {key}: {actions}"
        for resource, key, document in policy_documents(stack_inventory)
        if (resource.type, key) not in (TRUST_POLICY, KEY_POLICY)
        for actions in [restrictable_on_star(document, resource_types)]
        if actions
    ]
    assert not problems, problems


def test_the_star_check_catches_a_restrictable_action():
    document = {"Statement": [{"Effect": "Allow", "Action": ["acm:DescribeCertificate", "acm:ListCertificates"], "Resource": "*"}]}
    assert restrictable_on_star(document, _resource_types()) == ["acm:DescribeCertificate"]
