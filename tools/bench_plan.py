"""Benchmark the offline plan: wall time of `uv run mlp plan STACK`, repeated, median reported.

    uv run python tools/bench_plan.py                     # dev and prod, 7 runs each
    uv run python tools/bench_plan.py --services 16 64    # prod's shape with 16 and 64 services
    uv run python tools/bench_plan.py prod --runs 11

Each run is a fresh process, as a developer or CI runs it (interpreter start, imports, the program
under mocks, the cost guardrails). The load average is printed before and after: the machine is
shared, so a figure taken under load says so. `--services N` plans a copy of prod whose services
are N copies of `discovery` (the spot pool's ceiling raised so the minimum footprint fits), in a
temporary project directory that runs this checkout's program.

Not a test: timings depend on the machine. The figures in docs/offline-plan.md, "Benchmarks", come from here.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
NAMESPACE = "ml-platform"


def scaled_stack(services: int) -> dict:
    """prod's stack file with `services` copies of its `discovery` service."""
    document = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    config = document["config"]
    template = config[f"{NAMESPACE}:services"]["discovery"]
    scaled = {}
    for index in range(services):
        name = f"svc-{index:03d}"
        service = copy.deepcopy(template)
        service["image"]["repository"] = f"ml-platform-prod/{name}"
        service["host"] = f"{name}.ml-platform.example.com"
        service["modelArtifacts"]["prefix"] = f"{name}/"
        scaled[name] = service
    config[f"{NAMESPACE}:services"] = scaled
    # Each copy keeps two pods at minimum; let the spot pool hold them (about 8 pods a node).
    pools = config[f"{NAMESPACE}:nodePools"]
    pools["spot"]["maxSize"] = max(pools["spot"]["maxSize"], 3 * (services // 8 + 2))
    return document


def project_for(services: int, directory: Path) -> tuple[Path, str]:
    """A project directory whose program is this checkout's, with a scaled stack file."""
    stack = f"bench{services}"
    pulumi_yaml = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    pulumi_yaml["main"] = str(ROOT / pulumi_yaml.get("main", "."))
    (directory / "Pulumi.yaml").write_text(yaml.safe_dump(pulumi_yaml))
    (directory / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(scaled_stack(services)))
    return directory, stack


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def time_plan(stack: str, project_dir: Path, runs: int) -> list[float]:
    command = ["uv", "run", "--project", str(ROOT), "mlp", "--project-dir", str(project_dir), "plan", stack]
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        walls.append(time.perf_counter() - started)
        if done.returncode != 0:
            sys.exit(f"{' '.join(command)} failed:\n{done.stderr}")
    return walls


def report(label: str, walls: list[float], before: str) -> None:
    print(
        f"{label:<22} median {statistics.median(walls):5.2f} s  min {min(walls):5.2f}  max {max(walls):5.2f}"
        f"  ({len(walls)} runs; load before {before}, after {load()})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stacks", nargs="*", help="stacks to plan (default: dev prod, unless --services)")
    parser.add_argument("--services", type=int, nargs="*", default=[], help="plan prod's shape with N services")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    stacks = args.stacks or ([] if args.services else ["dev", "prod"])
    print(f"{os.cpu_count()} CPUs; load average {load()}")
    for stack in stacks:
        before = load()
        report(f"plan {stack}", time_plan(stack, ROOT, args.runs), before)
    for count in args.services:
        with tempfile.TemporaryDirectory() as directory:
            project_dir, stack = project_for(count, Path(directory))
            before = load()
            report(f"plan prod x{count} services", time_plan(stack, project_dir, args.runs), before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
