"""The offline plan: run the real program (`infra/`) under Pulumi's mocks and collect what it
declares. No AWS credentials, no Pulumi CLI, no network."""

from __future__ import annotations

import runpy
import sys
from collections.abc import Callable
from pathlib import Path

import pulumi
import yaml
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.mocks import set_mocks
from pulumi.runtime.stack import massage, run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from infra.settings import NAMESPACE
from mlp.declared import Inventory, Recorder
from mlp.default_providers import DefaultProviderDenied, DefaultProviderPolicy
from mlp.mocks import PlatformMocks, RecordingMonitor
from mlp.stack_file import read_stack_config
from mlp.wire import SECRET, wire_to_plain

PROJECT_DIR = Path(__file__).resolve().parent.parent


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
