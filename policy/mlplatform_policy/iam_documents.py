"""Where IAM documents live in resource inputs, and what makes a statement too broad.

Decisions (docs/delivery-and-policy.md, "The policy pack"):
- An Allow to Principal `*` is refused unless a condition pins the caller to a source or principal
  (`aws:SourceArn`, `aws:SourceAccount`, `aws:SourceOwner`, `aws:PrincipalArn`,
  `aws:PrincipalAccount`, `aws:PrincipalOrgID`) with a value that is not itself `*`. A Deny to `*`
  is fine: it is how a resource policy forbids things (e.g. requiring TLS).
- `Allow` with `NotPrincipal` or `NotAction` is refused: both grant to "everything but", which is
  broader than the statement reads.
- Action `*` (or `*:*`) in an Allow is refused. A service-wide wildcard such as `kms:*` is not
  `*`: in a KMS key policy, `kms:*` for the account root is AWS's default key policy statement,
  which hands the key's access control to IAM; without it the key can become unmanageable. It is
  allowed here, and so are other service-wide wildcards (reviewed case by case, not by this rule).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mlplatform_policy.resources import PlannedResource, is_mapping, is_sequence, json_object

# Resource type -> the inputs holding an IAM document (a JSON string, or an object).
POLICY_FIELDS: dict[str, tuple[str, ...]] = {
    "aws:iam/role:Role": ("assumeRolePolicy",),
    "aws:iam/rolePolicy:RolePolicy": ("policy",),
    "aws:iam/policy:Policy": ("policy",),
    "aws:iam/userPolicy:UserPolicy": ("policy",),
    "aws:iam/groupPolicy:GroupPolicy": ("policy",),
    "aws:sqs/queue:Queue": ("policy",),
    "aws:sqs/queuePolicy:QueuePolicy": ("policy",),
    "aws:sns/topic:Topic": ("policy",),
    "aws:sns/topicPolicy:TopicPolicy": ("policy",),
    "aws:opensearch/domain:Domain": ("accessPolicies",),
    "aws:opensearch/domainPolicy:DomainPolicy": ("accessPolicies",),
    "aws:kms/key:Key": ("policy",),
    "aws:ecr/repositoryPolicy:RepositoryPolicy": ("policy",),
    "aws:s3/bucketPolicy:BucketPolicy": ("policy",),
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": ("policyDocument",),
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy": ("policy",),
}

# Condition keys that tie a wildcard principal to a specific source or principal.
RESTRICTING_CONDITION_KEYS = frozenset(
    key.lower()
    for key in (
        "aws:SourceArn",
        "aws:SourceAccount",
        "aws:SourceOwner",
        "aws:PrincipalArn",
        "aws:PrincipalAccount",
        "aws:PrincipalOrgID",
    )
)


def documents(resource: PlannedResource) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every IAM document in the resource's inputs, with the input path it came from."""
    for field_name in POLICY_FIELDS.get(resource.type, ()):
        document = json_object(resource.props.get(field_name))
        if document is not None:
            yield field_name, document
    if resource.type == "aws:iam/role:Role":
        for index, inline in enumerate(_as_list(resource.props.get("inlinePolicies"))):
            document = json_object(inline.get("policy")) if is_mapping(inline) else None
            if document is not None:
                yield f"inlinePolicies[{index}].policy", document


def statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [statement for statement in _as_list(document.get("Statement")) if is_mapping(statement)]


def label(statement: Mapping[str, Any], index: int) -> str:
    sid = statement.get("Sid")
    return f"statement {sid!r}" if sid else f"statement #{index}"


def is_allow(statement: Mapping[str, Any]) -> bool:
    return statement.get("Effect") == "Allow"


def allow_statements(resource: PlannedResource) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every Allow statement of every IAM document the resource carries, with where it is
    (`<property path>: statement 'Sid'`) for the violation message."""
    for path, document in documents(resource):
        for index, statement in enumerate(statements(document)):
            if is_allow(statement):
                yield f"{path}: {label(statement, index)}", statement


def wildcard_principal(statement: Mapping[str, Any]) -> bool:
    """Principal `*`, or `{"AWS": "*"}` (also inside a list)."""
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if is_mapping(principal):
        return any("*" in _as_list(value) for value in principal.values())
    return False


def restricted_by_condition(statement: Mapping[str, Any]) -> bool:
    """A condition on a source or principal key whose values are not just `*`."""
    condition = statement.get("Condition")
    if not is_mapping(condition):
        return False
    for operator_block in condition.values():
        if not is_mapping(operator_block):
            continue
        for key, values in operator_block.items():
            if key.lower() in RESTRICTING_CONDITION_KEYS:
                listed = _as_list(values)
                if listed and all(value not in ("*", "") for value in listed):
                    return True
    return False


def wildcard_actions(statement: Mapping[str, Any]) -> bool:
    return any(action in ("*", "*:*") for action in _as_list(statement.get("Action")))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if is_sequence(value):
        return list(value)
    return [value]
