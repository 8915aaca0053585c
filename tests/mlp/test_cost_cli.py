"""`mlp cost` and the budget warning of `mlp plan`, end to end."""

from __future__ import annotations

import json

from mlp.cli import main
from mlp.plan import PROJECT_DIR

GOOD_DEV = (PROJECT_DIR / "Pulumi.dev.yaml").read_text()


def test_cost_json_has_exactly_the_documented_shape(tmp_path, capsys):
    out = tmp_path / "cost.json"
    assert main(["cost", "prod", "--json", str(out)]) == 0
    document = json.loads(out.read_text())
    assert set(document) == {"stack", "region", "currency", "posture", "monthly_total", "floor_total", "ratio", "components", "items"}
    assert (document["stack"], document["region"], document["currency"]) == ("prod", "us-east-1", "USD")
    assert document["posture"] == "configured"
    assert document["items"], "prod prices nothing"
    for item in document["items"]:
        assert set(item) == {"urn", "type", "name", "component", "monthly_usd", "basis", "floor_usd", "floor_basis"}
    assert abs(document["monthly_total"] - sum(i["monthly_usd"] for i in document["items"])) < 0.01 * len(document["items"])
    assert abs(document["floor_total"] - sum(i["floor_usd"] for i in document["items"])) < 0.01 * len(document["items"])
    assert document["ratio"] == round(document["monthly_total"] / document["floor_total"], 3)
    for component in document["components"]:
        assert set(component) == {"component", "monthly_usd", "floor_usd", "ratio", "reasons"}
        if component["ratio"] is None or component["ratio"] > 1.3:
            assert component["reasons"], f"{component['component']} is above 1.3x its floor without a reason"
    printed = capsys.readouterr().out
    assert "per component (estimate, floor, estimate/floor" in printed and "TOTAL" in printed
    assert "search domain sized from the index" in printed and "a lost zone:" in printed


def test_cost_markdown_is_a_pull_request_comment(capsys):
    assert main(["cost", "dev", "--format", "markdown"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("### Cost estimate: `dev`")
    assert "| component | USD/month |" in printed


def test_naive_comparison_prints_the_ratio(capsys, tmp_path):
    out = tmp_path / "naive.json"
    assert main(["cost", "dev", "--naive", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("baseline: the same services deployed the common default way"), "the header says what it is"
    estimate_header = printed.split("\n\n")[1].splitlines()[0]
    assert estimate_header.startswith("dev, naive posture (the baseline: the same services deployed the common default way): ")
    last = printed.strip().splitlines()[-2]
    assert last.startswith("baseline (common default deployment)") and "baseline / posture =" in last
    assert json.loads(out.read_text())["posture"] == "naive", "the JSON says which posture it prices"


def test_naive_comparison_in_markdown_says_so_in_its_title(capsys):
    assert main(["cost", "dev", "--naive", "--format", "markdown"]) == 0
    printed = capsys.readouterr().out
    assert "\n### Cost estimate: `dev`, naive posture (the baseline: " in printed


def test_plan_warns_when_the_estimate_exceeds_the_budget(scratch_project, capsys):
    project = scratch_project("dev", GOOD_DEV.replace("monthlyBudgetUsd: 900", "monthlyBudgetUsd: 5"))
    (project / "mlp").symlink_to(PROJECT_DIR / "mlp")
    (project / "data").symlink_to(PROJECT_DIR / "data")
    assert main(["--project-dir", str(project), "plan", "dev"]) == 0
    captured = capsys.readouterr()
    assert "exceeds the budget ml-platform:cost.monthlyBudgetUsd (5.00)" in captured.err


def test_plan_within_budget_does_not_warn(capsys):
    assert main(["plan", "dev"]) == 0
    captured = capsys.readouterr()
    assert "USD budget" in captured.out and "warning" not in captured.err
