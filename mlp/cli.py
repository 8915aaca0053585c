"""`mlp`: the platform's offline tooling.

    mlp plan STACK [--json FILE] [--manifests DIR]
    mlp config-reference [--write]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from infra.settings import ConfigError

EXIT_CONFIG = 2


def _plan(args: argparse.Namespace) -> int:
    from mlp.footprint import footprint, render
    from mlp.manifests import write_manifests
    from mlp.plan import build_inventory
    from mlp.report import component_tree

    started = time.perf_counter()
    inventory = build_inventory(args.stack, Path(args.project_dir))
    elapsed = time.perf_counter() - started
    print(component_tree(inventory))
    print(render(footprint(inventory)))
    if args.json:
        Path(args.json).write_text(json.dumps(inventory.to_json(), indent=2, sort_keys=False) + "\n")
        print(f"inventory written to {args.json}")
    if args.manifests:
        written = write_manifests(inventory, Path(args.manifests))
        print(f"{len(written)} Kubernetes manifests written to {args.manifests}")
    print(f"planned offline in {elapsed:.2f}s")
    return 0


def _config_reference(args: argparse.Namespace) -> int:
    from mlp import config_reference

    readme = Path(args.project_dir) / "README.md"
    if args.write:
        changed = config_reference.write(readme)
        print(f"{readme}: {'updated' if changed else 'already up to date'}")
    else:
        print(config_reference.render())
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="mlp", description="ml-platform offline tooling")
    root.add_argument("--project-dir", default=str(Path(__file__).resolve().parent.parent), help=argparse.SUPPRESS)
    commands = root.add_subparsers(dest="command", required=True)

    plan = commands.add_parser("plan", help="plan a stack offline under Pulumi's mocks")
    plan.add_argument("stack", nargs="?", default="dev", help="stack name (default: dev)")
    plan.add_argument("--json", metavar="FILE", help="write the inventory as JSON")
    plan.add_argument("--manifests", metavar="DIR", help="write every Kubernetes object as YAML")
    plan.set_defaults(handler=_plan)

    reference = commands.add_parser("config-reference", help="print the configuration reference")
    reference.add_argument("--write", action="store_true", help="rewrite the block in README.md")
    reference.set_defaults(handler=_config_reference)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFIG


if __name__ == "__main__":
    sys.exit(main())
