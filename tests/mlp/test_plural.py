from mlp.plural import plural


def test_one_is_singular_and_every_other_count_plural():
    assert [plural(n, "node") for n in (0, 1, 2)] == ["0 nodes", "1 node", "2 nodes"]
    assert plural(1, "policy", "policies") == "1 policy"
    assert plural(3, "policy", "policies") == "3 policies"


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
