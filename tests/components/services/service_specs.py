"""The one place the service tests build their specs and render them: a public three-zone service,
an 80/20 experiment, and the assembled object list (`service_manifests`) they are read from."""

from __future__ import annotations

from components.services.ml_service_manifests import service_manifests
from components.services.service_spec import ServiceSpec, Variant

DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64
REPO = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ml/recs"
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0b5c4a3e-1d2f-4e6a-9b8c-7d6e5f4a3b2c"


def spec(**overrides) -> ServiceSpec:
    values = dict(
        name="recs",
        variants=(Variant(digest=DIGEST_A),),
        exposed="public",
        host="recs.example.com",
        load_balancer_cidrs=("10.40.192.0/22",),
        replicas_min=3,
        replicas_max=9,
        zone_count=3,
    )
    values.update(overrides)
    return ServiceSpec(**values)


def experiment(**overrides) -> ServiceSpec:
    return spec(variants=(Variant(name="control", digest=DIGEST_A, weight=80), Variant(name="candidate", digest=DIGEST_B, weight=20)), **overrides)


def render(service: ServiceSpec) -> list[dict]:
    images = [variant.image(REPO) for variant in service.variants]
    return service_manifests(service, images, "arn:aws:iam::123456789012:role/recs", CERTIFICATE)


def of_kind(objects: list[dict], kind: str) -> list[dict]:
    return [o for o in objects if o["kind"] == kind]
