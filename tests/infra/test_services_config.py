"""`ml-platform:services`: every refusal names the stack file and the key path as written."""

from __future__ import annotations

import pytest

from infra.settings import ConfigError, load_settings


def _edit(path: str, value):
    """Set `a.b.c` below `ml-platform:services` in a stack document (None deletes)."""

    def apply(document):
        node = document["config"]["ml-platform:services"]
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            del node[leaf]
        else:
            node[leaf] = value

    return apply


def _variants(weights: dict[str, int]):
    def apply(document):
        service = document["config"]["ml-platform:services"]["discovery"]
        digest = service["image"].pop("digest")
        service["variants"] = {name: {"digest": digest, "weight": weight} for name, weight in weights.items()}

    return apply


DIGEST = "sha256:" + "a" * 64
KEY = "ml-platform:services"

# (mutation, key path the error must name, fragment of the explanation); both stacks.
REFUSALS = {
    "latest tag": (
        lambda d: (_edit("discovery.image.digest", None)(d), _edit("discovery.image.tag", "latest")(d)),
        f"{KEY}.discovery.image.tag",
        "`latest` moves",
    ),
    "tag and digest": (_edit("discovery.image.tag", "1.2.0"), f"{KEY}.discovery.image.digest", "not both"),
    "one variant pinned, one not": (
        lambda d: (_variants({"a": 50, "b": 50})(d), d["config"][KEY]["discovery"]["variants"]["b"].pop("digest")),
        f"{KEY}.discovery.variants.b.digest",
        "pin every variant or none",
    ),
    "exposed without certificate or zone": (
        lambda d: d["config"].pop("ml-platform:dns"),
        f"{KEY}.search-autocomplete.certificateArn",
        "set dns.hostedZoneId and dns.hostedZoneName",
    ),
    "host outside the hosted zone": (
        _edit("discovery.host", "discovery.example.org"),
        f"{KEY}.discovery.host",
        "not in the hosted zone ml-platform.example.com",
    ),
    "certificate of another region": (
        _edit("discovery.certificateArn", "arn:aws:acm:eu-west-1:123456789012:certificate/0b5c4a3e-1d2f-4e6a-9b8c-7d6e5f4a3b2c"),
        f"{KEY}.discovery.certificateArn",
        "certificates of its own region (us-east-1)",
    ),
    "malformed certificate ARN": (_edit("discovery.certificateArn", "arn:aws:acm:us-east-1:1:cert"), f"{KEY}.discovery.certificateArn", "ACM certificate ARN"),
    "certificate on an unexposed service": (
        _edit("experiments.certificateArn", "arn:aws:acm:us-east-1:123456789012:certificate/0b5c4a3e-1d2f-4e6a-9b8c-7d6e5f4a3b2c"),
        f"{KEY}.experiments.certificateArn",
        "only an exposed service",
    ),
    "malformed digest": (_edit("discovery.image.digest", "sha256:abc"), f"{KEY}.discovery.image.digest", "64 lowercase hex"),
    "bad repository name": (_edit("discovery.image.repository", "Discovery"), f"{KEY}.discovery.image.repository", "ECR repository name"),
    "missing memory limit": (_edit("discovery.resources.memoryLimitMib", None), f"{KEY}.discovery.resources.memoryLimitMib", "required"),
    "missing cpu request": (_edit("discovery.resources.cpuMillicores", None), f"{KEY}.discovery.resources.cpuMillicores", "required"),
    "memory limit below request": (_edit("discovery.resources.memoryLimitMib", 128), f"{KEY}.discovery.resources.memoryLimitMib", "at least the request"),
    "cpu limit below request": (_edit("discovery.resources.cpuLimitMillicores", 50), f"{KEY}.discovery.resources.cpuLimitMillicores", "at least the request"),
    "min above max": (_edit("discovery.replicas", {"min": 5, "max": 2}), f"{KEY}.discovery.replicas.min", "above max"),
    "weights not 100": (_variants({"control": 60, "candidate": 30}), f"{KEY}.discovery.variants", "sum to 100, not 90"),
    "one variant": (_variants({"control": 100}), f"{KEY}.discovery.variants", "at least two"),
    "variant with latest": (
        lambda d: (_variants({"a": 50, "b": 50})(d), d["config"][KEY]["discovery"]["variants"]["b"].update(digest=None, tag="latest")),
        f"{KEY}.discovery.variants.b.tag",
        "`latest` moves",
    ),
    "variants on an unexposed service": (
        lambda d: (_variants({"a": 50, "b": 50})(d), _edit("discovery.exposed", "none")(d)),
        f"{KEY}.discovery.exposed",
        "must be `public`",
    ),
    "internal exposure": (
        _edit("discovery.exposed", "internal"),
        f"{KEY}.discovery.exposed",
        "every pod in the VPC past `callers`",
    ),
    "exposed preStop shorter than deregistration": (
        _edit("discovery.preStopSeconds", 5),
        f"{KEY}.discovery.preStopSeconds",
        "deregisters it",
    ),
    "unknown caller": (_edit("experiments.callers", ["discovery", "billing"]), f"{KEY}.experiments.callers", "unknown caller 'billing'"),
    "self caller": (_edit("experiments.callers", ["experiments"]), f"{KEY}.experiments.callers", "itself"),
    "exposed without host": (_edit("discovery.host", None), f"{KEY}.discovery.host", "needs a host name"),
    "grace outside the drain budget": (
        _edit("discovery.terminationGracePeriodSeconds", 100),
        f"{KEY}.discovery.terminationGracePeriodSeconds",
        "does not fit the handler's drain budget",
    ),
    "preStop as long as the grace period": (
        lambda d: (_edit("discovery.terminationGracePeriodSeconds", 20)(d), _edit("discovery.preStopSeconds", 20)(d)),
        f"{KEY}.discovery.preStopSeconds",
        "shorter than terminationGracePeriodSeconds",
    ),
    "bad capacity": (_edit("discovery.capacity", "reserved"), f"{KEY}.discovery.capacity", "'spot', 'spot-preferred' or 'on-demand'"),
    "bad service name": (
        lambda d: d["config"][KEY].update({"Discovery_V2": d["config"][KEY]["discovery"]}),
        f"{KEY}.Discovery_V2",
        "DNS label",
    ),
    "unknown key": (_edit("discovery.replica", {"min": 1, "max": 2}), f"{KEY}.discovery.replica", "allowed keys here: callers,"),
    "unknown nested key": (_edit("discovery.resources.cpu", 1), f"{KEY}.discovery.resources.cpu", "cpuMillicores, memoryLimitMib"),
    "model prefix without slash": (
        _edit("discovery.modelArtifacts", {"bucket": "models-bucket", "prefix": "discovery"}),
        f"{KEY}.discovery.modelArtifacts.prefix",
        "pattern",
    ),
}


@pytest.mark.parametrize("stack", ["dev", "prod"])
@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_bad_service_config_is_refused_with_its_key_path(case, stack, stack_document, engine_config):
    mutate, key_path, fragment = REFUSALS[case]
    document = stack_document(stack, images="pinned")
    mutate(document)
    with pytest.raises(ConfigError) as caught:
        load_settings(stack, engine_config(document))
    matching = [p for p in caught.value.problems if p.key_path == key_path]
    assert matching, f"no problem names {key_path}: {caught.value}"
    assert any(fragment in p.render() for p in matching), str(caught.value)


def test_the_drain_budget_follows_the_interruption_settings(stack_document, engine_config):
    """The same grace period passes or fails depending on the handler's budget: the rule reads
    `interruption`, it is not a constant of the services section."""
    document = stack_document("prod")
    document["config"][KEY]["discovery"]["terminationGracePeriodSeconds"] = 60
    document["config"]["ml-platform:interruption"] = {"nodeDrainSeconds": 90}
    assert load_settings("prod", engine_config(document)).services["discovery"].termination_grace_period_seconds == 60
    document["config"]["ml-platform:interruption"] = {"nodeDrainSeconds": 45}
    with pytest.raises(ConfigError, match="terminationGracePeriodSeconds"):
        load_settings("prod", engine_config(document))


def test_valid_variants_and_scale_to_zero_are_accepted(stack_document, engine_config):
    document = stack_document("dev", images="pinned")
    _variants({"control": 50, "candidate": 50})(document)
    _edit("experiments.replicas", {"min": 0, "max": 1})(document)
    settings = load_settings("dev", engine_config(document))
    assert sorted(settings.services["discovery"].variants) == ["candidate", "control"]
    assert settings.services["experiments"].replicas.min == 0


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_service_without_an_image_is_accepted_as_awaiting_one(stack, stack_document, engine_config):
    """No digest and no tag is the first deploy (nothing pushed yet), not an error; a pinned
    service is not awaiting."""
    shipped = load_settings(stack, engine_config(stack_document(stack)))
    assert all(service.awaiting_image for service in shipped.services.values())
    pinned = load_settings(stack, engine_config(stack_document(stack, images="pinned")))
    assert not any(service.awaiting_image for service in pinned.services.values())


def test_an_issued_certificate_replaces_the_zone(stack_document, engine_config):
    document = stack_document("dev", images="pinned")
    document["config"].pop("ml-platform:dns")
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/0b5c4a3e-1d2f-4e6a-9b8c-7d6e5f4a3b2c"
    for name in ("search-autocomplete", "recommendations", "discovery"):
        _edit(f"{name}.certificateArn", arn)(document)
    settings = load_settings("dev", engine_config(document))
    assert settings.dns is None and settings.services["discovery"].certificate_arn == arn


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_both_stacks_declare_the_four_services(stack, stack_document, engine_config):
    settings = load_settings(stack, engine_config(stack_document(stack)))
    assert set(settings.services) == {"search-autocomplete", "recommendations", "discovery", "experiments"}
    assert settings.services["search-autocomplete"].search


def test_prod_runs_an_experiment_with_two_variants(stack_document, engine_config):
    settings = load_settings("prod", engine_config(stack_document("prod")))
    experiments = {name: s for name, s in settings.services.items() if s.variants}
    assert len(experiments) == 1, experiments
    (service,) = experiments.values()
    assert len(service.variants) == 2
    assert sum(v.weight for v in service.variants.values()) == 100
