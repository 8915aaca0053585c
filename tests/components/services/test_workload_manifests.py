"""The namespace, Deployment, HPA and disruption budget of a service: locked down, pinned, probed,
spread over zones so a drain never breaches the budget."""

from __future__ import annotations

import math

import pytest

from components.services.workload_manifests import disruption_floor
from tests.components.services.service_specs import DIGEST_A, REPO, of_kind, render, spec


def test_pods_are_locked_down():
    (deployment,) = of_kind(render(spec()), "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] >= 10000
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    context = container["securityContext"]
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    # The read-only root filesystem gets a bounded scratch directory.
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
    assert {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}} in pod["volumes"]


def test_image_is_pinned_by_digest_and_resources_are_set():
    (deployment,) = of_kind(render(spec()), "Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"] == f"{REPO}@{DIGEST_A}"
    assert container["resources"]["requests"].keys() == {"cpu", "memory"}
    assert "memory" in container["resources"]["limits"]
    assert "cpu" not in container["resources"]["limits"], "CPU limit is off by default"
    with_limit = of_kind(render(spec(cpu_limit_millicores=500)), "Deployment")[0]
    assert with_limit["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] == "500m"


def test_probes_and_prestop_fit_the_grace_period():
    (deployment,) = of_kind(render(spec(termination_grace_seconds=25, pre_stop_seconds=12)), "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert {"readinessProbe", "livenessProbe", "startupProbe"} <= container.keys()
    assert container["lifecycle"]["preStop"] == {"sleep": {"seconds": 12}}
    assert pod["terminationGracePeriodSeconds"] == 25


@pytest.mark.parametrize(("replicas", "zones"), [(2, 2), (3, 3), (4, 3), (5, 2), (6, 3), (10, 3)])
def test_losing_a_zone_keeps_the_floor(replicas, zones):
    """Zone spread with maxSkew 1 puts at most ceil(n/zones) pods in a zone; what remains after
    losing the fullest zone is at least the PDB's minAvailable, and the floor is never zero."""
    floor = disruption_floor(replicas, zones)
    assert 1 <= floor <= replicas - math.ceil(replicas / zones)


def test_single_replica_may_be_drained():
    objects = render(spec(replicas_min=1, replicas_max=2, zone_count=2))
    (budget,) = of_kind(objects, "PodDisruptionBudget")
    assert budget["spec"]["maxUnavailable"] == 1
    assert "minAvailable" not in budget["spec"]
    assert budget["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"


def test_budget_and_spread_agree_in_prod_shape():
    objects = render(spec(replicas_min=3, zone_count=3))
    (budget,) = of_kind(objects, "PodDisruptionBudget")
    (deployment,) = of_kind(objects, "Deployment")
    assert budget["spec"]["minAvailable"] == 2
    zone_rule = [c for c in deployment["spec"]["template"]["spec"]["topologySpreadConstraints"] if c["topologyKey"] == "topology.kubernetes.io/zone"]
    assert zone_rule and zone_rule[0]["whenUnsatisfiable"] == "DoNotSchedule" and zone_rule[0]["maxSkew"] == 1


def _zone_rule(objects: list[dict]) -> dict:
    (deployment,) = of_kind(objects, "Deployment")
    rules = deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]
    (zone,) = [c for c in rules if c["topologyKey"] == "topology.kubernetes.io/zone"]
    assert all("minDomains" not in c for c in rules if c["whenUnsatisfiable"] != "DoNotSchedule"), (
        "the API refuses minDomains with ScheduleAnyway"
    )
    return zone


def _spread(pods: int, eligible_zones: int, rule: dict) -> list[int] | None:
    """Pods per eligible zone as the scheduler's PodTopologySpread filter admits them one by one
    (Kubernetes API, TopologySpreadConstraint: the global minimum is 0 while fewer than
    `minDomains` zones are eligible; a zone is admitted while its count + 1 - global minimum
    <= maxSkew). None when a pod stays pending."""
    counts = [0] * eligible_zones
    for _ in range(pods):
        floor = 0 if eligible_zones < rule.get("minDomains", 1) else min(counts)
        admitted = [z for z in range(eligible_zones) if counts[z] + 1 - floor <= rule["maxSkew"]]
        if not admitted:
            return None
        counts[min(admitted, key=lambda z: counts[z])] += 1
    return counts


@pytest.mark.parametrize(("replicas_min", "zones"), [(2, 2), (3, 3), (2, 3), (4, 3), (6, 3)])
def test_a_missing_zone_never_packs_more_pods_than_the_budget_lets_go(replicas_min, zones):
    """With a zone short of eligible nodes, the zone spread must not stack the service where a
    drain would breach the PDB: in any zone (hence on any node) at most replicas - minAvailable
    pods, at every replica count the HPA may reach; the surplus waits for the autoscaler."""
    objects = render(spec(replicas_min=replicas_min, replicas_max=replicas_min + 3, zone_count=zones))
    rule = _zone_rule(objects)
    assert rule["whenUnsatisfiable"] == "DoNotSchedule" and rule["minDomains"] == zones
    (budget,) = of_kind(objects, "PodDisruptionBudget")
    floor = budget["spec"]["minAvailable"]
    for replicas in range(replicas_min, replicas_min + 4):
        for eligible in range(1, zones + 1):
            counts = _spread(replicas, eligible, rule)
            if counts is None:
                # A pod pending is the autoscaler's cue to add a node in the missing zone: a
                # passing state, unlike a settled 2+1 that blocks a drain for good.
                continue
            assert max(counts) <= replicas - floor, (
                f"{replicas} replicas over {eligible}/{zones} zones: {counts} against minAvailable {floor}"
            )
    # The rule is what makes it hold: without minDomains a missing zone packs 2+1 in prod shape.
    loose = {key: value for key, value in rule.items() if key != "minDomains"}
    assert _spread(3, 2, loose) == [2, 1] and 3 - 2 < disruption_floor(3, 3)


def test_scale_to_zero_has_no_autoscaler_and_no_pods():
    objects = render(spec(replicas_min=0, exposed="none", host=None))
    assert not of_kind(objects, "HorizontalPodAutoscaler")
    assert of_kind(objects, "Deployment")[0]["spec"]["replicas"] == 0
    scaled = render(spec())
    assert "replicas" not in of_kind(scaled, "Deployment")[0]["spec"], "the HPA owns replicas"
    (hpa,) = of_kind(scaled, "HorizontalPodAutoscaler")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 9)


def test_namespace_enforces_the_restricted_pod_security_standard():
    (namespace,) = of_kind(render(spec()), "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert namespace["metadata"]["labels"]["elbv2.k8s.aws/pod-readiness-gate-inject"] == "enabled"
