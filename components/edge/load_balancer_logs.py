"""The bucket the shared ALB writes its access logs to, owned by the stack."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

ACCESS_LOG_PREFIX = "alb"
"""Key prefix of the logs (`access_logs.s3.prefix`); ELB adds `AWSLogs/<account>/...` after it,
and the prefix itself must not contain `AWSLogs`."""

# Elastic Load Balancing's own account per Region, for the Regions that opened before August 2022:
# there the ALB delivers as this account, not as the log-delivery service principal (Elastic Load
# Balancing user guide, "Enable access logs for your Application Load Balancer", Step 2:
# https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html;
# the same table backs terraform-provider-aws `aws_elb_service_account`).
ELB_ACCOUNT_BY_REGION = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-south-1": "718504428378",
    "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-southeast-3": "589379963580",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-west-3": "009996457667",
    "eu-south-1": "635631232127",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
}
LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"
"""The principal ELB delivers as in Regions opened from August 2022 on (same page, Step 2)."""


def access_log_bucket_policy(bucket_arn: str, account_id: str, region: str, prefix: str = ACCESS_LOG_PREFIX) -> dict:
    """Write-only delivery of this account's load balancer logs under `prefix`, by the Region's
    ELB account where it has one, else by the log-delivery service principal (restricted to this
    account's load balancers); and no request without TLS."""
    objects = f"{bucket_arn}/{prefix}/AWSLogs/{account_id}/*"
    if region in ELB_ACCOUNT_BY_REGION:
        delivery = {
            "Sid": "ElbAccountWritesAccessLogs",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ELB_ACCOUNT_BY_REGION[region]}:root"},
            "Action": "s3:PutObject",
            "Resource": objects,
        }
    else:
        delivery = {
            "Sid": "ElbLogDeliveryWritesAccessLogs",
            "Effect": "Allow",
            "Principal": {"Service": LOG_DELIVERY_SERVICE},
            "Action": "s3:PutObject",
            "Resource": objects,
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        }
    return {
        "Version": "2012-10-17",
        "Statement": [
            delivery,
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


@dataclass(frozen=True, kw_only=True)
class LoadBalancerLogsArgs:
    """Inputs of `LoadBalancerLogs`."""

    bucket_prefix: str
    """Start of the bucket's name; S3 names are global, so Pulumi appends a random suffix.
    At most 37 characters. Required."""
    account_id: str
    """The stack's account, whose load balancers may write. Required."""
    region: str
    """The Region of the bucket and the load balancer (ELB writes only to a bucket in its own
    Region). Required."""
    retention_days: int = 90
    """Days before S3 expires a log object. Default 90."""
    force_destroy: bool = False
    """Delete the bucket with its logs when the stack is destroyed. Default off."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags on the bucket. Default none."""


class LoadBalancerLogs(pulumi.ComponentResource):
    """Creates the access-log bucket: SSE-S3 encryption (the only server-side encryption ALB
    access logs support: "The only server-side encryption option that's supported is Amazon
    S3-managed keys (SSE-S3)", enable-access-logging.html, Step 1), every public access blocked,
    object ownership enforced to the bucket owner (no ACLs), a lifecycle rule expiring logs after
    `retention_days`, and the delivery policy of `access_log_bucket_policy`.

    `bucket_name` resolves only once the policy exists: ELB tests its write access when the
    attribute is set, so the load balancer must not be pointed at the bucket before."""

    bucket_name: pulumi.Output[str]
    prefix: str

    def __init__(self, name: str, args: LoadBalancerLogsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplatform:edge:LoadBalancerLogs", name, None, opts)
        if len(args.bucket_prefix) > 37:
            raise ValueError(f"bucket prefix {args.bucket_prefix!r} is longer than 37 characters")
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket_prefix=args.bucket_prefix,
            force_destroy=args.force_destroy,
            tags=dict(args.tags) or None,
            opts=child,
        )
        under_bucket = pulumi.ResourceOptions(parent=bucket)
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="AES256"
                    )
                )
            ],
            opts=under_bucket,
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=under_bucket,
        )
        ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            # One bucket-configuration call at a time: S3 answers concurrent ones on the same
            # bucket with OperationAborted ("A conflicting conditional operation is currently in
            # progress"), hashicorp/terraform-provider-aws#7628.
            opts=pulumi.ResourceOptions(parent=bucket, depends_on=[public_access]),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-access-logs",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=f"{ACCESS_LOG_PREFIX}/"),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=args.retention_days),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=1
                    ),
                )
            ],
            opts=under_bucket,
        )
        policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket.id,
            policy=bucket.arn.apply(
                lambda arn: json.dumps(access_log_bucket_policy(arn, args.account_id, args.region))
            ),
            # After the public-access block exists (a policy put racing it can be refused as
            # public, or aborted as a conflicting operation).
            opts=pulumi.ResourceOptions(parent=bucket, depends_on=[public_access, ownership]),
        )
        self.bucket_name = pulumi.Output.all(bucket.bucket, policy.id).apply(lambda values: values[0])
        self.prefix = ACCESS_LOG_PREFIX
        self.register_outputs({"bucket_name": self.bucket_name, "prefix": self.prefix})
