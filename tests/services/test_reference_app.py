"""The reference service, run for real, answers every path the platform probes it on, on the
port the Deployment tells it: what a service built from the reference layout with default
settings meets on its first rollout (kubelet probes, then the ALB health check)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request

import pytest

from mlp.plan import PROJECT_DIR

SERVICE_DIR = PROJECT_DIR / "services" / "reference"
STARTUP_SECONDS = 120
"""Bound on installing the locked packages, and on the app starting to listen."""
PROBES = ("startupProbe", "readinessProbe", "livenessProbe")


def entrypoint() -> list[str]:
    """The image's ENTRYPOINT (JSON form), so the test runs the command the container runs."""
    lines = [line for line in (SERVICE_DIR / "Dockerfile").read_text().splitlines() if line.startswith("ENTRYPOINT ")]
    (line,) = lines
    return json.loads(line.removeprefix("ENTRYPOINT "))


def probed_endpoints(plan, stack: str) -> list[tuple[str, str, str]]:
    """(deployment, what probes it, path) for every Deployment the stack plans whose service
    keeps the default port and probes, and the ALB health check of its Ingress; each probe's
    named port checked to be the container port that `PORT` carries. The stack with its images
    pinned: as shipped it declares no workload yet."""
    inventory = plan(stack, images="pinned")
    ingresses = {
        r.inputs["metadata"]["namespace"]: r.inputs["metadata"]["annotations"]
        for r in inventory.of_type("kubernetes:networking.k8s.io/v1:Ingress")
    }
    found = []
    for deployment in inventory.of_type("kubernetes:apps/v1:Deployment"):
        name = deployment.inputs["metadata"]["name"]
        (container,) = deployment.inputs["spec"]["template"]["spec"]["containers"]
        env = {item["name"]: item["value"] for item in container["env"]}
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        for probe in PROBES:
            http = container[probe]["httpGet"]
            assert ports[http["port"]] == int(env["PORT"]), f"{name}: {probe} targets a port the app is not told"
            found.append((name, probe, http["path"]))
        annotations = ingresses.get(deployment.inputs["metadata"]["namespace"])
        if annotations is not None:
            assert annotations["alb.ingress.kubernetes.io/healthcheck-port"] == "traffic-port"
            found.append((name, "ALB health check", annotations["alb.ingress.kubernetes.io/healthcheck-path"]))
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def locked_requirements() -> list[str]:
    """Every package of the service's uv.lock but the service itself, pinned as locked."""
    lock = tomllib.loads((SERVICE_DIR / "uv.lock").read_text())
    return [f"{p['name']}=={p['version']}" for p in lock["package"] if p["name"] != "reference-service"]


@pytest.fixture(scope="module")
def reference_app(tmp_path_factory):
    """The reference app with its locked dependencies, listening on 127.0.0.1 and a free port
    given through `PORT`, as the Deployment gives it; stopped at the end. The image runs
    Python 3.13; this machine's interpreter runs the same code and packages (uv would have to
    download a 3.13, and the suite does not fetch interpreters)."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed: it installs the reference service's locked packages")
    venv = tmp_path_factory.mktemp("reference") / "venv"
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True, timeout=60)
    python = venv / "bin" / "python"
    installed = subprocess.run(
        [uv, "pip", "install", "--quiet", "--no-deps", "--python", str(python), *locked_requirements()],
        capture_output=True, text=True, timeout=STARTUP_SECONDS, check=False,
    )
    if installed.returncode != 0:
        pytest.skip(f"could not install the reference service's locked packages: {installed.stderr[-400:]}")
    command = entrypoint()
    assert command[0] == "python"
    port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), "PORT": str(port), "HOST": "127.0.0.1",
           "PYTHONPATH": str(SERVICE_DIR / "src")}
    process = subprocess.Popen(
        [str(python), *command[1:]], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"the reference app exited with {process.returncode}:\n{process.stdout.read()[-2000:]}")
            try:
                get(base + "/")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    pytest.fail(f"the reference app did not listen on PORT={port} within {STARTUP_SECONDS}s")
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_the_image_runs_the_module_that_reads_port():
    assert entrypoint() == ["python", "-m", "reference_service"]
    main = (SERVICE_DIR / "src" / "reference_service" / "__main__.py").read_text()
    assert 'os.environ.get("PORT"' in main


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_reference_app_answers_every_path_the_planned_manifests_probe(plan, stack, reference_app):
    endpoints = probed_endpoints(plan, stack)
    assert {what for _, what, _ in endpoints} >= {*PROBES, "ALB health check"}
    failing = [
        f"{deployment} {what} GET {path} -> {status}"
        for deployment, what, path in endpoints
        if (status := get(reference_app + path)) != 200
    ]
    assert failing == []


def test_an_unknown_path_is_not_answered_as_healthy(reference_app):
    # The probe check above would pass against an app that answers 200 to anything.
    assert get(reference_app + "/no-such-path") == 404
