"""`mlp diff`: a throwaway repository, a change that grows the network, a priced diff."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date

import pytest

from mlp.cli import main
from mlp.diff import changed_keys, compare, resources_from_json
from mlp.plan import PROJECT_DIR
from tests.mlp import price_rows as rows

PROJECT_FILES = ("infra", "components", "mlp", "data", "Pulumi.yaml", "Pulumi.dev.yaml")


def _git(repo, *args):
    subprocess.run(
        ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", "-C", str(repo), *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repository(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in PROJECT_FILES:
        source = PROJECT_DIR / name
        if source.is_dir():
            shutil.copytree(source, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, repo / name)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    return repo


def test_a_change_that_adds_nat_gateways_shows_a_positive_delta(repository, tmp_path, capsys):
    stack_file = repository / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text().replace("natStrategy: single", "natStrategy: per-az"))
    out = tmp_path / "diff.json"
    code = main(["--project-dir", str(repository), "diff", "dev", "--base", "main", "--json", str(out), "--format", "markdown", "--as-of", "2026-11-28"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    document = json.loads(out.read_text())
    assert set(document) == {
        "added", "removed", "changed", "monthly_before_usd", "monthly_after_usd", "monthly_delta_usd",
        "floor_after_usd", "ratio_after",
    }
    # NAT gateways are fixed managed parts: the floor grows with them, the ratio stays near 1.
    assert document["ratio_after"] == pytest.approx(document["monthly_after_usd"] / document["floor_after_usd"], abs=0.001)
    added_types = sorted(urn.split("::")[-2].rsplit("$", 1)[-1] for urn in document["added"])
    assert added_types == ["aws:ec2/eip:Eip", "aws:ec2/natGateway:NatGateway"]
    # The second zone's private route now points at its own gateway (dev's second zone is
    # use1-az2, which the offline account names us-east-1d).
    assert any(c["urn"].endswith("::network-private-d-rt") and "routes" in c["keys"] for c in document["changed"])
    # One more gateway-month and public IPv4 address; the NAT traffic is split, not doubled.
    hours = 730
    expected = hours * rows.service("nat_gateway_hour") + hours * rows.service("public_ipv4_address_hour")
    assert document["monthly_delta_usd"] == pytest.approx(expected, abs=0.01)
    assert document["monthly_delta_usd"] > 0
    assert printed.startswith("### `dev`: +")
    assert "| network |" in printed
    assert "| component | before | after | delta | floor | after / floor | costs more because of |" in printed
    # The temporary worktree is gone.
    listed = subprocess.run(["git", "-C", str(repository), "worktree", "list"], capture_output=True, text=True, check=True).stdout
    assert len(listed.strip().splitlines()) == 1


def test_an_unknown_base_ref_is_an_error(repository, capsys):
    assert main(["--project-dir", str(repository), "diff", "dev", "--base", "no-such-ref"]) == 3
    assert "cannot check out 'no-such-ref'" in capsys.readouterr().err


def test_changed_keys_name_nested_inputs():
    before = {"scalingConfig": {"desiredSize": 2, "maxSize": 4}, "tags": {"a": "1"}, "routes": [1]}
    after = {"scalingConfig": {"desiredSize": 3, "maxSize": 4}, "tags": {"a": "1", "b": "2"}, "routes": [2]}
    assert changed_keys(before, after) == ["routes", "scalingConfig.desiredSize", "tags.b"]


def test_compare_sorts_resources_into_added_removed_changed():
    def doc(*resources):
        return {"resources": [{"urn": u, "type": "aws:ec2/eip:Eip", "name": u, "inputs": i} for u, i in resources]}

    base = resources_from_json(doc(("a", {"x": 1}), ("b", {}), ("c", {"y": 1})))
    head = resources_from_json(doc(("a", {"x": 2}), ("c", {"y": 1}), ("d", {})))
    added, removed, changed = compare(base, head)
    assert (added, removed) == (["d"], ["b"])
    assert [(c.urn, c.keys) for c in changed] == [("a", ("x",))]


def test_growing_a_worker_pool_shows_a_positive_delta():
    """The pool path of the diff, on the crafted platform (the stacks have no pools yet)."""
    from infra.settings.cost import CostSettings
    from mlp.cost.estimate import estimate
    from mlp.diff import StackDiff
    from mlp.plan import declare_offline
    from tests.mlp.crafted import declare_platform

    def planned(desired):
        return declare_offline(lambda: declare_platform(desired=desired, with_ingresses=False), project="ml-platform", stack="unit").resources

    base, head = planned(4), planned(6)
    added, removed, changed = compare(base, head)
    priced = [estimate(r, CostSettings(), stack="unit", as_of=date(2026, 11, 28)) for r in (base, head)]
    diff = StackDiff("unit", "main", tuple(added), tuple(removed), tuple(changed), *priced)
    assert [c.keys for c in diff.changed if c.urn.endswith("::workers-asg")] == [("desiredCapacity",)]
    # Two more nodes above the base, 25 % on-demand rounded up: one on-demand, one spot.
    spot_hourly = sum(rows.spot(t) for t in ("m6i.xlarge", "m6a.xlarge", "m5.xlarge")) / 3
    expected = 730 * (rows.on_demand("m6i.xlarge") + spot_hourly) + 2 * 50 * rows.service("ebs_gp3_storage")
    assert diff.monthly_delta == pytest.approx(expected)


def test_two_plans_of_the_same_program_agree(plan):
    """Mocked ids derive from URNs; were they to depend on thread scheduling, every diff would
    show spurious changes."""
    from mlp.plan import build_inventory

    added, removed, changed = compare(plan("prod").resources, build_inventory("prod").resources)
    assert (added, removed, changed) == ([], [], [])


def test_the_base_plans_with_the_current_interpreter_when_the_lock_is_the_same(tmp_path):
    from mlp.diff import base_plan_command

    (tmp_path / "uv.lock").write_bytes((PROJECT_DIR / "uv.lock").read_bytes())
    command, env = base_plan_command(PROJECT_DIR, tmp_path, {"VIRTUAL_ENV": "/venv"})
    assert command == [sys.executable] and env == {"VIRTUAL_ENV": "/venv"}


def test_the_base_plans_in_its_own_locked_environment_when_its_lock_differs(tmp_path):
    from mlp.diff import base_plan_command

    (tmp_path / "uv.lock").write_text((PROJECT_DIR / "uv.lock").read_text() + "# another revision\n")
    command, env = base_plan_command(PROJECT_DIR, tmp_path, {"VIRTUAL_ENV": "/venv", "PYTHONPATH": str(tmp_path)})
    assert command[-6:] == ["run", "--frozen", "--no-dev", "--project", str(tmp_path), "python"]
    assert "VIRTUAL_ENV" not in env and env["PYTHONPATH"] == str(tmp_path)


def _declared(urn, inputs, ignore_changes=()):
    from mlp.declared import DeclaredResource

    return DeclaredResource(
        urn=urn, type="aws:autoscaling/group:Group", name=urn, parent=None, provider=None, custom=True,
        inputs=inputs, ignore_changes=list(ignore_changes),
    )


def test_a_property_the_new_declaration_ignores_is_no_change():
    base = [_declared("asg", {"desiredCapacity": 2, "maxSize": 4})]
    head = [_declared("asg", {"desiredCapacity": 5, "maxSize": 6}, ["desiredCapacity"])]
    assert [(c.urn, c.keys) for c in compare(base, head)[2]] == [("asg", ("maxSize",))]
    # Only the change it covers: without the option the same edit is a change.
    assert [c.keys for c in compare(base, [_declared("asg", head[0].inputs)])[2]] == [("desiredCapacity", "maxSize")]


@pytest.mark.parametrize(
    "ignored, expected",
    [
        # A nested path, a quoted key, a list element, a wildcard over a list of objects.
        (["scalingConfig.desiredSize"], ["rules", "scalingConfig.maxSize", "tags.team"]),
        (['tags["team"]'], ["rules", "scalingConfig.desiredSize", "scalingConfig.maxSize"]),
        (["scalingConfig"], ["rules", "tags.team"]),
        (["rules[0]"], ["scalingConfig.desiredSize", "scalingConfig.maxSize", "tags.team"]),
        (["rules[*].priority"], ["scalingConfig.desiredSize", "scalingConfig.maxSize", "tags.team"]),
    ],
)
def test_ignore_changes_paths_follow_the_engines_grammar(ignored, expected):
    old = {"scalingConfig": {"desiredSize": 1, "maxSize": 3}, "tags": {"team": "a"}, "rules": [{"priority": 1}]}
    new = {"scalingConfig": {"desiredSize": 2, "maxSize": 4}, "tags": {"team": "b"}, "rules": [{"priority": 2}]}
    changed = compare([_declared("g", old)], [_declared("g", new, ignored)])[2]
    assert [list(c.keys) for c in changed] == [expected]


def test_an_ignored_path_added_to_a_list_stays_a_change():
    # The engine cannot ignore an element added to a list ("cannot ignore changes in added or
    # removed elements of the path"): the provider still sees the new element.
    old, new = {"rules": [1]}, {"rules": [1, 2]}
    assert [c.keys for c in compare([_declared("g", old)], [_declared("g", new, ["rules[1]"])])[2]] == [("rules",)]


def test_the_worker_pools_desired_capacity_is_not_a_diff(plan):
    """The worker pools' groups leave `desiredCapacity` to the autoscaler (`ignore_changes` on
    the group): a base planned with another desired capacity shows no change to the groups."""
    import dataclasses

    head = plan("prod").resources
    groups = [r for r in head if r.type == "aws:autoscaling/group:Group"]
    assert groups and all("desiredCapacity" in g.ignore_changes for g in groups), "the harness records ignoreChanges"
    # The base as `mlp diff` reads it: from `mlp plan --json`, which carries no resource options.
    base = resources_from_json(
        {
            "resources": [
                {**dataclasses.asdict(r), "inputs": {**r.inputs, "desiredCapacity": 0}} if r in groups else dataclasses.asdict(r)
                for r in head
            ]
        }
    )
    assert compare(base, head) == ([], [], [])


def test_a_path_the_base_ignored_and_the_head_no_longer_does_is_named():
    """The state holds the value first deployed at an ignored path, not the base program's, so
    when the head drops `ignore_changes` the diff cannot say from what to what, only that `up`
    will set it."""
    base = [_declared("asg", {"desiredCapacity": 2, "maxSize": 4}, ["desiredCapacity"])]
    head = [_declared("asg", {"desiredCapacity": 2, "maxSize": 4})]
    ((change,),) = [[c for c in compare(base, head)[2]]]
    assert change.keys == ("desiredCapacity (no longer ignored: up sets it; the deployed value is unknown offline)",)
    assert compare(base, [_declared("asg", head[0].inputs, ["desiredCapacity"])])[2] == []


def test_the_inventory_json_carries_what_the_diff_needs_of_ignore_changes(plan):
    inventory = plan("prod")
    read = {r.urn: r for r in resources_from_json(json.loads(json.dumps(inventory.to_json())))}
    groups = [r for r in inventory.resources if r.type == "aws:autoscaling/group:Group"]
    assert groups
    for group in groups:
        assert read[group.urn].ignore_changes == group.ignore_changes == ["desiredCapacity"], group.name
