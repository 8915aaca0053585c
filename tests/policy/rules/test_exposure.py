"""Network exposure: the search domain and the EKS endpoint.

Each rule of `mlplatform_policy.rules.exposure` fails on its crafted violation and passes on the fixed twin.
"""

from __future__ import annotations

from tests.policy.crafted import Cases, case_tests, resource, search_domain

CASES: Cases = {
    "private-search-domain": {
        "public-endpoint": (
            [resource("aws:opensearch/domain:Domain", search_domain(vpcOptions=None))],
            [resource("aws:opensearch/domain:Domain", search_domain())],
        ),
    },
    "eks-endpoint-not-open": {
        "default-is-public": (
            [resource("eks:index:Cluster", {"encryptionConfigKeyArn": "k"})],
            [resource("eks:index:Cluster", {"encryptionConfigKeyArn": "k", "endpointPublicAccess": False,
                                            "endpointPrivateAccess": True})],
        ),
        "open-cidr": (
            [resource("eks:index:Cluster", {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]})],
            [resource("eks:index:Cluster", {"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]})],
        ),
        "aws-cluster": (
            [resource("aws:eks/cluster:Cluster", {"vpcConfig": {"endpointPublicAccess": True}})],
            [resource("aws:eks/cluster:Cluster", {"vpcConfig": {"endpointPublicAccess": False}})],
        ),
    },
}

test_rule_fails_on_its_violation, test_rule_passes_on_the_fixed_twin = case_tests(CASES)
