"""Pulumi mocks that stand in for the engine and the providers, and record what is declared.

The harness imports in one direction (tests/test_imports.py keeps it so): `mlp.wire` (the wire
format) and `mlp.declared` (what is recorded) at the bottom, then `mlp.mock_state` (what AWS
answers), `mlp.mock_eks` (the pulumi-eks remote component), this module, and `mlp.plan` on top.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pulumi
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks

from mlp.declared import DeclaredResource, Recorder
from mlp.default_providers import (
    DefaultProviderPolicy,
    denied_message,
    is_provider_type,
    needs_provider,
    package_of,
)
from mlp.mock_eks import eks_cluster_hook
from mlp.mock_state import MockContext, invoke_result, resource_state
from mlp.wire import refs_as_urns, wire_to_plain

# A hook answers a resource type that needs more than echoed inputs, e.g. a remote component
# whose resource-reference outputs must point at registered (synthetic) children. It receives
# the monitor so it can register those children, and returns (id, outputs).
ResourceHook = Callable[["RecordingMonitor", MockContext, MockResourceArgs], tuple[str, dict[str, Any]]]
RESOURCE_HOOKS: dict[str, ResourceHook] = {
    # Remote components answered with synthetic children (see each hook's module).
    "eks:index:Cluster": eks_cluster_hook,
}


class PlatformMocks(Mocks):
    def __init__(self, region: str):
        self.region = region
        self.monitor: RecordingMonitor | None = None
        # The SDK sends registrations from a thread pool; the URN being registered is handed to
        # `new_resource` per thread, so ids derived from it do not depend on scheduling.
        self._registering = threading.local()

    @property
    def _pending_urn(self) -> str:
        return getattr(self._registering, "urn", "")

    @_pending_urn.setter
    def _pending_urn(self, urn: str) -> None:
        self._registering.urn = urn

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict]:
        if args.typ == "pulumi:providers:aws" and args.inputs.get("region"):
            self.region = args.inputs["region"]
        ctx = MockContext(region=self.region, urn=self._pending_urn, name=args.name, inputs=dict(args.inputs))
        hook = RESOURCE_HOOKS.get(args.typ)
        if hook is not None and self.monitor is not None:
            return hook(self.monitor, ctx, args)
        return resource_state(args.typ, ctx)

    def call(self, args: MockCallArgs) -> dict:
        if self.monitor is not None:
            self.monitor.recorder.invokes.append((args.token, dict(args.args)))
        return invoke_result(args.token, self.region, args.args)


def _provider_urn(reference: str) -> str | None:
    # A provider reference is "<urn>::<id>"; the default provider is sent as "".
    return reference.rsplit("::", 1)[0] if reference else None


ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


class RecordingMonitor(MockMonitor):
    """The SDK's mock monitor, plus a record of every registration with its parent and provider
    (which `Mocks.new_resource` is not told), and the engine's default-provider rule: with
    `policy` denying a package, a custom resource, remote component, invoke or read of it that
    resolves no explicit provider is recorded as a refusal (`mlp.default_providers`)."""

    def __init__(self, mocks: PlatformMocks, recorder: Recorder, policy: DefaultProviderPolicy | None = None):
        super().__init__(mocks)
        mocks.monitor = self
        self.platform_mocks = mocks
        self.recorder = recorder
        self.policy = policy or DefaultProviderPolicy()
        self.stack_urn = ""
        self._pending = threading.local()
        # Component URN -> its providers by package, as the engine keeps them (`componentProviders`).
        self.component_providers: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """A URN as the engine writes it (pulumi/pulumi v3.259.0 `pkg/resource/deploy/deployment.go`,
        `generateURN`): the type qualified by the parent's whole type chain, the root stack's type
        left out. The SDK's mock monitor keeps only the parent's last type, so a grandparent's type
        change would not show as the replacement `pulumi up` makes of every descendant."""
        qualified = parent.split("::")[2] if parent else ""
        if qualified and qualified != ROOT_STACK_TYPE:
            type_ = f"{qualified}${type_}"
        return "::".join(["urn:pulumi:" + pulumi.get_stack(), pulumi.get_project(), type_, name])

    @property
    def pending_providers(self) -> dict[str, str]:
        return getattr(self._pending, "providers", {})

    def component_provider(self, package: str) -> str | None:
        """The provider the component being registered passes to its children for `package`."""
        return _provider_urn(self.pending_providers.get(package, ""))

    def _resolve_provider(self, provider: str, providers: dict[str, str], parent: str, package: str) -> str:
        """`resolveProvider` in pulumi/pulumi `pkg/resource/deploy/source_eval.go`."""
        if provider:
            return provider
        if package in providers:
            return providers[package]
        with self._lock:
            return self.component_providers.get(parent, {}).get(package, "")

    def _refuse(self, package: str, subject: str, what: str) -> None:
        self.recorder.refusals.append(f"{what}: {denied_message(package, subject)}")

    def RegisterResource(self, request):
        urn = self.make_urn(request.parent, request.type, request.name)
        custom, remote = bool(request.custom), bool(request.remote)
        providers = dict(request.providers)
        if not custom:
            # A component inherits the providers of a component parent it does not override.
            with self._lock:
                for package, reference in self.component_providers.get(request.parent, {}).items():
                    providers.setdefault(package, reference)
                self.component_providers[urn] = providers
        if request.type == "pulumi:pulumi:Stack":
            self.stack_urn = urn
            return super().RegisterResource(request)
        package = package_of(request.type)
        provider = ""
        if needs_provider(request.type, custom, remote):
            provider = self._resolve_provider(request.provider, providers, request.parent, package)
            if not provider and self.policy.denies(package):
                # A remote component is refused at registration, named by type; a custom resource
                # at its step, named by URN.
                self._refuse(package, request.type if remote else urn, f"resource {request.name!r}")
        self.platform_mocks._pending_urn = urn
        self._pending.providers = providers
        # The SDK's mock monitor deserializes inputs on its own worker thread; a resource
        # reference there is rehydrated on that thread's event loop, which the program's loop
        # then awaits ("attached to a different loop", intermittently). The mocks never need
        # the rehydrated object, so references reach them as URNs.
        plain_inputs, had_refs = refs_as_urns(json_format.MessageToDict(request.object))
        if had_refs:
            replaced = struct_pb2.Struct()
            replaced.update(plain_inputs)
            request.object.CopyFrom(replaced)
        self.recorder.resources.append(
            DeclaredResource(
                urn=urn,
                type=request.type,
                name=request.name,
                parent=request.parent if request.parent and request.parent != self.stack_urn else None,
                provider=_provider_urn(provider),
                custom=custom,
                inputs=wire_to_plain(json_format.MessageToDict(request.object)),
                ignore_changes=list(request.ignoreChanges),
                dependencies=list(request.dependencies),
                retain_on_delete=bool(request.retainOnDelete),
                providers={
                    package: urn
                    for package, reference in dict(request.providers).items()
                    if (urn := _provider_urn(reference))
                },
                delete_before_replace=bool(request.deleteBeforeReplace),
            )
        )
        return super().RegisterResource(request)

    def Invoke(self, request):
        package = package_of(request.tok)
        parent = getattr(request, "parent", "")
        if not self._resolve_provider(request.provider, {}, parent, package) and self.policy.denies(package):
            self._refuse(package, request.tok, "invoke")
        return super().Invoke(request)

    def ReadResource(self, request):
        package = package_of(request.type)
        if not is_provider_type(request.type) and not request.provider and self.policy.denies(package):
            self._refuse(package, request.type, f"read of {request.name!r}")
        return super().ReadResource(request)

    def RegisterResourceOutputs(self, request):
        if request.urn == self.stack_urn:
            self.recorder.stack_outputs = wire_to_plain(json_format.MessageToDict(request.outputs))
        return super().RegisterResourceOutputs(request)

    def register_synthetic(self, urn: str, resource_id: str, state: dict[str, Any]) -> None:
        """Register a resource the engine would have created inside a remote component, so a
        resource reference to it can be rehydrated by `getResource`."""
        self.resources[urn] = MockMonitor.ResourceRegistration(urn, resource_id, state)

