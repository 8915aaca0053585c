"""IAM rules: no policy allows every principal without a condition, or every action."""

from __future__ import annotations

from mlplatform_policy import iam_documents
from mlplatform_policy.resources import PlannedResource, StackContext


def check_no_wildcard_principal(resource: PlannedResource, context: StackContext) -> list[str]:
    problems = []
    for where, statement in iam_documents.allow_statements(resource):
        if "NotPrincipal" in statement:
            problems.append(f"{where} allows with NotPrincipal (everyone but the listed)")
        elif iam_documents.wildcard_principal(statement) and not iam_documents.restricted_by_condition(statement):
            problems.append(
                f"{where} allows Principal \"*\" without a condition on aws:SourceArn, "
                "aws:SourceAccount or aws:PrincipalArn"
            )
    return problems


def check_no_wildcard_action(resource: PlannedResource, context: StackContext) -> list[str]:
    problems = []
    for where, statement in iam_documents.allow_statements(resource):
        if "NotAction" in statement:
            problems.append(f"{where} allows with NotAction (every action but the listed)")
        elif iam_documents.wildcard_actions(statement):
            problems.append(f"{where} allows Action \"*\"")
    return problems
