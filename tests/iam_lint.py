"""What the IAM linter may not know yet, shared by every parliament check in the suite.

parliament 1.6 bundles an IAM action database older than some current API names. Each entry is
(finding, name) and names a real action or condition key, with where it is documented; nothing
else is tolerated.
"""

import re

# Both appear in the AWS Load Balancer Controller's published IAM policy for v3.5.0
# (kubernetes-sigs/aws-load-balancer-controller, docs/install/iam_policy.json, tag v3.5.0):
# `ModifyIpPools` for IPAM-backed load balancers, and the `elasticloadbalancing:CreateAction`
# condition key that lets the controller tag only what it is creating.
NEWER_THAN_PARLIAMENT = frozenset(
    {
        ("UNKNOWN_ACTION", "elasticloadbalancing:ModifyIpPools"),
        ("UNKNOWN_CONDITION_FOR_ACTION", "elasticloadbalancing:CreateAction"),
    }
)


def known_to_be_newer(issue: str, detail: object) -> bool:
    return any(issue == known_issue and name in str(detail) for known_issue, name in NEWER_THAN_PARLIAMENT)


# Karpenter's reference controller policy (aws/karpenter-provider-aws, v1.14 getting-started
# cloudformation.yaml, NodeLifecyclePolicy) grants `ec2:RunInstances` and `ec2:CreateFleet` in
# three statements split by resource type: the image, subnet and security group unconditioned,
# the launch template only if tagged for the cluster, the instance, volume, fleet and interface
# only if the request tags them for the cluster. IAM authorizes the call when each resource of
# the request is allowed by some statement (IAM User Guide, "Policy evaluation logic"), so the
# split is what scopes the launch; parliament checks each statement alone and reports each as
# missing the other statements' resource types. Only that finding, for only those two actions,
# is tolerated.
SPLIT_BY_RESOURCE_TYPE = frozenset({"ec2:RunInstances", "ec2:CreateFleet"})


def split_launch_statement(issue: str, detail: object) -> bool:
    return (
        issue == "RESOURCE_MISMATCH"
        and isinstance(detail, list)
        and bool(detail)
        and all(
            isinstance(item, dict) and item.get("action") in SPLIT_BY_RESOURCE_TYPE
            for item in detail
        )
    )


# AWS's public SSM parameters (`/aws/service/...`: the EKS AMI IDs Karpenter's `al2023@` alias
# resolves) live in no account, so their ARN has an empty account field,
# `arn:aws:ssm:<region>::parameter/aws/service/*`, exactly as Karpenter's reference policy grants
# `ssm:GetParameter` (v1.14 cloudformation.yaml, AllowSSMReadActions). parliament's ARN format
# for parameters wants an account and reports the statement; tolerated only for a document whose
# GetParameter statements name public parameters and nothing else.
PUBLIC_PARAMETER = re.compile(r"^arn:aws:ssm:[a-z0-9-]+::parameter/aws/service/")


def public_parameter_read(issue: str, detail: object, document: dict | None) -> bool:
    if issue != "RESOURCE_MISMATCH" or document is None or not isinstance(detail, list):
        return False
    if not detail or any(
        not isinstance(i, dict) or i.get("action") != "ssm:GetParameter" for i in detail
    ):
        return False
    reads = [
        s
        for s in document.get("Statement", [])
        if "ssm:GetParameter"
        in ([s["Action"]] if isinstance(s.get("Action"), str) else s.get("Action", []))
    ]
    resources = [
        r
        for s in reads
        for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
    ]
    return bool(resources) and all(PUBLIC_PARAMETER.match(r) for r in resources)


def tolerated(issue: str, detail: object, document: dict | None = None) -> bool:
    """A parliament finding this file documents as wrong."""
    return (
        known_to_be_newer(issue, detail)
        or split_launch_statement(issue, detail)
        or public_parameter_read(issue, detail, document)
    )
