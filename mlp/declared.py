"""What a program declared, as the offline harness records it: each registration
(`DeclaredResource`), the record the mocks keep while the program runs (`Recorder`), and the
finished `Inventory` every check and report reads.

Plain data: it imports nothing of the project's but `mlp.wording`, so the mocks (`mlp.mocks`,
`mlp.mock_eks`) and the plan (`mlp.plan`) can all import it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from mlp.wording import plural


@dataclass
class DeclaredResource:
    urn: str
    type: str
    name: str
    parent: str | None
    provider: str | None
    custom: bool
    inputs: dict[str, Any]
    ignore_changes: list[str] = field(default_factory=list)
    """Properties the engine would leave alone on update (resource option `ignoreChanges`)."""
    dependencies: list[str] = field(default_factory=list)
    """URNs the resource waits for (`dependsOn`, and what its inputs come from)."""
    retain_on_delete: bool = False
    """The engine drops it from state on delete instead of deleting it (`retainOnDelete`)."""
    providers: dict[str, str] = field(default_factory=dict)
    """The `providers` map the registration sent (package -> provider URN), which the engine and a
    remote component's provider hand on to its children."""
    delete_before_replace: bool = False
    """Resource option `deleteBeforeReplace`: on replacement the old one is deleted first."""


@dataclass
class Recorder:
    """Everything the program declared, in registration order, and the stack's outputs."""

    resources: list[DeclaredResource] = field(default_factory=list)
    stack_outputs: dict[str, Any] = field(default_factory=dict)
    invokes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """Data sources read, in call order: (token, arguments)."""
    refusals: list[str] = field(default_factory=list)
    """Registrations and invokes the engine would refuse (`mlp.default_providers`)."""


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
                {
                    **{key: value for key, value in asdict(resource).items() if key not in _ENGINE_ONLY_FIELDS},
                    # Kept for `mlp diff`: a path the base ignored holds its first-deployed value in
                    # the state, which the offline plan cannot know.
                    **({"ignoreChanges": list(resource.ignore_changes)} if resource.ignore_changes else {}),
                }
                for resource in self.resources
            ],
            "outputs": self.outputs,
        }

    def of_type(self, type_: str) -> list[DeclaredResource]:
        return [resource for resource in self.resources if resource.type == type_]

    def named(self, name: str) -> DeclaredResource:
        matches = [resource for resource in self.resources if resource.name == name]
        if len(matches) != 1:
            raise KeyError(f"{plural(len(matches), 'resource')} named {name!r} in stack {self.stack}")
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
