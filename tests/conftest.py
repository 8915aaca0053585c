"""The one place that owns mocks and fixtures; test modules only assert."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlp.plan import PROJECT_DIR, Inventory, build_inventory, declare_offline

STACKS = ("dev", "prod")
PINNED_IMAGES = Path(__file__).parent / "data" / "pinned-images.yaml"


def pin_images(document: dict[str, Any], stack: str) -> dict[str, Any]:
    """The stack document after "push and pin": every service's image pinned by digest
    (`tests/data/pinned-images.yaml`). The shipped files pin none (the first deploy)."""
    pins = yaml.safe_load(PINNED_IMAGES.read_text())[stack]
    services = document["config"]["ml-platform:services"]
    assert set(pins) == set(services), f"{PINNED_IMAGES.name}: {stack} pins {sorted(pins)}, declares {sorted(services)}"
    for name, pin in pins.items():
        if isinstance(pin, dict):
            for variant, digest in pin.items():
                services[name]["variants"][variant]["digest"] = digest
        else:
            services[name]["image"]["digest"] = pin
    return document


def _stack_document(stack: str) -> dict[str, Any]:
    return yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())


@pytest.fixture(scope="session")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Inventory]:
    """Plan a stack from its stack file, once per session (the same program `pulumi up` runs).
    `images="pinned"` plans it as after the images are pushed and pinned: the same program and
    stack file with the digests of `tests/data/pinned-images.yaml` added."""
    cache: dict[tuple[str, str], Inventory] = {}

    def _plan(stack: str, images: str = "shipped") -> Inventory:
        if (stack, images) not in cache:
            if images == "shipped":
                cache[stack, images] = build_inventory(stack)
            elif images == "pinned":
                project = tmp_path_factory.mktemp(f"pinned-{stack}")
                for name in ("infra", "components"):
                    (project / name).symlink_to(PROJECT_DIR / name)
                shutil.copy(PROJECT_DIR / "Pulumi.yaml", project / "Pulumi.yaml")
                document = pin_images(_stack_document(stack), stack)
                (project / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
                cache[stack, images] = build_inventory(stack, project)
            else:
                raise ValueError(f"images must be 'shipped' or 'pinned', not {images!r}")
        return cache[stack, images]

    return _plan


@pytest.fixture(params=STACKS)
def stack_inventory(request: pytest.FixtureRequest, plan: Callable[..., Inventory]) -> Inventory:
    """Each shipped stack's inventory in turn (its first deploy: no image pinned yet)."""
    return plan(request.param)


@pytest.fixture(params=[(stack, images) for stack in STACKS for images in ("shipped", "pinned")], ids=lambda p: "-".join(p))
def every_plan(request: pytest.FixtureRequest, plan: Callable[..., Inventory]) -> Inventory:
    """Each stack both ways: its first deploy (shipped) and after the images are pinned."""
    return plan(*request.param)


@pytest.fixture(params=STACKS)
def pinned_inventory(request: pytest.FixtureRequest, plan: Callable[..., Inventory]) -> Inventory:
    """Each stack's inventory once its images are pushed and pinned: every workload declared."""
    return plan(request.param, images="pinned")


def karpenter_variant(document: dict[str, Any]) -> dict[str, Any]:
    """A stack document switched to `cluster.capacityEngine: karpenter`, with the one edit the
    switch asks of the shipped stacks: pool floors to 0 (Karpenter keeps none; the settings
    refuse `minSize` above 0 and say so)."""
    from mlp.cost.karpenter import switched_document

    return switched_document(document, "karpenter")[0]


@pytest.fixture(scope="session")
def karpenter_plan(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Inventory]:
    """Plan the Karpenter variant of a stack (`karpenter_variant` of its stack file, with its
    images pinned so its workloads are declared), once per session: the real program, from a
    scratch project whose only difference is that file."""
    cache: dict[str, Inventory] = {}

    def _plan(stack: str) -> Inventory:
        if stack not in cache:
            project = tmp_path_factory.mktemp(f"karpenter-{stack}")
            for name in ("infra", "components"):
                (project / name).symlink_to(PROJECT_DIR / name)
            shutil.copy(PROJECT_DIR / "Pulumi.yaml", project / "Pulumi.yaml")
            document = pin_images(yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text()), stack)
            (project / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(karpenter_variant(document), sort_keys=False))
            cache[stack] = build_inventory(stack, project)
        return cache[stack]

    return _plan


@pytest.fixture(params=STACKS)
def karpenter_inventory(request: pytest.FixtureRequest, karpenter_plan: Callable[[str], Inventory]) -> Inventory:
    """Each stack's Karpenter variant in turn."""
    return karpenter_plan(request.param)


@pytest.fixture
def declare() -> Callable[..., Inventory]:
    """Declare resources (a component with hand-picked args) under the same recording mocks."""

    def _declare(
        build: Callable[[], Any], stack: str = "unit", region: str = "us-east-1", config: dict[str, str] | None = None
    ) -> Inventory:
        return declare_offline(build, project="ml-platform", stack=stack, region=region, config=config)

    return _declare


@pytest.fixture
def stack_document() -> Callable[..., dict[str, Any]]:
    """A stack file parsed to a dict, a fresh copy each call, for tests that mutate config;
    `images="pinned"` adds the pinned digests (see `pin_images`)."""

    def _load(stack: str, images: str = "shipped") -> dict[str, Any]:
        document = copy.deepcopy(_stack_document(stack))
        return pin_images(document, stack) if images == "pinned" else document

    return _load


@pytest.fixture
def engine_config() -> Callable[[dict[str, Any]], dict[str, str]]:
    """Turn a stack document's `config` into the string map the engine hands the program."""

    def _convert(document: dict[str, Any]) -> dict[str, str]:
        return {
            key: json.dumps(value) if isinstance(value, (dict, list)) else str(value)
            for key, value in document["config"].items()
        }

    return _convert


@pytest.fixture
def scratch_project(tmp_path: Path) -> Callable[[str, str], Path]:
    """A copy of the project's entry points with one stack file replaced, for CLI tests: the
    real program runs, against a stack file the test wrote."""

    def _make(stack: str, stack_file_text: str) -> Path:
        for name in ("infra", "components"):
            (tmp_path / name).symlink_to(PROJECT_DIR / name)
        shutil.copy(PROJECT_DIR / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
        (tmp_path / f"Pulumi.{stack}.yaml").write_text(stack_file_text)
        return tmp_path

    return _make


@pytest.fixture
def autoscaler_example(declare) -> Callable[[str], Inventory]:
    """`ClusterAutoscaler` for one Kubernetes minor (spot and on-demand pools) under the
    recording mocks; shared by the chart-keys and add-on hardening checks."""
    from components.capacity.cluster_autoscaler import (
        ClusterAutoscaler,
        ClusterAutoscalerArgs,
        PoolPreference,
    )

    def _build(kubernetes_version: str) -> Inventory:
        return declare(
            lambda: ClusterAutoscaler(
                "autoscaler",
                ClusterAutoscalerArgs(
                    cluster_name="mlp-unit",
                    kubernetes_version=kubernetes_version,
                    region="us-east-1",
                    account_id="123456789012",
                    oidc_provider_arn="arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/X",
                    oidc_issuer="https://oidc.eks.us-east-1.amazonaws.com/id/X",
                    pools=[PoolPreference("mlp-unit-spot", 0, 0), PoolPreference("mlp-unit-on-demand", 0, 100)],
                ),
            )
        )

    return _build


@pytest.fixture
def interruption_example(declare) -> Callable[..., Inventory]:
    """`InterruptionHandling` declared with two worker pools (`general`, `gpu`) under the
    recording mocks; `carries_spot` and `capacity_rebalance` set both pools' groups (default
    true), other keyword arguments replace fields of its Args. Shared by the component tests,
    the drill and the IAM sweep."""
    import pulumi_kubernetes as k8s

    from components.interruption.drain_budget import DrainBudget
    from components.interruption.interruption_handling import (
        InterruptionHandling,
        InterruptionHandlingArgs,
        WorkerGroup,
    )

    def asg(prefix: str, carries_spot: bool, capacity_rebalance: bool) -> WorkerGroup:
        """A pool's zonal groups, as `WorkerPool` names them (one per zone)."""
        names = {zone: f"{prefix}-{zone}" for zone in ("us-east-1a", "us-east-1b")}
        arns = {
            zone: f"arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:{name}-0000:autoScalingGroupName/{name}"
            for zone, name in names.items()
        }
        return WorkerGroup(
            asg_names=names,
            asg_arns=arns,
            notice_alarm_threshold=2 if "gpu" in prefix else 6,
            carries_spot=carries_spot,
            capacity_rebalance=capacity_rebalance,
        )

    def _build(*, carries_spot: bool = True, capacity_rebalance: bool = True, **overrides: Any) -> Inventory:
        def build() -> None:
            groups = {
                pool: asg(f"mlp-unit-{pool}-asg", carries_spot, capacity_rebalance) for pool in ("general", "gpu")
            }
            fields = {
                "cluster_name": "mlp-unit",
                "region": "us-east-1",
                "worker_groups": groups,
                "kubernetes_provider": k8s.Provider("cluster", kubeconfig="{}"),
                "oidc_provider_arn": "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/UNIT",
                "oidc_issuer": "https://oidc.eks.us-east-1.amazonaws.com/id/UNIT",
                "alarm_topic_arn": "arn:aws:sns:us-east-1:123456789012:alerts",
                "drain_budget": DrainBudget(node_drain_seconds=90, pod_grace_seconds=-1),
            }
            fields.update(overrides)
            InterruptionHandling("interruption", InterruptionHandlingArgs(**fields))

        return declare(build)

    return _build
