"""`cluster.capacityEngine`: the default, and every pool setting Karpenter cannot honour refused
with the stack file and key path, before anything is declared."""

from __future__ import annotations

import pytest

from infra.settings import ConfigError, load_settings
from tests.conftest import karpenter_variant


def _refusal(stack, document, engine_config) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_settings(stack, engine_config(document))
    return caught.value


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_stacks_keep_the_autoscaler(stack, stack_document, engine_config):
    settings = load_settings(stack, engine_config(stack_document(stack)))
    assert settings.cluster.capacity_engine == "cluster-autoscaler"
    assert not settings.uses_karpenter


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_karpenter_variant_loads(stack, stack_document, engine_config):
    settings = load_settings(stack, engine_config(karpenter_variant(stack_document(stack))))
    assert settings.uses_karpenter
    assert settings.cluster.karpenter.ami_version == "v20260714"


def _karpenter(stack_document, mutate):
    document = karpenter_variant(stack_document("prod"))
    mutate(document["config"])
    return document


CASES = {
    "a floor": (
        lambda c: c["ml-platform:nodePools"]["spot"].update(minSize=3),
        "ml-platform:nodePools.spot.minSize",
        "keeps no node floor",
    ),
    "a percentage mix": (
        lambda c: c["ml-platform:nodePools"]["spot"].update(onDemandPercentageAboveBaseCapacity=30),
        "ml-platform:nodePools.spot.onDemandPercentageAboveBaseCapacity",
        "cannot split one NodePool",
    ),
    "an on-demand base": (
        lambda c: c["ml-platform:nodePools"]["on-demand"].update(onDemandBaseCapacity=1),
        "ml-platform:nodePools.on-demand.onDemandBaseCapacity",
        "no on-demand base",
    ),
    "a GPU pool floor": (
        lambda c: c["ml-platform:cluster"].update(gpuPool={"enabled": True, "minSize": 1}),
        "ml-platform:cluster.gpuPool.minSize",
        "keeps no node floor",
    ),
    "termination alarm thresholds": (
        lambda c: c["ml-platform:interruption"].update(noticeAlarm={"poolThresholds": {"spot": 30}}),
        "ml-platform:interruption.noticeAlarm",
        "lifecycle rules",
    ),
    "the autoscaler's provisioning wait": (
        lambda c: c["ml-platform:cluster"].setdefault("autoscaling", {}).update(maxNodeProvisionMinutes=5),
        "ml-platform:cluster.autoscaling.maxNodeProvisionMinutes",
        "cluster-autoscaler's wait",
    ),
    "the groups' capacity rebalance": (
        lambda c: c["ml-platform:interruption"].update(capacityRebalance=False),
        "ml-platform:interruption.capacityRebalance",
        "Capacity Rebalancing",
    ),
    "a webhook": (
        lambda c: c["ml-platform:interruption"].update(webhookUrl="https://hooks.example.com/x"),
        "ml-platform:interruption.webhookUrl",
        "no webhook notifier",
    ),
    "an AMI that is not pinned": (
        lambda c: c["ml-platform:cluster"].update(karpenter={"amiVersion": "latest"}),
        "ml-platform:cluster.karpenter.amiVersion",
        "never `latest`",
    ),
    "an unknown engine": (
        lambda c: c["ml-platform:cluster"].update(capacityEngine="fargate"),
        "ml-platform:cluster.capacityEngine",
        "'cluster-autoscaler' or 'karpenter'",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_what_karpenter_cannot_honour_is_refused(case, stack_document, engine_config):
    mutate, key_path, fragment = CASES[case]
    error = _refusal("prod", _karpenter(stack_document, mutate), engine_config)
    assert str(error).startswith("Pulumi.prod.yaml: invalid configuration")
    matching = [p for p in error.problems if p.key_path == key_path]
    assert matching, f"no problem names {key_path}: {error}"
    assert any(fragment in p.render() for p in matching), str(error)


def test_the_same_keys_are_fine_under_the_autoscaler(stack_document, engine_config):
    """The refusals belong to the switch: with the autoscaler, a floor and a mix are honoured."""
    document = stack_document("prod")
    document["config"]["ml-platform:nodePools"]["spot"].update(
        minSize=3, onDemandPercentageAboveBaseCapacity=30
    )
    assert load_settings("prod", engine_config(document)).node_pools["spot"].min_size == 3


def test_shipped_prod_switched_alone_names_its_floor(stack_document, engine_config):
    """Switching prod's engine and nothing else is refused, pointing at the floor to drop."""
    document = stack_document("prod")
    document["config"]["ml-platform:cluster"]["capacityEngine"] = "karpenter"
    error = _refusal("prod", document, engine_config)
    assert [p.key_path for p in error.problems] == ["ml-platform:nodePools.spot.minSize"]
