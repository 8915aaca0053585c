"""The NetworkPolicies of one ML service, as plain dictionaries: deny by default, then only the
traffic the service declares (DNS, its callers, the services it calls, AWS APIs).
"""

from __future__ import annotations

from components.services.service_spec import NAME_LABEL, ServiceSpec, object_metadata

# The address every pod could otherwise reach for node credentials; pods use IRSA instead.
LINK_LOCAL = "169.254.0.0/16"


def _port(number: int) -> dict:
    return {"protocol": "TCP", "port": number}


def network_policy_manifests(spec: ServiceSpec) -> list[dict]:
    """Deny everything in the namespace, then allow exactly: DNS to CoreDNS; HTTP in from the
    load balancer's subnets (exposed services) and from declared callers; HTTP out to the
    services this one calls; HTTPS out to AWS APIs when the service holds an IAM role with
    statements (STS for IRSA, S3 through its gateway endpoint and the search domain have
    changing public or VPC addresses that a NetworkPolicy cannot name, so the rule is by port,
    with the link-local range excluded). Kubelet probes from the pod's own node are always
    allowed by NetworkPolicy semantics."""
    pods = {"matchLabels": {NAME_LABEL: spec.name}}

    def policy(name: str, body: dict) -> dict:
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": object_metadata(spec, name),
            "spec": body,
        }

    policies = [
        policy("default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        policy(
            "allow-dns",
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    }
                ],
            },
        ),
    ]
    sources = []
    if spec.exposed != "none":
        sources += [{"ipBlock": {"cidr": cidr}} for cidr in spec.load_balancer_cidrs]
    sources += [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": caller}},
            "podSelector": {"matchLabels": {NAME_LABEL: caller}},
        }
        for caller in spec.callers
    ]
    if sources:
        policies.append(
            policy(
                "allow-ingress",
                {"podSelector": pods, "policyTypes": ["Ingress"], "ingress": [{"from": sources, "ports": [_port(spec.port)]}]},
            )
        )
    if spec.callees:
        policies.append(
            policy(
                "allow-callees",
                {
                    "podSelector": pods,
                    "policyTypes": ["Egress"],
                    "egress": [
                        {
                            "to": [
                                {
                                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": callee}},
                                    "podSelector": {"matchLabels": {NAME_LABEL: callee}},
                                }
                            ],
                            # Policies see the pod's port after the Service's DNAT.
                            "ports": [_port(port)],
                        }
                        for callee, port in sorted(spec.callees.items())
                    ],
                },
            )
        )
    if spec.aws_api_egress:
        policies.append(
            policy(
                "allow-aws-apis",
                {
                    "podSelector": pods,
                    "policyTypes": ["Egress"],
                    "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [LINK_LOCAL]}}], "ports": [_port(443)]}],
                },
            )
        )
    return policies

