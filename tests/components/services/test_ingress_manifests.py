"""The Ingress of an exposed service: HTTPS only, IP targets, its named certificate, and a target
deregistration that ends before the pod does."""

from __future__ import annotations

import json

import pytest

from components.services.service_spec import DEREGISTRATION_PROPAGATION_SECONDS
from tests.components.services.service_specs import CERTIFICATE, of_kind, render, spec


def test_ingress_is_https_only_and_targets_pods():
    (ingress,) = of_kind(render(spec()), "Ingress")
    annotations = ingress["metadata"]["annotations"]
    assert json.loads(annotations["alb.ingress.kubernetes.io/listen-ports"]) == [{"HTTPS": 443}]
    assert annotations["alb.ingress.kubernetes.io/target-type"] == "ip"
    # Scheme and group belong to the class (IngressClassParams), so no Ingress can pick others.
    assert not {"alb.ingress.kubernetes.io/scheme", "alb.ingress.kubernetes.io/group.name"} & set(annotations)
    assert ingress["spec"]["ingressClassName"] == "alb"
    assert ingress["spec"]["tls"] == [{"hosts": ["recs.example.com"]}]
    with pytest.raises(ValueError, match="`internal` exposure has no IngressClass"):
        spec(exposed="internal")
    assert not of_kind(render(spec(exposed="none", host=None)), "Ingress")


def test_the_load_balancer_stops_routing_before_the_pod_stops():
    """preStop covers the controller's deregistration; the ALB drains the target for the rest of
    the grace period, so it lets go no later than the kubelet kills the pod."""
    service = spec(termination_grace_seconds=30, pre_stop_seconds=15)
    (ingress,) = of_kind(render(service), "Ingress")
    attributes = dict(
        pair.split("=") for pair in ingress["metadata"]["annotations"]["alb.ingress.kubernetes.io/target-group-attributes"].split(",")
    )
    delay = int(attributes["deregistration_delay.timeout_seconds"])
    assert delay == 15
    assert service.pre_stop_seconds + delay <= service.termination_grace_seconds
    assert service.pre_stop_seconds >= DEREGISTRATION_PROPAGATION_SECONDS
    with pytest.raises(ValueError, match="deregistration"):
        spec(pre_stop_seconds=DEREGISTRATION_PROPAGATION_SECONDS - 1)
    assert spec(exposed="none", host=None, pre_stop_seconds=1).pre_stop_seconds == 1, "an unexposed service has no ALB to wait for"


def test_the_ingress_names_its_certificate_instead_of_discovering_it():
    (ingress,) = of_kind(render(spec()), "Ingress")
    assert ingress["metadata"]["annotations"]["alb.ingress.kubernetes.io/certificate-arn"] == CERTIFICATE
