"""The assembled object list of a service, without the Pulumi runtime: schema-valid, one
Deployment and Service per variant behind the A/B split in the controller's annotation format,
and what renders before an image exists."""

from __future__ import annotations

import json

import pytest

from components.services.ingress_manifests import ALB_ACTION_PREFIX
from components.services.ml_service_manifests import service_manifests
from components.services.service_spec import Variant
from tests.components.services.service_specs import (
    DIGEST_A,
    REPO,
    experiment,
    of_kind,
    render,
    spec,
)
from tests.kubernetes_checks import DEFAULT_KUBERNETES_VERSION, schema_problems


@pytest.mark.parametrize("make", [spec, experiment, lambda: spec(replicas_min=0, exposed="none", host=None)], ids=["plain", "experiment", "scaled-to-zero"])
def test_every_object_validates_strictly(make):
    assert schema_problems(render(make()), DEFAULT_KUBERNETES_VERSION) == []


def test_experiment_renders_a_deployment_and_service_per_variant_and_a_weighted_action():
    objects = render(experiment())
    assert sorted(d["metadata"]["name"] for d in of_kind(objects, "Deployment")) == ["recs-candidate", "recs-control"]
    assert sorted(s["metadata"]["name"] for s in of_kind(objects, "Service")) == ["recs", "recs-candidate", "recs-control"]
    (ingress,) = of_kind(objects, "Ingress")
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["port"] == {"name": "use-annotation"}
    # The controller requires the action name to be the backend's service name.
    action = json.loads(ingress["metadata"]["annotations"][ALB_ACTION_PREFIX + backend["name"]])
    assert action["type"] == "forward"
    groups = action["forwardConfig"]["targetGroups"]
    services = {s["metadata"]["name"]: s for s in of_kind(objects, "Service")}
    assert {(g["serviceName"], g["weight"]) for g in groups} == {("recs-control", 80), ("recs-candidate", 20)}
    for group in groups:
        port_names = {p["name"] for p in services[group["serviceName"]]["spec"]["ports"]}
        assert group["servicePort"] in port_names, f"{group['serviceName']} has no port {group['servicePort']}"


def test_without_an_image_only_the_namespace_identity_and_policies_render():
    objects = render(spec(variants=()))
    assert [o["kind"] for o in objects[:2]] == ["Namespace", "ServiceAccount"]
    assert {o["kind"] for o in objects[2:]} == {"NetworkPolicy"}
    assert schema_problems(objects, DEFAULT_KUBERNETES_VERSION) == []


def test_an_exposed_workload_without_a_certificate_is_refused():
    with pytest.raises(ValueError, match="certificate ARN"):
        service_manifests(spec(), [Variant(digest=DIGEST_A).image(REPO)], "arn:aws:iam::123456789012:role/recs")
