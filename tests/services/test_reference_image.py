"""The reference service image: slim, non-root, pinned, cache-friendly, and clean under checkov."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from mlp.plan import PROJECT_DIR

SERVICE_DIR = PROJECT_DIR / "services" / "reference"
DOCKERFILE = SERVICE_DIR / "Dockerfile"
CHECKOV = "checkov==3.3.30"
DIGEST = r"@sha256:[0-9a-f]{64}"


def stages() -> list[str]:
    """The Dockerfile's build stages, each from its FROM line to the next."""
    text = DOCKERFILE.read_text()
    starts = [match.start() for match in re.finditer(r"^FROM ", text, flags=re.MULTILINE)]
    return [text[start:end] for start, end in zip(starts, [*starts[1:], len(text)])]


def test_the_frontend_and_every_base_image_are_pinned_by_digest():
    first_line = DOCKERFILE.read_text().splitlines()[0]
    assert re.fullmatch(rf"# syntax=docker/dockerfile:1\.\d+{DIGEST}", first_line), first_line
    for stage in stages():
        image = stage.split()[1]
        assert re.search(DIGEST + "$", image), f"base image {image} is not pinned by digest"


def test_dependencies_install_with_uv_from_the_lock_through_a_cache_mount():
    builder = next(stage for stage in stages() if " AS builder" in stage.splitlines()[0])
    assert "--mount=type=cache,target=/root/.cache/uv" in builder
    assert "uv sync --locked --no-dev --no-install-project" in builder
    assert (SERVICE_DIR / "uv.lock").is_file() and (SERVICE_DIR / "pyproject.toml").is_file()


def test_the_runtime_stage_runs_as_a_non_root_user_without_build_tools():
    runtime = stages()[-1]
    (user,) = re.findall(r"^USER (\d+)(?::(\d+))?$", runtime, flags=re.MULTILINE)
    assert int(user[0]) >= 10000, f"runtime user {user[0]} is below 10000"
    assert "/uv" not in runtime and "uv sync" not in runtime, "uv must not reach the runtime image"
    assert not re.search(r"apt-get install|gcc|build-essential", runtime)
    assert "HEALTHCHECK" in runtime


def test_the_runtime_stage_drops_the_package_manager_of_its_base_before_dropping_root():
    runtime = stages()[-1]
    removal = re.search(r"^RUN python -m pip uninstall --yes[^\n]* pip\b", runtime, flags=re.MULTILINE)
    assert removal, "the python base image ships pip: the runtime stage must uninstall it"
    assert "rm -rf /usr/local/lib/python3.13/ensurepip" in runtime, "ensurepip would bring pip back"
    assert removal.start() < runtime.index("\nUSER "), "pip must be removed while the stage still runs as root"
    base = runtime.split()[1]
    assert base.startswith("python:3.13-"), f"the ensurepip path assumes Python 3.13, the base is {base}"


def run_checkov(*files) -> list[dict]:
    if shutil.which("uvx") is None:
        pytest.skip("uvx is not installed: checkov runs in its own environment through uvx")
    args = [arg for path in files for arg in ("-f", str(path))]
    result = subprocess.run(
        ["uvx", "--from", CHECKOV, "checkov", *args, "--framework", "dockerfile",
         "--skip-download", "-o", "json"],
        capture_output=True, text=True, timeout=600,
    )
    if result.returncode not in (0, 1) or not result.stdout.strip():
        pytest.skip(f"checkov could not run through uvx: {result.stderr.strip()[-400:]}")
    report = json.loads(result.stdout)
    return report if isinstance(report, list) else [report]


@pytest.mark.external
def test_checkov_passes_the_reference_dockerfile_and_fails_a_careless_one(tmp_path):
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM python:latest\nRUN pip install flask\nCMD [\"flask\", \"run\"]\n")
    (report,) = run_checkov(DOCKERFILE, careless)
    failed = report["results"]["failed_checks"]
    ours = [c for c in failed if c["file_abs_path"] == str(DOCKERFILE)]
    assert ours == [], "\n".join(f"{c['check_id']}: {c['check_name']}" for c in ours)
    passed = {c["check_id"] for c in report["results"]["passed_checks"] if c["file_abs_path"] == str(DOCKERFILE)}
    assert {"CKV_DOCKER_2", "CKV_DOCKER_3", "CKV_DOCKER_7"} <= passed  # healthcheck, user, pinned base
    careless_failures = {c["check_id"] for c in failed if c["file_abs_path"] == str(careless)}
    assert {"CKV_DOCKER_2", "CKV_DOCKER_3"} <= careless_failures, careless_failures
