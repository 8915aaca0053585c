"""Launch-template settings every node of the platform shares: IMDSv2 and an encrypted gp3 root.

Pure functions returning pulumi-aws argument objects, used by the system node group and the
worker pools so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi_aws as aws

IMDS_HOP_LIMIT = 1
"""One hop: the instance itself reaches the metadata service, a pod behind the node's network
namespace does not. Pods get AWS credentials through IRSA, never from the node's role; the only
reason to raise it (2) would be a pod that reads IMDS, which the platform does not run."""

ROOT_DEVICE = "/dev/xvda"
"""Root device name of the EKS-optimized AL2023 AMIs."""

TAGGED_AT_LAUNCH = ("instance", "volume", "network-interface")
"""What a launch template can tag at launch; provider default tags reach none of them, because
EC2 Auto Scaling (or EKS) launches the instances, not Pulumi."""


def imdsv2_metadata_options() -> aws.ec2.LaunchTemplateMetadataOptionsArgs:
    return aws.ec2.LaunchTemplateMetadataOptionsArgs(
        http_endpoint="enabled",
        http_tokens="required",
        http_put_response_hop_limit=IMDS_HOP_LIMIT,
        instance_metadata_tags="disabled",
    )


def encrypted_gp3_root(size_gib: int) -> aws.ec2.LaunchTemplateBlockDeviceMappingArgs:
    """gp3 at its included baseline (3,000 IOPS, 125 MiB/s: no extra charge), encrypted with
    the account's EBS key, deleted with the instance."""
    return aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
        device_name=ROOT_DEVICE,
        ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
            volume_size=size_gib,
            volume_type="gp3",
            iops=3000,
            throughput=125,
            encrypted="true",
            delete_on_termination="true",
        ),
    )


def launch_tag_specifications(tags: Mapping[str, str]) -> list[aws.ec2.LaunchTemplateTagSpecificationArgs]:
    """The cost tags on instances, their volumes and network interfaces."""
    return [
        aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=dict(tags))
        for kind in TAGGED_AT_LAUNCH
    ]
