"""`mlp`: the platform's offline tooling (`mlp --help`, `mlp COMMAND --help`).

    mlp plan [STACK] [--json FILE] [--manifests DIR]   (the tree, the footprint, the prerequisites)
    mlp cost [STACK] [--json FILE] [--format table|markdown] [--live-prices] [--naive] [--as-of DATE]
                     [--engine cluster-autoscaler|karpenter]
    mlp diff [STACK] --base REF [--json FILE] [--format table|markdown] [--as-of DATE]
    mlp config-reference [--write]
    mlp images

STACK defaults to dev.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from datetime import date
from pathlib import Path

EXIT_CONFIG = 2
EXIT_DIFF = 3
EXIT_ENGINE = 4
"""The program declares something the Pulumi engine would refuse (`mlp.default_providers`)."""


def _plan(args: argparse.Namespace) -> int:
    from mlp.footprint import footprint, render
    from mlp.manifests import write_manifests
    from mlp.plan import build_inventory
    from mlp.prerequisites import prerequisites
    from mlp.prerequisites import render as render_prerequisites
    from mlp.report import component_tree
    from mlp.wording import plural

    started = time.perf_counter()
    inventory = build_inventory(args.stack, Path(args.project_dir))
    elapsed = time.perf_counter() - started
    settings = _validated_settings(Path(args.project_dir), args.stack)
    needed = prerequisites(settings)
    print(component_tree(inventory))
    result = footprint(inventory, usage=settings.cost)
    print(render(result))
    print(render_prerequisites(needed))
    _first_deploy_notices(settings)
    if not _capacity_fits(result, args.stack):
        return EXIT_CONFIG
    if args.json:
        document = {**inventory.to_json(), "prerequisites": [item.to_json() for item in needed]}
        Path(args.json).write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
        print(f"inventory written to {args.json}")
    if args.manifests:
        written = write_manifests(inventory, Path(args.manifests))
        print(f"{plural(len(written), 'Kubernetes manifest')} written to {args.manifests}")
    print(f"planned offline in {elapsed:.2f}s")
    _cost_guardrails(inventory, args, settings)
    return 0


def _capacity_fits(result, stack: str) -> bool:
    """Print the capacity-fit refusals and warnings; False when the stack is refused."""
    from infra.settings import stack_file_name
    from mlp.footprint import capacity_fit

    fit = capacity_fit(result)
    for warning in fit.warnings:
        print(f"warning: {stack_file_name(stack)}: {warning}", file=sys.stderr)
    for refusal in fit.refusals:
        print(f"error: {stack_file_name(stack)}: {refusal}", file=sys.stderr)
    return not fit.refusals


def _validated_settings(project_dir: Path, stack: str):
    """The stack's settings as the program validates them (secret keys included)."""
    from infra.settings import load_settings
    from mlp.stack_file import read_stack_config

    config = read_stack_config(project_dir, stack)
    return load_settings(stack, config.values, config.secret_keys)


def _first_deploy_notices(settings) -> None:
    """The services the stack cannot deploy yet and why (the same lines `pulumi up` logs)."""
    from infra.services import pending_images

    notices = pending_images(settings)
    if notices:
        print("first deploy:")
        print("\n".join(f"  {notice}" for notice in notices))


def _cost_guardrails(inventory, args: argparse.Namespace, settings) -> None:
    """After a plan: the estimate against the stack's budget, and the spot floor."""
    from mlp.cost.estimate import spot_share_problem
    from mlp.cost.stack import estimate_resources

    result = estimate_resources(inventory.resources, settings, args.stack)
    total, budget = result.estimate.monthly_total, result.budget_usd
    print(f"estimated {total:,.2f} USD/month of a {budget:,.2f} USD budget (mlp cost {args.stack} for details)")
    if result.over_budget:
        print(
            f"warning: the estimate ({total:,.2f} USD/month) exceeds the budget "
            f"ml-platform:cost.monthlyBudgetUsd ({budget:,.2f})",
            file=sys.stderr,
        )
    problem = spot_share_problem(inventory.resources, settings.cost.min_spot_share)
    if problem:
        print(f"warning: {problem}", file=sys.stderr)


def _as_of(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _cost(args: argparse.Namespace) -> int:
    from mlp.cost import render
    from mlp.cost.prices import PriceTable
    from mlp.cost.stack import estimate_resources, stack_settings
    from mlp.footprint import footprint
    from mlp.plan import build_inventory

    project_dir = Path(args.project_dir)
    settings = stack_settings(project_dir, args.stack)
    inventory = build_inventory(args.stack, project_dir)
    if not _capacity_fits(footprint(inventory, usage=settings.cost), args.stack):
        return EXIT_CONFIG
    prices = PriceTable.load()
    if args.live_prices:
        prices = _live_prices(prices, inventory.resources, settings.region)
    day = _as_of(args.as_of)
    result = estimate_resources(inventory.resources, settings, args.stack, prices=prices, as_of=day)
    shown = result
    if args.naive:
        shown = estimate_resources(inventory.resources, settings, args.stack, prices=prices, naive=True, as_of=day)
    text = render.markdown if args.format == "markdown" else render.table
    if args.naive:
        from mlp.cost.naive import BASELINE_HEADER

        print(BASELINE_HEADER + "\n")
    print(text(shown.estimate, shown.budget_usd, shown.search_sizing))
    if args.naive:
        posture, baseline = result.estimate.monthly_total, shown.estimate.monthly_total
        ratio = baseline / posture if posture else float("inf")
        print(
            f"\nbaseline (common default deployment) {baseline:,.2f} USD/month vs this posture "
            f"{posture:,.2f} USD/month: baseline / posture = {ratio:.2f}"
        )
    if args.engine:
        from mlp.cost.karpenter import (
            compare_engines,
            render_comparison,
            render_comparison_markdown,
        )

        comparison = compare_engines(project_dir, args.stack, args.engine, as_of=day)
        show = render_comparison_markdown if args.format == "markdown" else render_comparison
        print()
        print(show(comparison))
    if args.json:
        Path(args.json).write_text(json.dumps(shown.estimate.to_json(), indent=2) + "\n")
        print(f"estimate written to {args.json}")
    return 0


def _live_prices(prices, resources, region: str):
    import boto3

    from mlp.cost.live import credentials_available, read_live_prices
    from mlp.cost.stack import pool_instance_types
    from mlp.wording import plural

    session = boto3.Session()
    if not credentials_available(session):
        print("warning: --live-prices needs AWS credentials; using the shipped price table", file=sys.stderr)
        return prices
    types = pool_instance_types(resources, prices)
    on_demand, spot = read_live_prices(session, types, region)
    print(
        f"live prices read for {plural(len(on_demand), 'on-demand instance type')} and "
        f"{plural(len(spot), 'spot instance type')}",
        file=sys.stderr,
    )
    return prices.with_live(on_demand, spot)


def _diff(args: argparse.Namespace) -> int:
    from mlp.diff import DiffError, diff_stack, render_markdown, render_table

    try:
        diff = diff_stack(Path(args.project_dir), args.stack, args.base, as_of=_as_of(args.as_of))
    except DiffError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_DIFF
    print(render_markdown(diff) if args.format == "markdown" else render_table(diff))
    if args.json:
        Path(args.json).write_text(json.dumps(diff.to_json(), indent=2) + "\n")
    return 0


def _config_reference(args: argparse.Namespace) -> int:
    from mlp import config_reference

    page = Path(args.project_dir) / config_reference.PAGE
    if args.write:
        changed = config_reference.write(page)
        print(f"{page}: {'updated' if changed else 'already up to date'}")
    else:
        print(config_reference.render())
    return 0


def _images(args: argparse.Namespace) -> int:
    from mlp.images import image_builds

    builds, undeclared = image_builds(Path(args.project_dir))
    for name in undeclared:
        print(f"services/{name}: no stack declares a service {name!r}; not built", file=sys.stderr)
    print(json.dumps([build.matrix_entry() for build in builds], separators=(",", ":")))
    return 0


DEFAULT_STACK = "dev"
"""The stack `plan`, `cost` and `diff` take when none is named (the README's first command)."""

HELP_WIDTH = 100
HELP_COLUMN = 24


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """One line per option: every help text starts in one column (`HELP_COLUMN`) and is short
    enough to end before `HELP_WIDTH`, whatever the terminal; the examples in the epilog as
    written."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=HELP_COLUMN, width=HELP_WIDTH)
        # argparse measures subcommand names one indent short ("config-reference" would wrap);
        # starting from the column makes the help position exactly `HELP_COLUMN`.
        self._action_max_length = HELP_COLUMN


def _examples(*lines: tuple[str, str]) -> str:
    width = max(len(command) for command, _ in lines) + 2
    return "examples:\n" + "\n".join(f"  {command:<{width}}{what}" for command, what in lines)


def _command(commands, name: str, summary: str, *examples: tuple[str, str]) -> argparse.ArgumentParser:
    return commands.add_parser(
        name, help=summary, description=summary, epilog=_examples(*examples), formatter_class=_HelpFormatter
    )


def _stack_argument(command: argparse.ArgumentParser, verb: str) -> None:
    command.add_argument(
        "stack", nargs="?", default=DEFAULT_STACK, metavar="STACK",
        help=f"stack to {verb}: Pulumi.STACK.yaml (default: {DEFAULT_STACK})",
    )


def _month_argument(command: argparse.ArgumentParser) -> None:
    command.add_argument("--as-of", metavar="DATE", help="first day of the month priced, YYYY-MM-DD (default: today)")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="mlp",
        description="ml-platform offline tooling: plan, price and diff a stack without AWS or Pulumi.",
        epilog=_examples(
            ("mlp plan", "plan dev: its resources, footprint, prerequisites"),
            ("mlp cost prod", "prod's monthly estimate"),
            ("mlp diff dev --base origin/main", "what this change does to dev, and what it costs"),
            ("mlp COMMAND --help", "one command's options"),
        ),
        formatter_class=_HelpFormatter,
    )
    root.add_argument("--project-dir", default=str(Path(__file__).resolve().parent.parent), help=argparse.SUPPRESS)
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    plan = _command(
        commands, "plan", "plan a stack offline under Pulumi's mocks",
        ("mlp plan", "plan dev"),
        ("mlp plan prod --json out/prod.json", "also write the inventory"),
        ("mlp plan dev --manifests out/manifests", "also write the Kubernetes objects"),
    )
    _stack_argument(plan, "plan")
    plan.add_argument("--json", metavar="FILE", help="also write the inventory as JSON")
    plan.add_argument("--manifests", metavar="DIR", help="also write every Kubernetes object as YAML")
    plan.set_defaults(handler=_plan)

    cost = _command(
        commands, "cost", "estimate a stack's monthly cost offline",
        ("mlp cost", "dev's estimate as a table"),
        ("mlp cost prod --format markdown", "prod's, as Markdown"),
        ("mlp cost prod --naive", "the common default deployment, for comparison"),
        ("mlp cost prod --engine karpenter", "beside the same workloads under Karpenter"),
    )
    _stack_argument(cost, "price")
    cost.add_argument("--json", metavar="FILE", help="also write the estimate as JSON")
    cost.add_argument("--format", choices=("table", "markdown"), default="table", metavar="FORMAT", help="table or markdown (default: table)")
    cost.add_argument("--live-prices", action="store_true", help="read current EC2 prices (needs AWS credentials)")
    cost.add_argument("--naive", action="store_true", help="price the common default deployment instead")
    _month_argument(cost)
    cost.add_argument(
        "--engine", choices=("cluster-autoscaler", "karpenter"), metavar="ENGINE",
        help="also price under ENGINE (cluster-autoscaler or karpenter)",
    )
    cost.set_defaults(handler=_cost)

    diff = _command(
        commands, "diff", "resources and monthly cost changed since a git ref",
        ("mlp diff --base origin/main", "dev against the main branch"),
        ("mlp diff prod --base HEAD~1 --format markdown", "prod against the last commit"),
    )
    _stack_argument(diff, "compare")
    # Required: the base is the branch a change goes to, and the pull-request workflow passes
    # it (`--base "origin/$BASE_REF"`, .github/workflows/pull_request.yml); no default fits all.
    diff.add_argument("--base", required=True, metavar="REF", help="git ref to compare with, e.g. origin/main (required, no default)")
    diff.add_argument("--json", metavar="FILE", help="also write the diff as JSON")
    diff.add_argument("--format", choices=("table", "markdown"), default="table", metavar="FORMAT", help="table or markdown (default: table)")
    _month_argument(diff)
    diff.set_defaults(handler=_diff)

    reference = _command(
        commands, "config-reference", "print the configuration reference",
        ("mlp config-reference", "print it"),
        ("mlp config-reference --write", "rewrite the block in docs/configuration.md"),
    )
    reference.add_argument(
        "--write", action="store_true", help="rewrite the block in docs/configuration.md"
    )
    reference.set_defaults(handler=_config_reference)

    images = _command(
        commands, "images", "the service images to build and where they go (JSON, for images.yml)",
        ("mlp images", "the build matrix"),
    )
    images.set_defaults(handler=_images)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # A command is one short run that builds a large, long-lived object graph (the SDK's modules,
    # every declared resource and its futures) and then exits. The cyclic collector would walk
    # that graph again and again for garbage it seldom finds (measured: about a fifth of the
    # wall time of `mlp plan prod`, two fifths at 128 services); reference counting still frees
    # everything acyclic, and the process ends before the rest matters. Off before the heavy
    # imports too (pydantic, pulumi, the SDKs), which are most of the run; so every import of
    # the project happens below, in the commands.
    gc.disable()
    from infra.settings import ConfigError
    from mlp.default_providers import DefaultProviderDenied

    try:
        return args.handler(args)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except DefaultProviderDenied as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ENGINE


if __name__ == "__main__":
    sys.exit(main())
