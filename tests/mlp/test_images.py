"""`mlp images`, the build list `images.yml` runs on: only service folders a stack declares,
pushed to exactly the repositories those stacks create."""

from __future__ import annotations

import json

import yaml

from mlp.cli import main
from mlp.images import image_builds
from mlp.plan import PROJECT_DIR, build_inventory

ECR_REPOSITORY = "aws:ecr/repository:Repository"
REFERENCE = {
    "image": {"repository": "ml-platform-dev/reference", "digest": "sha256:" + "d" * 64},
    "resources": {"cpuMillicores": 100, "memoryMib": 128, "memoryLimitMib": 128},
    "replicas": {"min": 1, "max": 1},
}


def declaring_reference(scratch_project, stack_document):
    """A copy of the project whose dev stack declares the reference service."""
    document = stack_document("dev")
    document["config"]["ml-platform:services"]["reference"] = REFERENCE
    root = scratch_project("dev", yaml.safe_dump(document, sort_keys=False))
    (root / "services").symlink_to(PROJECT_DIR / "services")
    return root


def test_no_stack_declares_the_reference_service_so_nothing_is_built(capsys):
    builds, undeclared = image_builds(PROJECT_DIR)
    assert builds == [] and "reference" in undeclared
    assert main(["images"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == []
    assert "services/reference: no stack declares a service 'reference'" in captured.err


def test_a_declared_service_is_built_into_the_repository_its_stack_creates(scratch_project, stack_document):
    root = declaring_reference(scratch_project, stack_document)
    builds, undeclared = image_builds(root)
    assert [build.matrix_entry() for build in builds] == [
        {"service": "reference", "context": "services/reference", "repositories": "ml-platform-dev/reference"}
    ]
    assert "reference" not in undeclared
    # The other side of the contract: the program, planned from the same stack file, declares
    # exactly that repository.
    planned = {r.inputs["name"] for r in build_inventory("dev", root).of_type(ECR_REPOSITORY)}
    assert set(builds[0].repositories) <= planned

