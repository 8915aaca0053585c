"""No wildcard principal or action.

Each rule of `mlplatform_policy.rules.iam` fails on its crafted violation and passes on the fixed twin.
"""

from __future__ import annotations

from tests.policy.crafted import ACCOUNT, ROOT, Cases, case_tests, policy_document, resource

CASES: Cases = {
    "iam-no-wildcard-principal": {
        "trust-anyone": (
            [resource("aws:iam/role:Role", {"assumeRolePolicy": policy_document(
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})})],
            [resource("aws:iam/role:Role", {"assumeRolePolicy": policy_document(
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                 "Condition": {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/ci"}}})})],
        ),
        "queue-policy-without-source": (
            [resource("aws:sqs/queuePolicy:QueuePolicy", {"policy": policy_document(
                {"Sid": "Events", "Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage",
                 "Resource": "arn:aws:sqs:us-east-1:1:q"})})],
            [resource("aws:sqs/queuePolicy:QueuePolicy", {"policy": policy_document(
                {"Sid": "Events", "Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage",
                 "Resource": "arn:aws:sqs:us-east-1:1:q",
                 "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:events:us-east-1:1:rule/spot"}}})})],
        ),
        "condition-that-pins-nothing": (
            [resource("aws:sns/topicPolicy:TopicPolicy", {"policy": policy_document(
                {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "sns:Publish",
                 "Condition": {"StringLike": {"aws:SourceAccount": "*"}}})})],
            [resource("aws:sns/topicPolicy:TopicPolicy", {"policy": policy_document(
                {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "sns:Publish",
                 "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}})})],
        ),
        "deny-to-everyone-is-fine": (
            [resource("aws:sns/topicPolicy:TopicPolicy", {"policy": policy_document(
                {"Sid": "TlsOnly", "Effect": "Allow", "Principal": "*", "Action": "sns:Publish"})})],
            [resource("aws:sns/topicPolicy:TopicPolicy", {"policy": policy_document(
                {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish",
                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}})})],
        ),
        "open-search-domain": (
            [resource("aws:opensearch/domainPolicy:DomainPolicy", {"accessPolicies": policy_document(
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "es:ESHttp*"})})],
            [resource("aws:opensearch/domainPolicy:DomainPolicy", {"accessPolicies": policy_document(
                {"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{ACCOUNT}:role/autocomplete"]},
                 "Action": ["es:ESHttpGet", "es:ESHttpPost"]})})],
        ),
        "not-principal": (
            [resource("aws:kms/key:Key", {"enableKeyRotation": True, "policy": policy_document(
                {"Effect": "Allow", "NotPrincipal": {"AWS": ROOT}, "Action": "kms:Decrypt"})})],
            [resource("aws:kms/key:Key", {"enableKeyRotation": True, "policy": policy_document(
                {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:Decrypt"})})],
        ),
    },
    "iam-no-wildcard-action": {
        "inline-admin": (
            [resource("aws:iam/role:Role", {"inlinePolicies": [{"name": "admin", "policy": policy_document(
                {"Effect": "Allow", "Action": "*", "Resource": "*"})}]})],
            [resource("aws:iam/role:Role", {"inlinePolicies": [{"name": "read", "policy": policy_document(
                {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::models/*"})}]})],
        ),
        "role-policy": (
            [resource("aws:iam/rolePolicy:RolePolicy", {"policy": policy_document(
                {"Effect": "Allow", "Action": ["sqs:ReceiveMessage", "*:*"], "Resource": "*"})})],
            [resource("aws:iam/rolePolicy:RolePolicy", {"policy": policy_document(
                {"Effect": "Allow", "Action": ["sqs:ReceiveMessage"], "Resource": "*"})})],
        ),
        "managed-policy-not-action": (
            [resource("aws:iam/policy:Policy", {"policy": policy_document(
                {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})})],
            [resource("aws:iam/policy:Policy", {"policy": {"Version": "2012-10-17", "Statement": {
                "Effect": "Deny", "NotAction": "iam:*", "Resource": "*"}}})],
        ),
        "key-policy-root-admin-is-fine": (
            [resource("aws:kms/key:Key", {"enableKeyRotation": True, "policy": policy_document(
                {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "*", "Resource": "*"})})],
            [resource("aws:kms/key:Key", {"enableKeyRotation": True, "policy": policy_document(
                {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"})})],
        ),
    },
}

test_rule_fails_on_its_violation, test_rule_passes_on_the_fixed_twin = case_tests(CASES)
