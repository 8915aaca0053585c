"""The search domain as each stack declares it, and the config rules that guard it."""

from __future__ import annotations

import json
import math
import re
from datetime import date

import pytest

from components.search.search_sizing import STORAGE_FACTOR
from infra.settings import ConfigError, load_settings
from mlp.plan import PROJECT_DIR

WORLD = {"0.0.0.0/0", "::/0"}
ROLE_ARN = re.compile(r"^arn:aws:iam::\d{12}:role/[\w+=,.@\-/]+$")
DOMAIN = "aws:opensearch/domain:Domain"


@pytest.fixture
def settings_of(stack_document, engine_config):
    return lambda stack: load_settings(stack, engine_config(stack_document(stack)))


def _domain(inventory):
    (domain,) = inventory.of_type(DOMAIN)
    return domain


def test_domain_security_properties(stack_inventory):
    domain = _domain(stack_inventory)
    inputs = domain.inputs
    assert inputs["domainName"] == f"mlp-{stack_inventory.stack}-search"
    keys = [k for k in stack_inventory.children_of(domain.parent) if k.type == "aws:kms/key:Key"]
    assert len(keys) == 1 and keys[0].inputs["enableKeyRotation"] is True, "domain key missing or not rotated"
    assert inputs["encryptAtRest"]["enabled"] is True and inputs["encryptAtRest"]["kmsKeyId"].startswith("arn:aws:kms:")
    assert inputs["nodeToNodeEncryption"]["enabled"] is True
    assert inputs["domainEndpointOptions"] == {"enforceHttps": True, "tlsSecurityPolicy": "Policy-Min-TLS-1-2-PFS-2023-10"}
    assert inputs["advancedSecurityOptions"]["anonymousAuthEnabled"] is False
    private = set(stack_inventory.outputs["privateSubnetIds"])
    assert set(inputs["vpcOptions"]["subnetIds"]) <= private, "domain outside the private subnets"
    assert "vpcOptions" in inputs and inputs["vpcOptions"]["securityGroupIds"], "domain has a public endpoint"


def test_sizing_follows_the_stack_file(stack_inventory, settings_of):
    search = settings_of(stack_inventory.stack).search
    sizing = search.sizing()
    inputs = _domain(stack_inventory).inputs
    cluster = inputs["clusterConfig"]
    assert (cluster["instanceType"], cluster["instanceCount"]) == (sizing.instance_type, sizing.instance_count)
    assert cluster["zoneAwarenessEnabled"] is (search.availability_zone_count > 1)
    assert len(inputs["vpcOptions"]["subnetIds"]) == search.availability_zone_count
    assert cluster["dedicatedMasterEnabled"] is (sizing.dedicated_master_count > 0)
    assert inputs["ebsOptions"] == {
        "ebsEnabled": True, "volumeType": "gp3", "volumeSize": sizing.volume_size_gib,
        "iops": search.volume_iops, "throughput": search.volume_throughput_mibps,
    }


def test_prod_is_zone_aware_one_node_per_zone_and_dev_is_one_node(plan):
    """Sized from the stated index: three zones, one data node each, the nodes the quorum (no
    dedicated masters, documented in Pulumi.prod.yaml next to the setting)."""
    prod = _domain(plan("prod")).inputs
    assert prod["clusterConfig"]["zoneAwarenessEnabled"] is True
    assert prod["clusterConfig"]["zoneAwarenessConfig"]["availabilityZoneCount"] == 3
    assert prod["clusterConfig"]["instanceCount"] == 3
    assert prod["clusterConfig"]["dedicatedMasterEnabled"] is False
    assert prod["autoTuneOptions"]["desiredState"] == "ENABLED"
    assert prod["offPeakWindowOptions"]["enabled"] is True
    dev = _domain(plan("dev")).inputs["clusterConfig"]
    assert dev["instanceCount"] == 1 and dev["zoneAwarenessEnabled"] is False and dev["dedicatedMasterEnabled"] is False


def test_no_security_group_is_open_to_the_world(stack_inventory):
    """Every way a stack can open a port: inline rules, standalone ingress rules, legacy rules."""
    open_rules = []
    for group in stack_inventory.of_type("aws:ec2/securityGroup:SecurityGroup") + stack_inventory.of_type(
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
    ):
        for rule in group.inputs.get("ingress", []):
            if WORLD & set(rule.get("cidrBlocks", []) + rule.get("ipv6CidrBlocks", [])):
                open_rules.append(group.name)
    for rule in stack_inventory.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        if WORLD & {rule.inputs.get("cidrIpv4"), rule.inputs.get("cidrIpv6")}:
            open_rules.append(rule.name)
    for rule in stack_inventory.of_type("aws:ec2/securityGroupRule:SecurityGroupRule"):
        if rule.inputs.get("type") == "ingress" and WORLD & set(rule.inputs.get("cidrBlocks", []) + rule.inputs.get("ipv6CidrBlocks", [])):
            open_rules.append(rule.name)
    assert not open_rules, f"open to the world: {open_rules}"


def test_domain_security_group_admits_only_https_from_groups(stack_inventory):
    domain = _domain(stack_inventory)
    (group,) = [g for g in stack_inventory.children_of(domain.parent) if g.type == "aws:ec2/securityGroup:SecurityGroup"]
    assert "ingress" not in group.inputs and "egress" not in group.inputs, "inline rules on the domain group"
    rules = [r for r in stack_inventory.children_of(group.urn) if r.type.startswith("aws:vpc/securityGroupIngressRule")]
    for rule in rules:
        assert rule.inputs["referencedSecurityGroupId"].startswith("sg-"), rule.name
        assert (rule.inputs["ipProtocol"], rule.inputs["fromPort"], rule.inputs["toPort"]) == ("tcp", 443, 443), rule.name


def test_access_policy_names_only_roles(stack_inventory, settings_of):
    settings = settings_of(stack_inventory.stack)
    domain = _domain(stack_inventory)
    document = json.loads(domain.inputs["accessPolicies"])
    allowed = []
    for statement in document["Statement"]:
        principal = statement["Principal"]
        assert principal != "*" and "*" not in json.dumps(principal), f"wildcard principal in {statement}"
        assert statement["Action"] == "es:ESHttp*"
        assert statement["Resource"] == f"arn:aws:es:{settings.region}:123456789012:domain/{domain.inputs['domainName']}/*"
        if statement["Effect"] == "Allow":
            allowed += principal["AWS"]
    assert all(ROLE_ARN.match(arn) for arn in allowed), allowed
    master = settings.search.fine_grained_access.active_master_role()
    assert (master in allowed) if master else True
    if not allowed:  # no service roles connected yet: the whole account is denied
        assert document["Statement"] == [
            {"Sid": "NoClientsYet", "Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
             "Action": "es:ESHttp*", "Resource": document["Statement"][0]["Resource"]}
        ]


def test_alarms_exist_and_go_to_the_alert_topic(stack_inventory):
    topic = stack_inventory.outputs["alertTopicArn"]
    domain = _domain(stack_inventory)
    alarms = {a.inputs["metricName"]: a for a in stack_inventory.children_of(domain.urn) if a.type == "aws:cloudwatch/metricAlarm:MetricAlarm"}
    required = {"ClusterStatus.red", "FreeStorageSpace", "JVMMemoryPressure", "AutomatedSnapshotFailure"}
    if stack_inventory.stack == "prod":
        required |= {"ClusterStatus.yellow"}
    if domain.inputs["clusterConfig"]["dedicatedMasterEnabled"]:
        required |= {"MasterJVMMemoryPressure"}
    assert required <= set(alarms), f"missing: {required - set(alarms)}"
    for metric, alarm in alarms.items():
        assert alarm.inputs["alarmActions"] == [topic], metric
        assert alarm.inputs["namespace"] == "AWS/ES", metric
        assert alarm.inputs["dimensions"]["DomainName"] == domain.inputs["domainName"], metric
        assert alarm.inputs["dimensions"]["ClientId"] == "123456789012", metric


def test_logs_reach_cloudwatch_through_one_scoped_policy(stack_inventory):
    domain = _domain(stack_inventory)
    published = {o["logType"]: o["cloudwatchLogGroupArn"] for o in domain.inputs["logPublishingOptions"]}
    assert {"INDEX_SLOW_LOGS", "SEARCH_SLOW_LOGS", "ES_APPLICATION_LOGS"} <= set(published)
    policies = stack_inventory.of_type("aws:cloudwatch/logResourcePolicy:LogResourcePolicy")
    assert len(policies) == 1
    (statement,) = json.loads(policies[0].inputs["policyDocument"])["Statement"]
    assert statement["Principal"] == {"Service": "es.amazonaws.com"}
    assert sorted(statement["Resource"]) == sorted(f"{arn}:*" for arn in published.values())


# --- config rules -------------------------------------------------------------------------------

@pytest.fixture
def on_day(monkeypatch):
    """Judge support phases on a fixed day, so these tests do not change meaning over time."""
    return lambda day: monkeypatch.setattr("infra.settings.search.support_date", lambda: day)


def _with_search(stack_document, stack, **search):
    document = stack_document(stack)
    document["config"]["ml-platform:search"].update(search)
    return document


def _problem(stack, document, engine_config):
    with pytest.raises(ConfigError) as caught:
        load_settings(stack, engine_config(document))
    (problem,) = caught.value.problems
    return problem


# The most 1 MiB documents one m7g.medium.search data node holds (no replica): docs / 1024 GiB
# × 1.45 ≤ 768 GiB, the largest volume AWS attaches to the type; one more needs a 769 GiB volume.
_AT_M7G_MEDIUM = math.floor(768 * 1024 / STORAGE_FACTOR)
_PAST_M7G_MEDIUM = _AT_M7G_MEDIUM + 1

REFUSALS = {
    "more zones than the VPC": ("dev", {"availabilityZoneCount": 3, "instanceCount": 3}, "availabilityZoneCount", "network.azCount is 2"),
    "one master": ("prod", {"dedicatedMasterCount": 1}, "dedicatedMasterCount", "3 or 5"),
    "four masters": ("prod", {"dedicatedMasterCount": 4}, "dedicatedMasterCount", "3 or 5"),
    "nodes not a multiple of zones": ("prod", {"instanceCount": 4}, "instanceCount", "multiple of the 3 zones"),
    "gp3 IOPS too high": ("prod", {"volumeIops": 20000}, "volumeIops", "between 3000 and 16000"),
    "gp3 IOPS beyond the volume": ("dev", {"volumeSizeGib": 10, "volumeIops": 6000}, "volumeIops", "500 IOPS per GiB"),
    "gp3 throughput too low": ("prod", {"volumeThroughputMibps": 100}, "volumeThroughputMibps", "between 125 and 1000"),
    "gp3 throughput beyond the IOPS": ("prod", {"volumeThroughputMibps": 1000}, "volumeThroughputMibps", "raise the IOPS"),
    "T2 has no encryption at rest": ("dev", {"instanceType": "t2.small.search"}, "instanceType", "encryption at rest"),
    "small T3": ("dev", {"instanceType": "t3.small.search"}, "instanceType", "encryption at rest"),
    "not an instance type": ("dev", {"instanceType": "m7g.medium"}, "instanceType", "OpenSearch instance type"),
    "old Elasticsearch": ("dev", {"engineVersion": "Elasticsearch_6.8"}, "engineVersion", "only Elasticsearch_7.10"),
    "never offered": ("dev", {"engineVersion": "OpenSearch_2.10"}, "engineVersion", "support calendar"),
    "malformed version": ("dev", {"engineVersion": "opensearch-3.3"}, "engineVersion", "not an engine version"),
    "zone count out of range": ("prod", {"availabilityZoneCount": 4}, "availabilityZoneCount", "1, 2 or 3"),
    "fine-grained without a master": ("dev", {"fineGrainedAccess": {"enabled": True}}, "fineGrainedAccess.masterRoleArn", "master role"),
    "master that is not a role": ("dev", {"fineGrainedAccess": {"enabled": True, "masterRoleArn": "*"}}, "fineGrainedAccess.masterRoleArn", "IAM role ARN"),
    "typo": ("dev", {"instanceTyp": "m7g.medium.search"}, "instanceTyp", "unknown key"),
    # Well-formed but not in the price table: it would drop out of the estimate (issue 12).
    "unknown OpenSearch type": ("dev", {"instanceType": "r9g.large.search"}, "instanceType", "unknown OpenSearch instance type"),
    "unknown master type": ("prod", {"dedicatedMasterCount": 3, "dedicatedMasterType": "r9g.large.search"}, "dedicatedMasterType", "unknown OpenSearch instance type"),
    "too few replicas for the zones": ("prod", {"index": {"replicas": 1}}, "index.replicas", "at least 2 replicas"),
    "pinned volume too small for the index": ("prod", {"index": {"documents": 50_000_000}, "volumeSizeGib": 10}, "volumeSizeGib", "cannot hold"),
    "pinned nodes cannot serve the peak": ("prod", {"instanceType": "m7g.medium.search", "instanceCount": 3, "index": {"queriesPerSecond": 5000}}, "instanceCount", "shard-queries/s"),
    "index typo": ("dev", {"index": {"docs": 5}}, "index.docs", "unknown key"),
    # The data node type's EBS volume limits (data/opensearch/ebs_volume_limits.csv).
    "pinned volume above the pinned type's limit": ("dev", {"instanceType": "m7g.medium.search", "volumeSizeGib": 769}, "volumeSizeGib", "at most 768 GiB of gp3"),
    "pinned volume above every type's limit": ("prod", {"volumeSizeGib": 2049}, "volumeSizeGib", "no known data node type takes a 2,049 GiB"),
    "derived volume above the pinned type's limit": ("dev", {"instanceType": "m7g.medium.search", "instanceCount": 1, "index": {"documents": _PAST_M7G_MEDIUM, "averageDocumentBytes": 2**20, "queriesPerSecond": 1}}, "instanceCount", "769 GiB a node exceed the 768 GiB"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_search_config_refusals(case, stack_document, engine_config, on_day):
    on_day(date(2026, 11, 28))
    stack, change, key, fragment = REFUSALS[case]
    problem = _problem(stack, _with_search(stack_document, stack, **change), engine_config)
    assert problem.key_path == f"ml-platform:search.{key}", problem.render()
    assert fragment in problem.render(), problem.render()


@pytest.mark.parametrize(
    ("stack", "change", "volume"),
    [
        ("dev", {"instanceType": "m7g.medium.search", "volumeSizeGib": 768}, 768),
        ("prod", {"instanceType": "r6g.large.search", "volumeSizeGib": 2048}, 2048),
        ("dev", {"instanceType": "m7g.medium.search", "instanceCount": 1, "index": {"documents": _AT_M7G_MEDIUM, "averageDocumentBytes": 2**20, "queriesPerSecond": 1}}, 768),
    ],
)
def test_a_volume_at_the_type_limit_is_accepted(stack, change, volume, stack_document, engine_config):
    """The pair of each refusal above: pinned or derived, the largest volume AWS attaches to the type."""
    search = load_settings(stack, engine_config(_with_search(stack_document, stack, **change))).search
    assert search.sizing().volume_size_gib == volume


def test_a_pinned_volume_above_the_cheapest_type_moves_the_domain_to_a_type_that_takes_it(stack_document, engine_config):
    search = load_settings("dev", engine_config(_with_search(stack_document, "dev", volumeSizeGib=769))).search
    sizing = search.sizing()
    assert sizing.volume_size_gib == 769 and sizing.instance_type != "m7g.medium.search"


def test_extended_support_is_refused_with_its_surcharge(stack_document, engine_config, on_day):
    on_day(date(2026, 11, 28))
    problem = _problem("prod", _with_search(stack_document, "prod", engineVersion="OpenSearch_2.9"), engine_config)
    assert problem.key_path == "ml-platform:search.engineVersion"
    assert "extended support until 2027-11-07" in problem.message
    assert "equal to the instance price" in problem.message
    assert "3 x m7g.medium.search" in problem.message
    assert "acceptExtendedSupportCost: true" in problem.message


def test_flat_rate_surcharge_is_shown_in_dollars(stack_document, engine_config, on_day):
    on_day(date(2028, 1, 3))
    problem = _problem("dev", _with_search(stack_document, "dev", engineVersion="Elasticsearch_7.10"), engine_config)
    assert "$0.0065 per normalized instance-hour" in problem.message
    assert "per month" in problem.message


def test_extended_support_is_accepted_when_the_cost_is(stack_document, engine_config, on_day):
    on_day(date(2026, 11, 28))
    document = _with_search(stack_document, "prod", engineVersion="OpenSearch_2.9", acceptExtendedSupportCost=True)
    assert load_settings("prod", engine_config(document)).search.engine_version == "OpenSearch_2.9"


def test_a_version_past_extended_support_is_refused_even_when_accepted(stack_document, engine_config, on_day):
    on_day(date(2027, 11, 8))
    document = _with_search(stack_document, "prod", engineVersion="OpenSearch_2.9", acceptExtendedSupportCost=True)
    assert "ended all support" in _problem("prod", document, engine_config).message


def test_elasticsearch_7_10_is_accepted_for_migrations_while_supported(stack_document, engine_config, on_day):
    on_day(date(2026, 11, 28))
    document = _with_search(stack_document, "dev", engineVersion="Elasticsearch_7.10")
    assert load_settings("dev", engine_config(document)).search.engine_version == "Elasticsearch_7.10"


def test_committed_versions_are_on_standard_support_today(settings_of):
    """Fails the day a committed stack's engine leaves standard support: upgrade it or opt in."""
    for stack in ("dev", "prod"):
        assert settings_of(stack).search.engine_version  # loading would raise otherwise


def test_fine_grained_access_on_reaches_the_settings(stack_document, engine_config):
    role = "arn:aws:iam::123456789012:role/search-admin"
    document = _with_search(stack_document, "prod", fineGrainedAccess={"enabled": True, "masterRoleArn": role})
    assert load_settings("prod", engine_config(document)).search.fine_grained_access.active_master_role() == role
    document = _with_search(stack_document, "prod", fineGrainedAccess={"enabled": False, "masterRoleArn": role})
    assert load_settings("prod", engine_config(document)).search.fine_grained_access.active_master_role() is None


HA_CHECKS = ("CKV_AWS_318", "CKV2_AWS_59")


def _as_terraform(domain_inputs: dict) -> dict:
    """The declared domain's cluster settings as the `aws_opensearch_domain` checkov reads (the
    provider's Terraform schema: snake_case, nested blocks as lists)."""
    cluster = domain_inputs["clusterConfig"]
    block = {
        "instance_type": cluster["instanceType"],
        "instance_count": int(cluster["instanceCount"]),
        "dedicated_master_enabled": bool(cluster.get("dedicatedMasterEnabled")),
        "zone_awareness_enabled": bool(cluster.get("zoneAwarenessEnabled")),
    }
    if cluster.get("dedicatedMasterEnabled"):
        block |= {"dedicated_master_count": int(cluster["dedicatedMasterCount"]), "dedicated_master_type": cluster["dedicatedMasterType"]}
    if cluster.get("zoneAwarenessConfig"):
        block["zone_awareness_config"] = [{"availability_zone_count": int(cluster["zoneAwarenessConfig"]["availabilityZoneCount"])}]
    return {"resource": {"aws_opensearch_domain": {"search": {"domain_name": domain_inputs["domainName"], "cluster_config": [block]}}}}


def _failed_ha_checks(terraform: dict, directory) -> set[str]:
    import os
    import subprocess

    from tests.kubernetes_checks import CHECKOV

    directory.mkdir()
    (directory / "domain.tf.json").write_text(json.dumps(terraform))
    completed = subprocess.run(
        ["uvx", "--from", CHECKOV, "checkov", "--directory", str(directory), "--framework", "terraform_json",
         "--check", ",".join(HA_CHECKS), "--output", "json", "--quiet"],
        capture_output=True, text=True, timeout=600, check=False, env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    report = json.loads(completed.stdout)
    report = report[0] if isinstance(report, list) else report
    assert report["summary"]["passed"] + report["summary"]["failed"] == len(HA_CHECKS), report["summary"]
    return {check["check_id"] for check in report["results"]["failed_checks"]}


@pytest.mark.external
def test_opensearch_ha_checks_pass_or_the_choice_is_documented_next_to_the_setting(plan, tmp_path):
    """checkov's OpenSearch HA checks over each stack's declared domain: every check it fails is
    named, with a reason, in the stack file's `ml-platform:search` block."""
    from tests.kubernetes_checks import checkov_available

    reason = checkov_available()
    if reason:
        pytest.skip(reason)
    for stack in ("dev", "prod"):
        terraform = _as_terraform(_domain(plan(stack)).inputs)
        failed = _failed_ha_checks(terraform, tmp_path / stack)
        text = (PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text()
        block = text.split("  ml-platform:search:", 1)[1].split("\n  ml-platform:", 1)[0]
        comments = " ".join(line.strip() for line in block.splitlines() if line.strip().startswith("#"))
        for check in failed:
            assert check in comments, f"Pulumi.{stack}.yaml fails {check} without saying why next to ml-platform:search"
    # The checks see what the domain declares: with three dedicated masters prod passes both.
    prod = _domain(plan("prod")).inputs
    with_masters = {**prod, "clusterConfig": {**prod["clusterConfig"], "dedicatedMasterEnabled": True,
                                              "dedicatedMasterCount": 3.0, "dedicatedMasterType": "m7g.large.search"}}
    assert _failed_ha_checks(_as_terraform(with_masters), tmp_path / "with-masters") == set()
