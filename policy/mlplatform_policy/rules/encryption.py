"""Encryption rules: data at rest (volumes, queues, topics, repositories, the search domain,
cluster secrets, KMS key rotation) and in transit (the search endpoint, listeners, subscriptions)."""

from __future__ import annotations

from mlplatform_policy.resources import (
    PlannedResource,
    StackContext,
    dig,
    is_mapping,
    items,
    truthy,
)
from mlplatform_policy.rules.rule import (
    EBS_VOLUME,
    ECR_REPOSITORY,
    EKS_CLUSTER,
    KMS_KEY,
    LAUNCH_TEMPLATE,
    LB_LISTENER,
    SEARCH_DOMAIN,
    SNS_SUBSCRIPTION,
    SNS_TOPIC,
    SQS_QUEUE,
)

# TLS security policies of OpenSearch endpoints that refuse anything older than TLS 1.2.
TLS12_POLICY_PREFIX = "Policy-Min-TLS-1-2"


def check_encryption_at_rest(resource: PlannedResource, context: StackContext) -> list[str]:
    props = resource.props
    if resource.type == LAUNCH_TEMPLATE:
        mappings = [m for m in items(props.get("blockDeviceMappings")) if is_mapping(dig(m, "ebs"))]
        if not mappings:
            return [
                "launch template declares no EBS block device mapping, so the root volume's "
                "encryption is left to the AMI; declare it with `ebs.encrypted: true`"
            ]
        return [
            f"EBS volume {m.get('deviceName') or index} is not encrypted (set `ebs.encrypted: true`)"
            for index, m in enumerate(mappings)
            if not truthy(dig(m, "ebs", "encrypted"))
        ]
    if resource.type == EBS_VOLUME and not truthy(props.get("encrypted")):
        return ["EBS volume is not encrypted (set `encrypted: true`)"]
    if resource.type == SQS_QUEUE and not (
        truthy(props.get("sqsManagedSseEnabled")) or props.get("kmsMasterKeyId")
    ):
        return ["queue is not encrypted at rest (set `sqsManagedSseEnabled` or `kmsMasterKeyId`)"]
    if resource.type == SNS_TOPIC and not props.get("kmsMasterKeyId"):
        return ["topic is not encrypted at rest (set `kmsMasterKeyId`)"]
    if resource.type == ECR_REPOSITORY and not items(props.get("encryptionConfigurations")):
        return ["repository does not declare its encryption (set `encryptionConfigurations`)"]
    if resource.type == SEARCH_DOMAIN and not truthy(dig(props, "encryptAtRest", "enabled")):
        return ["search domain is not encrypted at rest (set `encryptAtRest.enabled: true`)"]
    if resource.type == EKS_CLUSTER and not props.get("encryptionConfigKeyArn"):
        return ["cluster secrets are not envelope-encrypted with KMS (set `encryptionConfigKeyArn`)"]
    if resource.type == KMS_KEY:
        spec = props.get("customerMasterKeySpec") or props.get("keySpec") or "SYMMETRIC_DEFAULT"
        if spec == "SYMMETRIC_DEFAULT" and not truthy(props.get("enableKeyRotation")):
            return ["symmetric KMS key does not rotate (set `enableKeyRotation: true`)"]
    return []


def check_encryption_in_transit(resource: PlannedResource, context: StackContext) -> list[str]:
    props = resource.props
    if resource.type == SEARCH_DOMAIN:
        problems = []
        if not truthy(dig(props, "nodeToNodeEncryption", "enabled")):
            problems.append("node-to-node traffic is not encrypted (set `nodeToNodeEncryption.enabled`)")
        if not truthy(dig(props, "domainEndpointOptions", "enforceHttps")):
            problems.append("the endpoint accepts plain HTTP (set `domainEndpointOptions.enforceHttps`)")
        policy = dig(props, "domainEndpointOptions", "tlsSecurityPolicy")
        if not (isinstance(policy, str) and policy.startswith(TLS12_POLICY_PREFIX)):
            problems.append(
                f"TLS policy {policy!r} allows TLS older than 1.2 (set "
                "`domainEndpointOptions.tlsSecurityPolicy` to a `Policy-Min-TLS-1-2-*` policy)"
            )
        return problems
    if resource.type == LB_LISTENER and str(props.get("protocol", "")).upper() == "HTTP":
        actions = [str(dig(action, "type")) for action in items(props.get("defaultActions"))]
        if actions != ["redirect"]:
            return ["HTTP listener serves traffic instead of redirecting it to HTTPS"]
    if resource.type == SNS_SUBSCRIPTION and str(props.get("protocol", "")).lower() == "http":
        return ["subscription delivers over plain HTTP (use `https`)"]
    return []
