"""The CloudWatch alarms a search domain needs, as plain data.

Thresholds, statistics and periods follow AWS's "Recommended CloudWatch alarms for Amazon
OpenSearch Service" (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/cloudwatch-alarms.html)
and the CloudFormation sample it links (ev2900/OpenSearch_CloudWatch_Alarms). Domain metrics live
in the `AWS/ES` namespace with the dimensions `DomainName` and `ClientId` (the account id).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

NAMESPACE = "AWS/ES"
Comparison = Literal["GreaterThanOrEqualToThreshold", "LessThanOrEqualToThreshold", "LessThanThreshold"]

# AWS: "we recommend setting it to 25% of the storage space for each node" (FreeStorageSpace is in MiB).
FREE_STORAGE_ALARM_FRACTION = 0.25


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm on one domain metric."""

    key: str
    metric: str
    statistic: Literal["Maximum", "Minimum", "Average"]
    period_seconds: int
    evaluation_periods: int
    comparison: Comparison
    threshold: float
    description: str
    # Status metrics are only emitted when something happens (KMS errors) or can pause during
    # blue/green deployments; a gap is not an incident.
    treat_missing_data: Literal["notBreaching", "breaching", "missing"] = "notBreaching"


def free_storage_threshold_mib(volume_size_gib: int) -> float:
    """25% of one node's EBS volume, in MiB."""
    return volume_size_gib * 1024 * FREE_STORAGE_ALARM_FRACTION


def search_alarm_specs(
    *, data_node_count: int, dedicated_master_count: int, volume_size_gib: int
) -> list[AlarmSpec]:
    """The recommended set, fitted to the domain's shape.

    `ClusterStatus.yellow` is only raised for multi-node domains: on a single node, replica shards
    can never be assigned, so yellow is its normal state. Master alarms exist only with dedicated
    masters; `Nodes` counts data and master nodes.
    """
    gte = "GreaterThanOrEqualToThreshold"
    specs = [
        AlarmSpec("cluster-red", "ClusterStatus.red", "Maximum", 60, 1, gte, 1,
                  "At least one primary shard is unassigned: searches miss data."),
        AlarmSpec("free-storage", "FreeStorageSpace", "Minimum", 60, 1, "LessThanOrEqualToThreshold",
                  free_storage_threshold_mib(volume_size_gib),
                  "A data node has less than 25% of its volume free; writes block at the flood stage."),
        AlarmSpec("writes-blocked", "ClusterIndexWritesBlocked", "Maximum", 300, 1, gte, 1,
                  "The cluster is blocking writes (storage or memory pressure)."),
        AlarmSpec("snapshot-failure", "AutomatedSnapshotFailure", "Maximum", 60, 1, gte, 1,
                  "An automated snapshot failed: no recent restore point."),
        AlarmSpec("cpu-high", "CPUUtilization", "Maximum", 900, 3, gte, 80,
                  "Data nodes above 80% CPU for 45 minutes: scale up or out."),
        AlarmSpec("jvm-pressure", "JVMMemoryPressure", "Maximum", 60, 3, gte, 95,
                  "Data-node heap above 95%: risk of out-of-memory and node loss."),
        AlarmSpec("old-gen-jvm-pressure", "OldGenJVMMemoryPressure", "Maximum", 60, 3, gte, 80,
                  "Old-generation heap above 80%: garbage collection cannot keep up."),
        AlarmSpec("kms-key-error", "KMSKeyError", "Maximum", 60, 1, gte, 1,
                  "The domain's KMS key is disabled: data at rest becomes unreadable."),
        AlarmSpec("kms-key-inaccessible", "KMSKeyInaccessible", "Maximum", 60, 1, gte, 1,
                  "The domain's KMS key was deleted or its grants revoked."),
        AlarmSpec("nodes-missing", "Nodes", "Minimum", 86400, 1, "LessThanThreshold",
                  data_node_count + dedicated_master_count,
                  "Fewer nodes than configured for a whole day: a node did not come back."),
    ]
    if data_node_count > 1:
        specs.insert(1, AlarmSpec("cluster-yellow", "ClusterStatus.yellow", "Maximum", 60, 5, gte, 1,
                                  "Replica shards unassigned for 5 minutes: one more failure loses data."))
    if dedicated_master_count:
        specs += [
            AlarmSpec("master-cpu-high", "MasterCPUUtilization", "Maximum", 900, 3, gte, 50,
                      "The elected master above 50% CPU for 45 minutes: use a larger master type."),
            AlarmSpec("master-jvm-pressure", "MasterJVMMemoryPressure", "Maximum", 60, 3, gte, 95,
                      "The elected master's heap above 95%: cluster state updates stall."),
        ]
    return specs
