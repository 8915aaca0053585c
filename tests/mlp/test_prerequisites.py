"""The prerequisites `mlp plan` lists: what each stack expects outside itself, with its key."""

from __future__ import annotations

import json

import pytest

from infra.settings import load_settings
from mlp.cli import main
from mlp.prerequisites import SOURCES, looks_like_placeholder, prerequisites


def _settings(document, engine_config, stack):
    return load_settings(stack, engine_config(document))


def _by_kind(items):
    found: dict[str, dict[str, str]] = {}
    for item in items:
        found.setdefault(item.kind, {})[item.key] = item.value
    return found


def test_prod_lists_every_external_prerequisite_with_its_key(stack_document, engine_config):
    document = stack_document("prod", images="pinned")
    found = _by_kind(prerequisites(_settings(document, engine_config, "prod")))
    cluster = document["config"]["ml-platform:cluster"]
    assert found["admin role"] == {
        f"ml-platform:cluster.adminRoleArns[{index}]": arn for index, arn in enumerate(cluster["adminRoleArns"])
    }
    assert found["deployer"] == {"ml-platform:cluster.deployerRoleArn": cluster["deployerRoleArn"]}
    assert found["deployer network"] == {
        "ml-platform:cluster.endpoint.privateAccessCidrs": ", ".join(cluster["endpoint"]["privateAccessCidrs"])
    }
    services = document["config"]["ml-platform:services"]
    assert found["model bucket"] == {
        f"ml-platform:services.{name}.modelArtifacts.bucket": (
            f"s3://{service['modelArtifacts']['bucket']}/{service['modelArtifacts']['prefix']}"
        )
        for name, service in services.items()
        if "modelArtifacts" in service
    }
    # A/B variants pin one image each.
    images = found["image"]
    control = services["recommendations"]["variants"]["control"]["digest"]
    assert images["ml-platform:services.recommendations.variants.control.digest"].endswith(f"@{control}")
    assert "ml-platform:services.experiments.image.digest" in images
    assert len(images) == sum(len(service.get("variants", {})) or 1 for service in services.values())


def test_a_public_bootstrap_lists_the_deployers_addresses(stack_document, engine_config):
    document = stack_document("dev")
    found = _by_kind(prerequisites(_settings(document, engine_config, "dev")))
    endpoint = document["config"]["ml-platform:cluster"]["endpoint"]
    # The bootstrap from outside, and the in-VPC runner that deploys afterwards.
    assert found["deployer network"] == {
        "ml-platform:cluster.endpoint.publicAccessCidrs": ", ".join(endpoint["publicAccessCidrs"]),
        "ml-platform:cluster.endpoint.privateAccessCidrs": ", ".join(endpoint["privateAccessCidrs"]),
    }


def test_every_source_names_keys_of_the_stack_file(stack_document, engine_config):
    """Each item's key is a key path under ml-platform:, and the top-level key is in the file."""
    document = stack_document("prod")
    settings = _settings(document, engine_config, "prod")
    for source in SOURCES:
        for item in source(settings):
            if not item.key.startswith("ml-platform:"):
                continue  # the backend, tools and roles outside the stack files say where they live
            top = item.key.split(".")[0]
            assert top in document["config"], f"{source.__name__}: {item.key}"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_plan_prints_and_writes_the_prerequisites(stack, tmp_path, capsys):
    out = tmp_path / f"{stack}.json"
    assert main(["plan", stack, "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "prerequisites outside the stack" in printed
    assert "ml-platform:cluster.adminRoleArns[0]" in printed
    written = json.loads(out.read_text())["prerequisites"]
    assert {item["kind"] for item in written} >= {"admin role", "deployer", "deployer network", "hosted zone", "image"}
    assert all(set(item) == {"kind", "key", "value", "needs", "placeholder"} for item in written)
    # The shipped stacks' stand-ins are flagged: the documentation account in the roles.
    assert all(item["placeholder"] for item in written if item["kind"] in ("admin role", "deployer"))


@pytest.mark.parametrize(
    ("value", "placeholder"),
    [
        ("arn:aws:iam::123456789012:role/ml-platform-admin", True),
        ("arn:aws:iam::210987654321:role/ml-platform-admin", False),
        ("203.0.113.10/32", True),
        ("10.60.0.0/24, 198.51.100.0/28", True),
        ("10.60.0.0/24", False),
        ("oncall@example.com", True),
        ("oncall@corp.example.io", False),
        ("s3://ml-platform-prod-models/discovery/", False),
    ],
)
def test_documentation_stand_ins_are_flagged(value, placeholder):
    assert looks_like_placeholder(value) is placeholder


def test_a_shipped_stack_lists_its_zone_its_role_and_every_image_it_waits_for(stack_document, engine_config):
    found = _by_kind(prerequisites(_settings(stack_document("prod"), engine_config, "prod")))
    assert found["hosted zone"] == {"ml-platform:dns.hostedZoneId": "ZREPLACEWITHZONEID (ml-platform.example.com)"}
    assert found["service-linked role"] == {"ml-platform:search.serviceLinkedRole": "existing"}  # dev creates it
    assert found["image"] == {
        "ml-platform:services.search-autocomplete.image.digest": "(not pinned yet)",
        "ml-platform:services.recommendations.variants.<name>.digest": "(not pinned yet)",
        "ml-platform:services.discovery.image.digest": "(not pinned yet)",
        "ml-platform:services.experiments.image.digest": "(not pinned yet)",
    }


def test_a_created_role_is_not_a_prerequisite(stack_document, engine_config):
    assert "service-linked role" not in _by_kind(prerequisites(_settings(stack_document("dev"), engine_config, "dev")))


def test_an_issued_certificate_is_listed_in_place_of_the_zone(stack_document, engine_config):
    document = stack_document("dev", images="pinned")
    del document["config"]["ml-platform:dns"]
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/0b5c4a3e-1d2f-4e6a-9b8c-7d6e5f4a3b2c"
    for name in ("search-autocomplete", "recommendations", "discovery"):
        document["config"]["ml-platform:services"][name]["certificateArn"] = arn
    items = [item for item in prerequisites(_settings(document, engine_config, "dev")) if item.kind == "certificate"]
    assert [item.key for item in items] == [
        f"ml-platform:services.{name}.certificateArn" for name in ("search-autocomplete", "recommendations", "discovery")
    ]
    assert "Its DNS record is yours" in items[0].needs
    assert "hosted zone" not in _by_kind(prerequisites(_settings(document, engine_config, "dev")))


def test_the_preview_permissions_cover_every_invoke_the_program_makes():
    """Each invoke the offline plan answers is one the program makes (the plan fails on any
    other); its IAM action must be in what the prerequisites ask of a preview role."""
    from mlp.mock_state import INVOKES
    from mlp.prerequisites import INVOKE_ACTIONS, PREVIEW_READ_ACTIONS

    assert set(INVOKES) <= set(INVOKE_ACTIONS)
    assert {"ec2:DescribeAvailabilityZones", "ec2:DescribeInstanceTypeOfferings", "iam:GetRole", "ssm:GetParameter"} <= set(
        PREVIEW_READ_ACTIONS
    )


def test_prod_lists_its_deployer_route_with_the_peer_sides_duties(stack_document, engine_config):
    document = stack_document("prod")
    items = [item for item in prerequisites(_settings(document, engine_config, "prod")) if item.kind == "deployer route"]
    (route,) = items
    assert route.key == "ml-platform:network.deployerRoutes[0]"
    assert route.value == "10.60.0.0/24 via tgw-0123456789abcdef0" and route.placeholder
    assert "routes 10.50.0.0/16 back" in route.needs and "resolves the endpoint" in route.needs


def test_the_backend_secrets_tools_and_preview_role_are_listed(stack_document, engine_config):
    kinds = {item.kind: item for item in prerequisites(_settings(stack_document("dev"), engine_config, "dev"))}
    assert {"state backend", "secrets provider", "deployer tool", "preview role"} <= set(kinds)
    assert "AWS CLI" in kinds["deployer tool"].value and "aws eks get-token" in kinds["deployer tool"].needs
    assert "ec2:DescribeInstanceTypeOfferings" in kinds["preview role"].value


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_karpenter_stack_with_spot_lists_the_spot_service_linked_role(stack, stack_document, engine_config):
    from tests.conftest import karpenter_variant

    key = "ml-platform:cluster.karpenter.createSpotServiceLinkedRole"
    document = karpenter_variant(stack_document(stack))
    found = _by_kind(prerequisites(_settings(document, engine_config, stack)))
    assert found["service-linked role"].get(key) == "false"
    # Declared by the stack itself: nothing to supply.
    document["config"]["ml-platform:cluster"].setdefault("karpenter", {})["createSpotServiceLinkedRole"] = True
    found = _by_kind(prerequisites(_settings(document, engine_config, stack)))
    assert key not in found.get("service-linked role", {})
    # The autoscaler's groups never need it.
    found = _by_kind(prerequisites(_settings(stack_document(stack), engine_config, stack)))
    assert key not in found.get("service-linked role", {})
