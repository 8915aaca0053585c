"""`mlp cost` on Karpenter stacks, and `mlp cost STACK --engine` side by side."""

from __future__ import annotations

import json

import pytest
import yaml

from mlp.cli import main
from mlp.cost.karpenter import karpenter_node_pools, switched_document, zones_needed
from mlp.cost.model import PricingContext
from mlp.cost.prices import PriceTable
from mlp.cost.stack import estimate_resources
from mlp.plan import PROJECT_DIR
from tests.infra.test_karpenter_program import _settings


def _estimate(karpenter_plan, stack):
    return estimate_resources(karpenter_plan(stack).resources, _settings(stack), stack).estimate


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_karpenter_stacks_are_priced(stack, karpenter_plan):
    estimate = _estimate(karpenter_plan, stack)
    assert not estimate.unpriced, estimate.unpriced
    pools = {p.pool: p for p in estimate.pools}
    assert "spot" in pools and pools["spot"].nodes >= 1, pools
    (item,) = [i for i in estimate.items if i.name == "karpenter-pools-spot"]
    assert "spot ×" in item.basis and "Karpenter NodePool" in item.basis
    (controller,) = [
        i for i in estimate.items if i.name == "karpenter-controller" and "Release" in i.type
    ]
    assert controller.monthly_usd > 0 and "on pool system" in controller.basis, (
        "the controller's requests (controller.resources) are charged on the system pool"
    )
    services = [i for i in estimate.items if i.type == "kubernetes:apps/v1:Deployment"]
    assert services and all(i.monthly_usd > 0 for i in services), (
        "every service is charged its share"
    )


def test_node_pools_are_read_cheapest_type_first(karpenter_plan):
    inventory = karpenter_plan("prod")
    prices = PriceTable.load()
    ctx = PricingContext(
        prices=prices, usage=_settings("prod").cost, as_of=None, resources=inventory.resources
    )
    pools = {p.name: p for p in karpenter_node_pools(ctx)}
    assert set(pools) == {"spot", "on-demand"}
    for pool in pools.values():
        hourly = [prices.on_demand_hourly(t) for t in pool.instance_types]
        assert hourly == sorted(hourly)
        assert (
            pool.min_size == 0 and pool.max_size == _settings("prod").node_pools[pool.name].max_size
        )
        assert pool.volumes and pool.volumes[0].size_gb == 40
    assert pools["spot"].carries_spot and not pools["on-demand"].carries_spot
    assert pools["spot"].desired == 3, (
        "prod's services spread over three zones: three nodes at least"
    )
    assert pools["on-demand"].desired == 0, "nothing runs on the fallback pool at idle"


def test_zone_spread_sets_the_floor():
    spread = {
        "topologySpreadConstraints": [
            {
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "DoNotSchedule",
                "minDomains": 3,
            }
        ]
    }
    assert zones_needed(spread, 2) == 2
    assert zones_needed(spread, 5) == 3
    soft = {
        "topologySpreadConstraints": [
            {
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "minDomains": 3,
            }
        ]
    }
    assert zones_needed(soft, 5) == 1
    assert zones_needed({}, 0) == 0


def test_switched_document_names_what_it_changed():
    document = yaml.safe_load((PROJECT_DIR / "Pulumi.prod.yaml").read_text())
    switched, edits = switched_document(document, "karpenter")
    assert switched["config"]["ml-platform:cluster"]["capacityEngine"] == "karpenter"
    assert edits == ["nodePools.spot.minSize 3 -> 0"]
    back, back_edits = switched_document(switched, "cluster-autoscaler")
    assert (
        back_edits == []
        and back["config"]["ml-platform:cluster"]["capacityEngine"] == "cluster-autoscaler"
    )
    with pytest.raises(ValueError, match="unknown capacity engine"):
        switched_document(document, "fargate")


def test_cost_engine_prints_both_side_by_side(capsys, scratch_project, stack_document):
    import yaml

    # With the images pinned: the engines differ in how they run the workloads.
    project = scratch_project("prod", yaml.safe_dump(stack_document("prod", images="pinned"), sort_keys=False))
    assert main(["--project-dir", str(project), "cost", "prod", "--engine", "karpenter"]) == 0
    printed = capsys.readouterr().out
    comparison = printed[
        printed.index("prod: monthly USD under cluster-autoscaler (as configured) and karpenter") :
    ]
    rows = {
        line.split()[0]: line.split()[1:]
        for line in comparison.splitlines()[2:]
        if line and not line.startswith("the switch")
    }
    assert (
        float(rows["karpenter-pools"][1].replace(",", "")) > 0
        and float(rows["karpenter-pools"][0].replace(",", "")) == 0
    )
    assert (
        float(rows["pool-spot"][0].replace(",", "")) > 0
        and float(rows["pool-spot"][1].replace(",", "")) == 0
    )
    before, after, delta = (float(v.replace(",", "")) for v in rows["TOTAL"])
    assert abs(after - before - delta) < 0.01
    assert "the switch to karpenter also took: nodePools.spot.minSize 3 -> 0" in comparison


def test_cost_engine_in_markdown_is_a_comment_table(capsys):
    assert main(["cost", "dev", "--engine", "karpenter", "--format", "markdown"]) == 0
    printed = capsys.readouterr().out
    table = printed[printed.index("### `dev` under cluster-autoscaler and karpenter") :]
    assert "| component | cluster-autoscaler (as configured) | karpenter | delta |" in table
    assert "| karpenter-pools | 0.00 |" in table and "| **total** |" in table


def test_the_other_way_round_from_a_karpenter_stack(scratch_project, capsys, stack_document):
    document = switched_document(stack_document("dev"), "karpenter")[0]
    project = scratch_project("dev", yaml.safe_dump(document, sort_keys=False))
    assert (
        main(
            [
                "--project-dir",
                str(project),
                "cost",
                "dev",
                "--engine",
                "cluster-autoscaler",
                "--json",
                str(project / "c.json"),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "dev: monthly USD under karpenter (as configured) and cluster-autoscaler" in printed
    items = {i["name"] for i in json.loads((project / "c.json").read_text())["items"]}
    assert "karpenter-pools-spot" in items, "mlp cost prices the Karpenter stack itself"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_docs_engine_figures_are_what_mlp_cost_prints(stack, scratch_project, stack_document):
    """docs/karpenter.md's engine comparison quotes `mlp cost STACK --engine karpenter` for the
    month it names; a change that moves either figure must update it."""
    import datetime as dt
    import re

    from mlp.cost.karpenter import compare_engines

    page = (PROJECT_DIR / "docs" / "karpenter.md").read_text()
    start = page.index("## What each engine costs")
    section = page[start : page.index("\n## ", start + 1)]
    month = re.search(r"month of (\d{4})-(\d{2})\)", section)
    assert month, "docs/karpenter.md names no month for its figures"
    row = re.search(rf"^\| {stack} \| ([\d,.]+) \| ([\d,.]+) \| ([\d,.+-]+) \|", section, re.M)
    assert row, f"docs/karpenter.md has no {stack} row"
    quoted = [float(value.replace(",", "")) for value in row.groups()]
    import yaml

    # The page quotes the stacks with their images pinned (as shipped no workload runs yet).
    project = scratch_project(stack, yaml.safe_dump(stack_document(stack, images="pinned"), sort_keys=False))
    comparison = compare_engines(
        project, stack, "karpenter", as_of=dt.date(int(month[1]), int(month[2]), 1)
    )
    before, after = comparison.monthly
    assert quoted == pytest.approx([before, after, after - before], abs=0.01)
