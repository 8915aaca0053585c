"""What the IAM linter may not know yet, shared by every parliament check in the suite.

parliament 1.6 bundles an IAM action database older than some current API names. Each entry is
(finding, name) and names a real action or condition key, with where it is documented; nothing
else is tolerated.
"""

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
