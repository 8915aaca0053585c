"""How traffic reaches an exposed ML service, as plain dictionaries: its Ingress on the shared ALB,
the weighted forward action of an A/B test, TLS and the target group's deregistration delay.
"""

from __future__ import annotations

import json
from typing import Any

from components.services.service_spec import PORT_NAME, ServiceSpec, object_metadata, workload_name

ALB_ACTION_PREFIX = "alb.ingress.kubernetes.io/actions."
INGRESS_CLASS = "alb"
# ALB's TLS 1.3 policy (Elastic Load Balancing docs, "Security policies for your Application
# Load Balancer"): TLS 1.2 and 1.3 only.
SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"



def weighted_forward_action(spec: ServiceSpec) -> str:
    """The ALB forward action splitting traffic between the variants' Services by weight
    (AWS Load Balancer Controller annotation `actions.<name>`, forwardConfig.targetGroups)."""
    return json.dumps(
        {
            "type": "forward",
            "forwardConfig": {
                "targetGroups": [
                    {"serviceName": workload_name(spec, variant), "servicePort": PORT_NAME, "weight": variant.weight}
                    for variant in spec.variants
                ]
            },
        },
        separators=(",", ":"),
    )


def split_action_name(spec: ServiceSpec) -> str:
    return f"{spec.name}-split"


def deregistration_delay_seconds(spec: ServiceSpec) -> int:
    """How long the ALB keeps a deregistered target draining (in-flight requests finish, no new
    ones arrive): the time the app has after SIGTERM, grace less preStop. The controller
    deregisters the pod within its preStop delay, so draining ends by
    `terminationGracePeriodSeconds`, before the kubelet kills the pod; the ALB default (300 s)
    would keep a long-gone pod's address in the target group."""
    return spec.termination_grace_seconds - spec.pre_stop_seconds


def ingress_manifest(spec: ServiceSpec, certificate_arn: Any) -> dict:
    """The service's rule on the shared ALB (the `alb` class's IngressGroup): HTTPS only with a
    TLS 1.2+ policy and the host's certificate, pod IPs as targets (no extra node hop), the
    readiness path as health check, a deregistration delay that ends within the pods' grace
    period, and for an experiment the weighted forward action as backend.

    The certificate is named, not discovered: with `certificate-arn` the controller skips
    discovery (aws-load-balancer-controller v3.5.0 `docs/guide/ingress/cert_discovery.md`), and
    the Ingress can wait for the certificate's validation, so the listener is never built before
    the certificate is issued. In an IngressGroup the annotation's merge behaviour is `Merge`
    (`docs/guide/ingress/annotations.md`, the annotations table; "the remaining certificates will
    be added to the optional SNI certificate list"): each service's certificate joins the shared
    listener. `certificate_arn` is a string or an Output of one."""
    annotations = {
        "alb.ingress.kubernetes.io/certificate-arn": certificate_arn,
        # No scheme, group or load balancer attributes here: the `alb` class's IngressClassParams
        # set them for every member of the group (components/edge/load_balancer_controller.py).
        "alb.ingress.kubernetes.io/target-type": "ip",
        "alb.ingress.kubernetes.io/listen-ports": json.dumps([{"HTTPS": 443}], separators=(",", ":")),
        "alb.ingress.kubernetes.io/ssl-policy": SSL_POLICY,
        "alb.ingress.kubernetes.io/healthcheck-path": spec.readiness_path,
        "alb.ingress.kubernetes.io/healthcheck-port": "traffic-port",
        "alb.ingress.kubernetes.io/target-group-attributes": (
            f"deregistration_delay.timeout_seconds={deregistration_delay_seconds(spec)}"
        ),
    }
    if spec.has_experiment:
        action = split_action_name(spec)
        annotations[ALB_ACTION_PREFIX + action] = weighted_forward_action(spec)
        backend = {"service": {"name": action, "port": {"name": "use-annotation"}}}
    else:
        backend = {"service": {"name": spec.name, "port": {"name": PORT_NAME}}}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": object_metadata(spec, spec.name, annotations=annotations),
        "spec": {
            "ingressClassName": INGRESS_CLASS,
            # No secret: the ALB terminates TLS with the ACM certificate annotated above.
            "tls": [{"hosts": [spec.host]}],
            "rules": [{"host": spec.host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}],
        },
    }

