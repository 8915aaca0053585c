"""Counts the plan and its checks print read as English at one: "1 registration", not
"1 registration(s)" (the helper: mlp/wording.py; mlp/cost's counts: its own tests)."""


def test_the_plan_output_counts_one_thing_in_the_singular():
    """Each count the plan and its checks print, at one (the counts of mlp/cost are its own)."""
    from mlp.declared import DeclaredResource
    from mlp.default_providers import DefaultProviderDenied
    from mlp.karpenter_guardrails import NODEPOOL, narrow_spot_node_pool
    from mlp.prerequisites import Prerequisite, render

    assert "would refuse 1 registration (" in str(DefaultProviderDenied(["resource 'x': denied"]))
    one = Prerequisite(kind="hosted zone", key="ml-platform:dns.zone", value="example.com", needs="a zone")
    assert render([one]).startswith("prerequisites outside the stack (1, 1 placeholder to replace):")
    requirements = [
        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot"]},
        {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["m6a.large"]},
    ]
    pool = DeclaredResource(
        urn="urn:pool", type=NODEPOOL, name="pool", parent=None, provider=None, custom=True,
        inputs={"spec": {"template": {"spec": {"requirements": requirements}}}},
    )
    assert narrow_spot_node_pool(pool, 4).startswith("spot NodePool admits 1 instance type (m6a.large);")
