"""The AWS Load Balancer Controller's IAM policy, as data.

Written from the statement list of the controller's published policy
(kubernetes-sigs/aws-load-balancer-controller `docs/install/iam_policy.json` at v3.5.0, commit
11eb202c97e4ae2ee45e0658c4cde9a4b59f33d4),
then narrowed for this platform:

- every ARN names this partition, region and account instead of `*:*`;
- mutations of load balancers, target groups and security groups the controller creates are
  allowed only on resources tagged `elbv2.k8s.aws/cluster` (as upstream);
- the statements upstream grants on `*` without a condition (listener and rule changes, target
  registration, security-group ingress on the nodes' groups) are scoped to resource ARNs of this
  account and region;
- the three read actions upstream grants on `*` that the Service Authorization Reference lets a
  policy scope (checkov CKV_AWS_355) name their resource type: `ec2:GetSecurityGroupsForVpc` the
  cluster's VPC (`vpc*`), `ec2:GetCoipPoolUsage` this account's customer-owned IP pools
  (`coip-pool*`), `acm:DescribeCertificate` this account's certificates (`certificate*`)
  (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html,
  https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscertificatemanager.html;
  the same tables parliament ships in `iam_definition.json`); every other `Discover` action
  supports no resource-level permission there (resource type empty), so `*` is the only
  resource it can have;
- WAF, WAFv2, Shield and Cognito integrations are left out: the release disables them
  (`enableWaf`, `enableWafv2`, `enableShield` false), and no Ingress uses Cognito auth. IAM
  server certificates are left out too: certificates come from ACM (discovered by host).
"""

from __future__ import annotations

CLUSTER_TAG = "elbv2.k8s.aws/cluster"
"""Tag the controller puts on everything it creates."""

READ_ONLY_ACTIONS = (
    "ec2:DescribeAccountAttributes",
    "ec2:DescribeAddresses",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeVpcs",
    "ec2:DescribeVpcPeeringConnections",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeInstances",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeTags",
    "ec2:DescribeCoipPools",
    "ec2:DescribeIpamPools",
    "ec2:DescribeRouteTables",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeListenerCertificates",
    "elasticloadbalancing:DescribeSSLPolicies",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTrustStores",
    "elasticloadbalancing:DescribeListenerAttributes",
    "elasticloadbalancing:DescribeCapacityReservation",
    # Certificate discovery from the Ingress host names (DescribeCertificate is scoped below).
    "acm:ListCertificates",
)
"""Actions without resource-level permissions (Service Authorization Reference): `*` only."""


def controller_policy(partition: str, region: str, account_id: str, vpc_id: str) -> dict:
    """The controller's policy document for one account and region."""

    def ec2(resource: str) -> str:
        return f"arn:{partition}:ec2:{region}:{account_id}:{resource}"

    def elb(resource: str) -> str:
        return f"arn:{partition}:elasticloadbalancing:{region}:{account_id}:{resource}"

    security_groups = ec2("security-group/*")
    load_balancers = [elb("loadbalancer/app/*/*"), elb("loadbalancer/net/*/*")]
    target_groups = [elb("targetgroup/*/*")]
    listeners = [elb("listener/app/*/*/*"), elb("listener/net/*/*/*")]
    listener_rules = [elb("listener-rule/app/*/*/*"), elb("listener-rule/net/*/*/*")]
    any_elb = elb("*")
    request_tagged = {f"aws:RequestTag/{CLUSTER_TAG}": "false"}
    resource_tagged = {f"aws:ResourceTag/{CLUSTER_TAG}": "false"}
    retag_own = {f"aws:RequestTag/{CLUSTER_TAG}": "true", f"aws:ResourceTag/{CLUSTER_TAG}": "false"}

    statements = [
        {
            "Sid": "CreateLoadBalancingServiceLinkedRole",
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": f"arn:{partition}:iam::{account_id}:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing",
            "Condition": {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}},
        },
        {"Sid": "Discover", "Effect": "Allow", "Action": list(READ_ONLY_ACTIONS), "Resource": "*"},
        {
            # Upstream grants these on `*` too; each has a resource type, so it names it.
            "Sid": "DiscoverScoped",
            "Effect": "Allow",
            "Action": ["ec2:GetSecurityGroupsForVpc", "ec2:GetCoipPoolUsage", "acm:DescribeCertificate"],
            "Resource": [
                ec2(f"vpc/{vpc_id}"),
                ec2("coip-pool/*"),
                f"arn:{partition}:acm:{region}:{account_id}:certificate/*",
            ],
        },
        {
            # The nodes' security groups are not the controller's: it opens them to its ALBs.
            "Sid": "OpenNodeSecurityGroupsToLoadBalancers",
            "Effect": "Allow",
            "Action": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
            "Resource": security_groups,
        },
        {
            "Sid": "CreateSecurityGroups",
            "Effect": "Allow",
            "Action": "ec2:CreateSecurityGroup",
            "Resource": [security_groups, ec2("vpc/*")],
        },
        {
            "Sid": "TagSecurityGroupsOnCreate",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": security_groups,
            "Condition": {"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup"}, "Null": request_tagged},
        },
        {
            "Sid": "RetagOwnSecurityGroups",
            "Effect": "Allow",
            "Action": ["ec2:CreateTags", "ec2:DeleteTags"],
            "Resource": security_groups,
            "Condition": {"Null": retag_own},
        },
        {
            "Sid": "ManageOwnSecurityGroups",
            "Effect": "Allow",
            "Action": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"],
            "Resource": security_groups,
            "Condition": {"Null": resource_tagged},
        },
        {
            "Sid": "CreateTaggedLoadBalancers",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
            "Resource": load_balancers + target_groups,
            "Condition": {"Null": request_tagged},
        },
        {
            "Sid": "ManageListenersAndRules",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteRule",
            ],
            "Resource": load_balancers + listeners + listener_rules,
        },
        {
            "Sid": "RetagOwnLoadBalancers",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            "Resource": target_groups + load_balancers,
            "Condition": {"Null": retag_own},
        },
        {
            "Sid": "TagListenersAndRules",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            "Resource": listeners + listener_rules,
        },
        {
            "Sid": "ManageOwnLoadBalancers",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:SetIpAddressType",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets",
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:ModifyListenerAttributes",
                "elasticloadbalancing:ModifyCapacityReservation",
                "elasticloadbalancing:ModifyIpPools",
            ],
            "Resource": any_elb,
            "Condition": {"Null": resource_tagged},
        },
        {
            "Sid": "TagOnCreate",
            "Effect": "Allow",
            "Action": "elasticloadbalancing:AddTags",
            "Resource": target_groups + load_balancers,
            "Condition": {
                "StringEquals": {"elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"]},
                "Null": request_tagged,
            },
        },
        {
            "Sid": "RegisterTargets",
            "Effect": "Allow",
            "Action": ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
            "Resource": target_groups,
        },
        {
            "Sid": "ModifyListenersAndRules",
            "Effect": "Allow",
            "Action": [
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:AddListenerCertificates",
                "elasticloadbalancing:RemoveListenerCertificates",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:SetRulePriorities",
            ],
            "Resource": listeners + listener_rules,
        },
    ]
    return {"Version": "2012-10-17", "Statement": statements}
