"""The offline plan: run the real program (`infra/`) under Pulumi's mocks and collect what it
declares. No AWS credentials, no Pulumi CLI, no network."""

from __future__ import annotations

import runpy
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from collections.abc import Callable
from typing import Any

import pulumi
import yaml
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.mocks import set_mocks
from pulumi.runtime.stack import run_pulumi_func, massage
from pulumi.runtime.sync_await import _sync_await

from infra.settings import NAMESPACE
from mlp.default_providers import DefaultProviderDenied, DefaultProviderPolicy
from mlp.mocks import SECRET, DeclaredResource, PlatformMocks, Recorder, RecordingMonitor, wire_to_plain
from mlp.stack_file import read_stack_config

PROJECT_DIR = Path(__file__).resolve().parent.parent


# What the harness records for its own checks and the engine does not show in an inventory.
_ENGINE_ONLY_FIELDS = ("custom", "ignore_changes", "dependencies", "retain_on_delete", "providers", "delete_before_replace")


@dataclass
class Inventory:
    """What a stack declares, as the engine would see it."""

    project: str
    stack: str
    resources: list[DeclaredResource]
    outputs: dict[str, Any]
    invokes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """Data sources the program read (token, arguments), in call order."""

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "resources": [
                {key: value for key, value in asdict(resource).items() if key not in _ENGINE_ONLY_FIELDS}
                for resource in self.resources
            ],
            "outputs": self.outputs,
        }

    def of_type(self, type_: str) -> list[DeclaredResource]:
        return [resource for resource in self.resources if resource.type == type_]

    def named(self, name: str) -> DeclaredResource:
        matches = [resource for resource in self.resources if resource.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources named {name!r} in stack {self.stack}")
        return matches[0]

    def by_urn(self, urn: str) -> DeclaredResource:
        for resource in self.resources:
            if resource.urn == urn:
                return resource
        raise KeyError(urn)

    def children_of(self, urn: str) -> list[DeclaredResource]:
        """Every resource below `urn`, at any depth."""
        found, frontier = [], {urn}
        for resource in self.resources:
            if resource.parent in frontier:
                found.append(resource)
                frontier.add(resource.urn)
        return found

    def kubernetes_objects(self) -> list[DeclaredResource]:
        """Kubernetes objects the program declares directly (Helm releases are not objects)."""
        return [
            resource
            for resource in self.resources
            if resource.type.startswith("kubernetes:")
            and not resource.type.startswith("kubernetes:helm.sh")
            and not resource.type.startswith("pulumi:providers")
            and "kind" in resource.inputs
        ]


def project_name(project_dir: Path) -> str:
    return yaml.safe_load((project_dir / "Pulumi.yaml").read_text())["name"]


def program_entry(project_dir: Path) -> Path:
    main = yaml.safe_load((project_dir / "Pulumi.yaml").read_text()).get("main", ".")
    return project_dir / main / "__main__.py"


def declare_offline(
    declare: Callable[[], None],
    *,
    project: str,
    stack: str,
    config: dict[str, str] | None = None,
    secret_keys: list[str] | None = None,
    region: str = "us-east-1",
) -> Inventory:
    """Run `declare` (the program, or a test's component) under the recording mocks and return
    what it declared. Exceptions from `declare` propagate once the runtime has settled.

    The engine's default-provider rule applies as `config` sets it (`pulumi:disable-default-providers`):
    a registration the engine would refuse raises `DefaultProviderDenied` naming each one."""
    recorder = Recorder()
    mocks = PlatformMocks(region=region)
    monitor = RecordingMonitor(mocks, recorder, DefaultProviderPolicy.from_config(config or {}))

    runtime_settings.ROOT.set(None)
    pulumi.runtime.set_all_config(config or {}, secret_keys or [])
    set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
    runtime_settings.SETTINGS.rpc_manager.clear()
    runtime_settings.SETTINGS.outputs.clear()
    root = runtime_settings.get_root_resource()

    async def collect_outputs() -> None:
        # Each export keeps its secretness: a secret output (a kubeconfig) is shown as the engine
        # shows it, never in clear.
        for name, value in root.outputs.items():
            output = pulumi.Output.from_input(massage(value, []))
            resolved = await output.future()
            recorder.stack_outputs[name] = SECRET if await output.is_secret() else wire_to_plain(resolved)

    async def run() -> None:
        declare()
        await collect_outputs()

    _sync_await(run_pulumi_func(run))
    if recorder.refusals:
        raise DefaultProviderDenied(recorder.refusals)
    return Inventory(
        project=project, stack=stack, resources=recorder.resources, outputs=recorder.stack_outputs, invokes=recorder.invokes
    )


def build_inventory(stack: str, project_dir: Path = PROJECT_DIR) -> Inventory:
    """Plan `stack` offline: the program in `Pulumi.yaml`'s `main`, config from its stack file.

    Raises `ConfigError` (from reading the stack file or from the program) for bad config.
    """
    stack_config = read_stack_config(project_dir, stack)
    entry = program_entry(project_dir)

    def program() -> None:
        runpy.run_path(str(entry), run_name="__main__")

    # The program's own imports resolve against the project it belongs to (for `mlp diff`,
    # a worktree at another commit).
    sys.path.insert(0, str(project_dir))
    try:
        return declare_offline(
            program,
            project=project_name(project_dir),
            stack=stack,
            config=stack_config.values,
            secret_keys=stack_config.secret_keys,
            region=_configured_region(stack_config.values),
        )
    finally:
        sys.path.remove(str(project_dir))


def _configured_region(values: dict[str, str]) -> str:
    # Used only to shape mocked ARNs before the provider is declared; the program validates it.
    return values.get(f"{NAMESPACE}:region", "us-east-1")
