"""Estimates and diffs for people: a terminal table, or Markdown for a pull-request comment."""

from __future__ import annotations

from mlp.cost.model import Estimate


def _money(value: float) -> str:
    return f"{value:,.2f}"


def _header(estimate: Estimate) -> str:
    return (
        f"{estimate.stack}: monthly estimate in USD ({estimate.region}, prices: {estimate.price_source}, "
        f"month from {estimate.as_of})"
    )


def _budget_line(estimate: Estimate, budget: float | None) -> str:
    if budget is None:
        return ""
    share = estimate.monthly_total / budget
    flag = "  OVER BUDGET" if share > 1 else ""
    return f"budget {_money(budget)} ({share:.0%} used){flag}"


def table(estimate: Estimate, budget: float | None = None) -> str:
    lines = [_header(estimate), ""]
    width = max([len(item.name) for item in estimate.items] + [8])
    comp_width = max([len(item.component) for item in estimate.items] + [9])
    lines.append(f"{'component':<{comp_width}}  {'resource':<{width}}  {'monthly':>10}  basis")
    for item in sorted(estimate.items, key=lambda i: (i.component, -i.monthly_usd, i.name)):
        lines.append(f"{item.component:<{comp_width}}  {item.name:<{width}}  {_money(item.monthly_usd):>10}  {item.basis}")
    lines += ["", "per component:"]
    for component, total in estimate.by_component().items():
        lines.append(f"  {component:<{comp_width}}  {_money(total):>10}")
    lines.append(f"  {'TOTAL':<{comp_width}}  {_money(estimate.monthly_total):>10}  {_budget_line(estimate, budget)}")
    if estimate.pools:
        lines += ["", "node pools (workload requests packed onto the pool's instance type):"]
        for pool in estimate.pools:
            idle_share = pool.idle_usd / pool.monthly_usd if pool.monthly_usd else 0
            lines.append(
                f"  {pool.pool}: {pool.nodes} nodes (requests need {pool.nodes_needed}), {_money(pool.monthly_usd)} "
                f"= requested {_money(pool.requested_usd)} + idle {_money(pool.idle_usd)} ({idle_share:.0%})"
            )
    if estimate.unpriced:
        lines += ["", "NOT PRICED (the total is low by these):"] + [f"  - {entry}" for entry in estimate.unpriced]
    return "\n".join(lines)


def markdown(estimate: Estimate, budget: float | None = None) -> str:
    lines = [f"### Cost estimate: `{estimate.stack}`", ""]
    lines.append(f"**{_money(estimate.monthly_total)} USD/month** {_budget_line(estimate, budget)}".rstrip())
    lines += ["", f"<sub>{_header(estimate)}</sub>", "", "| component | USD/month |", "|---|---:|"]
    for component, total in estimate.by_component().items():
        lines.append(f"| {component} | {_money(total)} |")
    if estimate.pools:
        lines += ["", "| node pool | nodes | needed | USD/month | requested | idle |", "|---|---:|---:|---:|---:|---:|"]
        for pool in estimate.pools:
            lines.append(
                f"| {pool.pool} | {pool.nodes} | {pool.nodes_needed} | {_money(pool.monthly_usd)} | "
                f"{_money(pool.requested_usd)} | {_money(pool.idle_usd)} |"
            )
    lines += ["", "<details><summary>per resource</summary>", "", "| resource | component | USD/month | basis |", "|---|---|---:|---|"]
    for item in sorted(estimate.items, key=lambda i: (i.component, -i.monthly_usd, i.name)):
        lines.append(f"| `{item.name}` | {item.component} | {_money(item.monthly_usd)} | {item.basis.replace('|', '/')} |")
    lines += ["", "</details>"]
    if estimate.unpriced:
        lines += ["", "**Not priced** (the total is low by these):", ""] + [f"- {entry}" for entry in estimate.unpriced]
    return "\n".join(lines)
