"""The control plane's IAM trust and the key that envelope-encrypts its Secrets, as policy
documents."""

from __future__ import annotations

from components.cluster.key_policy import account_administered_key_policy


def cluster_trust_policy() -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ],
    }


def secrets_key_policy(account_id: str) -> dict:
    """The account administers the key through IAM; the cluster role's use of it is granted
    by `secrets_key_use_policy` on the role."""
    return account_administered_key_policy(account_id)


def secrets_key_use_policy(key_arn: str) -> dict:
    """What the EKS control plane needs to envelope-encrypt Secrets with one key."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EnvelopeEncryption",
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:ListGrants"],
                "Resource": key_arn,
            },
            {
                "Sid": "GrantsForEksOnly",
                "Effect": "Allow",
                "Action": "kms:CreateGrant",
                "Resource": key_arn,
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ],
    }
