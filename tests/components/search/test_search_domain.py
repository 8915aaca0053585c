import gzip
import json
import re
from pathlib import Path

import botocore
import pytest

from components.search.search_alarms import free_storage_threshold_mib
from components.search.search_domain import (
    SearchDomain,
    SearchDomainArgs,
    SearchSizing,
    index_replica_count,
    log_delivery_policy,
    search_access_policy,
    search_domain_arn,
    sizing_problems,
)
from components.search.search_engine_support import ENGINE_VERSION_PATTERN

ACCOUNT = "123456789012"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:mlp-alerts"
ROLES = [f"arn:aws:iam::{ACCOUNT}:role/autocomplete-irsa", f"arn:aws:iam::{ACCOUNT}:role/discovery-irsa"]
CLIENT_SGS = ["sg-0123456789abcdef0", "sg-0fedcba9876543210"]
MASTER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/search-admin"
SUBNETS = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2", "subnet-0ccccccccccccccc3"]
PROD_LIKE = SearchSizing(
    instance_type="r7g.large.search", instance_count=3, availability_zone_count=3,
    dedicated_master_count=3, volume_size_gib=100,
)


def _args(**overrides) -> SearchDomainArgs:
    values = dict(
        domain_name="mlp-unit-search", region="us-east-1", account_id=ACCOUNT, engine_version="OpenSearch_3.3",
        vpc_id="vpc-0123456789abcdef0", subnet_ids=SUBNETS, alarm_topic_arn=TOPIC,
        client_security_group_ids=CLIENT_SGS, access_role_arns=ROLES,
    )
    values.update(overrides)
    return SearchDomainArgs(**values)


def _domain(inventory):
    (domain,) = inventory.of_type("aws:opensearch/domain:Domain")
    return domain


def _api_model() -> dict:
    path = next(Path(botocore.__file__).parent.joinpath("data", "opensearch").glob("*/service-2.json.gz"))
    return json.loads(gzip.decompress(path.read_bytes()))["shapes"]


# --- pure policy documents ---------------------------------------------------------------------

def test_access_policy_grants_http_only_to_the_given_roles():
    arn = search_domain_arn("us-east-1", ACCOUNT, "mlp-unit-search")
    (statement,) = search_access_policy(arn, ACCOUNT, ROLES + ROLES[:1])["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"AWS": sorted(ROLES)}
    assert statement["Action"] == "es:ESHttp*"
    assert statement["Resource"] == f"arn:aws:es:us-east-1:{ACCOUNT}:domain/mlp-unit-search/*"


def test_access_policy_without_roles_denies_the_whole_account():
    arn = search_domain_arn("us-east-1", ACCOUNT, "mlp-unit-search")
    (statement,) = search_access_policy(arn, ACCOUNT, [])["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}


@pytest.mark.parametrize("principal", ["*", f"arn:aws:iam::{ACCOUNT}:root", f"arn:aws:iam::{ACCOUNT}:user/bob", "arn:aws:iam::*:role/x"])
def test_access_policy_refuses_anything_but_a_role(principal):
    with pytest.raises(ValueError, match="IAM role ARNs only"):
        search_access_policy("arn:aws:es:us-east-1:123456789012:domain/d", ACCOUNT, [principal])


def test_log_delivery_is_scoped_to_the_groups_and_the_domain():
    groups = [f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/opensearch/d/error"]
    domain_arn = search_domain_arn("us-east-1", ACCOUNT, "d")
    (statement,) = log_delivery_policy(groups, ACCOUNT, domain_arn)["Statement"]
    assert statement["Principal"] == {"Service": "es.amazonaws.com"}
    assert statement["Resource"] == [f"{groups[0]}:*"]
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": domain_arn},
    }


def test_policies_pass_parliament():
    from parliament import analyze_policy_string

    domain_arn = search_domain_arn("us-east-1", ACCOUNT, "d")
    documents = {
        "access": search_access_policy(domain_arn, ACCOUNT, ROLES),
        "log delivery": log_delivery_policy([f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:g"], ACCOUNT, domain_arn),
    }
    for label, document in documents.items():
        findings = analyze_policy_string(json.dumps(document), ignore_private_auditors=True).findings
        assert not findings, f"{label} policy: {[(f.issue, f.detail) for f in findings]}"


# --- sizing rules ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"dedicated_master_count": 1}, "dedicated_master_count"),
        ({"dedicated_master_count": 2}, "dedicated_master_count"),
        ({"dedicated_master_count": 4}, "dedicated_master_count"),
        ({"instance_count": 4}, "instance_count"),
        ({"instance_count": 0}, "instance_count"),
        ({"availability_zone_count": 4}, "availability_zone_count"),
        ({"volume_iops": 2000}, "volume_iops"),
        ({"volume_iops": 16001}, "volume_iops"),
        ({"volume_size_gib": 10, "volume_iops": 6000}, "volume_iops"),
        ({"volume_throughput_mibps": 100}, "volume_throughput_mibps"),
        ({"volume_throughput_mibps": 1001}, "volume_throughput_mibps"),
        ({"volume_iops": 3000, "volume_throughput_mibps": 751}, "volume_throughput_mibps"),
    ],
)
def test_sizing_refusals(change, field):
    values = {**PROD_LIKE.__dict__, **change}
    assert field in sizing_problems(SearchSizing(**values)), change


# Each gp3 rule at its bound (accepted) and one past it (refused), on one m7g.medium.search node:
# (volume GiB, IOPS, MiB/s) accepted, the same refused, and the field the refusal names.
GP3_BOUNDS = {
    "IOPS floor": ((10, 3000, 125), (10, 2999, 125), "volume_iops"),
    "IOPS ceiling": ((32, 16000, 125), (32, 16001, 125), "volume_iops"),
    "500 IOPS per GiB": ((10, 5000, 125), (10, 5001, 125), "volume_iops"),
    "throughput floor": ((10, 3000, 125), (10, 3000, 124), "volume_throughput_mibps"),
    "throughput ceiling": ((10, 4000, 1000), (10, 4000, 1001), "volume_throughput_mibps"),
    "0.25 MiB/s per IOPS": ((10, 3000, 750), (10, 3000, 751), "volume_throughput_mibps"),
}


@pytest.mark.parametrize("rule", sorted(GP3_BOUNDS))
def test_gp3_rules_accept_the_bound_and_refuse_just_past_it(rule):
    accepted, refused, field_name = GP3_BOUNDS[rule]

    def sizing(volume, iops, throughput):
        return SearchSizing(volume_size_gib=volume, volume_iops=iops, volume_throughput_mibps=throughput)

    assert sizing_problems(sizing(*accepted)) == {}, rule
    assert field_name in sizing_problems(sizing(*refused)), rule


@pytest.mark.parametrize("masters", [0, 3, 5])
def test_sizing_accepts_odd_master_quorums(masters):
    assert sizing_problems(SearchSizing(**{**PROD_LIKE.__dict__, "dedicated_master_count": masters})) == {}


def test_replicas_follow_the_zones():
    assert index_replica_count(SearchSizing()) == 0
    assert index_replica_count(SearchSizing(instance_count=2)) == 1
    assert index_replica_count(PROD_LIKE) == 2


# --- the component under mocks -----------------------------------------------------------------

def test_domain_is_private_encrypted_and_https_only(declare):
    inventory = declare(lambda: SearchDomain("search", _args(sizing=PROD_LIKE)))
    inputs = _domain(inventory).inputs
    (key,) = inventory.of_type("aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    assert inputs["encryptAtRest"]["enabled"] is True
    assert inputs["encryptAtRest"]["kmsKeyId"].startswith(f"arn:aws:kms:us-east-1:{ACCOUNT}:key/")
    assert inputs["nodeToNodeEncryption"] == {"enabled": True}
    assert inputs["domainEndpointOptions"] == {"enforceHttps": True, "tlsSecurityPolicy": "Policy-Min-TLS-1-2-PFS-2023-10"}
    assert inputs["vpcOptions"]["subnetIds"] == SUBNETS
    (group,) = inventory.of_type("aws:ec2/securityGroup:SecurityGroup")
    (group_id,) = inputs["vpcOptions"]["securityGroupIds"]  # only its own group, never the VPC default
    assert group_id.startswith("sg-")
    assert "ingress" not in group.inputs and "egress" not in group.inputs, "inline rules on the domain SG"
    assert inputs["ebsOptions"]["volumeType"] == "gp3"


def test_only_the_client_groups_reach_443(declare):
    inventory = declare(lambda: SearchDomain("search", _args()))
    rules = inventory.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert sorted(r.inputs["referencedSecurityGroupId"] for r in rules) == sorted(CLIENT_SGS)
    for rule in rules:
        assert (rule.inputs["ipProtocol"], rule.inputs["fromPort"], rule.inputs["toPort"]) == ("tcp", 443, 443), rule.name
        assert "cidrIpv4" not in rule.inputs and "cidrIpv6" not in rule.inputs, rule.name


def test_access_policy_names_exactly_the_given_roles(declare):
    inventory = declare(lambda: SearchDomain("search", _args()))
    document = json.loads(_domain(inventory).inputs["accessPolicies"])
    principals = [p for s in document["Statement"] if s["Effect"] == "Allow" for p in s["Principal"]["AWS"]]
    assert sorted(principals) == sorted(ROLES)
    assert "*" not in json.dumps([s["Principal"] for s in document["Statement"]])


def test_no_clients_means_no_ingress_and_no_access(declare):
    inventory = declare(lambda: SearchDomain("search", _args(client_security_group_ids=[], access_role_arns=[])))
    assert not inventory.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    statements = json.loads(_domain(inventory).inputs["accessPolicies"])["Statement"]
    assert [s["Effect"] for s in statements] == ["Deny"]
    assert statements[0]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}


@pytest.mark.parametrize("fine_grained", [False, True])
def test_fine_grained_access_switch(declare, fine_grained):
    master = MASTER_ROLE if fine_grained else None
    inventory = declare(lambda: SearchDomain("search", _args(fine_grained_access_master_role_arn=master)))
    inputs = _domain(inventory).inputs
    security = inputs["advancedSecurityOptions"]
    assert security["enabled"] is fine_grained
    assert security["anonymousAuthEnabled"] is False and security["internalUserDatabaseEnabled"] is False
    assert security.get("masterUserOptions", {}).get("masterUserArn") == master
    published = {o["logType"] for o in inputs["logPublishingOptions"]}
    expected = {"INDEX_SLOW_LOGS", "SEARCH_SLOW_LOGS", "ES_APPLICATION_LOGS"} | ({"AUDIT_LOGS"} if fine_grained else set())
    assert published == expected
    groups = inventory.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert len(groups) == len(expected)
    allowed = json.loads(inputs["accessPolicies"])["Statement"][0]["Principal"]["AWS"]
    assert (MASTER_ROLE in allowed) is fine_grained


def test_logs_go_to_retained_groups_that_the_policy_covers_exactly(declare):
    inventory = declare(lambda: SearchDomain("search", _args(log_retention_days=14)))
    groups = inventory.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert all(g.inputs["retentionInDays"] == 14 for g in groups)
    published = sorted(o["cloudwatchLogGroupArn"] for o in _domain(inventory).inputs["logPublishingOptions"])
    assert published == sorted(f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{g.inputs['name']}" for g in groups)
    (policy,) = inventory.of_type("aws:cloudwatch/logResourcePolicy:LogResourcePolicy")
    (statement,) = json.loads(policy.inputs["policyDocument"])["Statement"]
    assert sorted(statement["Resource"]) == sorted(f"{arn}:*" for arn in published)
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"] == search_domain_arn("us-east-1", ACCOUNT, "mlp-unit-search")


def test_a_created_service_linked_role_comes_before_the_domain_and_outlives_the_stack(declare):
    inventory = declare(lambda: SearchDomain("search", _args(service_linked_role="create")))
    (role,) = inventory.of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole")
    assert role.inputs["awsServiceName"] == "opensearchservice.amazonaws.com"
    assert role.retain_on_delete, "destroying one stack must not delete the account's role"
    assert role.urn in _domain(inventory).dependencies, "the domain must wait for the role"
    assert not [token for token, _ in inventory.invokes if token == "aws:iam/getRole:getRole"]


def test_an_existing_service_linked_role_is_read_not_declared(declare):
    """Declaring the role where it exists fails ("has been taken"), so `existing` declares
    nothing and reads the role: a missing one stops the preview, not the domain's creation."""
    inventory = declare(lambda: SearchDomain("search", _args(service_linked_role="existing")))
    assert inventory.of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole") == []
    reads = [args for token, args in inventory.invokes if token == "aws:iam/getRole:getRole"]
    assert reads == [{"name": "AWSServiceRoleForAmazonOpenSearchService"}]


def test_exactly_one_shipped_stack_creates_the_shared_role(plan):
    """Both shipped stacks name one account (123456789012): two creations of the role would fail."""
    creators = [stack for stack in ("dev", "prod") if plan(stack).of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole")]
    assert creators == ["dev"]
    assert any(token == "aws:iam/getRole:getRole" for token, _ in plan("prod").invokes)


@pytest.mark.parametrize(
    ("sizing", "zone_aware", "masters"),
    [(SearchSizing(), False, 0), (PROD_LIKE, True, 3), (SearchSizing(instance_count=2, availability_zone_count=2), True, 0)],
)
def test_sizing_reaches_the_domain(declare, sizing, zone_aware, masters):
    inventory = declare(lambda: SearchDomain("search", _args(sizing=sizing)))
    inputs = _domain(inventory).inputs
    cluster = inputs["clusterConfig"]
    assert cluster["instanceType"] == sizing.instance_type
    assert cluster["instanceCount"] == sizing.instance_count
    assert cluster["zoneAwarenessEnabled"] is zone_aware
    assert cluster.get("zoneAwarenessConfig", {}).get("availabilityZoneCount") == (sizing.availability_zone_count if zone_aware else None)
    assert cluster["dedicatedMasterEnabled"] is bool(masters)
    assert cluster.get("dedicatedMasterCount") == (masters or None)
    assert inputs["vpcOptions"]["subnetIds"] == SUBNETS[: sizing.availability_zone_count]
    assert inputs["ebsOptions"] == {
        "ebsEnabled": True, "volumeType": "gp3", "volumeSize": sizing.volume_size_gib,
        "iops": sizing.volume_iops, "throughput": sizing.volume_throughput_mibps,
    }


@pytest.mark.parametrize("auto_tune", [False, True])
def test_updates_and_auto_tune_use_the_off_peak_window(declare, auto_tune):
    inventory = declare(lambda: SearchDomain("search", _args(auto_tune=auto_tune, off_peak_window_start_hour_utc=3)))
    inputs = _domain(inventory).inputs
    assert inputs["autoTuneOptions"]["desiredState"] == ("ENABLED" if auto_tune else "DISABLED")
    assert inputs["autoTuneOptions"]["useOffPeakWindow"] is auto_tune
    assert inputs["offPeakWindowOptions"] == {"enabled": True, "offPeakWindow": {"windowStartTime": {"hours": 3, "minutes": 0}}}
    assert inputs["softwareUpdateOptions"] == {"autoSoftwareUpdateEnabled": True}


@pytest.mark.parametrize(("sizing", "yellow", "master_alarms"), [(SearchSizing(), False, False), (PROD_LIKE, True, True)])
def test_alarms_watch_the_domain_and_notify_the_topic(declare, sizing, yellow, master_alarms):
    inventory = declare(lambda: SearchDomain("search", _args(sizing=sizing)))
    alarms = {a.inputs["metricName"]: a for a in inventory.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    required = {"ClusterStatus.red", "FreeStorageSpace", "JVMMemoryPressure", "AutomatedSnapshotFailure"}
    assert required <= set(alarms), sorted(alarms)
    assert ("ClusterStatus.yellow" in alarms) is yellow
    assert ("MasterJVMMemoryPressure" in alarms) is master_alarms
    for metric, alarm in alarms.items():
        assert alarm.inputs["namespace"] == "AWS/ES", metric
        assert alarm.inputs["dimensions"] == {"DomainName": "mlp-unit-search", "ClientId": ACCOUNT}, metric
        assert alarm.inputs["alarmActions"] == [TOPIC], metric
    storage = alarms["FreeStorageSpace"].inputs
    assert storage["comparisonOperator"] == "LessThanOrEqualToThreshold"
    assert storage["threshold"] == free_storage_threshold_mib(sizing.volume_size_gib) == sizing.volume_size_gib * 1024 / 4


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"domain_name": "Search_Prod"}, "3-28 characters"),
        ({"domain_name": "mlp-a-very-long-stack-name-search"}, "3-28 characters"),
        ({"engine_version": "OpenSearch-3.3"}, "not an engine version"),
        ({"sizing": SearchSizing(dedicated_master_count=2)}, "dedicated_master_count"),
        # m7g.medium.search takes at most 768 GiB (data/opensearch/ebs_volume_limits.csv).
        ({"sizing": SearchSizing(volume_size_gib=769)}, "volume_size_gib: OpenSearch Service attaches at most 768 GiB"),
        ({"access_role_arns": ["*"]}, "IAM role ARNs only"),
        ({"off_peak_window_start_hour_utc": 24}, "hour"),
    ],
)
def test_bad_arguments_fail_before_anything_is_declared(declare, overrides, message):
    with pytest.raises(ValueError, match=message):
        declare(lambda: SearchDomain("search", _args(**overrides)))


def test_domain_inputs_fit_the_opensearch_api_model(declare):
    """Values checked against the OpenSearch API model botocore ships (enums and patterns)."""
    shapes = _api_model()
    inventory = declare(lambda: SearchDomain("search", _args(sizing=PROD_LIKE, fine_grained_access_master_role_arn=MASTER_ROLE)))
    inputs = _domain(inventory).inputs
    name_shape = shapes["DomainName"]
    assert re.fullmatch(name_shape["pattern"], inputs["domainName"])
    assert name_shape["min"] <= len(inputs["domainName"]) <= name_shape["max"]
    assert re.fullmatch(shapes["VersionString"]["pattern"], inputs["engineVersion"])
    assert inputs["domainEndpointOptions"]["tlsSecurityPolicy"] in shapes["TLSSecurityPolicy"]["enum"]
    assert inputs["ebsOptions"]["volumeType"] in shapes["VolumeType"]["enum"]
    assert {o["logType"] for o in inputs["logPublishingOptions"]} <= set(shapes["LogType"]["enum"])
    assert inputs["autoTuneOptions"]["desiredState"] in shapes["AutoTuneDesiredState"]["enum"]


def test_engine_version_pattern_is_the_api_one():
    pattern = _api_model()["VersionString"]["pattern"]
    for version in ("OpenSearch_3.3", "OpenSearch_10.12", "Elasticsearch_7.10", "Elasticsearch_10.1", "OpenSearch_3"):
        assert bool(re.fullmatch(pattern, version)) == bool(ENGINE_VERSION_PATTERN.match(version)), version
