"""`mlp cost STACK --engine`: the same stack under the other capacity engine, side by side."""

from __future__ import annotations

import json

import pytest
import yaml

from mlp.cli import main
from mlp.cost.karpenter import switched_document
from mlp.plan import PROJECT_DIR


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
