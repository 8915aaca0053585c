"""Encryption at rest and in transit.

Each rule of `mlplatform_policy.rules.encryption` fails on its crafted violation and passes on the fixed twin.
"""

from __future__ import annotations

from tests.policy.crafted import (
    ALL_LISTENERS,
    Cases,
    case_tests,
    launch_template,
    resource,
    search_domain,
)

CASES: Cases = {
    "encryption-at-rest": {
        "launch-template-volume": (
            [resource("aws:ec2/launchTemplate:LaunchTemplate", launch_template(
                blockDeviceMappings=[{"deviceName": "/dev/xvda", "ebs": {"encrypted": "false"}}]))],
            [resource("aws:ec2/launchTemplate:LaunchTemplate", launch_template())],
        ),
        "launch-template-root-left-to-ami": (
            [resource("aws:ec2/launchTemplate:LaunchTemplate", launch_template(blockDeviceMappings=[]))],
            [resource("aws:ec2/launchTemplate:LaunchTemplate", launch_template())],
        ),
        "ebs-volume": (
            [resource("aws:ebs/volume:Volume", {"size": 20.0, "availabilityZone": "us-east-1a"})],
            [resource("aws:ebs/volume:Volume", {"size": 20.0, "availabilityZone": "us-east-1a", "encrypted": True})],
        ),
        "queue": (
            [resource("aws:sqs/queue:Queue", {"messageRetentionSeconds": 300.0})],
            [resource("aws:sqs/queue:Queue", {"messageRetentionSeconds": 300.0, "sqsManagedSseEnabled": True})],
        ),
        "topic": (
            [resource("aws:sns/topic:Topic", {})],
            [resource("aws:sns/topic:Topic", {"kmsMasterKeyId": "arn:aws:kms:us-east-1:1:key/k"})],
        ),
        "repository": (
            [resource("aws:ecr/repository:Repository", {"imageTagMutability": "IMMUTABLE"})],
            [resource("aws:ecr/repository:Repository", {"imageTagMutability": "IMMUTABLE",
                                                        "encryptionConfigurations": [{"encryptionType": "KMS"}]})],
        ),
        "search-domain": (
            [resource("aws:opensearch/domain:Domain", search_domain(encryptAtRest={"enabled": False}))],
            [resource("aws:opensearch/domain:Domain", search_domain())],
        ),
        "cluster-secrets": (
            [resource("eks:index:Cluster", {"endpointPublicAccess": False})],
            [resource("eks:index:Cluster", {"endpointPublicAccess": False,
                                            "encryptionConfigKeyArn": "arn:aws:kms:us-east-1:1:key/k"})],
        ),
        "key-rotation": (
            [resource("aws:kms/key:Key", {"description": "alerts"})],
            [resource("aws:kms/key:Key", {"description": "alerts", "enableKeyRotation": True})],
        ),
    },
    "encryption-in-transit": {
        "search-node-to-node": (
            [resource("aws:opensearch/domain:Domain", search_domain(nodeToNodeEncryption={"enabled": False}))],
            [resource("aws:opensearch/domain:Domain", search_domain())],
        ),
        "search-https": (
            [resource("aws:opensearch/domain:Domain", search_domain(domainEndpointOptions={"enforceHttps": False}))],
            [resource("aws:opensearch/domain:Domain", search_domain())],
        ),
        "search-old-tls": (
            [resource("aws:opensearch/domain:Domain", search_domain(domainEndpointOptions={
                "enforceHttps": True, "tlsSecurityPolicy": "Policy-Min-TLS-1-0-2019-07"}))],
            [resource("aws:opensearch/domain:Domain", search_domain())],
        ),
        "http-listener": (
            [resource("aws:lb/listener:Listener", {"protocol": "HTTP", "port": 80.0, "defaultActions": ALL_LISTENERS})],
            [resource("aws:lb/listener:Listener", {"protocol": "HTTP", "port": 80.0, "defaultActions": [
                {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}]})],
        ),
        "http-subscription": (
            [resource("aws:sns/topicSubscription:TopicSubscription", {"protocol": "http", "endpoint": "http://x"})],
            [resource("aws:sns/topicSubscription:TopicSubscription", {"protocol": "https", "endpoint": "https://x"})],
        ),
    },
}

test_rule_fails_on_its_violation, test_rule_passes_on_the_fixed_twin = case_tests(CASES)
