"""The key policy every customer-managed KMS key of the platform starts from.

A key policy is the key's only source of authority: without a statement for the account, no IAM
policy can grant use of the key and nobody can administer it. The platform therefore delegates
the key to the account's IAM (the key policy AWS itself creates by default), and each component
adds only the service principals IAM cannot cover (see the component's own `*_key_policy`).
"""

from __future__ import annotations


def account_administered_key_policy(account_id: str, *extra_statements: dict) -> dict:
    """A key policy in which the account administers the key through IAM (`AccountAdministers`:
    its root principal may do every `kms:` action, so IAM policies decide who actually may),
    followed by `extra_statements` in order."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministers",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            *extra_statements,
        ],
    }
