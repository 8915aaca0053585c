import json

import pytest

from components.cluster.workload_role import WorkloadRole, WorkloadRoleArgs, irsa_trust_policy

PROVIDER = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"


def test_trust_pins_service_account_and_audience():
    document = irsa_trust_policy(PROVIDER, "https://oidc.eks.us-east-1.amazonaws.com/id/ABC", "search", "autocomplete")
    (statement,) = document["Statement"]
    condition = statement["Condition"]["StringEquals"]
    assert condition == {
        "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:search:autocomplete",
        "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
    }
    assert statement["Principal"] == {"Federated": PROVIDER}


@pytest.mark.parametrize("managed", [(), ("arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",)])
def test_role_gets_exactly_the_declared_policies(declare, managed):
    inline = {"read-models": json.dumps({"Version": "2012-10-17", "Statement": []})}
    inventory = declare(
        lambda: WorkloadRole(
            "svc",
            WorkloadRoleArgs(
                oidc_provider_arn=PROVIDER,
                oidc_issuer="oidc.eks.us-east-1.amazonaws.com/id/ABC",
                namespace="ml",
                service_account="svc",
                inline_policies=inline,
                managed_policy_arns=managed,
            ),
        )
    )
    (role,) = inventory.of_type("aws:iam/role:Role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert [p.name for p in inventory.of_type("aws:iam/rolePolicy:RolePolicy")] == ["svc-read-models"]
    attached = [a.inputs["policyArn"] for a in inventory.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")]
    assert attached == list(managed)
