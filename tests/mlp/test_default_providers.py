"""The engine's default-provider rule, as the offline plan enforces it (`mlp.default_providers`)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks
import pytest

from mlp.default_providers import (
    DefaultProviderConfigError,
    DefaultProviderDenied,
    DefaultProviderPolicy,
    needs_provider,
)

DISABLE_ALL = {"pulumi:disable-default-providers": '["*"]'}


@pytest.mark.parametrize(
    ("raw", "package", "denied"),
    [
        ('["*"]', "aws", True),
        ('["*"]', "pulumi", False),  # the engine never denies its own package
        ('[" eks "]', "eks", True),  # entries are trimmed
        ('["eks"]', "aws", False),
        ("", "aws", False),  # an empty list arrives as the empty string
        (None, "aws", False),
    ],
)
def test_policy_reads_the_config_as_the_engine_does(raw, package, denied):
    config = {} if raw is None else {"pulumi:disable-default-providers": raw}
    assert DefaultProviderPolicy.from_config(config).denies(package) is denied


@pytest.mark.parametrize("raw", ['"*"', "[1]", "not json"])
def test_policy_refuses_what_the_engine_cannot_read(raw):
    with pytest.raises(DefaultProviderConfigError):
        DefaultProviderPolicy.from_config({"pulumi:disable-default-providers": raw})


def test_only_custom_resources_and_remote_components_need_a_provider():
    assert needs_provider("aws:s3/bucket:Bucket", custom=True, remote=False)
    assert needs_provider("eks:index:Cluster", custom=False, remote=True)
    assert not needs_provider("mlplatform:network:Network", custom=False, remote=False)
    assert not needs_provider("pulumi:providers:aws", custom=True, remote=False)


def test_a_remote_component_without_its_package_provider_is_refused(declare):
    """What would have caught `eks:index:Cluster` on the stacks: the AWS provider in its
    `providers` is not the `eks` provider the engine looks for."""

    def build():
        aws_provider = aws.Provider("aws", region="us-east-1")
        eks.Cluster("lonely", skip_default_node_group=True, opts=pulumi.ResourceOptions(providers=[aws_provider]))

    with pytest.raises(DefaultProviderDenied) as refused:
        declare(build, config=DISABLE_ALL)
    assert refused.value.refusals == [
        "resource 'lonely': Default provider for 'eks' disabled. 'eks:index:Cluster' must use an explicit provider."
    ]


def test_a_remote_component_with_its_provider_is_planned_and_shows_it(declare):
    def build():
        aws_provider = aws.Provider("aws", region="us-east-1")
        eks_provider = eks.Provider("eks")
        eks.Cluster(
            "cluster", skip_default_node_group=True, opts=pulumi.ResourceOptions(providers=[aws_provider, eks_provider])
        )

    inventory = declare(build, config=DISABLE_ALL)
    component = inventory.named("cluster")
    assert component.provider == inventory.named("eks").urn
    # The registration sends both providers in its `providers` map: the eks one resolves the
    # component, the aws one is what pulumi-eks hands its AWS children (the mock's synthetic
    # `aws:eks/cluster:Cluster` child takes it from that same map, `mlp/mock_eks.py`).
    assert component.providers == {"aws": inventory.named("aws").urn, "eks": inventory.named("eks").urn}
    assert inventory.named("cluster-eksCluster").provider == inventory.named("aws").urn


def test_a_custom_resource_without_a_provider_is_refused_by_urn(declare):
    def build():
        aws.sns.Topic("orphan")

    with pytest.raises(DefaultProviderDenied) as refused:
        declare(build, config=DISABLE_ALL)
    (refusal,) = refused.value.refusals
    assert refusal.startswith("resource 'orphan': Default provider for 'aws' disabled. 'urn:pulumi:")
    assert "aws:sns/topic:Topic::orphan" in refusal


def test_children_of_a_component_inherit_its_provider(declare):
    """A component's `providers` reach its children (the SDK passes them; the engine would also
    resolve them from the parent component's providers)."""

    class Holder(pulumi.ComponentResource):
        def __init__(self, name, opts):
            super().__init__("test:index:Holder", name, None, opts)
            aws.sns.Topic(f"{name}-topic", opts=pulumi.ResourceOptions(parent=self))

    def build():
        Holder("holder", pulumi.ResourceOptions(providers=[aws.Provider("aws", region="us-east-1")]))

    inventory = declare(build, config=DISABLE_ALL)
    assert inventory.named("holder-topic").provider == inventory.named("aws").urn
    assert inventory.named("holder").provider is None  # not remote: no provider of its own


def test_an_invoke_without_a_provider_is_refused(declare):
    def build():
        aws.get_caller_identity()

    with pytest.raises(DefaultProviderDenied) as refused:
        declare(build, config=DISABLE_ALL)
    expected = (
        "invoke: Default provider for 'aws' disabled. "
        "'aws:index/getCallerIdentity:getCallerIdentity' must use an explicit provider."
    )
    assert refused.value.refusals == [expected]


def test_the_rule_follows_the_listed_packages(declare):
    def build():
        aws.sns.Topic("default-aws")

    assert declare(build, config={"pulumi:disable-default-providers": '["kubernetes"]'}).named("default-aws")


def test_the_stacks_give_every_registration_an_explicit_provider(stack_inventory):
    """Both stacks disable every default provider; their plan passing the rule is the point, and
    the remote component shows the `eks` provider it uses."""
    (component,) = stack_inventory.of_type("eks:index:Cluster")
    assert stack_inventory.by_urn(component.provider).type == "pulumi:providers:eks"
    for resource in stack_inventory.resources:
        if needs_provider(resource.type, resource.custom, resource.type == "eks:index:Cluster"):
            assert resource.provider, f"{resource.name} ({resource.type}) has no explicit provider"


def test_mlp_plan_stops_with_the_engines_words(monkeypatch, capsys):
    from mlp import cli, plan

    refusal = "resource 'cluster-eks': Default provider for 'eks' disabled. 'eks:index:Cluster' must use an explicit provider."

    def refused(*_args, **_kwargs):
        raise DefaultProviderDenied([refusal])

    monkeypatch.setattr(plan, "build_inventory", refused)
    assert cli.main(["plan", "dev"]) == cli.EXIT_ENGINE
    assert refusal in capsys.readouterr().err


def test_a_read_without_a_provider_is_refused(declare):
    def build():
        aws.sns.Topic.get("existing", "arn:aws:sns:us-east-1:123456789012:existing")

    with pytest.raises(DefaultProviderDenied) as refused:
        declare(build, config=DISABLE_ALL)
    assert refused.value.refusals == [
        "read of 'existing': Default provider for 'aws' disabled. 'aws:sns/topic:Topic' must use an explicit provider."
    ]
