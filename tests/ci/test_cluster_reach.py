"""The preview job tells a cluster it reached from one it could not: every message pulumi-kubernetes
prints for an unreachable cluster is caught, and the PR is told which."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mlp.cluster_reach import UNREACHABLE_MARKERS, reports_unreachable_cluster
from tests.ci.workflow_files import steps_using, workflow

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
