"""The advisory cost rules.

Each rule of `mlplatform_policy.rules.cost` fails on its crafted violation and passes on the fixed twin.
"""

from __future__ import annotations

from datetime import date

from mlplatform_policy.evaluate import evaluate

from tests.policy.crafted import (
    RULES_BY_NAME,
    Cases,
    case_tests,
    resource,
    search_domain,
    worker_group,
)

CASES: Cases = {
    "on-demand-share": {
        "all-on-demand": (
            [resource("aws:autoscaling/group:Group", {"minSize": 2.0, "maxSize": 6.0, "desiredCapacity": 3.0})],
            [resource("aws:autoscaling/group:Group", worker_group(["m7i.large", "m6i.large", "m5.large", "m6a.large"], 20.0))],
        ),
        "base-capacity-counts": (
            [resource("aws:autoscaling/group:Group", worker_group(
                ["m7i.large", "m6i.large", "m5.large", "m6a.large"], 0.0, desiredCapacity=4.0,
                mixedInstancesPolicy={"instancesDistribution": {"onDemandBaseCapacity": 3.0,
                                                                "onDemandPercentageAboveBaseCapacity": 0.0}}))],
            [resource("aws:autoscaling/group:Group", worker_group(
                ["m7i.large", "m6i.large", "m5.large", "m6a.large"], 0.0, desiredCapacity=4.0,
                mixedInstancesPolicy={"instancesDistribution": {"onDemandBaseCapacity": 1.0,
                                                                "onDemandPercentageAboveBaseCapacity": 0.0}}))],
        ),
    },
    "nat-per-az-outside-prod": {
        "dev-per-az": (
            [resource("aws:ec2/natGateway:NatGateway", {}, name="nat-a"),
             resource("aws:ec2/natGateway:NatGateway", {}, name="nat-b")],
            [resource("aws:ec2/natGateway:NatGateway", {}, name="nat-a")],
        ),
        "prod-per-az-is-fine": (
            [resource("aws:ec2/natGateway:NatGateway", {}, name=f"nat-{z}", stack="staging") for z in "abc"],
            [resource("aws:ec2/natGateway:NatGateway", {}, name=f"nat-{z}", stack="prod") for z in "abc"],
        ),
    },
    "search-extended-support": {
        "opensearch-2-9": (
            [resource("aws:opensearch/domain:Domain", search_domain(engineVersion="OpenSearch_2.9"))],
            [resource("aws:opensearch/domain:Domain", search_domain(engineVersion="OpenSearch_2.19"))],
        ),
        "elasticsearch-7-4": (
            [resource("aws:opensearch/domain:Domain", search_domain(engineVersion="Elasticsearch_7.4"))],
            [resource("aws:opensearch/domain:Domain", search_domain(engineVersion="OpenSearch_3.3"))],
        ),
    },
}

test_rule_fails_on_its_violation, test_rule_passes_on_the_fixed_twin = case_tests(CASES)


def test_the_threshold_of_the_on_demand_rule_is_configurable():
    half_on_demand = [resource("aws:autoscaling/group:Group", worker_group(
        ["m7i.large", "m6i.large", "m5.large", "m6a.large"], 50.0))]
    rule = RULES_BY_NAME["on-demand-share"]
    assert evaluate(half_on_demand, rules=[rule]) == []
    assert evaluate(half_on_demand, rules=[rule], config={"on-demand-share": {"maxOnDemandShare": 0.25}})


def test_extended_support_is_judged_on_the_day_it_starts():
    domain = [resource("aws:opensearch/domain:Domain", search_domain(engineVersion="OpenSearch_2.19"))]
    rule = [RULES_BY_NAME["search-extended-support"]]
    assert evaluate(domain, rules=rule, today=date(2027, 11, 6)) == []
    assert evaluate(domain, rules=rule, today=date(2027, 11, 7))
