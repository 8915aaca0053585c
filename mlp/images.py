"""Which images this repository builds, and where they go: the one list `images.yml` and the
stacks share.

A folder `services/<name>/` with a `Dockerfile` is built when, and only when, a stack file
declares a service `<name>` (`ml-platform:services.<name>`); its image goes to the repository
each declaring stack names in `image.repository`, which is the repository that stack creates
(`MlService`). A folder no stack declares is not built: there is nowhere to push it (ECR would
answer `NAME_UNKNOWN`). `images.yml` runs `mlp images` for its build matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlp.cost.stack import stack_settings

SERVICES_DIR = "services"


@dataclass(frozen=True)
class ImageBuild:
    """One build of a service folder, pushed to each declaring stack's repository."""

    service: str
    context: str
    repositories: tuple[str, ...]

    def matrix_entry(self) -> dict[str, str]:
        # image_build.yml takes the repositories space-separated; the first holds the cache.
        return {"service": self.service, "context": self.context, "repositories": " ".join(self.repositories)}


def stacks(project_dir: Path) -> list[str]:
    """Every stack with a stack file in the project, in name order."""
    return sorted(path.name.removeprefix("Pulumi.").removesuffix(".yaml") for path in project_dir.glob("Pulumi.*.yaml"))


def service_folders(project_dir: Path) -> list[str]:
    """Folders of `services/` that hold a Dockerfile."""
    return sorted(path.parent.name for path in (project_dir / SERVICES_DIR).glob("*/Dockerfile"))


def image_builds(project_dir: Path) -> tuple[list[ImageBuild], list[str]]:
    """(the builds, the service folders no stack declares). Each stack file is validated as the
    program validates it, so a bad one stops here with the same error."""
    declared: dict[str, list[str]] = {}
    for stack in stacks(project_dir):
        for name, service in stack_settings(project_dir, stack).services.items():
            declared.setdefault(name, []).append(service.image.repository)
    folders = service_folders(project_dir)
    builds = [
        ImageBuild(service=name, context=f"{SERVICES_DIR}/{name}", repositories=tuple(declared[name]))
        for name in folders
        if name in declared
    ]
    return builds, [name for name in folders if name not in declared]
