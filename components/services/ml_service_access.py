"""The IAM statements an ML service may declare: each names one action set on one resource."""

from __future__ import annotations

from typing import Any


def search_read_statement(domain_arn: Any) -> dict:
    """Query the search domain over HTTPS (`GET` and `POST` bodies for `_search`), nothing else:
    no index writes, no configuration. OpenSearch authorises HTTP calls on the domain's
    sub-resources, `<domain arn>/*` (OpenSearch Service developer guide, "Identity and Access
    Management": `es:ESHttp*` actions)."""
    resource = domain_arn.apply(lambda arn: f"{arn}/*") if hasattr(domain_arn, "apply") else f"{domain_arn}/*"
    return {
        "Sid": "QuerySearchDomain",
        "Effect": "Allow",
        "Action": ["es:ESHttpGet", "es:ESHttpPost"],
        "Resource": resource,
    }


def model_read_statement(bucket: str, prefix: str, partition: str = "aws") -> dict:
    """Read the service's own models: `s3:GetObject` under one key prefix of one bucket."""
    return {
        "Sid": "ReadModelArtifacts",
        "Effect": "Allow",
        "Action": ["s3:GetObject"],
        "Resource": f"arn:{partition}:s3:::{bucket}/{prefix}*",
    }


def policy_document(statements: list[dict]) -> dict:
    return {"Version": "2012-10-17", "Statement": statements}
