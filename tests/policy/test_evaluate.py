"""`python -m mlplatform_policy.evaluate INVENTORY.json`: what it checked and how it came out."""

from __future__ import annotations

import json

from mlplatform_policy.evaluate import main
from mlplatform_policy.rules import RULES

from tests.policy.crafted import resource


def test_a_passing_plan_says_what_was_checked_and_that_all_passed(plan, tmp_path, capsys):
    inventory = plan("dev").to_json()
    path = tmp_path / "dev.json"
    path.write_text(json.dumps(inventory))
    assert main([str(path)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == f"checked {len(inventory['resources'])} resources of stack dev against {len(RULES)} rules:"
    mandatory = [rule.name for rule in RULES if rule.enforcement == "mandatory"]
    assert printed[1] == f"  mandatory ({len(mandatory)}): {', '.join(mandatory)}"
    assert printed[2].startswith("  advisory (") and "on-demand-share" in printed[2]
    assert printed[-1] == f"all {len(RULES)} rules passed"


def test_findings_are_listed_with_the_rules_that_failed(tmp_path, capsys):
    queue = resource("aws:sqs/queue:Queue", {"sqsManagedSseEnabled": False}, name="jobs")
    record = {"urn": queue.urn, "type": queue.type, "name": queue.name, "inputs": dict(queue.props)}
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"stack": "dev", "resources": [record]}))
    assert main([str(path)]) == 1
    printed = capsys.readouterr().out
    assert printed.startswith(f"checked 1 resource of stack dev against {len(RULES)} rules:")
    assert "[mandatory] encryption-at-rest: " in printed
    assert "mandatory rules with findings: budget-per-stack, encryption-at-rest" in printed
    assert printed.rstrip().endswith(f"of {len(RULES)} rules passed")
