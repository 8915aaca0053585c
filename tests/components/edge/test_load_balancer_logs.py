"""`LoadBalancerLogs` declared under the mocks: an SSE-S3 encrypted bucket with every public
access blocked, no ACLs, logs expiring, and writable only by the Region's ELB log delivery."""

from __future__ import annotations

import json

import pytest

from components.edge.load_balancer_logs import (
    ACCESS_LOG_PREFIX,
    LoadBalancerLogs,
    LoadBalancerLogsArgs,
)

ACCOUNT = "123456789012"


def _logs(declare, region: str = "us-east-1", **overrides):
    args = dict(bucket_prefix="mlp-unit-alb-logs-", account_id=ACCOUNT, region=region)
    args.update(overrides)
    return declare(lambda: LoadBalancerLogs("alb-logs", LoadBalancerLogsArgs(**args)), region=region)


def _policy(inventory) -> dict:
    (policy,) = inventory.of_type("aws:s3/bucketPolicy:BucketPolicy")
    return json.loads(policy.inputs["policy"])


def test_the_bucket_is_encrypted_with_s3_managed_keys(declare):
    """ALB access logs support SSE-S3 only (Elastic Load Balancing user guide, "Enable access
    logs for your Application Load Balancer", Step 1:
    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html)."""
    (encryption,) = _logs(declare).of_type(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    (rule,) = encryption.inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256", f"{encryption.name}: {rule}"


def test_every_public_access_is_blocked_and_acls_are_off(declare):
    inventory = _logs(declare)
    (block,) = inventory.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
        assert block.inputs.get(flag) is True, f"{block.name}: {flag} is not set"
    (ownership,) = inventory.of_type("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert ownership.inputs["rule"]["objectOwnership"] == "BucketOwnerEnforced", f"{ownership.name} allows ACLs"
    (policy,) = inventory.of_type("aws:s3/bucketPolicy:BucketPolicy")
    assert block.urn in policy.dependencies, f"{policy.name} may race the public-access block"


@pytest.mark.parametrize(
    ("region", "principal"),
    [
        # Regions opened before August 2022 deliver as ELB's account of the Region; later ones
        # as the log-delivery service principal (same user guide page, Step 2).
        ("us-east-1", {"AWS": "arn:aws:iam::127311923021:root"}),
        ("eu-west-1", {"AWS": "arn:aws:iam::156460612806:root"}),
        ("ap-southeast-4", {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}),
    ],
)
def test_only_the_regions_elb_log_delivery_may_write_and_only_this_accounts_logs(declare, region, principal):
    statements = {s["Sid"]: s for s in _policy(_logs(declare, region=region))["Statement"]}
    (delivery,) = [s for s in statements.values() if s["Effect"] == "Allow"]
    assert delivery["Principal"] == principal, f"alb-logs-policy in {region}: {delivery['Principal']}"
    assert delivery["Action"] == "s3:PutObject", f"alb-logs-policy grants {delivery['Action']}"
    assert delivery["Resource"].endswith(f"/{ACCESS_LOG_PREFIX}/AWSLogs/{ACCOUNT}/*"), delivery["Resource"]
    if "Service" in principal:
        assert delivery["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}, (
            "alb-logs-policy lets any account's load balancers write"
        )
    deny = statements["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize("days", [30, 90])
def test_logs_expire_after_the_retention(declare, days):
    (lifecycle,) = _logs(declare, retention_days=days).of_type(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    )
    (rule,) = lifecycle.inputs["rules"]
    assert rule["status"] == "Enabled", f"{lifecycle.name}: rule disabled"
    assert rule["expiration"]["days"] == days, f"{lifecycle.name}: {rule['expiration']}"
    assert rule["filter"]["prefix"] == f"{ACCESS_LOG_PREFIX}/", f"{lifecycle.name} expires other objects"


def test_a_bucket_prefix_s3_cannot_suffix_is_refused(declare):
    with pytest.raises(ValueError, match="longer than 37"):
        _logs(declare, bucket_prefix="x" * 38)
