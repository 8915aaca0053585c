"""What a stack expects outside itself (`infra.first_deploy`), from the settings alone."""

from __future__ import annotations

from infra.first_deploy import serving_prerequisites
from infra.settings import load_settings


def _keys(settings) -> list[str]:
    return [item.key for item in serving_prerequisites(settings)]


def test_a_shipped_stack_lists_its_zone_and_every_image_it_waits_for(stack_document, engine_config):
    keys = _keys(load_settings("prod", engine_config(stack_document("prod"))))
    assert keys[0] == "ml-platform:dns.hostedZoneId"
    assert "ml-platform:search.serviceLinkedRole" in keys  # prod reads the role dev creates
    assert "ml-platform:services.discovery.modelArtifacts.bucket" in keys
    assert {key for key in keys if key.endswith("digest")} == {
        "ml-platform:services.search-autocomplete.image.digest",
        "ml-platform:services.recommendations.variants.<name>.digest",
        "ml-platform:services.discovery.image.digest",
        "ml-platform:services.experiments.image.digest",
    }


def test_pinned_images_and_a_created_role_are_not_prerequisites(stack_document, engine_config):
    keys = _keys(load_settings("dev", engine_config(stack_document("dev", images="pinned"))))
    assert not [key for key in keys if key.endswith("digest")]
    assert "ml-platform:search.serviceLinkedRole" not in keys  # dev creates it


def test_an_issued_certificate_is_listed_in_place_of_the_zone(stack_document, engine_config):
    document = stack_document("dev", images="pinned")
    del document["config"]["ml-platform:dns"]
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/0b5c4a3e-1d2f-4e6a-9b8c-7d6e5f4a3b2c"
    for name in ("search-autocomplete", "recommendations", "discovery"):
        document["config"]["ml-platform:services"][name]["certificateArn"] = arn
    items = serving_prerequisites(load_settings("dev", engine_config(document)))
    certificates = [item for item in items if item.key.endswith("certificateArn")]
    assert len(certificates) == 3 and "its DNS record is yours" in certificates[0].what
    assert not [item for item in items if item.key.startswith("ml-platform:dns")]
