"""A service namespace's NetworkPolicies: deny by default, DNS, and only the declared peers."""

from __future__ import annotations

from components.services.network_policies import network_policy_manifests
from components.services.service_spec import ServiceSpec
from tests.components.services.service_specs import spec


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
