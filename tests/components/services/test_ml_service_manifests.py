"""The rendered objects of a service, without the Pulumi runtime: schema-valid, locked down,
placed, budgeted, and the A/B split in the controller's annotation format."""

from __future__ import annotations

import json
import math

import pytest

from components.services.ingress_manifests import ALB_ACTION_PREFIX
from components.services.ml_service_manifests import service_manifests
from components.services.network_policies import network_policy_manifests
from components.services.service_spec import (
    DEREGISTRATION_PROPAGATION_SECONDS,
    ServiceSpec,
    Variant,
)
from components.services.workload_manifests import disruption_floor
from tests.kubernetes_checks import DEFAULT_KUBERNETES_VERSION, schema_problems

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


@pytest.mark.parametrize("make", [spec, experiment, lambda: spec(replicas_min=0, exposed="none", host=None)], ids=["plain", "experiment", "scaled-to-zero"])
def test_every_object_validates_strictly(make):
    assert schema_problems(render(make()), DEFAULT_KUBERNETES_VERSION) == []


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


def test_latest_and_unbalanced_weights_are_refused_by_the_component_too():
    with pytest.raises(ValueError, match="latest"):
        spec(variants=(Variant(tag="latest"),))
    with pytest.raises(ValueError, match="sum to 100"):
        spec(variants=(Variant(name="a", digest=DIGEST_A, weight=50), Variant(name="b", digest=DIGEST_B, weight=40)))


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


def _policies(service: ServiceSpec) -> dict[str, dict]:
    return {p["metadata"]["name"]: p["spec"] for p in network_policy_manifests(service)}


def test_namespace_denies_by_default_and_allows_dns():
    policies = _policies(spec(exposed="none", host=None))
    assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    dns = policies["allow-dns"]["egress"][0]
    assert dns["to"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "kube-system"}
    assert {p["port"] for p in dns["ports"]} == {53}
    assert set(policies) == {"default-deny", "allow-dns"}, "nothing else is open without a reason"


def test_ingress_is_open_to_the_load_balancer_and_declared_callers_only():
    policies = _policies(spec(callers=("discovery",)))
    (rule,) = policies["allow-ingress"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 8080}]
    assert {"ipBlock": {"cidr": "10.40.192.0/22"}} in rule["from"]
    callers = [peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for peer in rule["from"] if "namespaceSelector" in peer]
    assert callers == ["discovery"]


def test_egress_to_callees_and_aws_apis_only_when_declared():
    assert "allow-callees" not in _policies(spec())
    assert "allow-aws-apis" not in _policies(spec())
    policies = _policies(spec(callees={"experiments": 8080}, aws_api_egress=True))
    (callee,) = policies["allow-callees"]["egress"]
    assert callee["to"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "experiments"}
    (aws,) = policies["allow-aws-apis"]["egress"]
    assert aws["ports"] == [{"protocol": "TCP", "port": 443}]
    assert "169.254.0.0/16" in aws["to"][0]["ipBlock"]["except"], "instance metadata stays unreachable"


def test_namespace_enforces_the_restricted_pod_security_standard():
    (namespace,) = of_kind(render(spec()), "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert namespace["metadata"]["labels"]["elbv2.k8s.aws/pod-readiness-gate-inject"] == "enabled"


def test_without_an_image_only_the_namespace_identity_and_policies_render():
    objects = render(spec(variants=()))
    assert [o["kind"] for o in objects[:2]] == ["Namespace", "ServiceAccount"]
    assert {o["kind"] for o in objects[2:]} == {"NetworkPolicy"}
    assert schema_problems(objects, DEFAULT_KUBERNETES_VERSION) == []


def test_the_ingress_names_its_certificate_instead_of_discovering_it():
    (ingress,) = of_kind(render(spec()), "Ingress")
    assert ingress["metadata"]["annotations"]["alb.ingress.kubernetes.io/certificate-arn"] == CERTIFICATE


def test_an_exposed_workload_without_a_certificate_is_refused():
    with pytest.raises(ValueError, match="certificate ARN"):
        service_manifests(spec(), [Variant(digest=DIGEST_A).image(REPO)], "arn:aws:iam::123456789012:role/recs")
