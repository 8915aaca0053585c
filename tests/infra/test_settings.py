"""Config validation: every bad value is refused before anything is declared, naming the stack
file and the key path as written in it."""

from __future__ import annotations

import pytest

from infra.settings import ConfigError, load_settings


def _set(path: str, value):
    """A mutation that sets `ml-platform:section.a.b` in a stack document."""

    def apply(document):
        top, *rest = path.split(".")
        if not rest:
            document["config"][top] = value
            return
        node = document["config"].setdefault(top, {})
        for part in rest[:-1]:
            node = node.setdefault(part, {})
        node[rest[-1]] = value

    return apply


def _delete(path: str):
    def apply(document):
        top, *rest = path.split(".")
        if not rest:
            del document["config"][top]
            return
        node = document["config"][top]
        for part in rest[:-1]:
            node = node[part]
        del node[rest[-1]]

    return apply


# (mutation, key path the error must name, a fragment of the explanation)
BAD_CONFIGS = {
    "wrong type: number as string": (_set("ml-platform:network.azCount", "2"), "ml-platform:network.azCount", "valid integer"),
    "out of range: too many zones": (_set("ml-platform:network.azCount", 4), "ml-platform:network.azCount", "less than or equal to 3"),
    "out of range: one zone": (_set("ml-platform:network.azCount", 1), "ml-platform:network.azCount", "greater than or equal to 2"),
    "unknown key: typo in a section": (_set("ml-platform:network.natStrategey", "single"), "ml-platform:network.natStrategey", "unknown key"),
    "unknown key: typo in a section name": (_set("ml-platform:netwrok", {}), "ml-platform:netwrok", "unknown key"),
    "unknown key: nested typo": (_set("ml-platform:network.flowLogs.retention", 7), "ml-platform:network.flowLogs.retention", "unknown key"),
    "unknown namespace": (_set("aws:region", "us-west-2"), "aws:region", "unknown namespace"),
    "missing required: region": (_delete("ml-platform:region"), "ml-platform:region", "required"),
    "missing required: team tag": (_delete("ml-platform:tags.team"), "ml-platform:tags.team", "required"),
    "bad enum: NAT strategy": (_set("ml-platform:network.natStrategy", "per-zone"), "ml-platform:network.natStrategy", "'single' or 'per-az'"),
    "bad enum: endpoint": (_set("ml-platform:network.interfaceEndpoints", ["ecr.api", "s3"]), "ml-platform:network.interfaceEndpoints[1]", "'ecr.api'"),
    "duplicate endpoint": (_set("ml-platform:network.interfaceEndpoints", ["sts", "sts"]), "ml-platform:network.interfaceEndpoints", "more than once"),
    "bad CIDR syntax": (_set("ml-platform:network.vpcCidr", "10.40.0.0/33"), "ml-platform:network.vpcCidr", "IPv4 network"),
    "public CIDR": (_set("ml-platform:network.vpcCidr", "8.8.0.0/16"), "ml-platform:network.vpcCidr", "private"),
    "CIDR too small": (_set("ml-platform:network.vpcCidr", "10.40.0.0/24"), "ml-platform:network.vpcCidr", "/16 and /20"),
    "bad retention": (_set("ml-platform:network.flowLogs.retentionDays", 10), "ml-platform:network.flowLogs.retentionDays", "Input should be 1, 3"),
    "bad bool": (_set("ml-platform:network.flowLogs.enabled", "yes"), "ml-platform:network.flowLogs.enabled", "valid boolean"),
    "bad region": (_set("ml-platform:region", "US East"), "ml-platform:region", "region code"),
    "bad tag characters": (_set("ml-platform:tags.costCenter", "ml#prod"), "ml-platform:tags.costCenter", "characters"),
    "section of the wrong shape": (_set("ml-platform:network", ["10.40.0.0/16"]), "ml-platform:network", "should be an object"),
}


@pytest.mark.parametrize("stack", ["dev", "prod"])
@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_is_refused_naming_file_and_key(case, stack, stack_document, engine_config):
    mutate, key_path, fragment = BAD_CONFIGS[case]
    document = stack_document(stack)
    mutate(document)
    with pytest.raises(ConfigError) as caught:
        load_settings(stack, engine_config(document))
    message = str(caught.value)
    assert message.startswith(f"Pulumi.{stack}.yaml: invalid configuration"), message
    matching = [p for p in caught.value.problems if p.key_path == key_path]
    assert matching, f"no problem names {key_path}: {message}"
    assert any(fragment in p.render() for p in matching), message


def test_every_problem_is_reported_at_once(stack_document, engine_config):
    document = stack_document("dev")
    for mutate, _, _ in (BAD_CONFIGS["bad region"], BAD_CONFIGS["bad enum: NAT strategy"], BAD_CONFIGS["public CIDR"]):
        mutate(document)
    with pytest.raises(ConfigError) as caught:
        load_settings("dev", engine_config(document))
    assert {p.key_path for p in caught.value.problems} == {
        "ml-platform:region",
        "ml-platform:network.natStrategy",
        "ml-platform:network.vpcCidr",
    }


def test_the_offending_value_is_shown(stack_document, engine_config):
    document = stack_document("dev")
    BAD_CONFIGS["out of range: too many zones"][0](document)
    with pytest.raises(ConfigError, match=r"azCount: .*\(got 4\)"):
        load_settings("dev", engine_config(document))


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_committed_stack_files_are_valid(stack, stack_document, engine_config):
    settings = load_settings(stack, engine_config(stack_document(stack)))
    assert settings.region == "us-east-1"


def test_defaults_apply_when_a_section_is_omitted(stack_document, engine_config):
    document = stack_document("dev")
    del document["config"]["ml-platform:network"]
    settings = load_settings("dev", engine_config(document))
    assert settings.network.az_count == 2
    assert settings.network.nat_strategy == "single"
    assert settings.network.flow_logs.retention_days == 30


def test_alert_email_must_be_an_address(stack_document, engine_config):
    document = stack_document("prod")
    document["config"]["ml-platform:alerts"] = {"emails": ["oncall"]}
    with pytest.raises(ConfigError, match=r"ml-platform:alerts.emails: not an email address: oncall"):
        load_settings("prod", engine_config(document))


def test_node_drain_longer_than_the_spot_notice_is_refused(stack_document, engine_config):
    document = stack_document("dev")
    document["config"]["ml-platform:interruption"] = {"nodeDrainSeconds": 110}
    with pytest.raises(ConfigError) as caught:
        load_settings("dev", engine_config(document))
    (problem,) = caught.value.problems
    assert problem.key_path == "ml-platform:interruption.nodeDrainSeconds"
    assert "120s spot notice" in problem.message and problem.value == 110


def test_pod_grace_longer_than_node_drain_is_refused(stack_document, engine_config):
    document = stack_document("dev")
    document["config"]["ml-platform:interruption"] = {"nodeDrainSeconds": 60, "podGraceSeconds": 90}
    with pytest.raises(ConfigError, match=r"ml-platform:interruption.podGraceSeconds: pod grace of 90s"):
        load_settings("dev", engine_config(document))


@pytest.mark.parametrize(
    "interruption, key, fragment",
    [
        ({"queueAgeAlarmSeconds": 100}, "queueAgeAlarmSeconds", "must be above 105s"),
        ({"nodeDrainSeconds": 60, "queueAgeAlarmSeconds": 75}, "queueAgeAlarmSeconds", "must be above 75s"),
        ({"queueAgeAlarmSeconds": 300}, "queueAgeAlarmSeconds", "less than 300"),
        ({"enabled": "no"}, "enabled", "valid boolean"),
        ({"noticeAlarm": {"threshold": 0}}, "noticeAlarm.threshold", "greater than or equal to 1"),
        ({"noticeAlarm": {"poolThresholds": {"gpu": 0}}}, "noticeAlarm.poolThresholds", "at least 1 (pools gpu)"),
        ({"noticeAlarm": {"periodMinutes": 2}}, "noticeAlarm.periodMinutes", "greater than or equal to 5"),
        ({"webhookUrl": 42}, "webhookUrl", "string"),
    ],
)
def test_bad_interruption_settings_are_refused_naming_the_key(interruption, key, fragment, stack_document, engine_config):
    document = stack_document("prod")
    document["config"]["ml-platform:interruption"] = interruption
    with pytest.raises(ConfigError) as caught:
        load_settings("prod", engine_config(document))
    (problem,) = caught.value.problems
    assert problem.key_path == f"ml-platform:interruption.{key}", problem.render()
    assert fragment in problem.render(), problem.render()


def test_the_age_alarm_tracks_the_drain_it_must_exceed(stack_document, engine_config):
    document = stack_document("dev")
    document["config"]["ml-platform:interruption"] = {"nodeDrainSeconds": 45, "queueAgeAlarmSeconds": 61}
    settings = load_settings("dev", engine_config(document)).interruption
    assert settings.drain_budget().lifecycle_timeout_seconds() == 60
    assert settings.queue_age_alarm_seconds == 61


def test_per_pool_thresholds_override_the_default(stack_document, engine_config):
    document = stack_document("dev")
    document["config"]["ml-platform:interruption"] = {"noticeAlarm": {"threshold": 4, "poolThresholds": {"gpu": 1}}}
    document["config"]["ml-platform:cluster"]["gpuPool"] = {"enabled": True}
    settings = load_settings("dev", engine_config(document))
    assert settings.notice_alarm_threshold("gpu") == 1
    assert settings.notice_alarm_threshold("spot") == 4
    assert settings.interruption.unknown_pools({"general"}) == ["gpu"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_pool_alarm_fires_on_a_normal_scale_in(stack, stack_document, engine_config):
    """The alarm counts scale-ins too: each committed pool's threshold is above the most a full
    scale-in from peak terminates."""
    settings = load_settings(stack, engine_config(stack_document(stack)))
    for pool, scale_range in settings.worker_pool_scale_ranges().items():
        assert settings.notice_alarm_threshold(pool) > scale_range, f"{stack}: pool {pool} alarms on a scale-in"


def test_a_threshold_for_a_pool_the_stack_lacks_is_refused(stack_document, engine_config):
    """A typo in `poolThresholds` would otherwise leave the real pool on the default silently."""
    document = stack_document("prod")
    document["config"]["ml-platform:interruption"]["noticeAlarm"] = {"poolThresholds": {"spto": 9}}
    with pytest.raises(ConfigError) as caught:
        load_settings("prod", engine_config(document))
    (problem,) = caught.value.problems
    assert problem.key_path == "ml-platform:interruption.noticeAlarm.poolThresholds", problem.render()
    assert "spto" in problem.render() and "on-demand, spot" in problem.render(), problem.render()


def test_a_threshold_for_the_gpu_pool_needs_the_gpu_pool(stack_document, engine_config):
    document = stack_document("dev")
    document["config"]["ml-platform:interruption"] = {"noticeAlarm": {"poolThresholds": {"gpu": 1}}}
    with pytest.raises(ConfigError):
        load_settings("dev", engine_config(document))
    document["config"]["ml-platform:cluster"]["gpuPool"] = {"enabled": True}
    assert load_settings("dev", engine_config(document)).notice_alarm_threshold("gpu") == 1


def test_the_webhook_url_never_shows_in_settings(stack_document, engine_config):
    document = stack_document("dev")
    document["config"]["ml-platform:interruption"] = {"webhookUrl": "https://hooks.example.com/T0/B0/secret"}
    interruption = load_settings("dev", engine_config(document), {"ml-platform:interruption"}).interruption
    assert "hooks.example.com" not in repr(interruption)
    assert interruption.webhook_url.get_secret_value().startswith("https://hooks.example.com/")


def test_a_secret_written_in_plain_text_is_refused(stack_document, engine_config):
    document = stack_document("prod")
    document["config"]["ml-platform:interruption"]["webhookUrl"] = "https://hooks.example.com/T000/B000"
    with pytest.raises(ConfigError) as caught:
        load_settings("prod", engine_config(document))
    (problem,) = caught.value.problems
    assert problem.key_path == "ml-platform:interruption.webhookUrl"
    assert "plain text" in problem.message and "--secret" in problem.message
    assert "hooks.example.com" not in str(caught.value), "the error must not echo the secret"


def test_a_secret_set_as_a_secret_is_accepted(scratch_project):
    from mlp.plan import PROJECT_DIR, build_inventory

    text = (PROJECT_DIR / "Pulumi.dev.yaml").read_text().replace(
        "  ml-platform:interruption:\n",
        "  ml-platform:interruption:\n    webhookUrl:\n      secure: v1:c2VjcmV0LWNpcGhlcnRleHQ=\n",
    )
    assert "webhookUrl" in text
    inventory = build_inventory("dev", scratch_project("dev", text))
    secrets = [r for r in inventory.of_type("kubernetes:core/v1:Secret")]
    assert secrets, "the webhook URL secret was not declared"
    assert "[secret]" in str(secrets[0].inputs), "the webhook URL left the plan in clear"


@pytest.mark.parametrize(
    ("zone_ids", "fragment"),
    [
        (["use1-az1"], "lists 1 zones but azCount is 2"),
        (["use1-az1", "use1-az1"], "more than once"),
        (["use1-az1", "use1-az3"], "use1-az3: EKS does not accept cluster subnets there"),
        (["us-east-1a", "us-east-1b"], "not zone IDs"),
        (["use1-az1", "usw2-az1"], "different regions"),
    ],
)
def test_bad_zone_ids_are_refused_naming_the_key(zone_ids, fragment, stack_document, engine_config):
    document = stack_document("dev")
    document["config"]["ml-platform:network"]["availabilityZoneIds"] = zone_ids
    with pytest.raises(ConfigError) as caught:
        load_settings("dev", engine_config(document))
    message = str(caught.value)
    assert "Pulumi.dev.yaml" in message and "ml-platform:network.availabilityZoneIds" in message
    assert fragment in message
